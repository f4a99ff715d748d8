/**
 * Just enough ISO-BMFF reading to learn where a CMAF rendition's timeline starts: the earliest
 * `tfdt` (track fragment decode time) of its first segment, in seconds. hls.js takes exactly
 * this as the stream's origin (initPTS) and ignores edit lists, so WebVTT subtitles need an
 * `X-TIMESTAMP-MAP` naming it for their cues to land at the right times.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { MediaErrorCode } from './run-tool.ts'

interface Box { type: string, start: number, end: number }

function * boxes (b: Uint8Array, start: number, end: number): Generator<Box> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let off = start
  while (off + 8 <= end) {
    let size = view.getUint32(off)
    let header = 8
    if (size === 1) {
      if (off + 16 > end) break
      size = Number(view.getBigUint64(off + 8))
      header = 16
    } else if (size === 0) {
      size = end - off
    }
    if (size < header || off + size > end) throw bad('a box overruns its parent')
    yield { type: String.fromCharCode(b[off + 4]!, b[off + 5]!, b[off + 6]!, b[off + 7]!), start: off + header, end: off + size }
    off += size
  }
}

function bad (what: string): P2pdvError {
  return new P2pdvError(MediaErrorCode.TOOL_FAILED, `ffmpeg wrote an unreadable fragmented MP4: ${what}`)
}

function child (b: Uint8Array, parent: Box, type: string): Box | undefined {
  for (const x of boxes(b, parent.start, parent.end)) if (x.type === type) return x
  return undefined
}

/** Track id → timescale, from an init segment's `moov/trak/{tkhd, mdia/mdhd}`. */
export function trackTimescales (init: Uint8Array): Map<number, number> {
  const view = new DataView(init.buffer, init.byteOffset, init.byteLength)
  const out = new Map<number, number>()
  const moov = [...boxes(init, 0, init.byteLength)].find(x => x.type === 'moov')
  if (moov === undefined) throw bad('no moov in the init segment')
  for (const trak of boxes(init, moov.start, moov.end)) {
    if (trak.type !== 'trak') continue
    const tkhd = child(init, trak, 'tkhd')
    const mdia = child(init, trak, 'mdia')
    const mdhd = mdia === undefined ? undefined : child(init, mdia, 'mdhd')
    if (tkhd === undefined || mdhd === undefined) throw bad('a track without tkhd or mdhd')
    const id = view.getUint32(tkhd.start + (init[tkhd.start] === 1 ? 20 : 12))
    const timescale = view.getUint32(mdhd.start + (init[mdhd.start] === 1 ? 20 : 12))
    if (timescale === 0) throw bad('a track with timescale 0')
    out.set(id, timescale)
  }
  return out
}

/** The earliest decode time, in seconds, of any track fragment in `segment`. */
export function firstDecodeTime (init: Uint8Array, segment: Uint8Array): number {
  const timescales = trackTimescales(init)
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength)
  let first = Infinity
  for (const moof of boxes(segment, 0, segment.byteLength)) {
    if (moof.type !== 'moof') continue
    for (const traf of boxes(segment, moof.start, moof.end)) {
      if (traf.type !== 'traf') continue
      const tfhd = child(segment, traf, 'tfhd')
      const tfdt = child(segment, traf, 'tfdt')
      if (tfhd === undefined || tfdt === undefined) continue
      const timescale = timescales.get(view.getUint32(tfhd.start + 4))
      if (timescale === undefined) throw bad('a fragment of an unknown track')
      const t = segment[tfdt.start] === 1 ? Number(view.getBigUint64(tfdt.start + 4)) : view.getUint32(tfdt.start + 4)
      first = Math.min(first, t / timescale)
    }
  }
  if (first === Infinity) throw bad('no track fragment with a decode time')
  return first
}

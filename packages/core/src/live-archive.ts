/**
 * A live stream kept as a VOD (docs/protocol.md "Live archives"): an ordinary video manifest whose
 * renditions name the very blocks the stream stored (no media byte is sealed or uploaded again),
 * plus `live`: the stream id and the key of every epoch those blocks are sealed under.
 *
 * Each rendition's init and media segments are live-sealed streams: their stream number is the
 * live one (live.ts segmentPosition), from which the AAD context follows, and the manifest's
 * objectId is the stream id's first 16 bytes. A media segment names its epoch; an init segment's
 * epoch is in its stream number. The poster (and any later addition) is sealed under the
 * archive's own key K as in any video. The epoch keys travel inside the manifest, which is sealed
 * under K: whoever may open the VOD (link, envelope or keepers) gets them, nobody else.
 */
import { P2pdvError } from './errors.ts'
import { KEY_BYTES, OBJECT_ID_BYTES } from './sealed.ts'

/** A day of 10 s epochs. */
export const MAX_ARCHIVE_EPOCHS = 10_000
const LIVE_RENDITIONS = 16
const MAX_EPOCH = 2 ** 32 - 1
/** Above every live stream number ((2^42·16 + 15)·2 + 1 < 2^48 − 1): the poster of an archive. */
export const ARCHIVE_POSTER_STREAM = 2 ** 48 - 1

export interface LiveArchive {
  /** The stream id (the stream key's 32 bytes). */
  stream: Uint8Array
  /** The key of each epoch a segment of the archive is sealed under, epochs ascending. */
  epochs: Array<{ epoch: number, key: Uint8Array }>
}

export interface LiveStreamPosition {
  rendition: number
  kind: 'media' | 'init'
  /** The segment's seq (media) or the epoch (init). */
  value: number
}

/** What a live stream number names (the inverse of live.ts segmentPosition). */
export function liveStreamPosition (n: number): LiveStreamPosition {
  const half = Math.floor(n / 2)
  return { rendition: half % LIVE_RENDITIONS, kind: n % 2 === 1 ? 'init' : 'media', value: Math.floor(half / LIVE_RENDITIONS) }
}

/** The AAD context a live-sealed stream was sealed under (`live/<rendition>/<kind>/<seq|epoch>`). */
export function liveStreamContext (n: number): Uint8Array {
  const p = liveStreamPosition(n)
  return new TextEncoder().encode(`live/${p.rendition}/${p.kind}/${p.value}`)
}

function malformed (what: string): P2pdvError {
  return new P2pdvError('ERR_MANIFEST_MALFORMED', `manifest is malformed: ${what}`, {
    hint: 'The object was written by an incompatible or faulty client; it cannot be read.'
  })
}

/**
 * The key a stream of a video opens with: the epoch's key for a live-sealed stream of an
 * archive, the video key otherwise.
 */
export function streamOpeningKey (video: { live?: LiveArchive }, videoKey: Uint8Array, epoch: number | undefined): Uint8Array {
  if (epoch === undefined) return videoKey
  const found = video.live?.epochs.find(e => e.epoch === epoch)
  if (found === undefined) throw malformed(`no key for epoch ${epoch}`)
  return found.key
}

type Rec = Record<string, unknown>

/**
 * Checks `live` against the renditions (already validated as a video's): epochs ascending and
 * unique with 32-byte keys; every init odd, every media segment even, one chunk each, all of a
 * rendition at one live rendition number, each epoch among the keys.
 */
export function validateLiveArchive (v: unknown, objectId: Uint8Array, renditions: Array<{ init: { n: number, chunks: unknown[] }, segments: Array<{ stream: { n: number, chunks: unknown[] }, epoch?: number }> }>): LiveArchive {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw malformed('live must be a map')
  const r = v as Rec
  if (!(r.stream instanceof Uint8Array) || r.stream.byteLength !== 32) throw malformed('live.stream must be 32 bytes')
  const stream = r.stream
  if (!objectId.every((b, i) => b === stream[i]) || objectId.byteLength !== OBJECT_ID_BYTES) throw malformed('objectId must be the first 16 bytes of live.stream')
  if (!Array.isArray(r.epochs) || r.epochs.length === 0 || r.epochs.length > MAX_ARCHIVE_EPOCHS) throw malformed(`live.epochs must list 1 to ${MAX_ARCHIVE_EPOCHS} keys`)
  let last = -1
  const epochs = r.epochs.map((ev, i) => {
    const e = ev as Rec
    if (typeof e !== 'object' || e === null) throw malformed(`live.epochs[${i}] must be a map`)
    const epoch = e.epoch
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch <= last || epoch > MAX_EPOCH) throw malformed(`live.epochs[${i}].epoch must rise, from 0 to ${MAX_EPOCH}`)
    last = epoch
    if (!(e.key instanceof Uint8Array) || e.key.byteLength !== KEY_BYTES) throw malformed(`live.epochs[${i}].key must be ${KEY_BYTES} bytes`)
    return { epoch, key: e.key }
  })
  const known = new Set(epochs.map(e => e.epoch))
  renditions.forEach((rd, i) => {
    const init = liveStreamPosition(rd.init.n)
    if (init.kind !== 'init' || rd.init.chunks.length !== 1) throw malformed(`renditions[${i}].init is not a live init segment`)
    if (!known.has(init.value)) throw malformed(`renditions[${i}].init is sealed under epoch ${init.value}, which has no key`)
    rd.segments.forEach((s, j) => {
      const p = liveStreamPosition(s.stream.n)
      if (p.kind !== 'media' || p.rendition !== init.rendition || s.stream.chunks.length !== 1) throw malformed(`renditions[${i}].segments[${j}] is not a live segment of this rendition`)
      if (s.epoch === undefined || !known.has(s.epoch)) throw malformed(`renditions[${i}].segments[${j}].epoch must name an epoch with a key`)
    })
  })
  return { stream, epochs }
}

/**
 * The same video as an ordinary one: no `live`, no segment epochs. Re-sealing an archive under
 * one fresh key (a re-key) writes this, with the ordinary contexts.
 */
export function withoutLiveArchive<V extends { live?: LiveArchive, renditions: Array<{ segments: Array<{ epoch?: number }> }> }> (video: V): V {
  const { live: _live, ...rest } = video
  return { ...rest, renditions: video.renditions.map(r => ({ ...r, segments: r.segments.map(({ epoch: _e, ...s }) => s) })) } as unknown as V
}

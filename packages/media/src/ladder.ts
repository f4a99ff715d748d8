/**
 * The adaptive-bitrate ladder: H.264 renditions capped by the source (never upscaled), even
 * dimensions with the source's aspect ratio, plus AAC audio muxed into each.
 */
import type { ProbeResult } from './probe.ts'

export interface Rung { height: number, videoKbps: number }

/** Named defaults: the common 16:9 rungs and bitrates suited to H.264 at 30 fps. */
export const DEFAULT_RUNGS: readonly Rung[] = [
  { height: 1080, videoKbps: 5000 },
  { height: 720, videoKbps: 2800 },
  { height: 480, videoKbps: 1400 },
  { height: 360, videoKbps: 800 }
]
export const AUDIO_KBPS = 128

export interface Rendition {
  id: string
  width: number
  height: number
  videoKbps: number
}

/** Rounds down to even: a rendition never exceeds the source on either side (H.264 wants even sizes). */
const evenDown = (n: number): number => Math.max(2, Math.floor(n / 2) * 2)

/**
 * Plans from the displayed size (probe applies the rotation, as ffmpeg does before the scaler).
 * A rung's number is the short side, so a 720×1280 portrait video is "720p", as its landscape
 * twin is: named by the short side, a portrait ladder matches the landscape one rung for rung.
 */
export function planLadder (source: Pick<ProbeResult, 'width' | 'height'>, rungs: readonly Rung[] = DEFAULT_RUNGS): Rendition[] {
  const portrait = source.height > source.width
  const short = portrait ? source.width : source.height
  const long = portrait ? source.height : source.width
  const fits = rungs.filter(r => r.height <= short)
  // A source smaller than every rung gets one rendition at its own size.
  const chosen = fits.length > 0 ? fits : [{ height: short, videoKbps: Math.min(...rungs.map(r => r.videoKbps)) }]
  return chosen.map(r => {
    const s = Math.min(evenDown(r.height), evenDown(short))
    const l = Math.min(Math.max(2, Math.round(long * s / short / 2) * 2), evenDown(long))
    return { id: `${s}p`, width: portrait ? s : l, height: portrait ? l : s, videoKbps: r.videoKbps }
  })
}

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

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2)

export function planLadder (source: Pick<ProbeResult, 'width' | 'height'>, rungs: readonly Rung[] = DEFAULT_RUNGS): Rendition[] {
  const fits = rungs.filter(r => r.height <= source.height)
  // A source smaller than every rung gets one rendition at its own size.
  const chosen = fits.length > 0 ? fits : [{ height: source.height, videoKbps: Math.min(...rungs.map(r => r.videoKbps)) }]
  return chosen.map(r => {
    const height = even(r.height)
    return { id: `${height}p`, width: even(source.width * height / source.height), height, videoKbps: r.videoKbps }
  })
}

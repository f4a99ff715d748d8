/**
 * The WebVTT thumbnails track (seek previews) rendered from a manifest's sprite sheets: one cue
 * per tile interval, its payload the sheet's URL with a media fragment naming the tile,
 * `thumbnails/<sheet>.jpg#xywh=x,y,w,h` (the convention of JW Player, Video.js, Vidstack, Plyr).
 */
import { thumbnailTileCount, type VideoManifest } from '../manifest.ts'

/** `HH:MM:SS.mmm`, as WebVTT wants (hours always present, so any length is fine). */
export function formatVttTime (seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000))
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  const pad = (n: number, w: number): string => String(n).padStart(w, '0')
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms % 1000, 3)}`
}

/** The thumbnails track, or undefined when the video has no sprites. */
export function renderThumbnailsVtt (video: VideoManifest): string | undefined {
  const t = video.thumbnails
  if (t === undefined) return undefined
  const perSheet = t.columns * t.rows
  const tiles = Math.min(thumbnailTileCount(video.durationSeconds, t.intervalSeconds), t.sheets.length * perSheet)
  const lines = ['WEBVTT', '']
  for (let i = 0; i < tiles; i++) {
    const start = i * t.intervalSeconds
    const end = Math.min(video.durationSeconds, (i + 1) * t.intervalSeconds)
    const within = i % perSheet
    const x = (within % t.columns) * t.tileWidth
    const y = Math.floor(within / t.columns) * t.tileHeight
    lines.push(`${formatVttTime(start)} --> ${formatVttTime(end)}`, `thumbnails/${Math.floor(i / perSheet)}.jpg#xywh=${x},${y},${t.tileWidth},${t.tileHeight}`, '')
  }
  return lines.join('\n')
}

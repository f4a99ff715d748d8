/**
 * Seek-preview sprite sheets. The ladder's ffmpeg process also picks the first frame of every
 * thumbnail interval (a `select` on interval buckets, so tile i is the frame at ~i·interval
 * whatever the frame rate) and writes the small tiles as raw YUV; a second, quick ffmpeg packs
 * them into JPEG sheets of columns × rows. Counting raw frames (fixed size each) gives the exact
 * tile count, which is then made to match the manifest's rule (one tile per started interval).
 */
import { open, readdir, rm, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_THUMBNAIL_GRID, MAX_THUMBNAIL_INTERVAL, MAX_THUMBNAIL_SHEETS, MAX_THUMBNAIL_TILE, MIN_THUMBNAIL_INTERVAL, P2pdvError, thumbnailTileCount } from '@p2pdv/core'
import { FFMPEG, MediaErrorCode, runTool } from './run-tool.ts'

export const DEFAULT_THUMBNAIL_INTERVAL = 5
export const DEFAULT_THUMBNAIL_GRID = 5
/** The longer side of a tile, in pixels (160 × 90 for 16:9). */
export const DEFAULT_THUMBNAIL_TILE = 160
export const SPRITE_JPEG_QUALITY = 5

export interface ThumbnailOptions {
  intervalSeconds?: number
  columns?: number
  rows?: number
  /** The longer side of a tile in pixels. */
  tileSize?: number
}

export interface SpritePlan {
  intervalSeconds: number
  tileWidth: number
  tileHeight: number
  columns: number
  rows: number
  tiles: number
  sheets: number
}

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2)

export function planSprites (source: { width: number, height: number, durationSeconds: number }, opts: ThumbnailOptions = {}): SpritePlan {
  const intervalSeconds = opts.intervalSeconds ?? DEFAULT_THUMBNAIL_INTERVAL
  const columns = opts.columns ?? DEFAULT_THUMBNAIL_GRID
  const rows = opts.rows ?? DEFAULT_THUMBNAIL_GRID
  const size = opts.tileSize ?? DEFAULT_THUMBNAIL_TILE
  if (!(intervalSeconds >= MIN_THUMBNAIL_INTERVAL && intervalSeconds <= MAX_THUMBNAIL_INTERVAL)) {
    throw new P2pdvError(MediaErrorCode.BAD_OPTION, `the thumbnail interval must be ${MIN_THUMBNAIL_INTERVAL}–${MAX_THUMBNAIL_INTERVAL} s, not ${intervalSeconds}`)
  }
  for (const [what, v] of [['columns', columns], ['rows', rows]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_THUMBNAIL_GRID) throw new P2pdvError(MediaErrorCode.BAD_OPTION, `thumbnail ${what} must be 1–${MAX_THUMBNAIL_GRID}`)
  }
  if (!Number.isInteger(size) || size < 16 || size > MAX_THUMBNAIL_TILE) throw new P2pdvError(MediaErrorCode.BAD_OPTION, `thumbnail tiles must be 16–${MAX_THUMBNAIL_TILE} pixels`)
  const landscape = source.width >= source.height
  const tileWidth = even(landscape ? size : size * source.width / source.height)
  const tileHeight = even(landscape ? size * source.height / source.width : size)
  const tiles = thumbnailTileCount(source.durationSeconds, intervalSeconds)
  const sheets = Math.ceil(tiles / (columns * rows))
  if (sheets > MAX_THUMBNAIL_SHEETS) {
    throw new P2pdvError(MediaErrorCode.BAD_OPTION, `thumbnails every ${intervalSeconds} s need ${sheets} sprite sheets, more than ${MAX_THUMBNAIL_SHEETS}`, {
      hint: `Use a longer interval (at least ${Math.ceil(source.durationSeconds / (MAX_THUMBNAIL_SHEETS * columns * rows))} s).`
    })
  }
  return { intervalSeconds, tileWidth, tileHeight, columns, rows, tiles, sheets }
}

/** The filter chain (after a split) that turns decoded video into the plan's tiles. */
export function spriteFilter (plan: SpritePlan): string {
  const i = plan.intervalSeconds
  // The first frame of each interval bucket [k·i, (k+1)·i): one tile per bucket, never drifting.
  return `select='isnan(prev_selected_t)+gte(floor(t/${i})-floor(prev_selected_t/${i}),1)',scale=${plan.tileWidth}:${plan.tileHeight}:flags=bicubic,format=yuv420p`
}

/** The output options that write the tiles as raw frames to `path` (no duplicated frames). */
export function spriteOutputArgs (path: string): string[] {
  return ['-fps_mode', 'passthrough', '-c:v', 'rawvideo', '-pix_fmt', 'yuv420p', '-f', 'rawvideo', path]
}

/**
 * Packs the raw tiles into JPEG sheets `<outDir>/<i>.jpg` (i from 0) and returns their names in
 * order. The raw file is padded with its last tile, or cut, to exactly `plan.tiles` tiles.
 */
export async function packSprites (raw: string, plan: SpritePlan, outDir: string, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
  const frame = plan.tileWidth * plan.tileHeight * 3 / 2
  const size = (await stat(raw)).size
  const have = Math.floor(size / frame)
  if (have === 0) throw new P2pdvError(MediaErrorCode.TOOL_FAILED, 'ffmpeg produced no thumbnail frames')
  if (have > plan.tiles || size % frame !== 0) await truncate(raw, Math.min(have, plan.tiles) * frame)
  if (have < plan.tiles) {
    const fh = await open(raw, 'r+')
    try {
      const last = Buffer.alloc(frame)
      await fh.read(last, 0, frame, (have - 1) * frame)
      for (let k = have; k < plan.tiles; k++) await fh.write(last, 0, frame, k * frame)
    } finally {
      await fh.close()
    }
  }
  await runTool(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.tileWidth}x${plan.tileHeight}`, '-framerate', '1', '-i', raw,
    '-vf', `tile=${plan.columns}x${plan.rows}`, '-c:v', 'mjpeg', '-q:v', String(SPRITE_JPEG_QUALITY), '-start_number', '0', '-f', 'image2', join(outDir, '%d.jpg')
  ], opts)
  await rm(raw, { force: true })
  const sheets = (await readdir(outDir)).filter(f => /^\d+\.jpg$/.test(f)).sort((a, b) => Number.parseInt(a) - Number.parseInt(b))
  if (sheets.length !== plan.sheets || sheets.some((f, i) => f !== `${i}.jpg`)) {
    throw new P2pdvError(MediaErrorCode.TOOL_FAILED, `ffmpeg wrote ${sheets.length} sprite sheets, expected ${plan.sheets}`)
  }
  return sheets
}

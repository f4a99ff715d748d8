/**
 * Optional parts of a video manifest: seek thumbnails (JPEG sprite sheets) and subtitles. Read
 * defensively: a manifest without them shows no preview and no subtitle menu.
 */
import type { VideoManifest } from '@p2pdv/core'
import type { VideoSource } from '@p2pdv/sdk/player'

export interface ThumbnailGrid {
  intervalSeconds: number
  tileWidth: number
  tileHeight: number
  columns: number
  rows: number
  sheets: readonly unknown[]
}

export function thumbnailGrid (video: VideoManifest): ThumbnailGrid | undefined {
  const t = (video as { thumbnails?: ThumbnailGrid }).thumbnails
  if (t === undefined || t.sheets.length === 0 || t.intervalSeconds <= 0 || t.columns <= 0 || t.rows <= 0) return undefined
  return t
}

export interface Tile { url: string, x: number, y: number, width: number, height: number, sheetWidth: number, sheetHeight: number }

/** The tile showing time `t`: which sheet, and where in it. */
export function tileAt (grid: ThumbnailGrid, t: number): { sheet: number, x: number, y: number } {
  const perSheet = grid.columns * grid.rows
  const last = grid.sheets.length * perSheet - 1
  const i = Math.max(0, Math.min(last, Math.floor(t / grid.intervalSeconds)))
  const within = i % perSheet
  return { sheet: Math.floor(i / perSheet), x: (within % grid.columns) * grid.tileWidth, y: Math.floor(within / grid.columns) * grid.tileHeight }
}

/** Sprite sheets fetched (verified, decrypted) on first hover, kept as blob URLs. */
export class ThumbnailSprites {
  readonly grid: ThumbnailGrid
  private readonly source: VideoSource
  private readonly sheets = new Map<number, Promise<string | undefined>>()
  private readonly ready = new Map<number, string>()

  constructor (source: VideoSource, grid: ThumbnailGrid) {
    this.source = source
    this.grid = grid
  }

  /** The tile for `t` if its sheet is loaded; otherwise starts loading it and calls `onLoad`. */
  tile (t: number, onLoad: () => void): Tile | undefined {
    const { sheet, x, y } = tileAt(this.grid, t)
    const url = this.ready.get(sheet)
    if (url === undefined) {
      if (!this.sheets.has(sheet)) this.sheets.set(sheet, this.load(sheet).then(u => { if (u !== undefined) { this.ready.set(sheet, u); onLoad() } return u }))
      return undefined
    }
    const g = this.grid
    return { url, x, y, width: g.tileWidth, height: g.tileHeight, sheetWidth: g.columns * g.tileWidth, sheetHeight: g.rows * g.tileHeight }
  }

  private async load (sheet: number): Promise<string | undefined> {
    try {
      const read = await this.source.read(`thumbnails/${sheet}.jpg`)
      if (read.kind !== 'bytes') return undefined
      return URL.createObjectURL(new Blob([read.bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }))
    } catch {
      return undefined // previews are a nicety: a sheet no node serves just shows none
    }
  }

  dispose (): void {
    for (const url of this.ready.values()) URL.revokeObjectURL(url)
    this.ready.clear()
  }
}

/** The poster as a blob URL, or undefined if it cannot be read. */
export async function posterUrl (source: VideoSource, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const read = await source.read('poster.jpg', signal)
    if (read.kind !== 'bytes') return undefined
    return URL.createObjectURL(new Blob([read.bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }))
  } catch {
    return undefined
  }
}

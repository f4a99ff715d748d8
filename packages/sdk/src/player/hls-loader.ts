/**
 * An hls.js loader (the `Loader` interface of hls.js 1.x) that never touches the network by URL:
 * hls.js is given a virtual address (`https://p2pdv.invalid/<manifest CID>/master.m3u8`), every
 * URL it asks for is mapped through the video's path layout (resolveVideoPath) and answered
 * from the VideoSource: playlists rendered from the manifest, segments fetched by CID from the
 * nodes, verified, decrypted. A copy that fails its hash is dropped inside the source and fetched
 * elsewhere, so hls.js (and the decoder behind it) only ever sees plaintext that opened under the
 * key at its own position.
 *
 * hls.js is a type-only import here: the player bundles hls.js itself, the sdk does not.
 */
import type { HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js'
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import type { VideoSource } from './video-source.ts'

/**
 * A video that is still opening: its manifest CID (known from the link) and the source to come.
 * A player can be built on it at once, so the browser's media pipeline (MediaSource) starts while
 * the manifest is fetched and opened, as it does for a plain HLS page.
 */
export interface PendingVideo { manifestCid: CID, ready: Promise<VideoSource> }

/**
 * What the loader reads from: a VideoSource, or anything answering the same paths (a LiveSource,
 * whose `manifestCid` is its virtual path segment `live-<stream>`).
 */
export interface LoaderSource { readonly manifestCid: { toString: () => string }, read: VideoSource['read'] }
export interface PendingSource { manifestCid: { toString: () => string }, ready: Promise<LoaderSource> }

/** A reserved name (RFC 6761): nothing can ever be fetched from it, should a URL escape. */
export const VIRTUAL_ORIGIN = 'https://p2pdv.invalid'

export const LoaderErrorCode = { OUTSIDE_VIDEO: 'ERR_LOADER_URL' } as const

/** The URL to give `hls.loadSource` for this video. */
export function masterPlaylistUrl (video: { manifestCid: { toString: () => string } }): string {
  return `${VIRTUAL_ORIGIN}/${video.manifestCid.toString()}/master.m3u8`
}

/** The rendition a playlist URL of ours names (`…/<manifest CID>/<rendition>/index.m3u8`), if any. */
export function renditionOfPlaylist (url: string): string | undefined {
  return /^https:\/\/p2pdv\.invalid\/[a-z2-7]+\/([a-z0-9][a-z0-9_-]{0,31})\/index\.m3u8$/.exec(url)?.[1]
}

/** A failed load as hls.js sees it (an HTTP-like status decides whether hls.js retries). */
export interface LoaderFailure { error: P2pdvError, url: string }

export interface HlsLoaderOptions {
  /** Called for every failed load, with the typed error (for the player's error screen). */
  onFailure?: (failure: LoaderFailure) => void
}

/**
 * hls.js retries statuses outside 4xx: what may get better by asking again (no node could serve the
 * block now, a node is busy: 503 in the error catalog) keeps its status; anything else that is not
 * a 4xx of its own (wrong key, corrupt data, a bug) becomes 422, so the player stops and shows it.
 */
export function loaderStatus (err: P2pdvError): number {
  const status = httpStatusOf(err.code)
  return status < 500 || status === 503 ? status : 422
}

function newStats (): LoaderStats {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 }
  }
}

function toError (err: unknown): P2pdvError {
  if (err instanceof P2pdvError) return err
  return new P2pdvError('ERR_INTERNAL', (err as Error)?.message ?? String(err), { cause: err })
}

export type HlsLoaderClass = new (config: HlsConfig) => Loader<LoaderContext>

/**
 * A loader class bound to one video, opened or still opening (loads wait for it), for hls.js's
 * `loader` config.
 */
export function createHlsLoader (video: LoaderSource | PendingSource, options: HlsLoaderOptions = {}): HlsLoaderClass {
  const prefix = `${VIRTUAL_ORIGIN}/${video.manifestCid.toString()}/`
  const ready: Promise<LoaderSource> = 'ready' in video ? video.ready : Promise.resolve(video)
  // A video that fails to open is reported by its opener; loads only see the failure.
  ready.catch(() => {})

  return class P2pdvHlsLoader implements Loader<LoaderContext> {
    context: LoaderContext | null = null
    stats: LoaderStats = newStats()
    private controller: AbortController | undefined
    private timer: ReturnType<typeof setTimeout> | undefined
    private callbacks: LoaderCallbacks<LoaderContext> | null = null

    load (context: LoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
      this.context = context
      this.callbacks = callbacks
      const stats = this.stats = newStats()
      stats.loading.start = performance.now()
      const controller = this.controller = new AbortController()
      const timeoutMs = config.loadPolicy?.maxLoadTimeMs ?? config.timeout
      if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
        this.timer = setTimeout(() => {
          if (controller.signal.aborted) return
          controller.abort()
          this.callbacks = null
          callbacks.onTimeout(stats, context, null)
        }, timeoutMs)
      }
      void this.run(context, controller, callbacks, stats)
    }

    private async run (context: LoaderContext, controller: AbortController, callbacks: LoaderCallbacks<LoaderContext>, stats: LoaderStats): Promise<void> {
      const done = (): boolean => {
        clearTimeout(this.timer)
        // Aborted, timed out or destroyed meanwhile: hls.js expects no further callback.
        return controller.signal.aborted || this.callbacks !== callbacks
      }
      try {
        const path = pathOf(context.url, prefix)
        // Progress as blocks arrive: hls.js's bandwidth estimate and its abandon rules read
        // loading.first and loaded while a fragment loads; reporting nothing until the end made
        // a slow start look like a stall and switched renditions down for no reason.
        const source = await ready
        if (controller.signal.aborted || this.callbacks !== callbacks) return
        const read = await source.read(path, controller.signal, n => {
          if (stats.loading.first === 0) stats.loading.first = performance.now()
          stats.loaded += n
          stats.chunkCount++
        })
        if (done()) return
        let data: string | ArrayBuffer
        let size: number
        if (read.kind === 'text') {
          size = read.body.length
          data = context.responseType === 'arraybuffer' ? toArrayBuffer(new TextEncoder().encode(read.body)) : read.body
        } else {
          // hls.js sets rangeStart = rangeEnd = 0 when it wants the whole resource (end exclusive).
          const bytes = context.rangeEnd !== undefined && context.rangeEnd > 0
            ? read.bytes.subarray(context.rangeStart ?? 0, context.rangeEnd)
            : read.bytes
          size = read.cipherBytes
          data = context.responseType === 'text' ? new TextDecoder().decode(bytes) : toArrayBuffer(bytes)
        }
        const now = performance.now()
        if (stats.loading.first === 0) stats.loading.first = Math.max(stats.loading.start, now - 1)
        stats.loading.end = now
        stats.loaded = stats.total = size
        stats.chunkCount = Math.max(stats.chunkCount, 1)
        this.callbacks = null
        callbacks.onSuccess({ url: context.url, data, code: 200 }, stats, context, null)
      } catch (err) {
        if (done()) return
        const error = toError(err)
        stats.loading.end = performance.now()
        this.callbacks = null
        options.onFailure?.({ error, url: context.url })
        callbacks.onError({ code: loaderStatus(error), text: `${error.code}: ${error.message}` }, context, null, stats)
      }
    }

    abort (): void {
      clearTimeout(this.timer)
      const callbacks = this.callbacks
      this.callbacks = null
      if (this.controller !== undefined && !this.controller.signal.aborted) {
        this.controller.abort()
        this.stats.aborted = true
        if (callbacks !== null && this.context !== null) callbacks.onAbort?.(this.stats, this.context, null)
      }
    }

    destroy (): void {
      this.callbacks = null
      this.abort()
      this.context = null
    }
  }
}

/** The path inside the video, or a typed error for any URL outside it (never fetched). */
function pathOf (url: string, prefix: string): string {
  if (!url.startsWith(prefix)) throw new P2pdvError(LoaderErrorCode.OUTSIDE_VIDEO, 'the player asked for an address outside this video')
  const rest = url.slice(prefix.length)
  const end = rest.search(/[?#]/)
  return end < 0 ? rest : rest.slice(0, end)
}

function toArrayBuffer (bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer
  return bytes.slice().buffer as ArrayBuffer
}

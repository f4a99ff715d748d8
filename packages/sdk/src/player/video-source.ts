/**
 * A video opened in a player (browser or not): its manifest, its key, and verified reads of any
 * path of the video's layout (`@p2pdv/core/playlists` resolveVideoPath). Every block comes
 * through the ObjectReader over the BlockFetcher (hash verified; a bad copy is dropped and
 * fetched from another node; an erasure-coded block whose holder is down or slow is rebuilt
 * from its stripe's parity),
 * and every chunk is opened with the AEAD (WebCrypto in browsers) at its own position before a
 * single byte is returned. Nothing unverified ever leaves this module.
 */
import { CidErrorCode, openChunk, openManifest, P2pdvError, streamOpeningKey, verifyBlock, type CID, type StreamRef, type VideoManifest } from '@p2pdv/core'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { getBytes } from '@p2pdv/node-client/transport'
import { decodePlacementRecordAsync, type PlacementRecord } from '@p2pdv/core/placement'
import { resolveVideoPath, type VideoResource } from '@p2pdv/core/playlists'
import { BlockFetcher, type BlockFetcherOptions } from '../block-fetcher.ts'
import { ObjectReader } from '../object-reader.ts'
import type { PeerSet } from '../peers.ts'
import type { PeerDelivery } from './peer-delivery.ts'

export const VideoSourceErrorCode = {
  NOT_A_VIDEO: 'ERR_NOT_A_VIDEO',
  NO_SUCH_PATH: 'ERR_VIDEO_PATH',
  SIZE_MISMATCH: 'ERR_PLAINTEXT_SIZE_MISMATCH'
} as const

/** Per-block timeout for playback: short, so a hung node costs little before failover. */
export const PLAYER_BLOCK_TIMEOUT_MS = 5_000
/** Blocks of one stream fetched at once. */
export const STREAM_FETCH_CONCURRENCY = 4

export interface SourceCounters {
  blocks: number
  bytes: number
  failures: number
}

export interface VideoSourceStats {
  /** Verified blocks received. */
  blocks: number
  /** Ciphertext bytes received (verified). */
  bytes: number
  /** Copies that failed their hash and were dropped before use. */
  rejectedBlocks: number
  /** Failed attempts of any kind (refused, timed out, bad hash, 5xx). */
  failedAttempts: number
  /** Erasure-coded blocks rebuilt from parity (a holder was down or slow). */
  rebuiltBlocks: number
  /** Of `bytes`, those served by hot copies (issue 16: nodes holding a much-watched video's blocks temporarily), not by the video's own holders. */
  hotCopyBytes: number
  /** Per node (peer id). */
  bySource: Record<string, SourceCounters>
}

export type VideoSourceEvent =
  | { type: 'block', cid: string, peerId: string, bytes: number }
  | { type: 'attempt-failed', cid: string, peerId: string, reason: string }
  | { type: 'block-rejected', cid: string, peerId: string }

export interface OpenVideoOptions {
  peers: PeerSet
  manifest: CID
  key: Uint8Array
  signal?: AbortSignal
  timeoutMs?: number
  onEvent?: (event: VideoSourceEvent) => void
  /**
   * The manifest block if it was already fetched (e.g. from the serving node while the peer list
   * loads); used only if it hashes to `manifest`, otherwise fetched like any block.
   */
  manifestBlock?: Uint8Array | undefined
  /**
   * The object's placement record as fetched early (DAG-CBOR, unverified): used at once if its
   * signature verifies and it names this manifest; the usual lookup still runs beside it.
   */
  placementBlock?: Uint8Array | undefined
  /**
   * P2P delivery (issue 16): segment blocks go through its scheduler (peers when there is time,
   * nodes when urgent) and every verified block is held there for other viewers.
   */
  delivery?: PeerDelivery | undefined
}

export type VideoRead =
  | { kind: 'text', type: string, body: string }
  | { kind: 'bytes', type: string, bytes: Uint8Array, cipherBytes: number }

export class VideoSource {
  readonly manifestCid: CID
  readonly video: VideoManifest
  readonly peers: PeerSet
  readonly stats: VideoSourceStats
  readonly delivery: PeerDelivery | undefined
  private readonly key: Uint8Array
  private readonly reader: ObjectReader
  /** Reads started ahead of the player (warm), each taken by the first read of its path. */
  private readonly warmed = new Map<string, Promise<VideoRead>>()

  private constructor (manifestCid: CID, video: VideoManifest, key: Uint8Array, peers: PeerSet, reader: ObjectReader, stats: VideoSourceStats, delivery: PeerDelivery | undefined) {
    this.manifestCid = manifestCid
    this.delivery = delivery
    this.video = video
    this.key = key
    this.peers = peers
    this.reader = reader
    this.stats = stats
  }

  /** Fetches and opens the manifest; refuses anything but a video. The key is copied. */
  static async open (options: OpenVideoOptions): Promise<VideoSource> {
    const stats: VideoSourceStats = { blocks: 0, bytes: 0, rejectedBlocks: 0, failedAttempts: 0, rebuiltBlocks: 0, hotCopyBytes: 0, bySource: {} }
    const counters = (peerId: string): SourceCounters => (stats.bySource[peerId] ??= { blocks: 0, bytes: 0, failures: 0 })
    const fetcherOptions: BlockFetcherOptions = {
      timeoutMs: options.timeoutMs ?? PLAYER_BLOCK_TIMEOUT_MS,
      onFetched: e => {
        stats.blocks++
        stats.bytes += e.bytes
        const c = counters(e.peerId)
        c.blocks++
        c.bytes += e.bytes
        options.onEvent?.({ type: 'block', ...e })
      },
      onAttemptFailed: e => {
        stats.failedAttempts++
        counters(e.peerId).failures++
        options.onEvent?.({ type: 'attempt-failed', ...e })
        if (e.reason === CidErrorCode.HASH_MISMATCH) {
          stats.rejectedBlocks++
          options.onEvent?.({ type: 'block-rejected', cid: e.cid, peerId: e.peerId })
        }
      }
    }
    const fetcher = new BlockFetcher(options.peers, fetcherOptions)
    const reader = new ObjectReader(fetcher, options.peers)
    // The placement record needs only the manifest CID: fetch it beside the manifest, so the
    // first segments go straight to their holders instead of asking every node in turn (unless
    // the page brought one; the reader then looks for a newer one later).
    const record = options.placementBlock === undefined ? reader.placementRecord(options.manifest, options.signal) : undefined
    record?.catch(() => {})
    const recordAtHand = earlyRecord(options.placementBlock)
    const key = options.key.slice()
    const early = options.manifestBlock !== undefined && await verifyBlock(options.manifest, options.manifestBlock).then(() => true, () => false)
    if (options.manifestBlock !== undefined && !early) {
      stats.rejectedBlocks++
      options.onEvent?.({ type: 'block-rejected', cid: options.manifest.toString(), peerId: 'prefetch' })
    }
    const bytes = early ? options.manifestBlock! : (await fetcher.fetch(options.manifest, options.signal)).bytes
    const manifest = await openManifest(key, options.manifest, bytes)
    if (manifest.type !== 'video') {
      key.fill(0)
      throw new P2pdvError(VideoSourceErrorCode.NOT_A_VIDEO, 'this link names a file, not a video', { hint: 'Fetch files with `p2pdv get CAPABILITY -o OUT`.' })
    }
    // Erasure-coded videos: the reader learns the stripes now (synchronously) and the holders
    // from the placement record when it arrives; a read waits for it only briefly.
    reader.register(options.manifest, manifest, options.signal, record, await recordAtHand).catch(() => {})
    if (early) {
      stats.blocks++
      stats.bytes += bytes.byteLength
    }
    return new VideoSource(options.manifest, manifest, key, options.peers, reader, stats, options.delivery)
  }

  /** What a path of the video's layout names (playlist text or a sealed stream). */
  resolve (path: string): VideoResource | undefined {
    return resolveVideoPath(this.video, path)
  }

  /**
   * Starts reading what a player asks for first from a rendition (its init segment and first
   * segment), so the blocks are on their way while the player sets up its media pipeline. The
   * next `read` of each path takes the result. Unknown renditions are ignored.
   */
  warm (renditionId: string): void {
    const r = this.video.renditions.find(x => x.id === renditionId)
    if (r === undefined || r.segments.length === 0) return
    for (const path of [`${r.id}/init.mp4`, `${r.id}/0.m4s`]) {
      if (this.warmed.has(path)) continue
      const read = this.readNow(path)
      // A warm read that fails is simply read again when asked for.
      read.catch(() => { this.warmed.delete(path) })
      this.warmed.set(path, read)
    }
  }

  /**
   * Reads a path: rendered text, or the stream's verified plaintext. `onBytes` hears of each
   * block as it arrives (its ciphertext size), for progress and bandwidth estimates.
   */
  async read (path: string, signal?: AbortSignal, onBytes?: (cipherBytes: number) => void): Promise<VideoRead> {
    const early = this.warmed.get(path)
    if (early !== undefined) {
      this.warmed.delete(path)
      const read = await early.catch(() => undefined)
      if (read !== undefined) {
        signal?.throwIfAborted()
        if (read.kind === 'bytes') onBytes?.(read.cipherBytes)
        return read
      }
    }
    return await this.readNow(path, signal, onBytes)
  }

  private async readNow (path: string, signal?: AbortSignal, onBytes?: (cipherBytes: number) => void): Promise<VideoRead> {
    const found = this.resolve(path)
    if (found === undefined) throw new P2pdvError(VideoSourceErrorCode.NO_SUCH_PATH, `this video has no ${path.slice(0, 80)}`)
    if (found.kind === 'text') return { kind: 'text', type: found.type, body: found.body }
    const { bytes, cipherBytes } = await this.readStream(found.stream, found.context, signal, onBytes, found.epoch)
    return { kind: 'bytes', type: found.type, bytes, cipherBytes }
  }

  /**
   * One stream's plaintext: its blocks fetched with bounded concurrency (each verified by the
   * fetcher, or rebuilt from its stripe's parity and verified), each chunk opened at its position
   * (stream, index, last flag, context), sizes checked.
   */
  async readStream (ref: StreamRef, context: Uint8Array, signal?: AbortSignal, onBytes?: (cipherBytes: number) => void, epoch?: number): Promise<{ bytes: Uint8Array, cipherBytes: number }> {
    // A live archive's segment opens with its epoch's key (from the manifest), anything else with the video key.
    const key = streamOpeningKey(this.video, this.key, epoch)
    const out = new Uint8Array(ref.size)
    const offsets: number[] = []
    let off = 0
    for (const c of ref.chunks) { offsets.push(off); off += c.size }
    let next = 0
    let cipherBytes = 0
    const last = ref.chunks.length - 1
    // The first failure cancels the stream's other fetches.
    const stop = new AbortController()
    const linked = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal])
    const worker = async (): Promise<void> => {
      while (next < ref.chunks.length) {
        const index = next++
        const chunk = ref.chunks[index]!
        // Verified by hash (fetched, or rebuilt from parity when a holder is down or slow).
        const bytes = this.delivery === undefined
          ? await this.reader.fetch(chunk.cid, linked)
          : await this.delivery.fetch(chunk.cid, linked, async s => await this.reader.fetch(chunk.cid, s ?? linked))
        this.stats.rebuiltBlocks = this.reader.rebuilt
        this.stats.hotCopyBytes = this.reader.hotCopyBytes
        cipherBytes += bytes.byteLength
        onBytes?.(bytes.byteLength)
        const plain = await openChunk({ key, objectId: this.video.objectId, stream: ref.n, index, last: index === last, context }, bytes)
        if (plain.byteLength !== chunk.size) {
          throw new P2pdvError(VideoSourceErrorCode.SIZE_MISMATCH, `chunk ${index} of stream ${ref.n} has ${plain.byteLength} bytes, not ${chunk.size}`, {
            hint: 'The video was written by a faulty client; it cannot be played.'
          })
        }
        out.set(plain, offsets[index]!)
      }
    }
    const workers = Array.from({ length: Math.min(STREAM_FETCH_CONCURRENCY, ref.chunks.length) }, async () => {
      try { await worker() } catch (err) { stop.abort(); throw err }
    })
    const results = await Promise.allSettled(workers)
    // Report the cause, not the cancellations it triggered in the other workers.
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map(r => r.reason as unknown)
    if (failed.length > 0) throw failed.find(e => !(e instanceof P2pdvError && e.code === 'ERR_ABORTED')) ?? failed[0]
    return { bytes: out, cipherBytes }
  }

  /** Forgets the key (best effort: JavaScript may hold copies). */
  close (): void {
    this.warmed.clear()
    this.key.fill(0)
  }
}

/** A placement record fetched early, if it decodes and its signature verifies. */
async function earlyRecord (bytes: Uint8Array | undefined): Promise<PlacementRecord | undefined> {
  if (bytes === undefined) return undefined
  try { return await decodePlacementRecordAsync(bytes) } catch { return undefined }
}

/**
 * One block straight from `origin` (the node that served the page), to start opening a video
 * while the peer list is still loading. Undefined on any failure: the caller falls back to the
 * normal verified fetch with failover. The bytes are unverified until the caller checks them.
 */
export async function prefetchBlock (origin: string, cid: CID, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  try {
    const timeout = AbortSignal.timeout(PLAYER_BLOCK_TIMEOUT_MS)
    // Bounded: a body over MAX_BLOCK_BYTES is refused as it arrives (and this returns undefined).
    const res = await getBytes(new URL(`/ipfs/${cid.toString()}?format=raw`, origin).toString(), MAX_BLOCK_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
    return res.body
  } catch {
    return undefined
  }
}

/**
 * The client: seals, stores, fetches and opens objects. `put` streams a file through the sealing
 * pool into the replicated writer; `get` streams verified blocks from the best nodes through the
 * pool into a temp file that is renamed into place only after the size and SHA-256 matched.
 */
import { open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import {
  blockCid, formatCapability, generateContentKey, generateObjectId, objectBlocks, openListing, openManifest, openProfile, parseCapability, parseCid, P2pdvError, sealManifest,
  streamOpeningKey, videoStreams, withoutLiveArchive, withVideoStreams, type CID, type FileManifest, type ListingDocument, type Manifest, type ProfileDocument, type StreamRef,
  type SubtitleTrack, type VideoManifest, type VideoStreamsOf
} from '@p2pdv/core'
import { freeNow } from '@p2pdv/core/buffers'
import { checkErasureParams, DEFAULT_K, DEFAULT_M, type ErasureParams } from '@p2pdv/core/erasure'
import { MIN_PLACEMENT_SCORE, schemeNodes, weightedOrder, type PlacementDegraded, type PlacementScheme } from '@p2pdv/core/placement'
import type { LocalAccount } from 'viem'
import { checkObject, type CheckOptions, type CheckReport } from './check.ts'
import { editSubtitles, type SubtitleEdit } from './subtitle-edit.ts'
import { buildListing, type ListingInput } from './listing.ts'
import { buildProfile, type ProfileInput } from './profile.ts'
import { fetchReputation, placementCandidates, type NodeCandidate } from './node-status.ts'
export { nodeInfo } from './node-status.ts'
export { PeerDirectory } from './peer-directory.ts'
import { ObjectReader } from './object-reader.ts'
import { ObjectWriter } from './object-writer.ts'
import { BlockFetcher } from './block-fetcher.ts'
import { getBytes, MAX_BODY_BUFFERS } from '@p2pdv/node-client/transport'
import { BufferRecycler } from './buffer-recycler.ts'
import { BlockCache } from './block-cache.ts'
import { PeerSet, type PeerInfo } from './peers.ts'
import { checkRoom, expansionOf } from './room-check.ts'
import { DEFAULT_REPLICAS, PutErrorCode, ReplicatedWriter } from './replicated-writer.ts'
import { CryptoPool, fileChunks, FileSealer, openFile, SealPipeline, sealStream, type ChunkReader } from './sealing/index.ts'
import type { SealedStreamRef } from './sealing/open-file.ts'
import { StoreClient, type StoreTransport } from './store-client.ts'
import type { Uploader } from './upload-grants.ts'

export const DEFAULT_READ_CONCURRENCY = 8
/** getToFile flushes the file to disk in the background every eighth of it, within these bounds. */
const SYNC_MIN_BYTES = 4 * 1024 * 1024
const SYNC_MAX_BYTES = 32 * 1024 * 1024

export interface ClientOptions {
  peers: PeerInfo[]
  /** Crypto worker threads (default: all cores; 0 = inline). */
  workers?: number
  /** How blocks travel to nodes (default http). */
  transport?: StoreTransport
  /** A directory of locally kept blocks, read before any node (offline playback). */
  cacheDir?: string
  /** An auditor node (`GET /api/v1/reputation`): its scores weigh placement. */
  auditor?: string
  /** Per-node block timeout (default 10 s); reads go around slow nodes long before it. */
  blockTimeoutMs?: number
  /** Delay before a slow block is also rebuilt from parity (default 750 ms). */
  hedgeMs?: number
  /**
   * Where peers are now (a PeerDirectory): asked when a holder cannot be reached or is unknown,
   * and when nodes are missing for a put, before giving up.
   */
  directory?: PeerSource
  /** Who signs the upload grants nodes require (upload-grants.ts; default: a throw-away key). */
  uploader?: Uploader
  /**
   * Called for each verified block a node served this client (not the cache): what serving
   * receipts count (node-client ServedBytesReporter).
   */
  onBlockFetched?: (event: { cid: string, peerId: string, bytes: number }) => void
}

/** Learns the current addresses of the network's peers (PeerDirectory implements it). */
export interface PeerSource { refresh: (signal?: AbortSignal) => Promise<PeerInfo[]> }

/** `expansion`: stored bytes per sealed byte (replicas, or (k + m) / k), for progress bars. */
export interface PutProgress { sealedBytes: number, storedBytes: number, expansion: number }

export interface PutOptions {
  /** Replicate every block this many times (instead of erasure coding). */
  replicas?: number
  /** Erasure coding: data and parity blocks per stripe (defaults 4 and 2). */
  k?: number
  m?: number
  /**
   * The k and m used where `k`/`m` are not given, instead of the core default: the governance
   * value `ChainClient.erasureDefaults()` reads.
   */
  defaultErasure?: ErasureParams
  /**
   * Whatever the scheme, the put fails (ERR_NOT_ENOUGH_NODES, before anything is sealed) when
   * fewer distinct nodes are up than it needs (k + m, or the replica count). With this set it
   * stores the object on the nodes there are instead, under the requested scheme, and the
   * placement record and the result say it is degraded: `check` reports it under-replicated
   * and repair raises it to the scheme when nodes return.
   */
  allowDegraded?: boolean
  signal?: AbortSignal
  onProgress?: (p: PutProgress) => void
  /** A node refused or failed; its blocks move to other nodes. */
  onNodeFailed?: (peer: PeerInfo, err: unknown) => void
  name?: string
  mime?: string
  /**
   * The plaintext's size, if known before it is read (putFile knows it): the put is refused at once,
   * before anything is sealed, when the nodes have too little room for it (ERR_NOT_ENOUGH_SPACE).
   */
  size?: number
}

export interface PutResult {
  capability: string
  manifestCid: string
  size: number
  blocks: number
  /** How the blocks are protected: `rs` (erasure, k and m set) or `replicas`. */
  scheme: 'rs' | 'replicas'
  k?: number
  m?: number
  /** Erasure stripes (rs only). */
  stripes?: number
  replicas: number
  /** Bytes stored on nodes (all copies, parity included) per sealed byte. */
  overhead: number
  /** Nodes that kept the placement record. */
  placementStoredOn: number
  /**
   * Set when the object was stored on fewer distinct nodes than its scheme needs (only with
   * `allowDegraded`): `need` nodes (k + m, or the replica count), `found` that hold its blocks.
   */
  degraded?: PlacementDegraded
  /** Verified, signed receipts received (blocks × replicas, manifest included). */
  receipts: number
  nodes: string[]
}

/**
 * Reads one block, verified against its CID, into a buffer the caller may keep (it is handed to
 * a crypto worker): e.g. the local gateway's P2P delivery instead of the nodes alone.
 */
export type VerifiedBlockReader = (cid: CID, signal?: AbortSignal) => Promise<Uint8Array>

export interface GetOptions {
  signal?: AbortSignal
  concurrency?: number
  onProgress?: (p: { bytes: number, totalBytes: number }) => void
}

export interface GetResult {
  path: string
  size: number
  manifestCid: string
  name?: string
}

/** A transcoded video on disk (the shape @p2pdv/media's TranscodeResult has). */
export interface PublishableVideo {
  dir: string
  durationSeconds: number
  segmentSeconds: number
  sourceSha256: Uint8Array
  title?: string
  poster: string
  renditions: Array<{
    id: string
    kind: 'video' | 'audio'
    width?: number
    height?: number
    frameRate?: number
    bandwidth: number
    codecs: string
    /** Audio renditions: language, display name, default. */
    lang?: string
    name?: string
    default?: boolean
    init: string
    segments: Array<{ path: string, duration: number }>
  }>
  /** WebVTT files (relative paths), each sealed as its own stream. */
  subtitles?: Array<{ lang: string, name: string, default?: boolean, path: string }>
  /** Sprite sheets (relative paths, in order) and their grid. */
  thumbnails?: {
    intervalSeconds: number
    tileWidth: number
    tileHeight: number
    columns: number
    rows: number
    sheets: string[]
  }
}

export interface PublishProfileResult {
  profileCid: string
  avatarCid?: string
  profile: ProfileDocument
  receipts: number
  nodes: string[]
}

export interface PublishListingResult {
  listingCid: string
  posterCid?: string
  listing: ListingDocument
  receipts: number
  nodes: string[]
}

export class Client {
  readonly peers: PeerSet
  private readonly store: StoreClient
  private readonly pool: CryptoPool
  private readonly fetcher: BlockFetcher

  readonly cache: BlockCache | undefined
  /** Reads blocks, decoding parity only when a data block is missing or slow. */
  readonly reader: ObjectReader
  private readonly options: ClientOptions
  /** GET bodies' buffers (ciphertext), handed back by the workers that open them. */
  private readonly bodies = new BufferRecycler(MAX_BODY_BUFFERS)

  private constructor (options: ClientOptions, store: StoreClient) {
    this.options = options
    this.peers = new PeerSet(options.peers)
    this.store = store
    this.pool = new CryptoPool(options.workers)
    this.cache = options.cacheDir === undefined ? undefined : new BlockCache(options.cacheDir)
    this.fetcher = new BlockFetcher(this.peers, {
      get: async (url, limit, signal) => await getBytes(url, limit, signal, undefined, this.bodies),
      ...(this.cache === undefined ? {} : { cache: this.cache }),
      ...(options.blockTimeoutMs === undefined ? {} : { timeoutMs: options.blockTimeoutMs }),
      ...(options.onBlockFetched === undefined ? {} : { onFetched: options.onBlockFetched }),
      ...(options.directory === undefined ? {} : { refreshPeers: async (signal?: AbortSignal) => { await this.refreshPeers(signal) } })
    })
    this.reader = new ObjectReader(this.fetcher, this.peers, options.hedgeMs === undefined ? {} : { hedgeMs: options.hedgeMs })
  }

  static async create (options: ClientOptions): Promise<Client> {
    const client = new Client(options, await StoreClient.create({ ...(options.transport === undefined ? {} : { transport: options.transport }), ...(options.uploader === undefined ? {} : { uploader: options.uploader }) }))
    // Readers try nodes the auditor scores below the placement threshold last.
    if (options.auditor !== undefined) client.peers.setReputation({ scores: await fetchReputation(options.auditor), threshold: MIN_PLACEMENT_SCORE })
    return client
  }

  /** Moves known peers to their current addresses and adds new ones (with a directory; else nothing). */
  async refreshPeers (signal?: AbortSignal): Promise<void> {
    for (const p of await this.options.directory?.refresh(signal) ?? []) this.peers.upsert(p)
  }

  /**
   * The requested scheme: erasure coding (k, m), or replication when only `replicas` is given.
   * Unasked k and m come from `defaultErasure` (the chain's governance defaults), else the core
   * default. Fewer eligible nodes than the scheme needs is an error (ERR_NOT_ENOUGH_NODES, with
   * how many it needs and found), unless `allowDegraded`: then `degraded` says so, and the
   * scheme stays the one requested (the manifest's layout, which repair can raise the object to).
   */
  async chooseScheme (options: PutOptions = {}): Promise<{ scheme: PlacementScheme, candidates: NodeCandidate[], degraded?: PlacementDegraded }> {
    const ask = { ...(this.options.auditor === undefined ? {} : { auditor: this.options.auditor }), ...(options.signal === undefined ? {} : { signal: options.signal }) }
    let candidates = await placementCandidates(this.peers.peers, ask)
    // Some nodes did not answer (as the peer id expected at that URL): they may have moved.
    if (candidates.length < this.peers.peers.length && this.options.directory !== undefined) {
      await this.refreshPeers(options.signal).catch(() => {})
      candidates = await placementCandidates(this.peers.peers, ask)
    }
    const eligible = weightedOrder('', candidates).length
    const wantsErasure = options.k !== undefined || options.m !== undefined
    let scheme: PlacementScheme
    if (options.replicas !== undefined && !wantsErasure) {
      scheme = { type: 'replicas', replicas: options.replicas }
    } else {
      const k = options.k ?? options.defaultErasure?.k ?? DEFAULT_K
      const m = options.m ?? options.defaultErasure?.m ?? DEFAULT_M
      checkErasureParams(k, m)
      scheme = { type: 'rs', k, m }
    }
    const need = schemeNodes(scheme)
    if (eligible >= need) return { scheme, candidates }
    if (options.allowDegraded === true && eligible > 0) return { scheme, candidates, degraded: { need, found: eligible } }
    const what = scheme.type === 'rs' ? `erasure coding with k=${scheme.k}, m=${scheme.m}` : `${scheme.replicas} replicas`
    throw new P2pdvError(PutErrorCode.NOT_ENOUGH_NODES, `${what} needs ${need} distinct nodes, but only ${eligible} are reachable and eligible; nothing was stored`, {
      hint: eligible === 0
        ? 'Start nodes (p2pdv devnet), or check --node URLs and the auditor\'s scores.'
        : `Start more nodes (p2pdv devnet --nodes ${need}), ask for less (--k/--m or --replicas ${eligible}), or store it under-replicated with --allow-degraded (check reports it; repair raises it when nodes return).`,
      details: { need, found: eligible }
    })
  }

  /**
   * Keeps every ciphertext block of an object (file or video) in the local cache, verified, so it
   * can be read with every node offline. Resolves with the number of blocks and bytes kept.
   */
  async download (capability: string, options: { signal?: AbortSignal, onProgress?: (p: { blocks: number, totalBlocks: number, bytes: number }) => void } = {}): Promise<{ blocks: number, bytes: number }> {
    if (this.cache === undefined) throw new P2pdvError('ERR_NO_CACHE', 'this client has no cache directory')
    const cap = parseCapability(capability)
    const { manifest, key } = await this.manifest(capability, options.signal)
    key.fill(0)
    const cids = objectBlocks(manifest).map(b => b.cid)
    cids.push(cap.manifest)
    let done = 0
    let bytes = 0
    let next = 0
    // The first failure stops the other workers' fetches: it is the one reported.
    const stop = new AbortController()
    const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
    let failure: { err: unknown } | undefined
    const worker = async (): Promise<void> => {
      try {
        while (next < cids.length && failure === undefined) {
          const cid = cids[next++]!
          const b = await this.reader.fetch(cid, signal)
          await this.cache!.put(cid, b)
          done++
          bytes += b.byteLength
          options.onProgress?.({ blocks: done, totalBlocks: cids.length, bytes })
        }
      } catch (err) {
        failure ??= { err }
        stop.abort()
      }
    }
    await Promise.all(Array.from({ length: DEFAULT_READ_CONCURRENCY }, worker))
    if (failure !== undefined) throw failure.err
    return { blocks: done, bytes }
  }

  async close (): Promise<void> {
    await Promise.all([this.store.close(), this.pool.close()])
  }

  /** The writers for one upload (scheme chosen from the nodes that are up), reporting progress. */
  private async objectWriter (options: PutOptions, sealedBytes: () => number): Promise<{ writer: ReplicatedWriter, object: ObjectWriter }> {
    const { scheme, candidates, degraded } = await this.chooseScheme(options)
    const expansion = expansionOf(scheme)
    if (options.size !== undefined) checkRoom(options.size, scheme, candidates)
    let storedBytes = 0
    const writer = new ReplicatedWriter(candidates, async (peer, blocks, signal) =>
      await this.store.storeBlocks(peer, blocks, signal === undefined ? {} : { signal }), {
      replicas: scheme.type === 'rs' ? 1 : scheme.replicas,
      // Once a degraded write is allowed, a node lost mid-put costs redundancy, not the put.
      ...(degraded === undefined && options.allowDegraded !== true ? {} : { degraded: true }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onStored: bytes => { storedBytes += bytes; options.onProgress?.({ sealedBytes: sealedBytes(), storedBytes, expansion }) },
      ...(options.onNodeFailed === undefined ? {} : { onNodeFailed: options.onNodeFailed })
    })
    return { writer, object: new ObjectWriter(scheme, candidates, writer) }
  }

  /** Waits for every block's receipts, publishes the placement record, then names the object. */
  private async finish (w: { writer: ReplicatedWriter, object: ObjectWriter }, manifestCid: CID, key: Uint8Array, size: number, blocks: number, signal?: AbortSignal): Promise<PutResult> {
    const receipts = await w.writer.flush()
    const { record, storedOn } = await w.object.publishPlacement(receipts, key, signal)
    const stored = receipts.reduce((a, r) => a + r.size, 0)
    const sealed = record.stripes.reduce((a, s) => a + s.blocks.slice(0, s.data).reduce((b, x) => b + x.size, 0), 0) + record.manifest.size
    const scheme = w.object.scheme
    return {
      capability: formatCapability({ manifest: manifestCid, key }),
      manifestCid: manifestCid.toString(),
      size,
      blocks,
      scheme: scheme.type,
      ...(scheme.type === 'rs' ? { k: scheme.k, m: scheme.m, stripes: record.stripes.length } : {}),
      replicas: scheme.type === 'rs' ? 1 : scheme.replicas,
      overhead: stored / Math.max(1, sealed),
      placementStoredOn: storedOn,
      receipts: receipts.length,
      nodes: [...new Set(receipts.map(r => r.peer))],
      ...(record.degraded === undefined ? {} : { degraded: record.degraded })
    }
  }

  async putFile (path: string, options: PutOptions = {}): Promise<PutResult> {
    return await this.put(fileChunks(path), { name: basename(path), size: (await stat(path)).size, ...options })
  }

  /** `source`: a byte stream, or a ChunkReader (`fileChunks(path)`, which putFile uses). */
  async put (source: AsyncIterable<Uint8Array> | ChunkReader, options: PutOptions = {}): Promise<PutResult> {
    const key = generateContentKey()
    let sealedBytes = 0
    const w = await this.objectWriter(options, () => sealedBytes)
    const sealer = new FileSealer({
      key,
      pool: this.pool,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.mime === undefined ? {} : { mime: options.mime })
    })
    let blocks = 0
    try {
      for await (const block of sealer.blocks(source)) {
        sealedBytes += block.plaintextSize
        blocks++
        await w.object.write(block.cid, block.bytes, block.root, block.release)
      }
      const erasure = await w.object.endData()
      const manifest: FileManifest = { ...sealer.result.manifest, ...(erasure === undefined ? {} : { erasure }) }
      const sealed = await sealManifest(key, manifest)
      await w.object.writeManifest(sealed.cid, sealed.block)
      return await this.finish(w, sealed.cid, key, manifest.size, blocks, options.signal)
    } finally {
      key.fill(0)
    }
  }

  /** Fetches and opens an object's manifest (a file or a video). */
  async manifest (capability: string, signal?: AbortSignal): Promise<{ manifest: Manifest, key: Uint8Array }> {
    const cap = parseCapability(capability)
    const { bytes } = await this.fetcher.fetch(cap.manifest, signal)
    const manifest = await openManifest(cap.key, cap.manifest, bytes)
    await this.reader.register(cap.manifest, manifest, signal)
    return { manifest, key: cap.key }
  }

  /**
   * Per-stripe health of an object: for every block, which listed holders have it — a HEAD
   * request each (cheap), or with `verify` a full download checked against the CID.
   */
  async check (capability: string, options: CheckOptions = {}): Promise<CheckReport> {
    const cap = parseCapability(capability)
    const { manifest, key } = await this.manifest(capability, options.signal)
    key.fill(0)
    // Holders are probed at the addresses the network knows now, not at stale ones.
    await this.refreshPeers(options.signal).catch(() => {})
    return await checkObject(this.peers, this.reader, cap.manifest, manifest, options)
  }

  private async fileManifest (capability: string, signal?: AbortSignal): Promise<{ manifest: FileManifest, key: Uint8Array }> {
    const { manifest, key } = await this.manifest(capability, signal)
    if (manifest.type !== 'file') {
      throw new P2pdvError('ERR_NOT_A_FILE', 'this capability names a video, not a file', { hint: 'Play it with `p2pdv watch CAPABILITY`.' })
    }
    return { manifest, key }
  }

  /** The object's plaintext, in order, verified chunk by chunk and as a whole at the end. */
  async * read (capability: string, options: GetOptions = {}): AsyncGenerator<Uint8Array> {
    const { manifest, key } = await this.fileManifest(capability, options.signal)
    try {
      yield * this.readStream(manifest, key, options)
    } finally {
      key.fill(0)
    }
  }

  /** One sealed stream's plaintext (a file, or a video's segment with its stream number and context). */
  async * readStream (ref: SealedStreamRef, key: Uint8Array, options: GetOptions & { stream?: number, context?: Uint8Array, fetchBlock?: VerifiedBlockReader } = {}): AsyncGenerator<Uint8Array> {
    let bytes = 0
    const fetchBlock = options.fetchBlock ?? (async (cid: CID, signal?: AbortSignal) => await this.reader.fetch(cid, signal))
    for await (const chunk of openFile(ref, async (cid, _i, signal) => await fetchBlock(cid, signal), {
      key,
      pool: this.pool,
      // The reader returns only blocks that hash to their CIDs (fetched or rebuilt from parity).
      verified: true,
      recycle: b => { this.bodies.give(b) },
      concurrency: options.concurrency ?? DEFAULT_READ_CONCURRENCY,
      ...(options.stream === undefined ? {} : { stream: options.stream }),
      ...(options.context === undefined ? {} : { context: options.context }),
      ...(options.signal === undefined ? {} : { signal: options.signal })
    })) {
      bytes += chunk.byteLength
      options.onProgress?.({ bytes, totalBytes: ref.size })
      yield chunk
    }
  }

  /**
   * Publishes a transcoded video: every init segment, media segment and the poster becomes its
   * own sealed stream under one fresh key, stored with replicas; then the sealed video manifest.
   */
  async publishVideo (video: PublishableVideo, options: PutOptions = {}): Promise<PutResult> {
    const key = generateContentKey()
    const objectId = generateObjectId()
    let sealedBytes = 0
    const w = await this.objectWriter(options, () => sealedBytes)
    let blocks = 0
    // Segments seal several at a time and are written in manifest order (the stripes follow it).
    const pipeline = new SealPipeline({
      key,
      objectId,
      pool: this.pool,
      write: async b => {
        sealedBytes += b.plaintextSize
        blocks++
        await w.object.write(b.cid, b.bytes, b.root, b.release)
      }
    })
    // The video's stream slots hold the source files' paths until they are sealed.
    const { dir, durationSeconds, segmentSeconds, sourceSha256, title, poster, renditions, subtitles, thumbnails } = video
    // Only the manifest's own fields are picked: the caller's objects may carry more.
    const sources: VideoStreamsOf<string> = {
      renditions: renditions.map(r => ({
        id: r.id, kind: r.kind, bandwidth: r.bandwidth, codecs: r.codecs, init: r.init,
        segments: r.segments.map(s => ({ duration: s.duration, stream: s.path })),
        ...(r.width === undefined ? {} : { width: r.width }),
        ...(r.height === undefined ? {} : { height: r.height }),
        ...(r.frameRate === undefined ? {} : { frameRate: r.frameRate }),
        ...(r.lang === undefined ? {} : { lang: r.lang }),
        ...(r.name === undefined ? {} : { name: r.name }),
        ...(r.default === undefined ? {} : { default: r.default })
      })),
      poster,
      ...(subtitles === undefined || subtitles.length === 0
        ? {}
        : { subtitles: subtitles.map(t => ({ lang: t.lang, name: t.name, ...(t.default === true ? { default: true } : {}), stream: t.path })) }),
      ...(thumbnails === undefined
        ? {}
        : { thumbnails: { intervalSeconds: thumbnails.intervalSeconds, tileWidth: thumbnails.tileWidth, tileHeight: thumbnails.tileHeight, columns: thumbnails.columns, rows: thumbnails.rows, sheets: thumbnails.sheets } })
    }
    try {
      // Every stream is added at once, in manifest order; the pipeline bounds how many seal.
      const refs = await Promise.all(videoStreams(sources).map(async s => await pipeline.add(() => fileChunks(join(dir, s.stream)), s.context)))
      const streams = withVideoStreams(sources, refs)
      // Every data block is written (in objectBlocks order) before the stripes are closed.
      const erasure = await w.object.endData()
      const manifest: VideoManifest = {
        v: 1,
        type: 'video',
        objectId,
        durationSeconds,
        segmentSeconds,
        sourceSha256,
        ...(title === undefined ? {} : { title }),
        ...streams,
        ...(erasure === undefined ? {} : { erasure })
      }
      const sealed = await sealManifest(key, manifest)
      await w.object.writeManifest(sealed.cid, sealed.block)
      return await this.finish(w, sealed.cid, key, sealedBytes, blocks, options.signal)
    } finally {
      key.fill(0)
    }
  }

  /** Stores one small public block as it is (an envelope) on `replicas` nodes; resolves with its CID. */
  async putBlock (bytes: Uint8Array, options: PutOptions = {}): Promise<{ cid: CID, receipts: number }> {
    const cid = await blockCid(bytes)
    const replicas = Math.max(1, Math.min(options.replicas ?? DEFAULT_REPLICAS, this.peers.peers.length))
    const receipts = await this.storePublic({ cid, bytes }, [], { ...options, replicas })
    return { cid, receipts: receipts.length }
  }

  /**
   * Stores public blocks (`main` and `extra`) as replicas, then a placement record that claims
   * them (object: `main`), so nodes keep them past their unclaimed-block grace. The record's owner
   * key is random: only its holders (repair) ever update it.
   */
  private async storePublic (main: { cid: CID, bytes: Uint8Array }, extra: Array<{ cid: CID, bytes: Uint8Array }>, options: PutOptions & { replicas: number }): Promise<Array<{ peer: string }>> {
    let sealedBytes = 0
    const { k: _k, m: _m, ...replicated } = options
    const w = await this.objectWriter(replicated, () => sealedBytes)
    // A record lists at least one stripe: a lone block is both the manifest and the stripe.
    for (const b of extra.length === 0 ? [main] : extra) {
      sealedBytes += b.bytes.byteLength
      await w.object.write(b.cid, b.bytes)
    }
    sealedBytes += main.bytes.byteLength
    await w.object.writeManifest(main.cid, main.bytes)
    const receipts = await w.writer.flush()
    const owner = generateContentKey()
    try {
      await w.object.publishPlacement(receipts, owner, options.signal)
    } finally {
      owner.fill(0)
    }
    return receipts
  }

  /** Fetches one block, verified against its CID (cache first). */
  async getBlock (cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return (await this.fetcher.fetch(cid, signal)).bytes
  }

  /**
   * Re-seals a video under a fresh key (a re-key): every stream is read, verified and opened with
   * the old key and sealed again under the new one with a new object id, then a new manifest is
   * stored. The old blocks are no longer referenced by anything the registry points at.
   * `subtitles` changes one subtitle track on the way (`p2pdv captions edit`): a video's streams
   * share one key and erasure stripes, so a track cannot be swapped in place without re-sealing.
   */
  async resealVideo (capability: string, options: PutOptions & { subtitles?: SubtitleEdit } = {}): Promise<PutResult & { key: Uint8Array }> {
    const { manifest: old, key: oldKey } = await this.manifest(capability, options.signal)
    if (old.type !== 'video') { oldKey.fill(0); throw new P2pdvError('ERR_NOT_A_VIDEO', 'only videos are re-keyed this way') }
    let edited: { video: VideoManifest, added?: { track: SubtitleTrack, vtt: Uint8Array } }
    try {
      edited = options.subtitles === undefined ? { video: old } : editSubtitles(old, options.subtitles)
    } catch (err) {
      oldKey.fill(0)
      throw err
    }
    const key = generateContentKey()
    const objectId = generateObjectId()
    let sealedBytes = 0
    let blocks = 0
    const w = await this.objectWriter(options, () => sealedBytes)
    const seal = async (plain: AsyncIterable<Uint8Array>, n: number, context: Uint8Array): Promise<StreamRef> => {
      const gen = sealStream(plain, { key, objectId, pool: this.pool, stream: n, context })
      while (true) {
        const step = await gen.next()
        if (step.done === true) return { n, size: step.value.size, chunks: step.value.chunks }
        sealedBytes += step.value.plaintextSize
        blocks++
        await w.object.write(step.value.cid, step.value.bytes, step.value.root, step.value.release)
      }
    }
    try {
      // One at a time, in manifest order: the erasure stripes follow the order blocks are written.
      const refs: StreamRef[] = []
      // A live archive's segments are read under their epoch keys and become ordinary streams.
      const target = withoutLiveArchive(edited.video)
      const targets = videoStreams(target)
      for (const [i, s] of videoStreams(edited.video).entries()) {
        const context = targets[i]!.context
        if (edited.added !== undefined && s.stream === edited.added.track.stream) {
          const vtt = edited.added.vtt
          refs.push(await seal((async function * () { yield vtt })(), s.stream.n, context))
          continue
        }
        const plain = this.readStream({ objectId: old.objectId, size: s.stream.size, chunks: s.stream.chunks }, streamOpeningKey(old, oldKey, s.epoch), { stream: s.stream.n, context: s.context, ...(options.signal === undefined ? {} : { signal: options.signal }) })
        refs.push(await seal(plain, s.stream.n, context))
      }
      const erasure = await w.object.endData()
      const { erasure: _oldErasure, ...rest } = target
      const manifest: VideoManifest = {
        ...rest,
        ...withVideoStreams(target, refs),
        objectId,
        ...(erasure === undefined ? {} : { erasure })
      }
      const sealed = await sealManifest(key, manifest)
      await w.object.writeManifest(sealed.cid, sealed.block)
      return { ...await this.finish(w, sealed.cid, key, sealedBytes, blocks, options.signal), key: Uint8Array.from(key) }
    } finally {
      oldKey.fill(0)
      key.fill(0)
    }
  }

  /**
   * One file of a video by its gateway path (`subtitles/en.vtt`, `720p/init.mp4`, `poster.jpg`),
   * verified and opened with the video's key; at most `maxBytes` (the file is held in memory).
   */
  async readVideoFile (capability: string, path: string, options: { maxBytes?: number, signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const { manifest, key } = await this.manifest(capability, options.signal)
    try {
      if (manifest.type !== 'video') throw new P2pdvError('ERR_NOT_A_VIDEO', 'this capability names a file, not a video', { hint: 'Use a capability `p2pdv upload` printed.' })
      const s = videoStreams(manifest).find(v => v.path === path)
      if (s === undefined) throw new P2pdvError('ERR_VIDEO_FILE_NOT_FOUND', `the video has no file ${path.slice(0, 80)}`)
      const max = options.maxBytes ?? 16 * 1024 * 1024
      if (s.stream.size > max) throw new P2pdvError('ERR_VIDEO_FILE_TOO_LARGE', `${path} is ${s.stream.size} bytes, more than the ${max} asked for`)
      const parts: Uint8Array[] = []
      const plain = this.readStream({ objectId: manifest.objectId, size: s.stream.size, chunks: s.stream.chunks }, streamOpeningKey(manifest, key, s.epoch), { stream: s.stream.n, context: s.context, ...(options.signal === undefined ? {} : { signal: options.signal }) })
      for await (const chunk of plain) parts.push(Uint8Array.from(chunk))
      return new Uint8Array(Buffer.concat(parts))
    } finally {
      key.fill(0)
    }
  }

  /**
   * Publishes a public listing: the poster JPEG (if any) as a plain block, then the listing
   * signed by `signer`, both stored with replicas. The poster is a deliberate disclosure: anyone
   * can see it without the video's key.
   */
  async publishListing (signer: LocalAccount, input: ListingInput, options: Omit<PutOptions, 'name' | 'mime'> = {}): Promise<PublishListingResult> {
    // Listings are small and public: plain replicas, whatever the default scheme.
    const { listing, cid, block, poster } = await buildListing(signer, input)
    const receipts = await this.storePublic({ cid, bytes: block }, poster === undefined ? [] : [{ cid: poster.cid, bytes: poster.block }], { ...options, replicas: options.replicas ?? DEFAULT_REPLICAS })
    return {
      listingCid: cid.toString(),
      ...(poster === undefined ? {} : { posterCid: poster.cid.toString() }),
      listing,
      receipts: receipts.length,
      nodes: [...new Set(receipts.map(r => r.peer))]
    }
  }

  /** Signs a channel profile and stores it (and its avatar) on nodes; the caller points the registry at it. */
  async publishProfile (signer: LocalAccount, input: ProfileInput, options: Omit<PutOptions, 'name' | 'mime'> = {}): Promise<PublishProfileResult> {
    const { profile, cid, block, avatar } = await buildProfile(signer, input)
    const receipts = await this.storePublic({ cid, bytes: block }, avatar === undefined ? [] : [{ cid: avatar.cid, bytes: avatar.block }], { ...options, replicas: options.replicas ?? DEFAULT_REPLICAS })
    return {
      profileCid: cid.toString(),
      ...(avatar === undefined ? {} : { avatarCid: avatar.cid.toString() }),
      profile,
      receipts: receipts.length,
      nodes: [...new Set(receipts.map(r => r.peer))]
    }
  }

  /** Fetches a channel profile and checks its hash, shape and signature. */
  async profile (cid: string, signal?: AbortSignal): Promise<ProfileDocument> {
    const c = parseCid(cid)
    const { bytes } = await this.fetcher.fetch(c, signal)
    return await openProfile(c, bytes)
  }

  /** Fetches a listing and checks its hash, shape and signature (no key needed). */
  async listing (cid: string, signal?: AbortSignal): Promise<ListingDocument> {
    const c = parseCid(cid)
    const { bytes } = await this.fetcher.fetch(c, signal)
    return await openListing(c, bytes)
  }

  /** Writes the object to `path` atomically: a temp file beside it, renamed only when verified. */
  async getToFile (capability: string, path: string, options: GetOptions = {}): Promise<GetResult> {
    const { manifest, key } = await this.fileManifest(capability, options.signal)
    const tmp = join(dirname(path), `.${basename(path)}.p2pdv-${process.pid}-${Date.now()}.part`)
    const fh = await open(tmp, 'wx', 0o600)
    let ok = false
    // Written back as it goes (one datasync in flight per eighth of the file), so the final sync
    // before the rename has only the tail left to flush: 256 MiB gets took 10% less wall time.
    const syncEvery = Math.max(SYNC_MIN_BYTES, Math.min(SYNC_MAX_BYTES, Math.ceil(manifest.size / 8)))
    let syncing: Promise<void> = Promise.resolve()
    let closed = false
    try {
      let unsynced = 0
      for await (const chunk of this.readStream(manifest, key, options)) {
        await fh.write(chunk)
        // Written: this chunk's megabyte is freed now, not at the next collection.
        freeNow(chunk)
        unsynced += chunk.byteLength
        if (unsynced >= syncEvery) {
          unsynced = 0
          await syncing
          syncing = fh.datasync()
          // Its failure is thrown where it is awaited; until then it must not count as unhandled.
          syncing.catch(() => {})
        }
      }
      await syncing
      await fh.sync()
      await fh.close()
      closed = true
      await rename(tmp, path)
      ok = true
    } finally {
      key.fill(0)
      await syncing.catch(() => {})
      if (!closed) await fh.close().catch(() => {})
      // Whatever failed (a block, the disk, the rename), no partial file is left behind.
      if (!ok) await rm(tmp, { force: true })
    }
    return { path, size: manifest.size, manifestCid: parseCapability(capability).manifest.toString(), ...(manifest.name === undefined ? {} : { name: manifest.name }) }
  }
}

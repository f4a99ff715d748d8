/**
 * A live stream kept as a VOD when it ends (docs/protocol.md "Live archives"; design in
 * docs/architecture.md). The publisher tells a LiveArchiveLog what it stored (each rendition's
 * first init, every announced segment, each epoch key); `buildLiveArchive` turns that into an
 * ordinary video manifest naming the same blocks — no media byte is sealed or uploaded again —
 * with the epoch keys inside, sealed under the archive key K; `storeLiveArchive` puts the manifest
 * and the poster on the nodes.
 *
 * K is the newest epoch key the keepers hold (a stream registered on chain: viewers the chain lets
 * in get it from the keepers as for any video, once the registry names its fingerprint), or a fresh
 * key (a link-mode stream: it goes into the printed VOD link).
 */
import {
  ARCHIVE_POSTER_STREAM, blockCid, formatCapability, generateContentKey, MAX_CHUNK_PLAINTEXT, POSTER_CONTEXT, sealChunk, sealManifest,
  type CID, type StreamRef, type VideoManifest, type VideoRendition
} from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import type { NodeClient } from '@p2pdv/node-client'
import type { GrantBook } from '../upload-grants.ts'

interface LoggedStream { epoch: number, n: number, cid: CID, size: number }
interface RenditionLog { name: string, init: LoggedStream, segments: Array<LoggedStream & { durationMs: number }>, bytes: number }

/** The live stream number of a segment (core live.ts segmentPosition). */
const mediaStream = (rendition: number, seq: number): number => (seq * 16 + rendition) * 2
const initStream = (rendition: number, epoch: number): number => (epoch * 16 + rendition) * 2 + 1

export class LiveArchiveLog {
  private readonly renditions = new Map<number, RenditionLog>()
  private readonly pendingInits = new Map<number, LoggedStream & { name: string }>()
  private readonly keys = new Map<number, Uint8Array>()
  private newest: { epoch: number, key: Uint8Array } | undefined

  /** An epoch key as it is drawn (copied: the publisher zeroes its own). */
  keepKey (epoch: number, key: Uint8Array): void {
    if (!this.keys.has(epoch)) this.keys.set(epoch, key.slice())
  }

  /** A key the keepers now hold; the newest one becomes the archive key. */
  handedOver (epoch: number, key: Uint8Array): void {
    if (this.newest !== undefined && this.newest.epoch >= epoch) return
    this.newest?.key.fill(0)
    this.newest = { epoch, key: key.slice() }
  }

  /** A rendition's sealed init segment of `epoch` (its plaintext is the same in every epoch: the first is kept). */
  init (rendition: number, name: string, epoch: number, cid: CID, plaintextSize: number): void {
    if (this.renditions.has(rendition) || this.pendingInits.has(rendition)) return
    this.pendingInits.set(rendition, { name, epoch, n: initStream(rendition, epoch), cid, size: plaintextSize })
  }

  /** A segment the nodes stored and accepted the announcement of. */
  segment (s: { rendition: number, seq: number, epoch: number, durationMs: number, cid: CID, plaintextSize: number }): void {
    let r = this.renditions.get(s.rendition)
    if (r === undefined) {
      const init = this.pendingInits.get(s.rendition)
      if (init === undefined) return
      this.pendingInits.delete(s.rendition)
      r = { name: init.name, init, segments: [], bytes: 0 }
      this.renditions.set(s.rendition, r)
    }
    r.segments.push({ epoch: s.epoch, n: mediaStream(s.rendition, s.seq), cid: s.cid, size: s.plaintextSize, durationMs: s.durationMs })
    r.bytes += s.plaintextSize
  }

  get segments (): number {
    let n = 0
    for (const r of this.renditions.values()) n += r.segments.length
    return n
  }

  /** What the archive is built from (the builder copies what it keeps). */
  contents (): { renditions: Map<number, RenditionLog>, keys: Map<number, Uint8Array>, newest: { epoch: number, key: Uint8Array } | undefined } {
    return { renditions: this.renditions, keys: this.keys, newest: this.newest }
  }

  /** Zeroes every key held. */
  forget (): void {
    for (const k of this.keys.values()) k.fill(0)
    this.keys.clear()
    this.newest?.key.fill(0)
    this.newest = undefined
  }
}

export interface LiveArchiveInput {
  stream: string
  title: string
  /** JPEG of a frame (posterFromSegment in @p2pdv/media). */
  poster: Uint8Array
  /** RFC 6381 CODECS of each live rendition (initCodecs in @p2pdv/media). */
  codecs: (rendition: number) => string
}

export interface BuiltLiveArchive {
  manifest: VideoManifest
  /** The archive key K (the caller zeroes it). */
  key: Uint8Array
  /** The epoch K is the keepers' key of, if it is one. */
  keeperEpoch?: number
  /** The new blocks: the sealed manifest (first) and the sealed poster. */
  blocks: Array<{ cid: CID, bytes: Uint8Array }>
  manifestCid: CID
  /** The last live epoch any segment is sealed under. */
  lastEpoch: number
}

/** A live rendition name as a video rendition id (lowercase letters, digits, - and _). */
function renditionId (name: string, index: number, taken: Set<string>): string {
  let id = name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')
  if (!/^[a-z0-9]/.test(id) || id === 'subtitles' || id === 'thumbnails' || taken.has(id)) id = `r${index}`
  taken.add(id)
  return id
}

/**
 * The archive's manifest over what `log` recorded. Throws ERR_LIVE_EMPTY when no segment was
 * published (nothing to keep).
 */
export async function buildLiveArchive (log: LiveArchiveLog, input: LiveArchiveInput): Promise<BuiltLiveArchive> {
  const { renditions, keys, newest } = log.contents()
  if (log.segments === 0) {
    throw new P2pdvError('ERR_LIVE_EMPTY', 'the stream ended before any segment was published: there is nothing to keep as a video', {
      hint: 'Check that the ingest received media (OBS or ffmpeg pushing to the printed URL) and that a node stored it, then start again.'
    })
  }
  if (input.poster.byteLength > MAX_CHUNK_PLAINTEXT) throw new P2pdvError('ERR_BAD_ARGUMENT', 'the poster is larger than one chunk')
  const stream = Uint8Array.from(input.stream.match(/../g) ?? [], h => parseInt(h, 16))
  if (stream.byteLength !== 32) throw new P2pdvError('ERR_BAD_ARGUMENT', 'a stream id is 64 hex digits')
  const objectId = stream.slice(0, 16)
  const key = newest === undefined ? generateContentKey() : newest.key.slice()
  const used = new Set<number>()
  const taken = new Set<string>()
  const ref = (s: LoggedStream): StreamRef => { used.add(s.epoch); return { n: s.n, size: s.size, chunks: [{ cid: s.cid, size: s.size }] } }
  const ordered = [...renditions.entries()].sort((a, b) => a[0] - b[0])
  const out: VideoRendition[] = ordered.map(([index, r]) => {
    const seconds = r.segments.reduce((a, s) => a + s.durationMs, 0) / 1000
    return {
      id: renditionId(r.name, index, taken),
      kind: 'video' as const,
      bandwidth: Math.max(1, Math.round(r.bytes * 8 / Math.max(seconds, 0.001))),
      codecs: input.codecs(index),
      name: r.name,
      init: ref(r.init),
      segments: r.segments.map(s => ({ duration: s.durationMs / 1000, stream: ref(s), epoch: s.epoch }))
    }
  })
  const epochs = [...used].sort((a, b) => a - b).map(epoch => {
    const k = keys.get(epoch)
    if (k === undefined) throw new P2pdvError('ERR_INTERNAL', `the key of epoch ${epoch} was not kept`)
    return { epoch, key: k }
  })
  const poster = await sealChunk({ key, objectId, stream: ARCHIVE_POSTER_STREAM, index: 0, last: true, context: POSTER_CONTEXT }, input.poster)
  const posterCid = await blockCid(poster)
  const durationSeconds = Math.max(...out.map(r => r.segments.reduce((a, s) => a + s.duration, 0)))
  const manifest: VideoManifest = {
    v: 1,
    type: 'video',
    objectId,
    durationSeconds,
    segmentSeconds: Math.max(...out.flatMap(r => r.segments.map(s => s.duration))),
    // No source file: the stream id stands for it (re-archiving one stream is recognised).
    sourceSha256: new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', stream)),
    renditions: out,
    poster: { n: ARCHIVE_POSTER_STREAM, size: input.poster.byteLength, chunks: [{ cid: posterCid, size: input.poster.byteLength }] },
    title: input.title.slice(0, 200),
    live: { stream, epochs }
  }
  const sealed = await sealManifest(key, manifest)
  return {
    manifest,
    key,
    ...(newest === undefined ? {} : { keeperEpoch: newest.epoch }),
    blocks: [{ cid: sealed.cid, bytes: sealed.block }, { cid: posterCid, bytes: poster }],
    manifestCid: sealed.cid,
    lastEpoch: Math.max(...used)
  }
}

/** The capability (VOD link carrying K) of a built archive. */
export function archiveCapability (a: BuiltLiveArchive): string {
  return formatCapability({ manifest: a.manifestCid, key: a.key })
}

/**
 * Stores the archive's new blocks (manifest, poster) on every node, as the stream's segments are;
 * returns the nodes that hold both. Throws ERR_BLOCK_UNAVAILABLE when no node took them.
 */
export async function storeLiveArchive (a: BuiltLiveArchive, nodes: NodeClient[], grants: GrantBook): Promise<NodeClient[]> {
  const ok = await Promise.all(nodes.map(async n => {
    try {
      for (const b of a.blocks) {
        const grant = await grants.forNode(n.peerId ?? '', b.bytes.byteLength)
        await n.putBlock(b.cid, b.bytes, { authorization: grant.authorization })
      }
      return true
    } catch {
      return false
    }
  }))
  const holders = nodes.filter((_n, i) => ok[i])
  if (holders.length === 0) {
    throw new P2pdvError('ERR_BLOCK_UNAVAILABLE', 'no node stored the archive\'s manifest', { hint: 'Check that the nodes run (p2pdv node status); the stream\'s segments are on them still.' })
  }
  return holders
}

/**
 * The creator's side of a live stream (docs/protocol.md "Live streams"): each segment the encoder
 * completes is sealed under the current epoch key, stored on every node (replicas: no erasure
 * coding on the hot path), and announced to the nodes that stored it. A new epoch key is drawn
 * every `epochMs`; each rendition's init segment is sealed and stored again under it.
 *
 * The stream key signs the announcements and the link secret wraps the epoch keys; both live in
 * this object only (no file), and `close` zeroes what it can.
 *
 * With `keepers` (a stream registered on chain) no key is wrapped for link holders: each epoch key
 * is handed to the keepers before the first segment of its epoch is announced, the next one
 * HANDOVER_LEAD ahead of the boundary (announcements then say so in `key.next`, and viewers
 * prefetch), and each announcement links back to the previous epoch's key (`key.prev`).
 */
import { blockCid, generateContentKey, keyFingerprint, type CID } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { ed25519Signer } from '@p2pdv/core/grants'
import {
  announcementToJson, formatLiveLink, sealSegment, signAnnouncement, streamIdOf, wrapEpochKey, wrapPrevEpochKey,
  type EpochKeyRef, type LiveLink
} from '@p2pdv/core/live'
import type { LiveKeeperCustody } from './epoch-keys.ts'
import type { LiveArchiveLog } from './archive.ts'
export { archiveCapability, buildLiveArchive, LiveArchiveLog, storeLiveArchive, type BuiltLiveArchive, type LiveArchiveInput } from './archive.ts'
export { DeferredLiveEpochKeys, fetchEpochKey, LiveEpochKeys, LiveKeeperCustody } from './epoch-keys.ts'
export { chatIdentity, LiveChat, publishModeration, type ChatEntry, type LiveChatOptions, type ModerationChange } from './chat.ts'
import type { NodeClient } from '@p2pdv/node-client'

/** The client publishers are given (re-exported so callers need no other package). */
export { NodeClient } from '@p2pdv/node-client'
import type { GrantBook } from '../upload-grants.ts'

/** Ten minutes per epoch key, as the issue asks by default. */
export const DEFAULT_EPOCH_MS = 10 * 60_000
export const MIN_EPOCH_MS = 1000

/** How long before an epoch boundary its key goes to the keepers: a quarter epoch, at most 30 s. */
export function handOverLeadMs (epochMs: number): number {
  return Math.min(Math.floor(epochMs / 4), 30_000)
}

export interface LivePublisherOptions {
  /** The nodes to store on and announce to; each client needs the node's peer id (receipts). */
  nodes: NodeClient[]
  grants: GrantBook
  epochMs?: number
  /** The stream key (streamKey()); a fresh one when absent. */
  streamKey?: StreamKey
  /** Keeper-gated epoch keys (a stream registered on chain); without it, keys are wrapped under the link secret. */
  keepers?: LiveKeeperCustody
  /** Records what is stored (and keeps the epoch keys) so the stream can become a VOD when it ends. */
  archive?: LiveArchiveLog
  now?: () => number
}

export interface LiveSegmentInput {
  rendition: number
  name: string
  seq: number
  durationMs: number
  bytes: Uint8Array
  /** The rendition's init segment (plaintext); sealed and stored once per epoch. */
  init: Uint8Array
  /** The stream ends with this segment (for its rendition): announced signed, viewers end at once. */
  last?: boolean
}

export interface LiveStats {
  segments: number
  /** Plaintext bytes published. */
  bytes: number
  /** Media seconds published (all renditions). */
  mediaSeconds: number
  epoch: number
  /** Per node: segments it stored and announcements it accepted. */
  nodes: Record<string, { stored: number, announced: number, lastError?: string }>
  /** Milliseconds from a segment handed over to it announced on the nodes, last segment. */
  lastPublishMs: number
  /** Milliseconds the last epoch key took to reach the keepers (keeper-gated streams). */
  lastHandOverMs?: number
}

interface Epoch { n: number, key: Uint8Array, ref: EpochKeyRef, inits: Map<number, { cid: CID, size: number }> }

/** A stream's signing key; its public half names the stream (known before publishing, e.g. to register it). */
export interface StreamKey { stream: string, signer: Awaited<ReturnType<typeof ed25519Signer>> }

export async function streamKey (): Promise<StreamKey> {
  const seed = generateContentKey()
  const signer = await ed25519Signer(seed)
  seed.fill(0)
  return { stream: streamIdOf(signer.publicKey), signer }
}

export class LivePublisher {
  readonly stream: string
  readonly link: string
  private readonly opts: Required<Omit<LivePublisherOptions, 'grants' | 'nodes' | 'keepers' | 'streamKey' | 'archive'>> & Pick<LivePublisherOptions, 'grants' | 'nodes' | 'keepers' | 'archive'>
  private readonly signer: Awaited<ReturnType<typeof ed25519Signer>>
  private readonly linkSecret: LiveLink
  private readonly startedAt: number
  private epoch: Epoch | undefined
  /** The next epoch's key, once handed to the keepers ahead of the boundary. */
  private next: { n: number, key: Uint8Array } | undefined
  private queue: Promise<void> = Promise.resolve()
  readonly stats: LiveStats

  private constructor (opts: LivePublisherOptions, signer: Awaited<ReturnType<typeof ed25519Signer>>, link: LiveLink) {
    const epochMs = opts.epochMs ?? DEFAULT_EPOCH_MS
    if (!Number.isSafeInteger(epochMs) || epochMs < MIN_EPOCH_MS) throw new P2pdvError('ERR_BAD_ARGUMENT', `an epoch lasts at least ${MIN_EPOCH_MS} ms`)
    if (opts.nodes.length === 0) throw new P2pdvError('ERR_BAD_ARGUMENT', 'a live stream needs at least one node', { hint: 'Start a devnet (p2pdv devnet) or pass --node URL.' })
    this.opts = { ...opts, epochMs, now: opts.now ?? Date.now }
    this.signer = signer
    this.linkSecret = link
    this.stream = link.stream
    this.link = formatLiveLink(link)
    this.startedAt = this.opts.now()
    this.stats = { segments: 0, bytes: 0, mediaSeconds: 0, epoch: 0, lastPublishMs: 0, nodes: Object.fromEntries(opts.nodes.map(n => [n.peerId ?? n.base, { stored: 0, announced: 0 }])) }
  }

  /** A new stream: a fresh link secret, and a fresh stream key unless one is given. */
  static async create (opts: LivePublisherOptions): Promise<LivePublisher> {
    const key = opts.streamKey ?? await streamKey()
    return new LivePublisher(opts, key.signer, { stream: key.stream, secret: generateContentKey() })
  }

  /** Seals, stores and announces one segment; segments are published one at a time, in call order. */
  async publish (seg: LiveSegmentInput): Promise<void> {
    const run = this.queue.then(async () => { await this.publishNow(seg) })
    this.queue = run.catch(() => {})
    await run
  }

  private async currentEpoch (): Promise<Epoch> {
    const now = this.opts.now()
    const n = Math.floor((now - this.startedAt) / this.opts.epochMs)
    const custody = this.opts.keepers
    if (this.epoch?.n !== n) {
      const prev = this.epoch
      let key: Uint8Array
      if (this.next?.n === n) {
        key = this.next.key
      } else {
        this.next?.key.fill(0) // drawn for an epoch without segments
        key = generateContentKey()
        if (custody !== undefined) await this.handOver(custody, n, key)
      }
      this.next = undefined
      this.opts.archive?.keepKey(n, key)
      const ref: EpochKeyRef = custody === undefined
        ? await wrapEpochKey(this.linkSecret, n, key)
        : { kind: 'keeper', video: custody.video, check: keyFingerprint(key), ...(prev === undefined ? {} : { prev: await wrapPrevEpochKey(this.stream, n, key, prev.n, prev.key) }) }
      prev?.key.fill(0) // the previous epoch's segments are all sealed
      this.epoch = { n, key, ref, inits: new Map() }
      this.stats.epoch = n
    }
    const epoch = this.epoch
    const boundary = this.startedAt + (n + 1) * this.opts.epochMs
    if (custody !== undefined && this.next === undefined && boundary - now <= handOverLeadMs(this.opts.epochMs)) {
      const key = generateContentKey()
      await this.handOver(custody, n + 1, key)
      this.next = { n: n + 1, key }
      const link = await wrapPrevEpochKey(this.stream, n + 1, key, n, epoch.key)
      if (epoch.ref.kind === 'keeper') epoch.ref = { ...epoch.ref, next: { ...link, epoch: n + 1 } }
    }
    return epoch
  }

  private async handOver (custody: LiveKeeperCustody, n: number, key: Uint8Array): Promise<void> {
    await custody.handOver(n, key)
    this.opts.archive?.handedOver(n, key)
    this.stats.lastHandOverMs = Math.round(custody.lastHandOverMs)
  }

  private async publishNow (seg: LiveSegmentInput): Promise<void> {
    const t0 = this.opts.now()
    const epoch = await this.currentEpoch()
    let init = epoch.inits.get(seg.rendition)
    if (init === undefined) {
      const sealed = await sealSegment(epoch.key, this.stream, seg.rendition, { kind: 'init', epoch: epoch.n }, seg.init)
      init = { cid: await blockCid(sealed), size: sealed.byteLength }
      await this.storeEverywhere(init.cid, sealed, 'init')
      epoch.inits.set(seg.rendition, init)
      this.opts.archive?.init(seg.rendition, seg.name, epoch.n, init.cid, seg.init.byteLength)
    }
    const sealed = await sealSegment(epoch.key, this.stream, seg.rendition, { kind: 'media', seq: seg.seq }, seg.bytes)
    const cid = await blockCid(sealed)
    const holders = await this.storeEverywhere(cid, sealed, 'segment')
    const a = await signAnnouncement({
      v: 1, stream: this.stream, rendition: seg.rendition, name: seg.name, seq: seg.seq, epoch: epoch.n,
      duration: seg.durationMs, time: this.opts.now(), cid, size: sealed.byteLength, init: init.cid, initSize: init.size, key: epoch.ref,
      ...(seg.last === true ? { last: true as const } : {})
    }, this.signer.sign)
    const json = announcementToJson(a)
    const announced = await Promise.allSettled(holders.map(async n => { await n.announceLive(this.stream, json) }))
    announced.forEach((r, i) => this.count(holders[i]!, 'announced', r))
    if (!announced.some(r => r.status === 'fulfilled')) {
      throw new P2pdvError('ERR_BLOCK_UNAVAILABLE', `no node accepted the announcement of segment ${seg.seq} (${seg.name})`, { hint: 'Check the nodes (p2pdv node status) and the creator\'s clock.' })
    }
    this.stats.segments++
    this.opts.archive?.segment({ rendition: seg.rendition, seq: seg.seq, epoch: epoch.n, durationMs: seg.durationMs, cid, plaintextSize: seg.bytes.byteLength })
    this.stats.bytes += seg.bytes.byteLength
    this.stats.mediaSeconds += seg.durationMs / 1000
    this.stats.lastPublishMs = this.opts.now() - t0
  }

  /** PUTs a block on every node at once; returns those that stored it (at least one, or throws). */
  private async storeEverywhere (cid: CID, bytes: Uint8Array, what: string): Promise<NodeClient[]> {
    const results = await Promise.allSettled(this.opts.nodes.map(async n => {
      const grant = await this.opts.grants.forNode(n.peerId ?? '', bytes.byteLength)
      await n.putBlock(cid, bytes, { authorization: grant.authorization })
    }))
    results.forEach((r, i) => this.count(this.opts.nodes[i]!, 'stored', r))
    const ok = this.opts.nodes.filter((_n, i) => results[i]!.status === 'fulfilled')
    if (ok.length === 0) {
      const first = results.find(r => r.status === 'rejected')
      throw new P2pdvError('ERR_BLOCK_UNAVAILABLE', `no node stored the ${what}`, { hint: 'Check that the nodes run and have room.', cause: first?.reason })
    }
    return ok
  }

  private count (n: NodeClient, field: 'stored' | 'announced', r: PromiseSettledResult<unknown>): void {
    const s = this.stats.nodes[n.peerId ?? n.base]
    if (s === undefined) return
    if (r.status === 'fulfilled') s[field]++
    else s.lastError = (r.reason as { code?: string }).code ?? 'ERR_INTERNAL'
  }

  /** Waits for the segment being published, then forgets the keys. */
  async close (): Promise<void> {
    await this.queue
    this.epoch?.key.fill(0)
    this.next?.key.fill(0)
    this.linkSecret.secret.fill(0)
    this.signer.forget()
  }
}

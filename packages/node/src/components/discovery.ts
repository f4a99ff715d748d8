/**
 * The discovery index as a node component: a PeriodicTask follows the chain's registry and
 * access-manager events from the last block it read, and for every video they touch reads its
 * state, fetches its signed listing (this node's blockstore first, then its peers) and indexes it
 * (discovery/index-store.ts). Listings are untrusted: a listing that is too large, malformed,
 * wrongly signed or signed by someone other than the video's owner is skipped with a logged
 * reason; retired, blocked, private and unlisted videos are removed.
 *
 * Channel profiles follow the same way: a `ProfileUpdated` event makes the index read the
 * creator's current pointer (`profileOf`), fetch that block and check it is a well-formed profile
 * signed by that very creator; anything else is skipped with a logged reason and the creator has
 * no profile here (the pointer is the creator's latest word: an older profile is not shown instead).
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import type { Address, Hex } from 'viem'
import { MAX_LISTING_BYTES, MAX_PROFILE_BYTES, openListing, openProfile, parseCid, equalBytes, fromHexBytes, type ListingDocument, type ProfileDocument } from '@p2pdv/core'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { AccessManagerAbi, VideoRegistryAbi } from '@p2pdv/contracts/abis'
import { getProfileCid, getVideo, LOG_WINDOW, type ChainContext, type VideoInfo } from '@p2pdv/chain'
import { NodeClient } from '@p2pdv/node-client'
import type { PeerHttp } from '../http-api.ts'
import type { Component } from '../lifecycle.ts'
import { PeriodicTask } from '../periodic-task.ts'
import { DISCOVERY_DB_FILE, DiscoveryStore, type ChannelProfile, type IndexedVideo } from '../discovery/index-store.ts'

/** How often the index follows the chain. */
export const DEFAULT_DISCOVERY_INTERVAL_MS = 5_000
/** Each peer asked for a listing gets this long. */
const LISTING_FETCH_TIMEOUT_MS = 5_000
/** Peers asked for one listing at most. */
const LISTING_PEERS = 8
/** Videos whose listing could not be fetched are retried this many passes, then dropped. */
const LISTING_RETRIES = 20
const LAST_BLOCK = 'lastBlock'

export const DiscoveryIndexErrorCode = {
  CREATOR_MISMATCH: 'ERR_LISTING_CREATOR_MISMATCH',
  LISTING_UNAVAILABLE: 'ERR_LISTING_UNAVAILABLE',
  PROFILE_CREATOR_MISMATCH: 'ERR_PROFILE_CREATOR_MISMATCH',
  PROFILE_UNAVAILABLE: 'ERR_PROFILE_UNAVAILABLE'
} as const

export interface DiscoveryDeps {
  dataDir: () => string
  /** The chain, when the node has one (without it the index stays empty and the API says so). */
  chain: () => ChainContext | undefined
  /** A block from this node's own store, if it has it (verified against its CID). */
  localBlock: (cid: CID, signal: AbortSignal) => Promise<Uint8Array | undefined>
  peers: () => Promise<PeerHttp[]>
  log: Logger
  intervalMs?: number
}

export class DiscoveryComponent implements Component {
  readonly name = 'discovery'
  private readonly deps: DiscoveryDeps
  private current: DiscoveryStore | undefined
  private task: PeriodicTask | undefined
  /** Video id → passes left to fetch its listing. */
  private readonly retry = new Map<Hex, number>()
  /** Creator → passes left to fetch their profile. */
  private readonly profileRetry = new Map<Address, number>()

  constructor (deps: DiscoveryDeps) {
    this.deps = deps
  }

  /** The index, or undefined when the node has no chain to follow. */
  get store (): DiscoveryStore | undefined {
    return this.task === undefined ? undefined : this.current
  }

  start (): void {
    if (this.deps.chain() === undefined) return
    this.current = new DiscoveryStore(join(this.deps.dataDir(), DISCOVERY_DB_FILE))
    this.task = new PeriodicTask(async signal => { await this.pass(signal) }, {
      name: 'discovery sync',
      intervalMs: this.deps.intervalMs ?? DEFAULT_DISCOVERY_INTERVAL_MS,
      firstDelayMs: 0,
      onError: err => { this.deps.log.warn({ err }, 'discovery: following the chain failed; retrying') }
    })
    this.task.start()
  }

  async stop (): Promise<void> {
    await this.task?.stop()
    this.task = undefined
    this.current?.close()
    this.current = undefined
  }

  /** Runs a pass now (tests, and a page that wants fresh results). */
  async sync (): Promise<void> {
    await this.task?.runNow()
  }

  private async pass (signal: AbortSignal): Promise<void> {
    const ctx = this.deps.chain()
    const store = this.current
    if (ctx === undefined || store === undefined) return
    // Uncached: viem keeps a block number for its polling interval, which would hide fresh events.
    const latest = await ctx.public.getBlockNumber({ cacheTime: 0 })
    const saved = store.getMeta(LAST_BLOCK)
    let from = saved === undefined ? ctx.config.startBlock : BigInt(saved) + 1n
    for (const id of [...this.retry.keys()]) await this.refresh(ctx, store, id, signal)
    for (const creator of [...this.profileRetry.keys()]) await this.refreshProfile(ctx, store, creator, signal)
    while (from <= latest) {
      signal.throwIfAborted()
      const to = from + LOG_WINDOW - 1n < latest ? from + LOG_WINDOW - 1n : latest
      const touched = new Set<Hex>()
      const creators = new Set<Address>()
      const registry = await ctx.public.getContractEvents({ address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, fromBlock: from, toBlock: to })
      for (const log of registry) {
        if (log.eventName === 'ProfileUpdated') {
          if (log.args.creator !== undefined) creators.add(log.args.creator)
          continue
        }
        const id = (log.args as { id?: Hex }).id
        if (id !== undefined) touched.add(id)
      }
      const access = await ctx.public.getContractEvents({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, fromBlock: from, toBlock: to })
      const times = new Map<bigint, number>()
      for (const log of access) {
        if (log.eventName === 'PriceSet') touched.add(log.args.video as Hex)
        if (log.eventName === 'Purchased' && log.args.video !== undefined && log.blockNumber !== null) {
          let at = times.get(log.blockNumber)
          if (at === undefined) {
            at = Number((await ctx.public.getBlock({ blockNumber: log.blockNumber })).timestamp)
            times.set(log.blockNumber, at)
          }
          store.addPurchase(log.args.video, at)
        }
      }
      for (const id of touched) await this.refresh(ctx, store, id, signal)
      for (const creator of creators) await this.refreshProfile(ctx, store, creator, signal)
      // Saved after the window's videos are indexed, so a stop mid-window reads it again.
      store.setMeta(LAST_BLOCK, to.toString())
      from = to + 1n
    }
    store.prunePurchases()
  }

  /** Reads one video's state and listing and indexes it, or removes it; never throws for bad listings. */
  private async refresh (ctx: ChainContext, store: DiscoveryStore, id: Hex, signal: AbortSignal): Promise<void> {
    const v = await getVideo(ctx, id)
    if (v.retired || v.blocked || v.policy === 'private' || v.listingCid === '') {
      store.remove(id)
      this.retry.delete(id)
      return
    }
    let doc: ListingDocument
    try {
      doc = await this.fetchListing(v, signal)
    } catch (err) {
      signal.throwIfAborted()
      const code = isP2pdvError(err) ? err.code : 'ERR_INTERNAL'
      if (retryLater(this.retry, id, code === DiscoveryIndexErrorCode.LISTING_UNAVAILABLE)) return
      store.remove(id)
      this.deps.log.warn({ video: id, listing: v.listingCid.slice(0, 100), code }, 'discovery: listing skipped')
      return
    }
    this.retry.delete(id)
    store.upsert(indexedVideo(v, doc))
  }

  /**
   * Reads a creator's profile pointer, fetches and checks the profile, and indexes it (or removes
   * the creator's profile when the pointer is cleared or the profile is bad); never throws for
   * bad profiles.
   */
  private async refreshProfile (ctx: ChainContext, store: DiscoveryStore, creator: Address, signal: AbortSignal): Promise<void> {
    const cid = await getProfileCid(ctx, creator)
    if (cid === '') {
      store.removeProfile(creator)
      this.profileRetry.delete(creator)
      return
    }
    if (store.profile(creator)?.cid === cid) {
      this.profileRetry.delete(creator)
      return
    }
    let doc: ProfileDocument
    try {
      const parsed = parseCid(cid)
      const bytes = await this.fetchBlock(parsed, MAX_PROFILE_BYTES, signal)
      if (bytes === undefined) throw new P2pdvError(DiscoveryIndexErrorCode.PROFILE_UNAVAILABLE, `no node this one knows has profile ${cid}`)
      doc = await openProfile(parsed, bytes)
      // The pointer is the creator's; the profile must be theirs too (else anyone could point at a
      // profile someone else signed and wear their name).
      if (!equalBytes(doc.creator, fromHexBytes(creator))) {
        throw new P2pdvError(DiscoveryIndexErrorCode.PROFILE_CREATOR_MISMATCH, `the profile ${creator} points at is signed by another account`)
      }
    } catch (err) {
      signal.throwIfAborted()
      const code = isP2pdvError(err) ? err.code : 'ERR_INTERNAL'
      if (retryLater(this.profileRetry, creator, code === DiscoveryIndexErrorCode.PROFILE_UNAVAILABLE)) return
      store.removeProfile(creator)
      this.deps.log.warn({ creator, profile: cid.slice(0, 100), code }, 'discovery: channel profile skipped')
      return
    }
    this.profileRetry.delete(creator)
    store.upsertProfile(channelProfile(creator, cid, doc))
  }

  /** A public block from this node's store, else from up to LISTING_PEERS peers; undefined when none has it. */
  private async fetchBlock (cid: CID, maxSize: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
    let bytes = await this.deps.localBlock(cid, signal)
    if (bytes === undefined) {
      for (const peer of (await this.deps.peers()).slice(1, 1 + LISTING_PEERS)) {
        try {
          bytes = await new NodeClient(peer.http, { timeoutMs: LISTING_FETCH_TIMEOUT_MS }).getBlock(cid, { signal, maxSize })
          break
        } catch {
          signal.throwIfAborted()
        }
      }
    }
    return bytes
  }

  private async fetchListing (v: VideoInfo, signal: AbortSignal): Promise<ListingDocument> {
    const cid = parseCid(v.listingCid)
    const bytes = await this.fetchBlock(cid, MAX_LISTING_BYTES, signal)
    if (bytes === undefined) throw new P2pdvError(DiscoveryIndexErrorCode.LISTING_UNAVAILABLE, `no node this one knows has listing ${v.listingCid}`)
    const doc = await openListing(cid, bytes)
    // A listing names its creator; only the video's owner may list it (else anyone could dress a
    // video in another creator's signed listing).
    if (!equalBytes(doc.creator, fromHexBytes(v.owner))) {
      throw new P2pdvError(DiscoveryIndexErrorCode.CREATOR_MISMATCH, `the listing of ${v.id} is signed by another account than the video's owner`)
    }
    return doc
  }
}

export function indexedVideo (v: VideoInfo, doc: ListingDocument): IndexedVideo {
  return {
    id: v.id,
    owner: v.owner,
    listingCid: v.listingCid,
    manifestCid: v.manifestCid,
    policy: v.policy as IndexedVideo['policy'],
    rating: v.rating,
    ...(v.price === undefined ? {} : { price: { asset: v.price.asset, amount: v.price.amount.toString(), durationSeconds: v.price.duration.toString() } }),
    registeredAt: Number(v.registeredAt),
    title: doc.title,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    tags: doc.tags,
    durationSeconds: doc.durationSeconds,
    ...(doc.poster === undefined ? {} : { poster: doc.poster.toString() }),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt
  }
}

export function channelProfile (creator: Address, cid: string, doc: ProfileDocument): ChannelProfile {
  return {
    address: creator,
    cid,
    name: doc.name,
    ...(doc.bio === undefined ? {} : { bio: doc.bio }),
    ...(doc.avatar === undefined ? {} : { avatar: doc.avatar.toString() }),
    links: doc.links,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt
  }
}

/**
 * After a failed fetch: true while `key` has tries left and the block was only unavailable (it is
 * tried again next pass); false once it is given up (a bad document, or out of tries).
 */
function retryLater<K> (retries: Map<K, number>, key: K, unavailable: boolean): boolean {
  const left = (retries.get(key) ?? LISTING_RETRIES) - 1
  if (unavailable && left > 0) {
    retries.set(key, left)
    return true
  }
  retries.delete(key)
  return false
}

/**
 * Reads an object's blocks the cheap way first: each data block straight from the node that
 * holds it (known from the placement record, else any node). Parity is decoded only when that
 * fails — the holder is down, has lost the block, serves bad bytes — or is slow: after a hedge
 * delay a second path starts that fetches the stripe's other blocks from other nodes and rebuilds
 * the block, and whichever verified copy arrives first wins. So a dead or slow node costs a
 * reader at most one hedge delay per block, never a timeout. Every rebuilt block is checked
 * against its CID like any fetched one; `get`, `download` and video playback all read through here.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { objectBlocks, verifyBlock, type CID, type Manifest } from '@p2pdv/core'
import { ErasureErrorCode, reconstructStripe } from '@p2pdv/core/erasure'
import { comparePlacement, decodePlacementRecordAsync, MAX_PLACEMENT_BYTES, type PlacementRecord } from '@p2pdv/core/placement'
import type { BlockFetcher } from './block-fetcher.ts'
import type { PeerInfo, PeerSet } from './peers.ts'
import { HotHolders } from './hot-holders.ts'

/** How long a data block may take before the parity path starts beside it. */
export const DEFAULT_HEDGE_MS = 750
export const PLACEMENT_GET_TIMEOUT_MS = 5_000
/**
 * How long a read of an erasure-coded block waits for the object's placement record, if it is
 * still on its way: knowing the holder saves asking every node in turn.
 */
export const PLACEMENT_WAIT_MS = 1_000
/** With a placement record at hand, the nodes are asked for a newer version this much later. */
export const LATER_LOOKUP_MS = 3_000
/** Pause before the second round of a stripe's sources (see decodeStripe). */
export const RETRY_ROUND_PAUSE_MS = 500
/** Decoded stripes kept for their other missing blocks. */
const STRIPE_CACHE = 8

interface StripeRef {
  key: string
  /** The object's manifest CID. */
  object: string
  k: number
  m: number
  /** The stripe's stored blocks: `data` data blocks, then m parity blocks. */
  blocks: Array<{ cid: CID, size: number }>
  data: number
}

export interface ObjectReaderOptions {
  hedgeMs?: number
}

export class ObjectReader {
  private readonly fetcher: BlockFetcher
  private readonly peers: PeerSet
  private readonly hedgeMs: number
  private readonly stripeOf = new Map<string, { stripe: StripeRef, index: number }>()
  private readonly holders = new Map<string, Set<string>>()
  private readonly decoded = new Map<string, Promise<Map<string, Uint8Array>>>()
  private readonly registered = new Set<string>()
  /** Objects whose placement record is being fetched (key: manifest CID). */
  private readonly pendingRecords = new Map<string, Promise<unknown>>()
  /** Extra holders of hot objects' blocks (hot-copy records), and each block's object. */
  private readonly hot: HotHolders
  private readonly objectOf = new Map<string, CID>()
  /** Every node an object's placement record lists (the nodes that may have spread it). */
  private readonly objectHolders = new Map<string, Set<string>>()
  /** Blocks rebuilt from parity (for tests and metrics). */
  rebuilt = 0
  /** Verified bytes and blocks served by a hot copy (a node holding the block only by a hot-copy record). */
  hotCopyBytes = 0
  hotCopyBlocks = 0

  constructor (fetcher: BlockFetcher, peers: PeerSet, options: ObjectReaderOptions = {}) {
    this.fetcher = fetcher
    this.peers = peers
    this.hedgeMs = options.hedgeMs ?? DEFAULT_HEDGE_MS
    this.hot = new HotHolders(fetcher.get, peers)
    // A node whose bytes fail their CID is never asked first for a hot block again.
    fetcher.onRejected(peer => { this.hot.drop(peer) })
  }

  /** The live extra (hot-copy) holders of a block this reader knows. */
  hotHolders (cid: CID): string[] { return this.hot.holders(cid) }

  /** Counts a block served by a hot copy rather than a durable holder. */
  private served (cid: CID, peerId: string, bytes: Uint8Array, durable: ReadonlySet<string> | undefined): void {
    if (durable?.has(peerId) === true || !this.hot.isExtraHolder(cid, peerId)) return
    this.hotCopyBytes += bytes.byteLength
    this.hotCopyBlocks++
  }

  /**
   * Learns an object's stripes (from its manifest) and holders (from its placement record).
   * `record` is the record fetch if the caller started it early (it needs only the manifest CID,
   * so it can run beside the manifest fetch). `early`: a record already at hand (the page's first
   * requests fetched it from the serving node); its holders are used at once, and a newer version
   * from the lookup replaces them.
   */
  async register (manifestCid: CID, manifest: Manifest, signal?: AbortSignal, record?: Promise<PlacementRecord | undefined>, early?: PlacementRecord): Promise<PlacementRecord | undefined> {
    const key = manifestCid.toString()
    if (this.registered.has(key)) return undefined
    this.registered.add(key)
    const e = manifest.erasure
    if (e !== undefined) {
      const blocks = objectBlocks(manifest)
      e.stripes.forEach((s, i) => {
        const data = blocks.slice(i * e.k, (i + 1) * e.k)
        const shard = Math.max(16, Math.ceil(Math.max(...data.map(d => d.size)) / 16) * 16)
        const stripe: StripeRef = { key: `${key}/${i}`, object: key, k: e.k, m: e.m, data: data.length, blocks: [...data, ...s.parity.map(cid => ({ cid, size: shard }))] }
        stripe.blocks.forEach((b, j) => { this.stripeOf.set(b.cid.toString(), { stripe, index: j }) })
      })
    }
    const learn = (r: PlacementRecord): void => {
      const listed = new Set<string>()
      for (const b of [r.manifest, ...r.stripes.flatMap(s => s.blocks)]) {
        this.holders.set(b.cid.toString(), new Set(b.nodes))
        this.objectOf.set(b.cid.toString(), manifestCid)
        for (const n of b.nodes) listed.add(n)
      }
      this.objectHolders.set(key, listed)
      this.lookupHot(manifestCid)
    }
    const usable = (r: PlacementRecord | undefined): r is PlacementRecord => r !== undefined && r.object.equals(manifestCid) && matchesManifest(r, manifest)
    const head = usable(early) ? early : undefined
    if (head !== undefined) learn(head)
    // With a record at hand, the lookup for a newer version (after a repair) waits until the
    // first reads are done instead of competing with them.
    const fetching = record ?? (head === undefined ? this.placementRecord(manifestCid, signal) : this.laterLookup(manifestCid, signal))
    // With a record at hand, reads need not wait for the lookup.
    if (head === undefined) this.pendingRecords.set(key, fetching.catch(() => undefined))
    try {
      const found = await fetching
      if (usable(found) && (head === undefined || comparePlacement(found, head) > 0)) {
        learn(found)
        return found
      }
      return head
    } finally {
      this.pendingRecords.delete(key)
    }
  }

  /** Learns the object's hot copies in the background, from its holders (at most every 30 s). */
  private lookupHot (object: CID): void {
    if (!this.hot.due(object)) return
    const ask = [...this.objectHolders.get(object.toString()) ?? []].map(id => this.peers.get(id)).filter((p): p is PeerInfo => p !== undefined && !this.peers.isBackingOff(p.peerId))
    // No caller signal: one read cancelled must not cancel (and so delay by 30 s) the lookup.
    void this.hot.lookup(object, ask).catch(() => {})
  }

  private async laterLookup (manifestCid: CID, signal?: AbortSignal): Promise<PlacementRecord | undefined> {
    await new Promise(resolve => { setTimeout(resolve, LATER_LOOKUP_MS) })
    return signal?.aborted === true ? undefined : await this.placementRecord(manifestCid, signal)
  }

  /** The latest placement record (`comparePlacement`) any node keeps for the object (undefined if none answers). */
  async placementRecord (manifestCid: CID, signal?: AbortSignal): Promise<PlacementRecord | undefined> {
    const asked = this.peers.ranked().slice(0, 4)
    const best = await this.recordFrom(asked, manifestCid, signal)
    if (best !== undefined || signal?.aborted === true) return best
    // None of the best nodes keeps it (they hold nothing of the object): the holders of the
    // manifest do, and the DHT knows them (nodes announce each object's manifest CID).
    const holders = (await this.fetcher.providers(manifestCid, signal).catch(() => [])).filter(p => !asked.some(a => a.peerId === p.peerId)).slice(0, 4)
    for (const p of holders) this.peers.add(p)
    return await this.recordFrom(holders, manifestCid, signal)
  }

  private async recordFrom (peers: PeerInfo[], manifestCid: CID, signal?: AbortSignal): Promise<PlacementRecord | undefined> {
    let best: PlacementRecord | undefined
    await Promise.all(peers.map(async p => {
      try {
        const timeout = AbortSignal.timeout(PLACEMENT_GET_TIMEOUT_MS)
        // Through the fetcher's reader: node:http in Node, and a record longer than any valid
        // one is refused before it is all read.
        const res = await this.fetcher.get(`${p.http}/api/v1/objects/${manifestCid.toString()}/placement`, MAX_PLACEMENT_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
        if (res.status !== 200 || res.body === undefined) return
        const r = await decodePlacementRecordAsync(res.body)
        if (r.object.toString() === manifestCid.toString() && (best === undefined || comparePlacement(r, best) > 0)) best = r
      } catch {
        // Another node may have it; without any, reads ask every node.
      }
    }))
    return best
  }

  async fetch (cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const pos = this.stripeOf.get(cid.toString())
    const pending = pos === undefined ? undefined : this.pendingRecords.get(pos.stripe.object)
    if (pending !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined
      // The timer is cleared once the record is in, so no read leaves one running behind it.
      await Promise.race([pending, new Promise(resolve => { timer = setTimeout(resolve, PLACEMENT_WAIT_MS) })])
      clearTimeout(timer)
    }
    const durable = this.holders.get(cid.toString())
    const object = this.objectOf.get(cid.toString())
    if (object !== undefined) this.lookupHot(object)
    // Hot copies join the block's holders, and reads spread over all of them (hot-holders.ts).
    const extra = this.hot.holders(cid)
    const prefer = extra.length === 0 ? durable : new Set([...durable ?? [], ...extra])
    const first = extra.length === 0 || prefer === undefined ? undefined : this.hot.pick(cid, prefer)
    const only = prefer !== undefined && prefer.size > 0
    if (pos === undefined) {
      const got = await this.fetcher.fetch(cid, signal, prefer, { only: false, ...(first === undefined ? {} : { first }) })
      this.served(cid, got.peerId, got.bytes, durable)
      return got.bytes
    }
    if (only && [...prefer].every(id => this.peers.isBackingOff(id))) return await this.decode(pos.stripe, cid, signal)
    return await new Promise<Uint8Array>((resolve, reject) => {
      const direct = new AbortController()
      const parity = new AbortController()
      const onAbort = (): void => { direct.abort(); parity.abort() }
      signal?.addEventListener('abort', onAbort, { once: true })
      let settled = false
      let decoding = false
      let directError: unknown
      let decodeError: unknown
      const done = (): void => { settled = true; clearTimeout(timer); signal?.removeEventListener('abort', onAbort) }
      const fail = (): void => {
        if (settled || (decoding && decodeError === undefined) || directError === undefined) return
        done()
        reject(decodeError ?? directError)
      }
      const startDecode = (): void => {
        if (decoding || settled) return
        decoding = true
        this.decode(pos.stripe, cid, parity.signal).then(bytes => {
          if (settled) return
          done()
          direct.abort()
          // The holder was too slow: let it back off so the next reads go around it at once.
          if (prefer !== undefined) for (const id of prefer) this.peers.recordFailure(id)
          resolve(bytes)
        }, err => { decodeError = err; fail() })
      }
      const timer = setTimeout(startDecode, this.hedgeMs)
      this.fetcher.fetch(cid, direct.signal, prefer, { only, ...(first === undefined ? {} : { first }) }).then(b => {
        if (settled) return
        done()
        parity.abort()
        this.served(cid, b.peerId, b.bytes, durable)
        resolve(b.bytes)
      }, err => {
        directError = err
        if (signal?.aborted === true) { if (!settled) { done(); reject(err) } return }
        if (!decoding) startDecode()
        else fail()
      })
    })
  }

  /** Rebuilds `target` from any `data` other blocks of its stripe (fetched without hedging). */
  private async decode (stripe: StripeRef, target: CID, signal?: AbortSignal): Promise<Uint8Array> {
    let pending = this.decoded.get(stripe.key)
    if (pending === undefined) {
      pending = this.decodeStripe(stripe, target, signal)
      this.decoded.set(stripe.key, pending)
      pending.catch(() => { this.decoded.delete(stripe.key) })
      if (this.decoded.size > STRIPE_CACHE) this.decoded.delete(this.decoded.keys().next().value!)
    }
    let blocks = await pending
    let bytes = blocks.get(target.toString())
    if (bytes === undefined) {
      // A cached decode of this stripe that had this block as a source (it was present then).
      this.decoded.delete(stripe.key)
      blocks = await this.decodeStripe(stripe, target, signal)
      bytes = blocks.get(target.toString())!
    }
    this.rebuilt++
    return bytes
  }

  private async decodeStripe (stripe: StripeRef, target: CID, signal?: AbortSignal): Promise<Map<string, Uint8Array>> {
    const shardOf = (i: number): number => i < stripe.data ? i : stripe.k + (i - stripe.data)
    const targetIndex = stripe.blocks.findIndex(b => b.cid.equals(target))
    // Sources: the others, nodes not backing off first, data before parity.
    const others = stripe.blocks.map((b, i) => ({ b, i })).filter(x => x.i !== targetIndex)
    const healthy = (i: number): boolean => [...(this.holders.get(stripe.blocks[i]!.cid.toString()) ?? [])].some(id => !this.peers.isBackingOff(id))
    others.sort((a, b) => Number(healthy(b.i)) - Number(healthy(a.i)) || a.i - b.i)
    const shards: Array<Uint8Array | undefined> = Array(stripe.k + stripe.m).fill(undefined)
    let got = 0
    const reasons: string[] = []
    const round = async (sources: typeof others, anyNode: boolean): Promise<void> => {
      let next = 0
      const worker = async (): Promise<void> => {
        while (got < stripe.data && next < sources.length) {
          const { b, i } = sources[next++]!
          const prefer = this.holders.get(b.cid.toString())
          try {
            const { bytes } = await this.fetcher.fetch(b.cid, signal, prefer, { only: !anyNode && prefer !== undefined && prefer.size > 0 })
            if (got < stripe.data) { shards[shardOf(i)] = bytes; got++ }
          } catch (err) {
            if (signal?.aborted === true) throw err
            reasons.push(err instanceof P2pdvError ? err.code : String(err))
          }
        }
      }
      await Promise.all(Array.from({ length: stripe.data }, worker))
    }
    await round(others, false)
    if (got < stripe.data && signal?.aborted !== true) {
      // One more round for the blocks that failed, after a pause, from any node: a busy or
      // restarting holder may answer now, and repair may have moved a block since the record was read.
      await new Promise(resolve => { setTimeout(resolve, RETRY_ROUND_PAUSE_MS) })
      signal?.throwIfAborted()
      await round(others.filter(x => shards[shardOf(x.i)] === undefined), true)
    }
    if (got < stripe.data) {
      throw new P2pdvError(ErasureErrorCode.TOO_FEW_SHARDS, `block ${target.toString()} is unavailable and only ${got} of the ${stripe.data} other blocks its stripe needs could be fetched`, {
        hint: 'Too many nodes holding this object are down. Bring nodes back (repair then restores redundancy) and retry.',
        details: { cid: target.toString(), attempts: reasons.slice(0, 16) }
      })
    }
    const missing = stripe.blocks.map((_, i) => i).filter(i => shards[shardOf(i)] === undefined)
    const rebuilt = reconstructStripe({ k: stripe.k, m: stripe.m }, shards, stripe.blocks.slice(0, stripe.data).map(b => b.size), missing.map(shardOf))
    const out = new Map<string, Uint8Array>()
    // verifyBlock hashes with node:crypto in Node and WebCrypto in browsers (the player reads here too).
    await Promise.all(missing.map(async (i, j) => {
      const b = stripe.blocks[i]!
      const bytes = rebuilt[j]!
      try {
        await verifyBlock(b.cid, bytes)
      } catch {
        throw new P2pdvError('ERR_BLOCK_HASH_MISMATCH', `a block rebuilt from parity does not match ${b.cid.toString()}`, { hint: 'The object was written by a faulty client.' })
      }
      out.set(b.cid.toString(), bytes)
    }))
    return out
  }
}

/** A record is used only if it names exactly the manifest's blocks (readers hold the key; nodes do not). */
export function matchesManifest (record: PlacementRecord, manifest: Manifest): boolean {
  const blocks = objectBlocks(manifest)
  if (manifest.erasure === undefined) {
    return record.scheme.type === 'replicas' && record.stripes.length === blocks.length && record.stripes.every((s, i) => s.blocks[0]!.cid.equals(blocks[i]!.cid))
  }
  const e = manifest.erasure
  if (record.scheme.type !== 'rs' || record.scheme.k !== e.k || record.scheme.m !== e.m || record.stripes.length !== e.stripes.length) return false
  return record.stripes.every((s, i) => {
    const data = blocks.slice(i * e.k, (i + 1) * e.k)
    return s.data === data.length && s.blocks.every((b, j) => b.cid.equals(j < data.length ? data[j]!.cid : e.stripes[i]!.parity[j - data.length]!))
  })
}

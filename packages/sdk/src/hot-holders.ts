/**
 * Extra holders of hot objects (issue 16): nodes that took temporary copies of a much-watched
 * object's blocks publish node-signed hot-copy records (`GET /api/v1/objects/<cid>/hot` on the
 * object's holders). A reader learns them, and spreads its reads of those blocks over all
 * holders — the durable ones and the hot copies — instead of sending every read to the fastest
 * node. A record is only a hint: its signature is checked so junk is dropped early, but every
 * block is verified by its CID as always, so a lying record costs at most a 404 and the next node.
 * Only nodes the reader already knows (its peer set) are asked: a record names peer ids, never
 * addresses, so it cannot send readers anywhere new. A node whose bytes failed their CID is
 * dropped as an extra holder for the reader's session: no record brings it back.
 */
import { decodeHotCopyRecordAsync, hotCopyLive, MAX_HOT_COPY_BYTES } from '@p2pdv/core/placement'
import type { CID } from '@p2pdv/core'
import type { GetBlock } from './block-fetcher.ts'
import type { PeerInfo, PeerSet } from './peers.ts'

/** An object's hot-copy records are looked up again at most this often while it is read. */
export const HOT_LOOKUP_INTERVAL_MS = 30_000
const HOT_LOOKUP_TIMEOUT_MS = 5_000
/** Nodes asked per lookup. */
const HOT_LOOKUP_NODES = 4
/** Records read per node (the node lists at most 16), and the listing's size. */
const MAX_RECORDS = 16
const MAX_LISTING_BYTES = MAX_RECORDS * Math.ceil(MAX_HOT_COPY_BYTES / 3) * 4 + 1024
/** Blocks with extra holders remembered, at most (beyond: the oldest object's are forgotten). */
const MAX_HOT_BLOCKS = 16_384
const MAX_OBJECTS = 1024
/** Nodes dropped at most (a reader knows a bounded peer set; beyond, backoff still applies). */
const MAX_DROPPED = 1024

export class HotHolders {
  private readonly get: GetBlock
  private readonly peers: PeerSet
  /** Block CID → extra holders (peer ids) with when their record expires. */
  private readonly extra = new Map<string, Map<string, number>>()
  private readonly lookedUp = new Map<string, number>()
  /** Nodes that served bytes failing their CID: never used as extra holders again. */
  private readonly dropped = new Set<string>()
  /** Per reader, so concurrent viewers of one block do not all pick the same holder. */
  private readonly salt = Math.floor(Math.random() * 2 ** 32)

  constructor (get: GetBlock, peers: PeerSet) {
    this.get = get
    this.peers = peers
  }

  /** Whether the object's records are due to be looked up (never, or not recently). */
  due (object: CID, now = Date.now()): boolean {
    const last = this.lookedUp.get(object.toString())
    return last === undefined || now - last >= HOT_LOOKUP_INTERVAL_MS
  }

  /** Asks `ask` (an object's holders) for its hot-copy records, unless asked recently. */
  async lookup (object: CID, ask: PeerInfo[], signal?: AbortSignal, now = Date.now()): Promise<void> {
    const key = object.toString()
    if (!this.due(object, now)) return
    this.lookedUp.set(key, now)
    while (this.lookedUp.size > MAX_OBJECTS) this.lookedUp.delete(this.lookedUp.keys().next().value!)
    await Promise.all(ask.slice(0, HOT_LOOKUP_NODES).map(async p => {
      try {
        const timeout = AbortSignal.timeout(HOT_LOOKUP_TIMEOUT_MS)
        const res = await this.get(`${p.http}/api/v1/objects/${key}/hot`, MAX_LISTING_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
        if (res.status !== 200 || res.body === undefined) return
        const body = JSON.parse(new TextDecoder().decode(res.body)) as { records?: unknown }
        if (!Array.isArray(body.records)) return
        for (const text of body.records.slice(0, MAX_RECORDS)) {
          if (typeof text !== 'string') continue
          try {
            const r = await decodeHotCopyRecordAsync(Uint8Array.from(atob(text), c => c.charCodeAt(0)))
            if (r.object.toString() !== key) continue
            for (const b of r.blocks) {
              const holders = this.extra.get(b.cid.toString()) ?? new Map<string, number>()
              // A cold (or expired) record removes what an earlier version of it added.
              for (const n of b.nodes) { if (hotCopyLive(r, now) && !this.dropped.has(n)) holders.set(n, r.expires); else holders.delete(n) }
              this.remember(b.cid.toString(), holders)
            }
          } catch {
            // A record that does not verify is ignored.
          }
        }
      } catch {
        // A node that cannot answer just adds no holders.
      }
    }))
  }

  /** `peer` sent bytes that failed their CID: it is no extra holder of anything, for good. */
  drop (peer: string): void {
    if (this.dropped.size >= MAX_DROPPED) return
    this.dropped.add(peer)
  }

  /** Whether `peer` holds a live hot copy of `cid` (and is not dropped). */
  isExtraHolder (cid: CID, peer: string, now = Date.now()): boolean {
    const expires = this.extra.get(cid.toString())?.get(peer)
    return expires !== undefined && expires > now && !this.dropped.has(peer)
  }

  /** Live extra holders of a block the reader knows how to reach. */
  holders (cid: CID, now = Date.now()): string[] {
    const h = this.extra.get(cid.toString())
    if (h === undefined) return []
    return [...h].filter(([id, expires]) => expires > now && !this.dropped.has(id) && this.peers.get(id) !== undefined).map(([id]) => id)
  }

  /**
   * The holder to ask first for a block with extra holders: a rendezvous pick (per reader) over
   * those not backing off, so reads spread evenly over every copy.
   */
  pick (cid: CID, holders: Iterable<string>): string | undefined {
    let best: string | undefined
    let bestScore = -1
    for (const id of holders) {
      if (this.peers.isBackingOff(id) || this.dropped.has(id) || this.peers.get(id) === undefined) continue
      const s = score(`${this.salt}/${cid.toString()}/${id}`)
      if (s > bestScore) { bestScore = s; best = id }
    }
    return best
  }

  private remember (cid: string, holders: Map<string, number>): void {
    if (holders.size === 0) { this.extra.delete(cid); return }
    this.extra.delete(cid)
    this.extra.set(cid, holders)
    while (this.extra.size > MAX_HOT_BLOCKS) this.extra.delete(this.extra.keys().next().value!)
  }
}

/** FNV-1a: a fast, well-spread 32-bit hash (no security needed: it only spreads load). */
function score (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0 }
  return h
}

/**
 * The hot-copy records this node knows: the ones it signed (it spread an object) and the ones
 * other nodes sent it (it holds their temporary copies). In memory only: after a restart the
 * copies are no longer claimed and the unclaimed collector deletes them after its grace.
 *
 * Receiving side rules (hostile senders in mind):
 * - a record must verify (signature, limits) and be newer than the one held for its signer;
 * - every block it places here must already be stored here (the sender PUT it, with a receipt);
 * - the copies of all records together stay within `shareBytes` (the operator's disk share for
 *   hot copies), and one signer's within `perSignerShare` of it. Room is made by dropping the
 *   least recently served records of other signers; what still does not fit is refused with
 *   ERR_HOT_SHARE_FULL;
 * - a block a placement record assigns here (`durable`) is never counted nor deleted as a hot copy.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { decodeHotCopyRecord, HotCopyErrorCode, type HotCopyRecord } from '@p2pdv/core/placement'

export const HotCopyStoreErrorCode = {
  NOT_HELD: 'ERR_HOT_COPY_NOT_HELD',
  SHARE_FULL: 'ERR_HOT_SHARE_FULL'
} as const

/** Records from other nodes kept at most. */
export const MAX_HELD_HOT_RECORDS = 1024
/** One signer's copies take at most this share of `shareBytes`. */
export const DEFAULT_PER_SIGNER_SHARE = 0.5
/** Records returned per object (`GET /api/v1/objects/<cid>/hot`). */
export const MAX_HOT_RECORDS_LISTED = 16

export interface HotCopyStoreDeps {
  peerId: string
  shareBytes: number
  perSignerShare?: number
  has: (cid: CID) => Promise<boolean>
  delete: (cid: CID) => Promise<void>
  /** Whether a placement record assigns the block to this node (then it is no hot copy). */
  durable: (cid: CID) => boolean
  now?: () => number
  log: Logger
}

interface Held {
  record: HotCopyRecord
  bytes: Uint8Array
  signer: string
  /** Blocks this record placed here (not durable ones), with their sizes. */
  mine: Map<string, { cid: CID, size: number }>
  size: number
  lastUsed: number
}

export interface HotStoreStats {
  heldRecords: number
  heldBytes: number
  evicted: number
  refused: number
}

export class HotCopyStore {
  private readonly deps: HotCopyStoreDeps
  private readonly now: () => number
  private readonly held = new Map<string, Held>()
  /** CID → keys of held records placing it here. */
  private readonly byCid = new Map<string, Set<string>>()
  private readonly own = new Map<string, { record: HotCopyRecord, bytes: Uint8Array }>()
  private lock: Promise<unknown> = Promise.resolve()
  readonly stats: HotStoreStats = { heldRecords: 0, heldBytes: 0, evicted: 0, refused: 0 }

  constructor (deps: HotCopyStoreDeps) {
    this.deps = deps
    this.now = deps.now ?? Date.now
  }

  /** Whether a held hot copy claims this block (the unclaimed collector leaves it). */
  claims (cid: CID): boolean { return this.byCid.has(cid.toString()) }

  /** A hot copy was served: its record is the most recently used. */
  touch (cid: CID | string): void {
    for (const key of this.byCid.get(cid.toString()) ?? []) { const h = this.held.get(key); if (h !== undefined) h.lastUsed = this.now() }
  }

  /** Records this node signed or holds copies for, of one object (encoded), own first. */
  recordsFor (object: string): Uint8Array[] {
    const out: Uint8Array[] = []
    const mine = this.own.get(object)
    if (mine !== undefined) out.push(mine.bytes)
    for (const h of this.held.values()) if (h.record.object.toString() === object) out.push(h.bytes)
    return out.slice(0, MAX_HOT_RECORDS_LISTED)
  }

  ownRecord (object: string): HotCopyRecord | undefined { return this.own.get(object)?.record }

  /** Keeps a record this node signed (shown to readers; never counted against the share). */
  publish (record: HotCopyRecord, bytes: Uint8Array): void { this.own.set(record.object.toString(), { record, bytes }) }

  /** Validates and keeps another node's record; deletes the copies it no longer places here. */
  async put (bytes: Uint8Array): Promise<{ version: number, stored: boolean }> {
    const run = async (): Promise<{ version: number, stored: boolean }> => {
      const record = decodeHotCopyRecord(bytes)
      const signer = peerIdFromPublicKey(publicKeyFromRaw(record.signer)).toString()
      const key = `${record.object.toString()}/${signer}`
      const current = this.held.get(key)
      if (current !== undefined && record.version <= current.record.version) {
        if (record.version === current.record.version && Buffer.from(record.sig).equals(Buffer.from(current.record.sig))) return { version: record.version, stored: false }
        throw new P2pdvError(HotCopyErrorCode.STALE, `this node holds version ${current.record.version} of the record; send a later one`)
      }
      if (current === undefined && this.held.size >= MAX_HELD_HOT_RECORDS) this.refuse(`this node holds ${MAX_HELD_HOT_RECORDS} hot-copy records already`)
      const mine = new Map<string, { cid: CID, size: number }>()
      if (record.state === 'hot' && record.expires > this.now()) {
        for (const b of record.blocks) {
          if (!b.nodes.includes(this.deps.peerId)) continue
          // Checked before durability: a block a placement record assigns here but repair has not
          // brought yet is not here either, and a record must not claim it.
          if (!await this.deps.has(b.cid)) throw new P2pdvError(HotCopyStoreErrorCode.NOT_HELD, `block ${b.cid.toString()} is placed here by the record but not stored here`)
          // A durable block is the placement record's: never counted (nor deleted) as a hot copy.
          if (this.deps.durable(b.cid)) continue
          mine.set(b.cid.toString(), { cid: b.cid, size: b.size })
        }
      }
      const size = [...mine.values()].reduce((n, b) => n + b.size, 0)
      const bySigner = [...this.held.values()].filter(h => h.signer === signer && h !== current).reduce((n, h) => n + h.size, 0)
      if (bySigner + size > this.deps.shareBytes * (this.deps.perSignerShare ?? DEFAULT_PER_SIGNER_SHARE)) this.refuse('the signer\'s part of this node\'s hot-copy share is used')
      if (size > this.deps.shareBytes) this.refuse('the copies are larger than this node\'s whole hot-copy share')
      await this.makeRoom(size - (current?.size ?? 0), signer)
      const next: Held = { record, bytes, signer, mine, size, lastUsed: current?.lastUsed ?? this.now() }
      this.held.set(key, next)
      for (const k of mine.keys()) { let s = this.byCid.get(k); if (s === undefined) this.byCid.set(k, s = new Set()); s.add(key) }
      if (current !== undefined) await this.release(key, current, mine)
      this.count()
      return { version: record.version, stored: true }
    }
    const p = this.lock.then(run, run)
    this.lock = p.catch(() => {})
    return await p
  }

  /** Drops expired records (theirs and this node's own) and deletes their copies. */
  async expire (): Promise<void> {
    const now = this.now()
    for (const [object, o] of this.own) if (o.record.expires <= now) this.own.delete(object)
    const run = async (): Promise<void> => {
      for (const [key, h] of [...this.held]) {
        if (h.record.expires > now) continue
        this.held.delete(key)
        await this.release(key, h, new Map())
      }
      this.count()
    }
    const p = this.lock.then(run, run)
    this.lock = p.catch(() => {})
    await p
  }

  private refuse (why: string): never {
    this.stats.refused++
    throw new P2pdvError(HotCopyStoreErrorCode.SHARE_FULL, why)
  }

  /** Drops the least recently served records of other signers until `need` more bytes fit. */
  private async makeRoom (need: number, signer: string): Promise<void> {
    let used = this.used()
    if (used + need <= this.deps.shareBytes) return
    const victims = [...this.held].filter(([, h]) => h.signer !== signer && h.size > 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed)
    const chosen: Array<[string, Held]> = []
    for (const v of victims) {
      if (used + need <= this.deps.shareBytes) break
      chosen.push(v)
      used -= v[1].size
    }
    if (used + need > this.deps.shareBytes) this.refuse('this node\'s hot-copy share is used')
    for (const [key, h] of chosen) {
      this.held.delete(key)
      await this.release(key, h, new Map())
      this.stats.evicted++
      this.deps.log.info({ object: h.record.object.toString(), signer: h.signer, bytes: h.size }, 'evicted the least recently served hot copies to make room')
    }
  }

  /** Forgets `h`'s claims except those in `keep` and deletes blocks nothing else claims. */
  private async release (key: string, h: Held, keep: ReadonlyMap<string, unknown>): Promise<void> {
    for (const [k, b] of h.mine) {
      if (keep.has(k)) continue
      const s = this.byCid.get(k)
      s?.delete(key)
      if (s !== undefined && s.size > 0) continue
      this.byCid.delete(k)
      if (this.deps.durable(b.cid)) continue
      try { await this.deps.delete(b.cid) } catch (err) { this.deps.log.warn({ err, cid: k }, 'could not delete a dropped hot copy') }
    }
  }

  private used (): number { let n = 0; for (const h of this.held.values()) n += h.size; return n }

  private count (): void {
    this.stats.heldRecords = this.held.size
    this.stats.heldBytes = this.used()
  }
}

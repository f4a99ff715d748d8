/**
 * Which CIDs this node announces on the DHT. With `roots` (the default, like kubo's
 * `Reprovider.Strategy = "roots"`) it announces the object: the manifest CID of every object it
 * keeps a placement record for and holds the manifest of. The other blocks of such an object
 * need no DHT entry of their own: readers learn their holders from the placement record, and the
 * node's delegated routing endpoint (`/routing/v1/providers/<cid>`) answers for them from the
 * records it keeps. A stored block that no record covers within `graceMs` (a bare PUT, or a
 * record that was refused) is announced by itself, so every stored block stays findable.
 *
 * Why: a DHT provide is a closest-peers walk plus an ADD_PROVIDER stream per close peer. Measured
 * on the 3-node devnet, announcing the 257 blocks of a 256 MiB put cost each node about 3 s of
 * CPU in the seconds after the put, more than storing the blocks; with roots it is one provide
 * per object per holder of its manifest. `all` keeps the old behaviour: every block, as stored.
 */
import type { CID } from 'multiformats/cid'
import { placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'

export type AnnounceStrategy = 'roots' | 'all'
export const ANNOUNCE_STRATEGIES: readonly AnnounceStrategy[] = ['roots', 'all']

/**
 * How long a block may wait for a placement record to cover it. The uploader sends the record
 * after the last block's receipt, so this bounds the longest upload whose first blocks are not
 * announced on their own: 15 min is a 36 GB object at 40 MB/s.
 */
export const ANNOUNCE_GRACE_MS = 15 * 60_000
/** Blocks waiting for a record, at most (the oldest is announced early past this). */
export const MAX_UNCOVERED = 100_000

export interface AnnouncerDeps {
  strategy: AnnounceStrategy
  /** Queues a CID for announcement (the provide queue paces them). */
  announce: (cid: CID) => void
  /** Whether a placement record this node keeps lists the block. */
  covered: (cid: CID) => boolean
  /** Whether this node stores the block. */
  has: (cid: CID) => Promise<boolean>
  graceMs?: number
  now?: () => number
}

export class Announcer {
  private readonly deps: AnnouncerDeps
  private readonly graceMs: number
  private readonly now: () => number
  /** Stored blocks no record covered yet, oldest first (Map keeps insertion order). */
  private readonly uncovered = new Map<string, { cid: CID, at: number }>()
  private timer: NodeJS.Timeout | undefined

  constructor (deps: AnnouncerDeps) {
    this.deps = deps
    this.graceMs = deps.graceMs ?? ANNOUNCE_GRACE_MS
    this.now = deps.now ?? Date.now
  }

  /** Blocks waiting for a placement record. */
  get waiting (): number {
    return this.uncovered.size
  }

  /** A block was stored. */
  stored (cid: CID): void {
    if (this.deps.strategy === 'all') { this.deps.announce(cid); return }
    if (this.deps.covered(cid)) return
    const key = cid.toString()
    if (this.uncovered.has(key)) return
    if (this.uncovered.size >= MAX_UNCOVERED) this.release(this.uncovered.keys().next().value as string)
    this.uncovered.set(key, { cid, at: this.now() })
    this.schedule()
  }

  /** A placement record was kept: its blocks are covered, and the object is announced if held here. */
  async kept (record: PlacementRecord): Promise<void> {
    if (this.deps.strategy === 'all') return
    for (const { block } of placementBlocks(record)) this.uncovered.delete(block.cid.toString())
    if (await this.deps.has(record.object)) this.deps.announce(record.object)
  }

  /** Announces every block whose grace has run out (no record came to cover it). */
  sweep (): void {
    const cutoff = this.now() - this.graceMs
    for (const [key, { at }] of this.uncovered) {
      if (at > cutoff) break
      this.release(key)
    }
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.uncovered.clear()
  }

  /** Blocks still here are covered by no record: kept() takes out the ones a record covers. */
  private release (key: string): void {
    const entry = this.uncovered.get(key)
    this.uncovered.delete(key)
    if (entry !== undefined) this.deps.announce(entry.cid)
  }

  private schedule (): void {
    if (this.timer !== undefined) return
    const oldest = this.uncovered.values().next().value
    if (oldest === undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.sweep()
      this.schedule()
    }, Math.max(1, oldest.at + this.graceMs - this.now()))
    this.timer.unref()
  }
}

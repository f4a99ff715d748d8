/**
 * Collection of unclaimed blocks: a block that no placement record this node keeps lists within
 * the grace period after it was stored is deleted, and its bytes are given back to the identity
 * that uploaded it. An honest uploader sends the record right after its last receipt (public
 * blocks — listings, posters, envelopes — get a record too), so only abandoned uploads and junk
 * are collected: nobody can fill a node's disk for good with blocks nothing refers to.
 *
 * The clock starts when the block is stored; blocks found on disk at start-up that no record
 * lists start it then (a restart only delays their collection). Right before deleting, the record
 * index is asked again, so a record that arrived in the meantime keeps the block.
 */
import type { CID } from 'multiformats/cid'
import { placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'

/** How long a stored block may wait for a placement record that lists it (`--unclaimed-grace`). */
export const DEFAULT_UNCLAIMED_GRACE_MS = 60 * 60_000

export interface UnclaimedDeps {
  graceMs: number
  /** Whether a kept placement record lists the block. */
  claimed: (cid: CID) => boolean
  delete: (cid: CID) => Promise<void>
  /** A block was collected (with the identity it was charged to, if known). */
  onCollected?: (cid: CID, size: number, identity: string | undefined) => void
  now?: () => number
}

interface Waiting { cid: CID, at: number, size: number, identity: string | undefined }

export class UnclaimedCollector {
  private readonly deps: UnclaimedDeps
  private readonly now: () => number
  /** Oldest first (Map keeps insertion order). */
  private readonly waiting = new Map<string, Waiting>()
  private timer: NodeJS.Timeout | undefined
  private sweeping: Promise<void> | undefined
  private stopped = false
  readonly stats = { collected: 0, bytesFreed: 0 }

  constructor (deps: UnclaimedDeps) {
    this.deps = deps
    this.now = deps.now ?? Date.now
  }

  /** Blocks waiting for a record. */
  get pending (): number { return this.waiting.size }

  /** A block was stored (or found on disk at start) and may still be unclaimed. */
  stored (cid: CID, size: number, identity?: string): void {
    if (this.deps.claimed(cid)) return
    const key = cid.toString()
    if (this.waiting.has(key)) return
    this.waiting.set(key, { cid, at: this.now(), size, identity })
    this.schedule()
  }

  /** A record was kept: its blocks are claimed. */
  kept (record: PlacementRecord): void {
    for (const { block } of placementBlocks(record)) this.waiting.delete(block.cid.toString())
  }

  /** Deletes every block whose grace ran out with no record listing it; returns them. */
  async sweep (): Promise<CID[]> {
    const cutoff = this.now() - this.deps.graceMs
    const collected: CID[] = []
    for (const [key, w] of [...this.waiting]) {
      if (w.at > cutoff || this.stopped) break
      this.waiting.delete(key)
      if (this.deps.claimed(w.cid)) continue
      try {
        await this.deps.delete(w.cid)
      } catch {
        // Gone already, or the disk refused: nothing to give back now.
        continue
      }
      collected.push(w.cid)
      this.stats.collected++
      this.stats.bytesFreed += w.size
      this.deps.onCollected?.(w.cid, w.size, w.identity)
    }
    return collected
  }

  /**
   * No more sweeps; resolves once a running one has ended (it ends after the block it is deleting),
   * so the blockstore can be closed right after. The wake-up is timed by the oldest waiting block,
   * not a fixed interval, which is why this is not a PeriodicTask.
   */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.sweeping
  }

  private schedule (): void {
    if (this.timer !== undefined || this.stopped) return
    const oldest = this.waiting.values().next().value
    if (oldest === undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.sweeping = this.sweep().then(() => {}, () => {}).finally(() => {
        this.sweeping = undefined
        this.schedule()
      })
    }, Math.max(1, oldest.at + this.deps.graceMs - this.now()))
    this.timer.unref()
  }
}

/**
 * Garbage collection of blocks a node no longer has to keep. Repair moves blocks: a node that
 * was slow or briefly gone is dropped from a newer placement record, yet still has the blocks on
 * disk. This collector lets the node delete such a block — and nothing else:
 *
 * 1. Some placement record this node keeps names the block (the node knows what it is). Blocks no
 *    record names are never touched: uploads in progress, objects whose record never arrived.
 * 2. No record this node keeps assigns the block to this node (a block two records share stays if
 *    either assigns it here).
 * 3. That has been so, without a break, for the grace period (default a day), so a record that
 *    flips back and forth or an update still on its way changes nothing.
 * 4. Right before deleting, every holder that the records list for the block answers that it has
 *    it (HEAD, right size), and there is at least one. Placement updates after version 1 may be
 *    signed by any node (see docs/threat-model.md), so a record alone is never trusted to delete
 *    data: deleting this copy must leave the block exactly as redundant as the record says.
 *    A holder that says no or does not answer keeps the block here.
 *
 * The clock of (3) lives in memory: a restart starts it again, which only delays deletion.
 */
import type { CID } from 'multiformats/cid'
import { placementBlocks, type BlockPlacement, type PlacementRecord } from '@p2pdv/core/placement'

/** How long a block must have been assigned elsewhere before this node deletes its copy. */
export const DEFAULT_GC_GRACE_MS = 24 * 60 * 60 * 1000

export interface GcDeps {
  peerId: string
  graceMs: number
  records: () => PlacementRecord[]
  has: (cid: CID) => Promise<boolean>
  delete: (cid: CID) => Promise<void>
  now?: () => number
}

/** Whether another node holds the block: 'unknown' when it did not answer. */
export type HoldsProbe = (block: BlockPlacement, peerId: string) => Promise<'yes' | 'no' | 'unknown'>

export interface GcStats {
  /** Blocks held here that no kept record assigns here (waiting out the grace period or checks). */
  unassigned: number
  deleted: number
  bytesFreed: number
  /** Deletions refused because a listed holder did not confirm its copy. */
  keptUnconfirmed: number
}

export class GarbageCollector {
  private readonly deps: GcDeps
  /** CID → when this node first saw it held here but assigned elsewhere. */
  private readonly since = new Map<string, number>()
  readonly stats: GcStats = { unassigned: 0, deleted: 0, bytesFreed: 0, keptUnconfirmed: 0 }

  constructor (deps: GcDeps) { this.deps = deps }

  /** One scan; returns the CIDs deleted. */
  async pass (holds: HoldsProbe, signal?: AbortSignal): Promise<CID[]> {
    const now = (this.deps.now ?? Date.now)()
    const assigned = new Set<string>()
    const named = new Map<string, { cid: CID, listings: BlockPlacement[] }>()
    for (const record of this.deps.records()) {
      for (const { block } of placementBlocks(record)) {
        const key = block.cid.toString()
        if (block.nodes.includes(this.deps.peerId)) assigned.add(key)
        const entry = named.get(key) ?? { cid: block.cid, listings: [] }
        entry.listings.push(block)
        named.set(key, entry)
      }
    }
    for (const key of this.since.keys()) if (!named.has(key) || assigned.has(key)) this.since.delete(key)
    const deleted: CID[] = []
    let unassigned = 0
    for (const [key, { cid, listings }] of named) {
      if (signal?.aborted === true) break
      if (assigned.has(key)) continue
      if (!await this.deps.has(cid)) { this.since.delete(key); continue }
      unassigned++
      const first = this.since.get(key) ?? now
      this.since.set(key, first)
      if (now - first < this.deps.graceMs) continue
      if (!await this.confirmedElsewhere(listings, holds)) { this.stats.keptUnconfirmed++; continue }
      await this.deps.delete(cid)
      this.since.delete(key)
      unassigned--
      deleted.push(cid)
      this.stats.deleted++
      this.stats.bytesFreed += listings[0]!.size
    }
    this.stats.unassigned = unassigned
    return deleted
  }

  /** Every holder any record lists for the block has it, and there is at least one. */
  private async confirmedElsewhere (listings: BlockPlacement[], holds: HoldsProbe): Promise<boolean> {
    const holders = new Set(listings.flatMap(b => b.nodes).filter(id => id !== this.deps.peerId))
    if (holders.size === 0) return false
    for (const id of holders) {
      if (await holds(listings[0]!, id) !== 'yes') return false
    }
    return true
  }
}

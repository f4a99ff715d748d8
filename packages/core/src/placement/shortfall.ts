/**
 * How far an object's placement falls short of its scheme, from the holder lists alone (no
 * probes): what `check` reports as under-replicated and what repair must raise. A replicated block
 * (and every object's manifest block) wants its copies on distinct nodes; an erasure stripe wants
 * each of its k + m blocks on a node of its own, since a node that holds two of them takes two
 * with it when it goes. A write with `--allow-degraded` may be short in both ways.
 */
import type { PlacementRecord } from './record.ts'

export interface StripeShortfall {
  /** -1: the manifest block; else the stripe's index. */
  stripe: number
  /** Distinct nodes wanted: copies of the block, or one per block of an erasure stripe. */
  want: number
  /** Distinct nodes got: holders of the block, or the most blocks of the stripe on pairwise distinct nodes. */
  have: number
  /**
   * Erasure stripes: blocks (indices in the stripe) that still have holders but no node of their
   * own: each needs a copy on a node no other block of the stripe uses. Blocks with no holder at
   * all are not listed: they are lost and must be rebuilt from parity.
   */
  crowded: number[]
}

/**
 * The most blocks that sit on pairwise distinct nodes (a maximum matching of blocks to their
 * holders, by augmenting paths: a stripe has at most a few hundred blocks), and the blocks with
 * holders left out of it.
 */
export function stripeSpread (holders: ReadonlyArray<readonly string[]>): { have: number, crowded: number[] } {
  const owner = new Map<string, number>()
  const claim = (block: number, seen: Set<string>): boolean => {
    for (const node of holders[block]!) {
      if (seen.has(node)) continue
      seen.add(node)
      const other = owner.get(node)
      if (other === undefined || claim(other, seen)) { owner.set(node, block); return true }
    }
    return false
  }
  const crowded: number[] = []
  let have = 0
  holders.forEach((h, i) => {
    if (claim(i, new Set())) have++
    else if (h.length > 0) crowded.push(i)
  })
  return { have, crowded }
}

/** Every stripe (and the manifest) whose holders are fewer than its scheme wants; empty when the placement is whole. */
export function placementShortfall (r: Pick<PlacementRecord, 'scheme' | 'manifest' | 'stripes'>): StripeShortfall[] {
  const copies = r.scheme.type === 'rs' ? r.scheme.m + 1 : r.scheme.replicas
  const out: StripeShortfall[] = []
  if (r.manifest.nodes.length < copies) out.push({ stripe: -1, want: copies, have: r.manifest.nodes.length, crowded: [] })
  r.stripes.forEach((s, i) => {
    if (r.scheme.type === 'replicas') {
      const have = s.blocks[0]!.nodes.length
      if (have < copies) out.push({ stripe: i, want: copies, have, crowded: [] })
      return
    }
    const { have, crowded } = stripeSpread(s.blocks.map(b => b.nodes))
    if (have < s.blocks.length) out.push({ stripe: i, want: s.blocks.length, have, crowded })
  })
  return out
}

/**
 * Choosing nodes for the blocks of a stripe: weighted rendezvous hashing. Each (key, node) pair
 * hashes to u in (0, 1) and scores −weight / ln(u); nodes are taken best score first. Every client
 * and repair worker computes the same order without coordination, a node's share of new blocks is
 * proportional to its weight, and adding or removing a node moves only what it wins or held.
 *
 * weight = reputation score × free capacity relative to the roomiest candidate. Nodes below
 * MIN_PLACEMENT_SCORE get no new blocks. When nodes declare failure domains (zones), a stripe
 * takes nodes from distinct zones first and reuses a zone only when none is left.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { NEW_NODE_SCORE, PLACEMENT_MIN_SCORE } from '../reputation.ts'

/** Score of a node no auditor has scored: what an auditor gives a node it has no verdict on yet. */
export const NEUTRAL_SCORE = NEW_NODE_SCORE
/** Nodes scored below this by an auditor get no new blocks (one constant, in core/reputation.ts). */
export const MIN_PLACEMENT_SCORE = PLACEMENT_MIN_SCORE

export interface PlacementCandidate {
  peerId: string
  /** Declared failure domain, if any. */
  zone?: string
  /** Free bytes the node reported (unknown: treated as the roomiest). */
  freeBytes?: number
  /** Reputation 0 … 1 from an auditor (unknown: NEUTRAL_SCORE). */
  score?: number
}

const enc = new TextEncoder()

function unitHash (key: string, peerId: string): number {
  const h = sha256(enc.encode(`${key}\0${peerId}`))
  const view = new DataView(h.buffer, h.byteOffset, 8)
  // 53 uniformly distributed bits (21 + 32), strictly inside (0, 1).
  const hi = view.getUint32(0) >>> 11
  const lo = view.getUint32(4)
  return (hi * 2 ** 32 + lo + 0.5) / 2 ** 53
}

/** Eligible candidates (score at or above the threshold, room for `needBytes`), best first for `key`. */
export function weightedOrder<T extends PlacementCandidate> (key: string, candidates: readonly T[], needBytes = 0): T[] {
  const eligible = candidates.filter(c => (c.score ?? NEUTRAL_SCORE) >= MIN_PLACEMENT_SCORE && (c.freeBytes === undefined || c.freeBytes >= needBytes))
  const roomiest = eligible.reduce((a, c) => Math.max(a, c.freeBytes ?? 0), 0)
  return eligible
    .map(c => {
      const capacity = c.freeBytes === undefined || roomiest === 0 ? 1 : Math.max(c.freeBytes / roomiest, 1e-6)
      const weight = (c.score ?? NEUTRAL_SCORE) * capacity
      return { c, s: -weight / Math.log(unitHash(key, c.peerId)) }
    })
    .sort((a, b) => b.s - a.s || (a.c.peerId < b.c.peerId ? -1 : 1))
    .map(x => x.c)
}

/**
 * All eligible candidates in the order a stripe should use them: the first `n` are the stripe's
 * homes (distinct nodes, distinct zones while zones last), the rest are replacements in order.
 * `taken` are nodes (and their zones) the stripe already uses (repair keeps the survivors).
 */
export function chooseStripeNodes<T extends PlacementCandidate> (key: string, candidates: readonly T[], n: number, options: { needBytes?: number, taken?: readonly T[] } = {}): T[] {
  const takenIds = new Set((options.taken ?? []).map(t => t.peerId))
  const zones = new Set((options.taken ?? []).flatMap(t => t.zone === undefined ? [] : [t.zone]))
  const order = weightedOrder(key, candidates.filter(c => !takenIds.has(c.peerId)), options.needBytes ?? 0)
  const chosen: T[] = []
  const rest: T[] = []
  for (const c of order) {
    if (chosen.length < n && (c.zone === undefined || !zones.has(c.zone))) {
      chosen.push(c)
      if (c.zone !== undefined) zones.add(c.zone)
    } else {
      rest.push(c)
    }
  }
  // Not enough distinct zones: fill from the rest, in order.
  while (chosen.length < n && rest.length > 0) chosen.push(rest.shift()!)
  return [...chosen, ...rest]
}

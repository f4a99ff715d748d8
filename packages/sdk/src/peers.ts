/**
 * The set of storage nodes a client talks to, with a live health score per node so reads go to
 * the fastest healthy node first and around slow or failing ones.
 */
import { PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'

/** Scores an auditor publishes (`GET /api/v1/reputation`), peer id → 0 … 1. */
export interface ReputationView {
  scores: ReadonlyMap<string, number>
  threshold: number
}

/** Not scored below the threshold (a node the auditor has no verdict on is eligible). */
export function isEligible (view: ReputationView | undefined, peerId: string): boolean {
  const s = view?.scores.get(peerId)
  return s === undefined || s >= (view?.threshold ?? PLACEMENT_MIN_SCORE)
}

export interface PeerInfo {
  peerId: string
  /** libp2p addresses (control plane: store protocol). */
  multiaddrs: string[]
  /** HTTP data plane base URL, e.g. http://127.0.0.1:4001 */
  http: string
}

interface Health {
  /** EWMA of successful request latency, ms. */
  latencyMs: number
  /** Consecutive failures; reset on success. */
  failures: number
  /** Don't try before this time after repeated failures (ms since epoch). */
  backoffUntil: number
}

const LATENCY_ALPHA = 0.3
const INITIAL_LATENCY_MS = 50
const MAX_BACKOFF_MS = 30_000

export class PeerSet {
  readonly peers: PeerInfo[]
  private readonly health = new Map<string, Health>()
  private reputation: ReputationView | undefined

  constructor (peers: PeerInfo[]) {
    this.peers = [...peers]
    for (const p of peers) this.health.set(p.peerId, { latencyMs: INITIAL_LATENCY_MS, failures: 0, backoffUntil: 0 })
  }

  add (peer: PeerInfo): void {
    if (this.health.has(peer.peerId)) return
    this.peers.push(peer)
    this.health.set(peer.peerId, { latencyMs: INITIAL_LATENCY_MS, failures: 0, backoffUntil: 0 })
  }

  /**
   * Adds a peer, or moves a known one to a new address (its health starts afresh: the failures
   * were the old address's). True when anything changed.
   */
  upsert (peer: PeerInfo): boolean {
    const i = this.peers.findIndex(p => p.peerId === peer.peerId)
    if (i < 0) { this.add(peer); return true }
    if (this.peers[i]!.http === peer.http) return false
    this.peers[i] = peer
    this.health.set(peer.peerId, { latencyMs: INITIAL_LATENCY_MS, failures: 0, backoffUntil: 0 })
    return true
  }

  /** Scores from an auditor: nodes below the threshold are read from last (placement skips them too). */
  setReputation (view: ReputationView | undefined): void {
    this.reputation = view
  }

  get (peerId: string): PeerInfo | undefined {
    return this.peers.find(p => p.peerId === peerId)
  }

  recordSuccess (peerId: string, latencyMs: number): void {
    const h = this.health.get(peerId)
    if (h === undefined) return
    h.latencyMs = h.latencyMs * (1 - LATENCY_ALPHA) + latencyMs * LATENCY_ALPHA
    h.failures = 0
    h.backoffUntil = 0
  }

  recordFailure (peerId: string, now = Date.now()): void {
    const h = this.health.get(peerId)
    if (h === undefined) return
    h.failures++
    h.backoffUntil = now + Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(h.failures, 10))
  }

  /** True while a node is backing off after failures. */
  isBackingOff (peerId: string, now = Date.now()): boolean {
    const h = this.health.get(peerId)
    return h !== undefined && h.backoffUntil > now
  }

  /**
   * Peers best first: those not backing off, by latency; then those below the reputation
   * threshold; then the backing-off ones (still worth a try when nothing else has the block).
   * `prefer` lists peers known to hold the block.
   */
  ranked (prefer: ReadonlySet<string> = new Set(), now = Date.now()): PeerInfo[] {
    const score = (p: PeerInfo): number => {
      const h = this.health.get(p.peerId)
      if (h === undefined) return Number.MAX_SAFE_INTEGER
      const backoff = h.backoffUntil > now ? 1e9 : 0
      const known = prefer.has(p.peerId) ? 0 : 1e6
      const distrusted = isEligible(this.reputation, p.peerId) ? 0 : 5e8
      return backoff + distrusted + known + h.latencyMs
    }
    return [...this.peers].sort((a, b) => score(a) - score(b))
  }
}

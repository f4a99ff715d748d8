/**
 * Node reputation as an auditor publishes it (`GET /api/v1/reputation`). Placement leaves out
 * nodes scoring below the threshold (they get no new blocks); readers try them last. A node the
 * auditor has no verdict on counts as eligible (new nodes start at the prior, above the threshold).
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'

export interface ReputationView {
  /** Score in [0, 1] per peer id. */
  scores: ReadonlyMap<string, number>
  threshold: number
}

/** A reputation request gives up after this long (placement then goes on without it). */
export const REPUTATION_TIMEOUT_MS = 5_000
const MAX_PEERS = 100_000

/** Fetches the scores an auditor node publishes. */
export async function fetchReputation (auditorHttp: string, options: { signal?: AbortSignal } = {}): Promise<ReputationView> {
  let body: { threshold?: unknown, peers?: unknown }
  try {
    const res = await fetch(`${auditorHttp.replace(/\/$/, '')}/api/v1/reputation`, { signal: options.signal ?? AbortSignal.timeout(REPUTATION_TIMEOUT_MS) })
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
    body = await res.json() as typeof body
  } catch (cause) {
    throw new P2pdvError('ERR_REPUTATION_UNAVAILABLE', `could not read reputation from ${auditorHttp}`, { hint: 'Check that the node runs with --auditor.', cause })
  }
  if (!Array.isArray(body.peers) || body.peers.length > MAX_PEERS) throw new P2pdvError('ERR_REPUTATION_UNAVAILABLE', 'the auditor sent a malformed reputation list')
  const scores = new Map<string, number>()
  for (const p of body.peers as Array<{ peerId?: unknown, score?: unknown }>) {
    if (typeof p?.peerId === 'string' && typeof p.score === 'number' && p.score >= 0 && p.score <= 1) scores.set(p.peerId, p.score)
  }
  // The threshold is a protocol constant; an auditor may only make it stricter.
  const threshold = typeof body.threshold === 'number' && body.threshold > PLACEMENT_MIN_SCORE && body.threshold <= 1 ? body.threshold : PLACEMENT_MIN_SCORE
  return { scores, threshold }
}

export function isEligible (view: ReputationView | undefined, peerId: string): boolean {
  const s = view?.scores.get(peerId)
  return s === undefined || s >= (view?.threshold ?? PLACEMENT_MIN_SCORE)
}

/**
 * What placement needs to know about nodes: each node's `/api/v1/status` (free capacity, declared
 * failure domain) and, when an auditor node is known, its reputation scores. A node that does not
 * answer in time is left out of new placements; without an auditor every node scores neutral.
 */
import type { PlacementCandidate } from '@p2pdv/core/placement'
import { getBytes } from './node-http.ts'
import type { PeerInfo } from './peers.ts'

export const STATUS_TIMEOUT_MS = 3_000
/** A status or reputation answer longer than this is refused (a node or auditor gone wrong). */
export const MAX_STATUS_BYTES = 4 * 1024 * 1024

export interface NodeCandidate extends PeerInfo, PlacementCandidate {}

/** JSON over node:http (this module is the Node client's; fetch would load undici for three small GETs). */
async function getJson (url: string, signal?: AbortSignal): Promise<unknown> {
  const timeout = AbortSignal.timeout(STATUS_TIMEOUT_MS)
  const res = await getBytes(url, MAX_STATUS_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]), 'application/json')
  if (res.status !== 200 || res.body === undefined) throw new Error(`HTTP ${res.status}`)
  return JSON.parse(new TextDecoder().decode(res.body))
}

/** Reputation scores from an auditor's `GET /api/v1/reputation` (peer id → 0 … 1); empty on any failure. */
export async function fetchReputation (auditor: string | undefined, signal?: AbortSignal): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  if (auditor === undefined) return out
  try {
    const body = await getJson(`${auditor.replace(/\/+$/, '')}/api/v1/reputation`, signal) as { scores?: unknown }
    if (!Array.isArray(body.scores)) return out
    for (const s of body.scores as Array<{ peerId?: unknown, score?: unknown }>) {
      if (typeof s.peerId === 'string' && typeof s.score === 'number' && s.score >= 0 && s.score <= 1) out.set(s.peerId, s.score)
    }
  } catch {
    // No reputation: placement treats every node as neutral.
  }
  return out
}

/** The reachable nodes among `peers`, with capacity, zone and score. */
export async function placementCandidates (peers: readonly PeerInfo[], options: { auditor?: string, signal?: AbortSignal } = {}): Promise<NodeCandidate[]> {
  const [scores, statuses] = await Promise.all([
    fetchReputation(options.auditor, options.signal),
    Promise.all(peers.map(async p => {
      try {
        const s = await getJson(`${p.http}/api/v1/status`, options.signal) as { peerId?: unknown, freeBytes?: unknown, zone?: unknown }
        if (s.peerId !== p.peerId) return undefined
        return { p, s }
      } catch {
        return undefined
      }
    }))
  ])
  return statuses.flatMap(x => {
    if (x === undefined) return []
    const c: NodeCandidate = { ...x.p }
    if (typeof x.s.freeBytes === 'number') c.freeBytes = x.s.freeBytes
    if (typeof x.s.zone === 'string') c.zone = x.s.zone
    const score = scores.get(x.p.peerId)
    if (score !== undefined) c.score = score
    return [c]
  })
}

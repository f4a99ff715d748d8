/**
 * What placement needs to know about nodes: each node's `/api/v1/status` (free capacity, declared
 * failure domain) and, when an auditor node is known, its reputation scores. A node that does not
 * answer in time is left out of new placements; without an auditor every node scores neutral.
 * The HTTP calls and the checks of what nodes answer live in @p2pdv/node-client.
 */
import type { PlacementCandidate } from '@p2pdv/core/placement'
import { NodeClient } from '@p2pdv/node-client'
import type { PeerInfo } from './peers.ts'

export { checkedHttpOrigin, MAX_LISTED_PEERS, MAX_PEER_LIST_BYTES, MAX_STATUS_BYTES } from '@p2pdv/node-client'

export const STATUS_TIMEOUT_MS = 3_000

export interface NodeCandidate extends PeerInfo, PlacementCandidate {}

function options (signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal }
}

/**
 * Who the node at `base` is (`GET /api/v1/node`: peer id and multiaddrs), checked: a string peer
 * id and at most 64 string addresses, each of bounded length. Throws ERR_BAD_NODE_INFO on anything else.
 */
export async function nodeInfo (base: string, signal?: AbortSignal): Promise<PeerInfo> {
  return await new NodeClient(base, { timeoutMs: STATUS_TIMEOUT_MS }).info(options(signal))
}

/**
 * The data planes a node vouches for (`GET /api/v1/peers`), checked (a peer id, a bare http(s)
 * origin, deduplicated), in at most MAX_PEER_LIST_BYTES; a body that is not a list of at most
 * MAX_LISTED_PEERS throws ERR_BAD_PEER_LIST. Entries are claims, not facts: a caller checks a URL
 * answers as the peer id listed for it before using it (PeerDirectory).
 */
export async function peerList (base: string, signal?: AbortSignal): Promise<Array<{ peerId: string, http: string }>> {
  return await new NodeClient(base, { timeoutMs: STATUS_TIMEOUT_MS }).peers(options(signal))
}

/** Reputation scores from an auditor's `GET /api/v1/reputation` (peer id → 0 … 1); empty on any failure. */
export async function fetchReputation (auditor: string | undefined, signal?: AbortSignal): Promise<Map<string, number>> {
  if (auditor === undefined) return new Map()
  try {
    return await new NodeClient(auditor, { timeoutMs: STATUS_TIMEOUT_MS }).reputation(options(signal))
  } catch {
    // No reputation: placement treats every node as neutral.
    return new Map()
  }
}

/** The reachable nodes among `peers`, with capacity, zone and score. */
export async function placementCandidates (peers: readonly PeerInfo[], opts: { auditor?: string, signal?: AbortSignal } = {}): Promise<NodeCandidate[]> {
  const [scores, statuses] = await Promise.all([
    fetchReputation(opts.auditor, opts.signal),
    Promise.all(peers.map(async p => {
      try {
        const s = await new NodeClient(p.http, { peerId: p.peerId, timeoutMs: STATUS_TIMEOUT_MS }).status(options(opts.signal))
        return s.peerId === p.peerId ? { p, s } : undefined
      } catch {
        return undefined
      }
    }))
  ])
  return statuses.flatMap(x => {
    if (x === undefined) return []
    const c: NodeCandidate = { ...x.p }
    if (x.s.freeBytes !== undefined) c.freeBytes = x.s.freeBytes
    if (x.s.zone !== undefined) c.zone = x.s.zone
    const score = scores.get(x.p.peerId)
    if (score !== undefined) c.score = score
    return [c]
  })
}

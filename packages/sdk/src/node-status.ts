/**
 * What placement needs to know about nodes: each node's `/api/v1/status` (free capacity, declared
 * failure domain) and, when an auditor node is known, its reputation scores. A node that does not
 * answer in time is left out of new placements; without an auditor every node scores neutral.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import type { PlacementCandidate } from '@p2pdv/core/placement'
import { getBytes } from './node-http.ts'
import type { PeerInfo } from './peers.ts'
import { parsePeerDirectory } from './player/peer-directory.ts'

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

/** Longest peer id and multiaddr a node's `/api/v1/node` answer may carry, and how many addresses. */
const MAX_ID_CHARS = 128
const MAX_ADDR_CHARS = 512
const MAX_ADDRS = 64

/**
 * Who the node at `base` is (`GET /api/v1/node`: peer id and multiaddrs), checked: a string peer
 * id and at most MAX_ADDRS string addresses, each of bounded length. Throws on anything else.
 */
export async function nodeInfo (base: string, signal?: AbortSignal): Promise<PeerInfo> {
  const http = base.replace(/\/+$/, '')
  const body = await getJson(`${http}/api/v1/node`, signal).catch((cause: unknown) => {
    if (cause instanceof SyntaxError) throw new P2pdvError('ERR_BAD_NODE_INFO', `${http}/api/v1/node did not answer with JSON`, { hint: 'Is this URL a p2pdv node?', cause })
    throw cause
  }) as { peerId?: unknown, multiaddrs?: unknown } | null
  const { peerId, multiaddrs } = body ?? {}
  const bad = (what: string): P2pdvError => new P2pdvError('ERR_BAD_NODE_INFO', `${http}/api/v1/node answered without ${what}`, { hint: 'Is this URL a p2pdv node? Check it, or the node\'s version.' })
  if (typeof peerId !== 'string' || peerId.length === 0 || peerId.length > MAX_ID_CHARS) throw bad('a valid peer id')
  if (!Array.isArray(multiaddrs) || multiaddrs.length > MAX_ADDRS || !multiaddrs.every(a => typeof a === 'string' && a.length <= MAX_ADDR_CHARS)) throw bad(`a list of at most ${MAX_ADDRS} multiaddrs`)
  return { peerId, multiaddrs: multiaddrs as string[], http }
}

/** A node lists at most this many peers (node/src/http-api.ts MAX_LISTED_PEERS); a longer list is refused. */
export const MAX_LISTED_PEERS = 64
/** A peer list longer than this is refused before it is all read. */
export const MAX_PEER_LIST_BYTES = 64 * 1024
const MAX_URL_CHARS = 256

/** An http(s) origin with nothing else in it (no credentials, path, query or fragment), or undefined. */
export function checkedHttpOrigin (v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > MAX_URL_CHARS) return undefined
  let u: URL
  try { u = new URL(v) } catch { return undefined }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '' || u.pathname !== '/' || u.search !== '' || u.hash !== '') return undefined
  return u.origin
}

/**
 * The data planes a node vouches for (`GET /api/v1/peers`), checked as the page checks them
 * (`parsePeerDirectory`: a peer id, a bare http(s) origin, deduplicated), in at most
 * MAX_PEER_LIST_BYTES; a body that is not a list of at most MAX_LISTED_PEERS throws
 * ERR_BAD_PEER_LIST. Entries are claims, not facts: a caller checks a URL answers as the peer id
 * listed for it before using it (PeerDirectory).
 */
export async function peerList (base: string, signal?: AbortSignal): Promise<Array<{ peerId: string, http: string }>> {
  const http = base.replace(/\/+$/, '')
  const timeout = AbortSignal.timeout(STATUS_TIMEOUT_MS)
  const bad = (why: string): P2pdvError => new P2pdvError('ERR_BAD_PEER_LIST', `${http}/api/v1/peers ${why}`, { hint: 'Is this URL a p2pdv node? Check it, or the node\'s version.' })
  const res = await getBytes(`${http}/api/v1/peers`, MAX_PEER_LIST_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]), 'application/json').catch((cause: unknown) => {
    throw cause instanceof P2pdvError && cause.code === 'ERR_BLOCK_TOO_LARGE' ? bad(`answered with more than ${MAX_PEER_LIST_BYTES} bytes`) : cause
  })
  if (res.status !== 200 || res.body === undefined) throw bad(`answered HTTP ${res.status}`)
  let body: unknown
  try { body = JSON.parse(new TextDecoder().decode(res.body)) } catch { throw bad('did not answer with JSON') }
  const peers = (body as { peers?: unknown } | null)?.peers
  if (!Array.isArray(peers) || peers.length > MAX_LISTED_PEERS) throw bad(`did not answer with a list of at most ${MAX_LISTED_PEERS} peers`)
  return parsePeerDirectory(body).map(p => ({ peerId: p.peerId, http: p.http }))
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

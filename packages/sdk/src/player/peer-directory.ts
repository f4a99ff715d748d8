/**
 * Where a browser learns the network's data planes: the node that served the page lists the
 * peers it knows (`GET /api/v1/peers`). The answer is untrusted input: bounded, and every entry
 * validated (a peer id, an http(s) origin and nothing else) before it becomes a source.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { getBytes } from '@p2pdv/node-client/transport'
import type { PeerInfo } from '../peers.ts'

export const MAX_DIRECTORY_PEERS = 64
const MAX_DIRECTORY_BYTES = 64 * 1024
const DIRECTORY_TIMEOUT_MS = 5_000

export const DirectoryErrorCode = { UNAVAILABLE: 'ERR_PEERS_UNAVAILABLE' } as const

/** One entry of `GET /api/v1/peers`. */
export interface DirectoryPeer { peerId: string, http: string }

/** Keeps only well-formed entries: a base58/base32 peer id and a bare http(s) origin. */
export function parsePeerDirectory (body: unknown): PeerInfo[] {
  const list = (body as { peers?: unknown } | null)?.peers
  if (!Array.isArray(list)) return []
  const out: PeerInfo[] = []
  const seen = new Set<string>()
  for (const entry of list.slice(0, MAX_DIRECTORY_PEERS)) {
    const { peerId, http } = (entry ?? {}) as Record<string, unknown>
    if (typeof peerId !== 'string' || !/^[1-9A-Za-z]{20,100}$/.test(peerId) || seen.has(peerId)) continue
    if (typeof http !== 'string' || http.length > 200) continue
    let url: URL
    try { url = new URL(http) } catch { continue }
    // A bare origin: no path, query, fragment or credentials.
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') continue
    seen.add(peerId)
    out.push({ peerId, multiaddrs: [], http: url.origin })
  }
  return out
}

/**
 * Asks `origin` (the serving node) for the peers it knows; the node itself comes first.
 * `prefetched`: the body of that same request if the page already made it (undefined: ask).
 */
export async function fetchPeerDirectory (origin: string, signal?: AbortSignal, prefetched?: Promise<string | undefined>): Promise<PeerInfo[]> {
  const timeout = AbortSignal.timeout(DIRECTORY_TIMEOUT_MS)
  let peers: PeerInfo[]
  try {
    let text = await prefetched
    if (text === undefined) {
      const res = await getBytes(new URL('/api/v1/peers', origin).toString(), MAX_DIRECTORY_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]), 'application/json')
      if (res.body === undefined) throw new Error(`HTTP ${res.status}`)
      text = new TextDecoder().decode(res.body)
    }
    if (text.length > MAX_DIRECTORY_BYTES) throw new Error('peer list too large')
    peers = parsePeerDirectory(JSON.parse(text))
  } catch (cause) {
    throw new P2pdvError(DirectoryErrorCode.UNAVAILABLE, 'could not learn the network\'s nodes from this node', {
      hint: 'The node that served this page did not answer; reload, or open the link on another node.',
      cause
    })
  }
  if (peers.length === 0) {
    throw new P2pdvError(DirectoryErrorCode.UNAVAILABLE, 'this node knows no data plane to read from', { hint: 'Wait for the node to connect to its peers, then reload.' })
  }
  return peers
}

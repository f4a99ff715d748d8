/**
 * Who has what, as this node can tell: providers of a block (itself, the holders its placement
 * records list, then the DHT) for delegated routing, and the data planes of the peers it knows.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { httpUrlFromMultiaddr } from '@p2pdv/core'
import { MAX_LISTED_PEERS, type PeerHttp, type ProviderRecord } from '../http-api.ts'
import type { Resource } from '../lifecycle.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import type { NodeDisk } from './disk.ts'
import type { HttpPlane } from './http-plane.ts'
import type { Libp2pPlane } from './libp2p-plane.ts'
import type { PlacementsComponent } from './placements.ts'

export interface DirectoryDeps {
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  placements: PlacementsComponent
  net: Libp2pPlane
  http: HttpPlane
  log: Logger
}

export function findProviders (deps: DirectoryDeps) {
  return async (cid: CID, signal: AbortSignal): Promise<ProviderRecord[]> => {
    const peerId = deps.disk.value.peerId
    const libp2p = deps.net.libp2p
    const found = new Map<string, ProviderRecord>()
    if (await deps.blockstore.value.has(cid)) found.set(peerId, { ID: peerId, Addrs: [...deps.net.multiaddrs(), deps.http.multiaddr] })
    // A block of an object this node keeps the record of: its holders are listed there (with
    // `--announce roots` such blocks have no DHT entry of their own), at the addresses the peer
    // store has for them.
    const peerStore = libp2p?.peerStore
    for (const id of deps.placements.placements.holdersOf(cid) ?? []) {
      if (found.has(id) || peerStore === undefined) continue
      try {
        const peer = await peerStore.get(peerIdFromString(id))
        if (peer.addresses.length > 0) found.set(id, { ID: id, Addrs: peer.addresses.map(a => a.multiaddr.toString()) })
      } catch {
        // Not in the peer store: the DHT lookup below may still find it.
      }
    }
    if ([...found.keys()].some(id => id !== peerId)) return [...found.values()]
    try {
      if (libp2p === undefined) return [...found.values()]
      for await (const p of libp2p.contentRouting.findProviders(cid, { signal })) {
        const id = p.id.toString()
        if (found.has(id)) continue
        // Nodes announce their HTTP data plane as a `/http` multiaddr beside their libp2p ones.
        found.set(id, { ID: id, Addrs: p.multiaddrs.map(m => m.toString()) })
        if (found.size >= 20) break
      }
    } catch (err) {
      if (!signal.aborted) deps.log.debug({ err }, 'provider lookup failed')
    }
    return [...found.values()]
  }
}

/**
 * The data planes this node can vouch for: itself, then peers it is connected to, then others
 * from its peer store, each by the `/http` multiaddr it announced (validated, deduplicated).
 */
export function listPeers (deps: Pick<DirectoryDeps, 'disk' | 'net' | 'http'>) {
  return async (): Promise<PeerHttp[]> => {
    const peerId = deps.disk.value.peerId
    const httpUrl = deps.http.urlOrEmpty
    const out: PeerHttp[] = [{ peerId, http: httpUrl }]
    const libp2p = deps.net.libp2p
    if (libp2p === undefined) return out
    const connected = new Set(libp2p.getPeers().map(p => p.toString()))
    const known = (await libp2p.peerStore.all()).filter(p => p.id.toString() !== peerId)
    known.sort((a, b) => Number(connected.has(b.id.toString())) - Number(connected.has(a.id.toString())))
    const seen = new Set([httpUrl])
    for (const p of known) {
      const http = p.addresses.map(a => httpUrlFromMultiaddr(a.multiaddr.toString())).find(u => u !== undefined)
      if (http === undefined || seen.has(http)) continue
      seen.add(http)
      out.push({ peerId: p.id.toString(), http })
      if (out.length >= MAX_LISTED_PEERS) break
    }
    return out
  }
}

/** How many ws:// origins of other nodes' viewer relays a page may connect to (its CSP). */
export const MAX_VIEWER_ORIGINS = 64

/** `ws://host:port` of each `/ws` listen address (a viewer relay), for the page's CSP. */
export function viewerWsOrigins (multiaddrs: string[]): string[] {
  const out = new Set<string>()
  for (const a of multiaddrs) {
    const m = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d+)\/ws(\/|$)/.exec(a)
    if (m === null || a.includes('/p2p-circuit')) continue
    out.add(`ws://${m[1] === 'ip6' ? `[${m[2]!}]` : m[2]!}:${m[3]!}`)
  }
  return [...out].slice(0, 8)
}

/**
 * The viewer relays of the nodes this node lists (peers that announce an HTTP data plane), at most
 * 2 origins each: a video's swarm meets at its home node, which may be any of them, so the page
 * must be allowed to dial it. Only nodes, never viewers: a viewer announces no `/http` address.
 */
export function listViewerOrigins (deps: Pick<DirectoryDeps, 'disk' | 'net'>) {
  return async (): Promise<string[]> => {
    const libp2p = deps.net.libp2p
    if (libp2p === undefined) return []
    const peerId = deps.disk.value.peerId
    const out = new Set<string>()
    for (const p of await libp2p.peerStore.all()) {
      if (p.id.toString() === peerId) continue
      const addrs = p.addresses.map(a => a.multiaddr.toString())
      if (!addrs.some(a => httpUrlFromMultiaddr(a) !== undefined)) continue
      for (const o of viewerWsOrigins(addrs).slice(0, 2)) out.add(o)
      if (out.size >= MAX_VIEWER_ORIGINS) break
    }
    return [...out].slice(0, MAX_VIEWER_ORIGINS)
  }
}

/**
 * Where a video's swarm meets: its home node, chosen by rendezvous hashing of the swarm id with
 * each node's peer id. Every viewer ranks the nodes it knows the same way, so viewers whose pages
 * came from different nodes still meet at one tracker and one relay. The top node of the union of
 * two viewers' lists is the top of each list that contains it, so slightly different node lists
 * (each serving node lists the peers it knows) still agree; a home that is down or runs no relay
 * is passed over the same way by everyone who sees it so.
 */
import { sha256 } from 'multiformats/hashes/sha2'

/** A node the viewer may join a swarm at: its peer id (the rank) and HTTP origin (its info). */
export interface SwarmNode {
  peerId: string
  http: string
}

const HOME_DOMAIN = 'p2pdv/swarm-home/v1:'
const encoder = new TextEncoder()

async function score (swarmId: string, peerId: string): Promise<string> {
  const digest = (await sha256.digest(encoder.encode(`${HOME_DOMAIN}${swarmId}:${peerId}`))).digest
  return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')
}

/** The nodes in the order a video's viewers try them as the swarm's home (duplicates dropped). */
export async function rankSwarmHomes<T extends SwarmNode> (swarmId: string, nodes: readonly T[]): Promise<T[]> {
  const unique = [...new Map(nodes.map(n => [n.peerId, n])).values()]
  const scored = await Promise.all(unique.map(async n => ({ n, s: await score(swarmId, n.peerId) })))
  return scored.sort((a, b) => a.s < b.s ? 1 : a.s > b.s ? -1 : 0).map(x => x.n)
}

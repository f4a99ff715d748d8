/**
 * Joins a video's swarm at its home node (rankSwarmHomes over the nodes the viewer knows), so
 * viewers whose pages came from different nodes meet. A candidate's WebSockets address comes from
 * its `GET /api/v1/node` (NodeClient, bounded and checked) and must be the node it was listed as;
 * one that is down, answers as another node or runs no viewer relay is passed over for the next.
 * The swarm id is a hash of the manifest CID (swarmIdOf). What the player's P2P delivery calls
 * after the first frame.
 */
import type { CID } from 'multiformats/cid'
import { NodeClient } from '@p2pdv/node-client'
import { P2pdvError } from '@p2pdv/core/errors'
import { swarmIdOf } from '../player/peer-delivery.ts'
import type { BlockSource } from './share-protocol.ts'
import { rankSwarmHomes, type SwarmNode } from './swarm-home.ts'
import { SwarmErrorCode, ViewerSwarm, type ViewerSwarmOptions } from './viewer-swarm.ts'

const NODE_INFO_TIMEOUT_MS = 3_000
/** Node addresses tried at most (a node lists one per interface). */
const MAX_NODE_ADDRESSES = 4
/** Homes tried in rank order before the viewer gives up on P2P for this video. */
export const MAX_SWARM_HOMES = 3

/** A node's `/ws` multiaddrs, each ending in its `/p2p/<peer id>` (what ViewerSwarm dials). */
export function viewerAddresses (multiaddrs: string[], peerId: string): string[] {
  return multiaddrs
    .filter(a => /^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+\/ws(\/|$)/.test(a) && !a.includes('/p2p-circuit'))
    .map(a => a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`)
    .filter(a => a.endsWith(`/p2p/${peerId}`))
    .slice(0, MAX_NODE_ADDRESSES)
}

export interface JoinVideoSwarmOptions extends Omit<ViewerSwarmOptions, 'video' | 'nodes' | 'source'> {
  /** The nodes this viewer knows (the serving node's list): the swarm's home is ranked among them. */
  nodes: readonly SwarmNode[]
  manifest: CID
  source: BlockSource
  signal?: AbortSignal
}

/** The joined swarm and the node it met at (the stats panel and tests name it). */
export interface JoinedSwarm {
  swarm: ViewerSwarm
  home: SwarmNode
}

export async function joinVideoSwarm (opts: JoinVideoSwarmOptions): Promise<ViewerSwarm> {
  return (await joinVideoSwarmAtHome(opts)).swarm
}

export async function joinVideoSwarmAtHome (opts: JoinVideoSwarmOptions): Promise<JoinedSwarm> {
  const { nodes, manifest, source, signal, ...rest } = opts
  const video = await swarmIdOf(manifest)
  const homes = (await rankSwarmHomes(video, nodes)).slice(0, MAX_SWARM_HOMES)
  let last: unknown
  for (const home of homes) {
    if (signal?.aborted === true) break
    try {
      const info = await new NodeClient(home.http, { timeoutMs: NODE_INFO_TIMEOUT_MS }).info(signal === undefined ? {} : { signal })
      if (info.peerId !== home.peerId) throw new P2pdvError(SwarmErrorCode.NO_NODE, `the node at ${home.http} answers as ${info.peerId}, not ${home.peerId}`, { hint: 'The node list is stale; the next node is tried.' })
      const addrs = viewerAddresses(info.multiaddrs, info.peerId)
      if (addrs.length === 0) throw new P2pdvError(SwarmErrorCode.NO_NODE, `the node at ${home.http} runs no viewer relay`, { hint: 'Blocks come from the nodes; the node operator can turn the relay on (it is on unless --no-viewer-relay).' })
      return { swarm: await ViewerSwarm.join({ ...rest, video, nodes: addrs, source }), home }
    } catch (err) {
      last = err
    }
  }
  throw last ?? new P2pdvError(SwarmErrorCode.NO_NODE, 'no node to join the swarm at', { hint: 'Blocks come from the nodes.' })
}

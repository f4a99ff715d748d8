/**
 * Joins a video's swarm through the node at `origin` (the one that served the page, or any node):
 * its WebSockets address comes from `GET /api/v1/node` (NodeClient, bounded and checked), the
 * swarm id from the manifest CID (swarmIdOf). What the player's P2P delivery calls after the
 * first frame.
 */
import type { CID } from 'multiformats/cid'
import { NodeClient } from '@p2pdv/node-client'
import { P2pdvError } from '@p2pdv/core/errors'
import { swarmIdOf } from '../player/peer-delivery.ts'
import type { BlockSource } from './share-protocol.ts'
import { SwarmErrorCode, ViewerSwarm, type ViewerSwarmOptions } from './viewer-swarm.ts'

const NODE_INFO_TIMEOUT_MS = 5_000
/** Node addresses tried at most (a node lists one per interface). */
const MAX_NODE_ADDRESSES = 4

/** A node's `/ws` multiaddrs, each ending in its `/p2p/<peer id>` (what ViewerSwarm dials). */
export function viewerAddresses (multiaddrs: string[], peerId: string): string[] {
  return multiaddrs
    .filter(a => /^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+\/ws(\/|$)/.test(a) && !a.includes('/p2p-circuit'))
    .map(a => a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`)
    .filter(a => a.endsWith(`/p2p/${peerId}`))
    .slice(0, MAX_NODE_ADDRESSES)
}

export interface JoinVideoSwarmOptions extends Omit<ViewerSwarmOptions, 'video' | 'nodes' | 'source'> {
  /** The node's HTTP origin. */
  origin: string
  manifest: CID
  source: BlockSource
  signal?: AbortSignal
}

export async function joinVideoSwarm (opts: JoinVideoSwarmOptions): Promise<ViewerSwarm> {
  const { origin, manifest, source, signal, ...rest } = opts
  const info = await new NodeClient(origin, { timeoutMs: NODE_INFO_TIMEOUT_MS }).info(signal === undefined ? {} : { signal })
  const nodes = viewerAddresses(info.multiaddrs, info.peerId)
  if (nodes.length === 0) throw new P2pdvError(SwarmErrorCode.NO_NODE, 'this node runs no viewer relay', { hint: 'Blocks come from the nodes; the node operator can turn the relay on (it is on unless --no-viewer-relay).' })
  return await ViewerSwarm.join({ ...rest, video: await swarmIdOf(manifest), nodes, source })
}

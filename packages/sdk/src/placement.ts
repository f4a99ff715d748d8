/**
 * Which nodes hold a block: rendezvous (highest-random-weight) hashing of (block, node). Every
 * client computes the same order without coordination, and adding or removing a node moves only
 * the blocks that node wins or held.
 */
import { createHash } from 'node:crypto'
import type { PeerInfo } from './peers.ts'

function weight (key: string, peerId: string): bigint {
  return createHash('sha256').update(key).update('\0').update(peerId).digest().readBigUInt64BE(0)
}

/** All peers in preference order for `key`; the first `n` are the block's home. */
export function rendezvousOrder (key: string, peers: readonly PeerInfo[]): PeerInfo[] {
  return peers
    .map(p => ({ p, w: weight(key, p.peerId) }))
    .sort((a, b) => (a.w === b.w ? 0 : a.w > b.w ? -1 : 1))
    .map(x => x.p)
}

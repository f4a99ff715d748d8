import { AEAD_TAG_BYTES, MAX_CHUNK_PLAINTEXT, P2pdvError } from '@p2pdv/core'
import { weightedOrder, type PlacementScheme } from '@p2pdv/core/placement'
import type { NodeCandidate } from './node-status.ts'
import { PutErrorCode } from './replicated-writer.ts'

/** Bytes stored per sealed byte: k + m over k for erasure coding, the replica count otherwise. */
export function expansionOf (scheme: PlacementScheme): number {
  return scheme.type === 'rs' ? (scheme.k + scheme.m) / scheme.k : scheme.replicas
}

/**
 * Refuses a put whose blocks cannot fit on the eligible nodes, from the free space they reported
 * (a node that did not report is assumed to have room). Every block is sealed with a tag, and the
 * scheme stores expansionOf(scheme) bytes per sealed byte; nodes already full would only refuse blocks one
 * by one after the upload has begun.
 */
export function checkRoom (size: number, scheme: PlacementScheme, candidates: NodeCandidate[]): void {
  const eligible = weightedOrder('', candidates)
  if (eligible.some(c => c.freeBytes === undefined)) return
  const chunks = Math.max(1, Math.ceil(size / MAX_CHUNK_PLAINTEXT))
  const need = Math.ceil((size + chunks * AEAD_TAG_BYTES) * expansionOf(scheme))
  const free = eligible.reduce((a, c) => a + (c.freeBytes ?? 0), 0)
  if (need <= free) return
  const show = (n: number): string => n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`
  const how = scheme.type === 'rs' ? `erasure coded (k=${scheme.k}, m=${scheme.m})` : `with ${scheme.replicas} replica(s)`
  throw new P2pdvError(PutErrorCode.NOT_ENOUGH_SPACE, `storing ${show(size)} ${how} needs about ${show(need)} on the nodes, but the ${eligible.length} eligible node(s) have ${show(free)} free in all`, {
    hint: 'Give the nodes more room (p2pdv node start --quota BYTES), start more nodes, or lower --replicas; nothing was uploaded.',
    details: { needBytes: need, freeBytes: free, nodes: eligible.length }
  })
}

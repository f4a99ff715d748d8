/**
 * Upload grants this node signs with its own identity key, for the blocks it places on other
 * nodes (repair). One grant per peer, reused until it nears its expiry or allowance, so the peer
 * checks one signature per session like it does for clients.
 */
import { randomBytes } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { GRANT_NONCE_BYTES, grantAuthorization, signGrant } from '@p2pdv/core/grants'
import { identitySigner } from './identity-signer.ts'

/** A node-to-node grant lasts an hour (renewed 5 minutes before) and allows 64 GiB: more than repair moves in an hour at its default 16 MiB/s. */
export const NODE_GRANT_LIFETIME_MS = 60 * 60_000
export const NODE_GRANT_BYTES = 64 * 1024 ** 3
const RENEW_BEFORE_MS = 5 * 60_000

/** Returns the `authorization` header for PUTs to `peerId`. */
export function nodeGrantSigner (key: PrivateKey, now: () => number = Date.now): (peerId: string) => Promise<string> {
  if (key.type !== 'Ed25519') throw new TypeError('node upload grants are signed with an Ed25519 identity key')
  const sign = identitySigner(key)
  const cache = new Map<string, { header: string, exp: number }>()
  return async peerId => {
    const held = cache.get(peerId)
    if (held !== undefined && held.exp - RENEW_BEFORE_MS > now()) return held.header
    const exp = now() + NODE_GRANT_LIFETIME_MS
    const grant = await signGrant({ alg: 'ed25519', key: key.publicKey.raw, node: peerId, bytes: NODE_GRANT_BYTES, exp, nonce: new Uint8Array(randomBytes(GRANT_NONCE_BYTES)) }, sign)
    const header = grantAuthorization(grant)
    cache.set(peerId, { header, exp })
    return header
  }
}

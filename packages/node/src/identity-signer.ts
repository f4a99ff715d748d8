/**
 * Signing with the node's identity key on hot paths (one store receipt per block, one signature
 * per audit answer). The libp2p key object rebuilds a node:crypto key from its raw bytes for every
 * signature; here an Ed25519 key is imported once. Other key types sign through libp2p.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'

export type Sign = (payload: Uint8Array) => Promise<Uint8Array>

export function identitySigner (key: PrivateKey): Sign {
  if (key.type !== 'Ed25519') return async payload => await key.sign(payload)
  // libp2p's raw Ed25519 private key is the 32-byte seed followed by the 32-byte public key.
  const raw = key.raw
  const object: KeyObject = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(raw.subarray(0, 32)).toString('base64url'), x: Buffer.from(key.publicKey.raw).toString('base64url') },
    format: 'jwk'
  })
  return async payload => new Uint8Array(sign(null, payload, object))
}

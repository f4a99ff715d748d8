/** Ed25519 verification on node:crypto: the key is imported once and verifying is synchronous. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'

export type Verifier = (payload: Uint8Array, sig: Uint8Array) => Promise<boolean>

export async function ed25519Verifier (raw: Uint8Array): Promise<Verifier | null> {
  let object: KeyObject
  try {
    object = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' })
  } catch {
    return null
  }
  return async (payload, sig) => {
    try { return verify(null, payload, object, sig) } catch { return false }
  }
}

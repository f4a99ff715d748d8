/**
 * The sdk's receipt verifier: node-client's, with @libp2p/peer-id (loaded only for them) reading
 * the keys of peer ids that are not Ed25519 ones (RSA, secp256k1).
 */
import { ReceiptVerifier, type Verifier } from '@p2pdv/node-client/receipts'

export async function libp2pKeyVerifier (peerId: string): Promise<Verifier | null> {
  let key
  try {
    const { peerIdFromString } = await import('@libp2p/peer-id')
    key = peerIdFromString(peerId).publicKey
  } catch {
    return null
  }
  if (key === undefined) return null
  return async (payload, sig) => { try { return await key.verify(payload, sig) } catch { return false } }
}

export function createReceiptVerifier (): ReceiptVerifier {
  return new ReceiptVerifier({ fallback: libp2pKeyVerifier })
}

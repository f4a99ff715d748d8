/**
 * Direct grants: the creator seals K to a viewer's published X25519 key (after checking that the
 * viewer's account really vouches for that key) and stores the envelope as a public block; the
 * viewer fetches it, opens it with their identity, and checks the key against the fingerprint on
 * chain when a chain is at hand.
 */
import { decodeEnvelope, encodeEnvelope, openEnvelope, sealEnvelope, type VideoId } from '@p2pdv/core/keys'
import { keyFingerprint, P2pdvError, equalBytes, type CID } from '@p2pdv/core'
import type { Client, PutOptions } from '../client.ts'
import { verifyPublicIdentity, type PublicIdentity } from '@p2pdv/chain/identity'

export interface GrantEnvelope {
  cid: CID
  /** Nodes holding it, by signed receipt. */
  receipts: number
}

/** Seals K to `viewer` (whose binding signature is checked first) and stores the envelope. */
export async function grantEnvelope (client: Client, key: Uint8Array, video: VideoId, viewer: PublicIdentity, options: PutOptions = {}): Promise<GrantEnvelope> {
  await verifyPublicIdentity(viewer)
  const block = encodeEnvelope(await sealEnvelope(key, video, viewer.x25519PublicKey))
  return await client.putBlock(block, options)
}

/**
 * Fetches and opens an envelope. With `fingerprint` (from the chain) the key must match it;
 * a forged envelope (anyone can seal a wrong key to you) fails here.
 */
export async function openEnvelopeBlock (client: Client, cid: CID, video: VideoId, viewer: { x25519PublicKey: Uint8Array, x25519PrivateKey: Uint8Array }, fingerprint?: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
  const env = decodeEnvelope(await client.getBlock(cid, signal))
  const key = await openEnvelope(env, { publicKey: viewer.x25519PublicKey, privateKey: viewer.x25519PrivateKey }, video)
  if (fingerprint !== undefined && !equalBytes(keyFingerprint(key), fingerprint)) {
    key.fill(0)
    throw new P2pdvError('ERR_KEY_FINGERPRINT_MISMATCH', 'the envelope holds a key that does not match the fingerprint on chain', {
      hint: 'The envelope was not made by the video\'s owner, or the video was re-keyed since; ask the creator for a new grant.'
    })
  }
  return key
}

/**
 * Verifies store receipts against the signing node's peer id. An upload checks one receipt per
 * block and replica (768 for 256 MiB × 3), so the node's Ed25519 key is imported into node:crypto
 * once per peer and kept: rebuilding it from the peer id for every signature (what the libp2p key
 * object does) was most of the cost, about 2 ms per receipt on the 2-core benchmark machine.
 * The key is read from the peer id directly (peer-key.ts); peers with other key types fall back to
 * @libp2p/peer-id, loaded only for them, and the libp2p key's own verify.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { receiptPayload } from '@p2pdv/core/wire'
import type { PeerInfo } from './peers.ts'
import type { StoreReceipt } from './replicated-writer.ts'
import { StoreClientErrorCode } from './store-errors.ts'
import { ed25519KeyOfPeerId } from './peer-key.ts'

/** Peers whose keys are kept; an upload talks to far fewer. */
const MAX_CACHED_KEYS = 1024

type Verifier = (payload: Uint8Array, sig: Uint8Array) => Promise<boolean>

export class ReceiptVerifier {
  private readonly verifiers = new Map<string, Promise<Verifier | null>>()

  /** A node's receipt for a block it was sent, checked (its peer, the CID, the size, the signature). */
  async check (peer: PeerInfo, r: { peer: string, cid: CID, size: number, time: number, sig: Uint8Array }, cid: CID, size: number): Promise<StoreReceipt> {
    const valid = r.peer === peer.peerId && r.cid.equals(cid) && r.size === size && await this.verify(peer.peerId, receiptPayload(r), r.sig)
    if (!valid) throw new P2pdvError(StoreClientErrorCode.BAD_RECEIPT, `node ${peer.peerId} returned an invalid receipt for ${cid.toString()}`)
    return { peer: r.peer, cid: r.cid.toString(), size: r.size, time: r.time }
  }

  /** True when `sig` is `peerId`'s signature over `payload`. */
  async verify (peerId: string, payload: Uint8Array, sig: Uint8Array): Promise<boolean> {
    const v = await this.verifierFor(peerId)
    return v !== null && await v(payload, sig)
  }

  private async verifierFor (peerId: string): Promise<Verifier | null> {
    const known = this.verifiers.get(peerId)
    if (known !== undefined) return await known
    const v = verifierOf(peerId)
    if (this.verifiers.size >= MAX_CACHED_KEYS) this.verifiers.clear()
    this.verifiers.set(peerId, v)
    return await v
  }
}

async function verifierOf (peerId: string): Promise<Verifier | null> {
  const raw = ed25519KeyOfPeerId(peerId)
  if (raw !== undefined) return ed25519Verifier(raw)
  let key
  try {
    const { peerIdFromString } = await import('@libp2p/peer-id')
    key = peerIdFromString(peerId).publicKey
  } catch {
    return null
  }
  if (key === undefined) return null
  if (key.type === 'Ed25519') return ed25519Verifier(key.raw)
  return async (payload, sig) => { try { return await key.verify(payload, sig) } catch { return false } }
}

function ed25519Verifier (raw: Uint8Array): Verifier | null {
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

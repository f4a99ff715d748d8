/**
 * Verifies store receipts against the signing node's peer id. An upload checks one receipt per
 * block and replica (768 for 256 MiB × 3), so the node's Ed25519 key is imported once per peer
 * and kept: rebuilding it from the peer id for every signature (what the libp2p key object does)
 * was most of the cost, about 2 ms per receipt on the 2-core benchmark machine.
 * The key is read from the peer id directly (peer-key.ts). Peers with other key types need the
 * caller's `fallback` (the sdk and the node pass one built on @libp2p/peer-id, so this package
 * does not depend on libp2p); without one their receipts are refused.
 */
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { receiptPayload } from '@p2pdv/core/wire'
import { ed25519Verifier, type Verifier } from '#ed25519'
import { NodeClientErrorCode } from './errors.ts'
import { ed25519KeyOfPeerId } from './peer-key.ts'

export type { Verifier }

/** Peers whose keys are kept; an upload talks to far fewer. */
const MAX_CACHED_KEYS = 1024

/** A receipt as the uploader keeps it (CID as a string), once checked. */
export interface StoreReceipt { peer: string, cid: string, size: number, time: number }

/** A verifier for a peer id that is not an Ed25519 one, or null when its key cannot be read. */
export type FallbackVerifier = (peerId: string) => Promise<Verifier | null>

export class ReceiptVerifier {
  private readonly verifiers = new Map<string, Promise<Verifier | null>>()
  private readonly fallback: FallbackVerifier | undefined

  constructor (options: { fallback?: FallbackVerifier } = {}) {
    this.fallback = options.fallback
  }

  /** A node's receipt for a block it was sent, checked (its peer, the CID, the size, the signature). */
  async check (peerId: string, r: { peer: string, cid: CID, size: number, time: number, sig: Uint8Array }, cid: CID, size: number): Promise<StoreReceipt> {
    const valid = r.peer === peerId && r.cid.equals(cid) && r.size === size && await this.verify(peerId, receiptPayload(r), r.sig)
    if (!valid) throw new P2pdvError(NodeClientErrorCode.BAD_RECEIPT, `node ${peerId} returned an invalid receipt for ${cid.toString()}`, { hint: 'The node is faulty or not the one it claims to be; the block goes to another node.' })
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
    const raw = ed25519KeyOfPeerId(peerId)
    const v = raw !== undefined ? ed25519Verifier(raw) : this.fallback?.(peerId).catch(() => null) ?? Promise.resolve(null)
    if (this.verifiers.size >= MAX_CACHED_KEYS) this.verifiers.clear()
    this.verifiers.set(peerId, v)
    return await v
  }
}

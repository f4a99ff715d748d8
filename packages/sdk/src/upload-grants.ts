/**
 * The client side of upload grants (@p2pdv/core/grants): nodes store blocks only for uploads that
 * carry a grant signed by the uploader. One grant per node, reused for every block sent to it
 * (the node checks its signature once), and renewed before it runs out of time or allowance.
 *
 * Signers: the user's wallet (`accountUploader`: an `eth` grant, which a node on a chain can match
 * against accounts it knows), or a throw-away Ed25519 key (`ephemeralUploader`), which nodes
 * without a chain admit with a per-identity quota.
 */
import { ANY_NODE, ed25519Signer, encodeGrant, GRANT_NONCE_BYTES, grantAuthorization, signGrant, type GrantAlg, type UploadGrant } from '@p2pdv/core/grants'
import { base16 } from 'multiformats/bases/base16'
import type { Hex, LocalAccount } from 'viem'

/** 0x-hex to bytes without loading viem (a plain put must not: see cli/test/command-index.test.ts). */
const fromHex = (h: Hex): Uint8Array => base16.baseDecode(h.slice(2).toLowerCase())

export interface Uploader {
  alg: GrantAlg
  key: Uint8Array
  sign: (payload: Uint8Array) => Promise<Uint8Array>
}

/** A grant runs for an hour and allows 4 GiB on one node; a new one is signed before either runs out. */
export const GRANT_LIFETIME_MS = 60 * 60_000
export const GRANT_BYTES = 4 * 1024 ** 3
const RENEW_BEFORE_MS = 5 * 60_000

/** Grants signed by a wallet (EIP-191). */
export function accountUploader (account: LocalAccount): Uploader {
  return {
    alg: 'eth',
    key: fromHex(account.address),
    sign: async payload => fromHex(await account.signMessage({ message: { raw: payload } }))
  }
}

/** Grants signed by a fresh Ed25519 key that lives as long as the process. */
export async function ephemeralUploader (): Promise<Uploader> {
  const seed = crypto.getRandomValues(new Uint8Array(32))
  const signer = await ed25519Signer(seed)
  seed.fill(0)
  return { alg: 'ed25519', key: signer.publicKey, sign: signer.sign }
}

export interface HeldGrant {
  grant: UploadGrant
  /** The encoded grant (store protocol headers). */
  bytes: Uint8Array
  /** The `authorization` header value (HTTP PUT). */
  authorization: string
}

/** The grants of one uploader, one per node. */
export class GrantBook {
  private readonly uploader: () => Promise<Uploader>
  private readonly now: () => number
  private readonly held = new Map<string, Promise<{ held: HeldGrant, spent: number }>>()

  constructor (uploader: () => Promise<Uploader>, now: () => number = Date.now) {
    this.uploader = uploader
    this.now = now
  }

  /** The grant to send `bytes` more to node `peerId` with (signed anew when the held one would run out). */
  async forNode (peerId: string, bytes: number): Promise<HeldGrant> {
    let entry = this.held.get(peerId)
    let current = entry === undefined ? undefined : await entry.catch(() => undefined)
    if (current === undefined || current.held.grant.exp - RENEW_BEFORE_MS <= this.now() || current.spent + bytes > current.held.grant.bytes) {
      entry = this.sign(peerId, Math.max(GRANT_BYTES, bytes))
      this.held.set(peerId, entry)
      current = await entry
    }
    current.spent += bytes
    return current.held
  }

  private async sign (peerId: string, allowance: number): Promise<{ held: HeldGrant, spent: number }> {
    const u = await this.uploader()
    const grant = await signGrant({
      alg: u.alg,
      key: u.key,
      node: peerId === '' ? ANY_NODE : peerId,
      bytes: allowance,
      exp: this.now() + GRANT_LIFETIME_MS,
      nonce: crypto.getRandomValues(new Uint8Array(GRANT_NONCE_BYTES))
    }, u.sign)
    return { held: { grant, bytes: encodeGrant(grant), authorization: grantAuthorization(grant) }, spent: 0 }
  }
}

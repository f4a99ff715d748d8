/**
 * Upload grants: the identity an upload is charged to. A grant says "the holder of this key may
 * store up to `bytes` bytes on node `node` (a peer id, or `*` for any node) until `exp`", and is
 * signed by that key. A node checks the signature once per grant (then caches it by hash), so
 * every block of an upload session costs a map lookup, not a signature check.
 *
 * Two signers:
 * - `ed25519`: `key` is the raw 32-byte public key (nodes sign with their libp2p identity; a
 *   client without a wallet may use a throw-away key where the node's policy admits any key);
 * - `eth`: `key` is a 20-byte Ethereum address; `sig` is an EIP-191 `personal_sign` of the
 *   signing payload (the user's wallet in ~/.p2pdv/keys), so a node on a chain can admit only
 *   accounts the chain knows.
 *
 * Wire form: DAG-CBOR map {v: 1, alg, key, node, bytes, exp, nonce, sig}; on HTTP as the header
 * `authorization: P2PDV-Grant <base64url of those bytes>`, on the store protocol as the `grant`
 * field of a header. Signing payload: DAG-CBOR [GRANT_DOMAIN, alg, key, node, bytes, exp, nonce].
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { verifyEd25519 } from './ed25519.ts'
import { P2pdvError } from './errors.ts'

export { ed25519Signer } from './ed25519.ts'

export const GRANT_VERSION = 1
export const GRANT_DOMAIN = 'p2pdv/upload-grant/v1'
/** The HTTP authorization scheme that carries a grant. */
export const GRANT_AUTH_SCHEME = 'P2PDV-Grant'
/** An encoded grant is about 200 bytes; anything longer is refused before it is decoded. */
export const MAX_GRANT_BYTES = 512
export const GRANT_NONCE_BYTES = 16
/** Any node may accept the grant (the uploader accepts that it can be presented anywhere). */
export const ANY_NODE = '*'

export type GrantAlg = 'ed25519' | 'eth'

export interface UploadGrant {
  v: 1
  alg: GrantAlg
  /** ed25519: 32-byte public key; eth: 20-byte address. */
  key: Uint8Array
  /** The node's peer id, or `*`. */
  node: string
  /** Bytes of new blocks the grant may store. */
  bytes: number
  /** Expiry, milliseconds since the epoch. */
  exp: number
  nonce: Uint8Array
  sig: Uint8Array
}

export type UnsignedUploadGrant = Omit<UploadGrant, 'sig' | 'v'>

export const GrantErrorCode = {
  /** A PUT without a grant. */
  MISSING: 'ERR_GRANT_REQUIRED',
  MALFORMED: 'ERR_GRANT_MALFORMED',
  BAD_SIGNATURE: 'ERR_GRANT_BAD_SIGNATURE',
  EXPIRED: 'ERR_GRANT_EXPIRED',
  /** The grant names another node. */
  WRONG_NODE: 'ERR_GRANT_WRONG_NODE',
  /** The grant's byte allowance is spent. */
  EXHAUSTED: 'ERR_GRANT_EXHAUSTED',
  /** The identity's quota on this node is spent. */
  IDENTITY_QUOTA: 'ERR_IDENTITY_QUOTA_EXCEEDED',
  /** The node's admission policy does not admit this identity. */
  NOT_ADMITTED: 'ERR_GRANT_NOT_ADMITTED',
  /** Too many new grants from one source: their signatures are checked at a bounded rate. */
  RATE: 'ERR_GRANT_RATE'
} as const

const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{40,128}$/

function malformed (what: string): P2pdvError {
  return new P2pdvError(GrantErrorCode.MALFORMED, `malformed upload grant: ${what}`, { hint: 'Sign a fresh grant (the p2pdv client does this for every upload).' })
}

function keyLength (alg: GrantAlg): number {
  return alg === 'ed25519' ? 32 : 20
}

/** The exact bytes the uploader signs. */
export function grantSigningPayload (g: UnsignedUploadGrant): Uint8Array {
  return dagCbor.encode([GRANT_DOMAIN, g.alg, g.key, g.node, g.bytes, g.exp, g.nonce])
}

export function encodeGrant (g: UploadGrant): Uint8Array {
  return dagCbor.encode({ v: GRANT_VERSION, alg: g.alg, key: g.key, node: g.node, bytes: g.bytes, exp: g.exp, nonce: g.nonce, sig: g.sig })
}

/** Decodes and checks the shape (not the signature). */
export function decodeGrant (data: Uint8Array): UploadGrant {
  if (data.byteLength > MAX_GRANT_BYTES) throw malformed(`longer than ${MAX_GRANT_BYTES} bytes`)
  let v: unknown
  try { v = dagCbor.decode(data) } catch { throw malformed('not DAG-CBOR') }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not a map')
  const m = v as Record<string, unknown>
  if (m.v !== GRANT_VERSION) throw malformed(`version ${String(m.v).slice(0, 16)} is not supported`)
  if (m.alg !== 'ed25519' && m.alg !== 'eth') throw malformed('alg must be ed25519 or eth')
  const alg = m.alg
  if (!(m.key instanceof Uint8Array) || m.key.byteLength !== keyLength(alg)) throw malformed(`key must be ${keyLength(alg)} bytes`)
  if (typeof m.node !== 'string' || (m.node !== ANY_NODE && !PEER_ID.test(m.node))) throw malformed('node must be a peer id or *')
  if (typeof m.bytes !== 'number' || !Number.isSafeInteger(m.bytes) || m.bytes < 1) throw malformed('bytes must be a positive integer')
  if (typeof m.exp !== 'number' || !Number.isSafeInteger(m.exp) || m.exp < 0) throw malformed('exp must be a time in milliseconds')
  if (!(m.nonce instanceof Uint8Array) || m.nonce.byteLength !== GRANT_NONCE_BYTES) throw malformed(`nonce must be ${GRANT_NONCE_BYTES} bytes`)
  const sigLength = alg === 'ed25519' ? 64 : 65
  if (!(m.sig instanceof Uint8Array) || m.sig.byteLength !== sigLength) throw malformed(`sig must be ${sigLength} bytes`)
  return { v: 1, alg, key: m.key, node: m.node, bytes: m.bytes, exp: m.exp, nonce: m.nonce, sig: m.sig }
}

/** `ed25519:<hex key>` or `eth:0x<lowercase address>`: what quotas are charged to. */
export function grantIdentity (g: Pick<UploadGrant, 'alg' | 'key'>): string {
  return g.alg === 'eth' ? `eth:0x${bytesToHex(g.key)}` : `ed25519:${bytesToHex(g.key)}`
}

/** A stable id for one grant (its signing payload's hash): allowance is tracked per id. */
export function grantId (g: UnsignedUploadGrant): string {
  return bytesToHex(sha256(grantSigningPayload(g)))
}

/** Whether `sig` is the grant key's signature of the payload. */
export async function verifyGrantSignature (g: UploadGrant): Promise<boolean> {
  const payload = grantSigningPayload(g)
  if (g.alg === 'ed25519') return await verifyEd25519(g.sig, payload, g.key)
  try {
    const { recoverMessageAddress } = await import('viem')
    const recovered = await recoverMessageAddress({ message: { raw: payload }, signature: `0x${bytesToHex(g.sig)}` })
    return recovered.toLowerCase() === `0x${bytesToHex(g.key)}`
  } catch {
    return false
  }
}

/** Signs a grant; `sign` is the key's signer (Ed25519 over the payload, or EIP-191 for eth). */
export async function signGrant (g: UnsignedUploadGrant, sign: (payload: Uint8Array) => Promise<Uint8Array>): Promise<UploadGrant> {
  return { v: 1, ...g, sig: await sign(grantSigningPayload(g)) }
}

/** The `authorization` header value for a grant. */
export function grantAuthorization (g: UploadGrant): string {
  return `${GRANT_AUTH_SCHEME} ${base64Url(encodeGrant(g))}`
}

/** The grant bytes of an `authorization` header; undefined when the header holds no grant. */
export function grantFromAuthorization (header: string | undefined): Uint8Array | undefined {
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space).toLowerCase() !== GRANT_AUTH_SCHEME.toLowerCase()) return undefined
  const token = header.slice(space + 1).trim()
  if (token.length > Math.ceil(MAX_GRANT_BYTES * 4 / 3) || !/^[A-Za-z0-9_-]+$/.test(token)) throw malformed('the token is not base64url of at most 512 bytes')
  try { return fromBase64Url(token) } catch { throw malformed('the token is not base64url') }
}

function base64Url (b: Uint8Array): string {
  let s = ''
  for (const x of b) s += String.fromCharCode(x)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url (s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/')
  const bin = atob(b64 + '='.repeat((4 - b64.length % 4) % 4))
  return Uint8Array.from(bin, c => c.charCodeAt(0))
}

/**
 * What every creator-signed public document (listing.ts, profile.ts) shares: strict field
 * checks, the domain-separated digest over canonical DAG-CBOR, the EIP-191 signature check
 * (low-s only, EIP-2), and canonical decoding. Each document kind names its own error codes and
 * digest domain; this module holds no policy of its own.
 *
 *   digest = SHA-256(domain || DAG-CBOR(document without sig))
 *   sig    = EIP-191 personal_sign over the 32 digest bytes (r || s || v, 65 bytes)
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Hex } from 'viem'
import { CID, equalBytes } from './cid.ts'
import { P2pdvError } from './errors.ts'

export const SIGNATURE_BYTES = 65
export const ADDRESS_BYTES = 20
/** secp256k1 group order / 2: signatures with a higher s are the malleated twin (EIP-2). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** Builds the document kind's "malformed" error for a field. */
export type Malformed = (what: string) => P2pdvError

/** One line of text: `min`–`max` characters, no control characters. */
export function textLine (malformed: Malformed, v: unknown, what: string, min: number, max: number): string {
  if (typeof v !== 'string' || v.length < min || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) throw malformed(`${what} must be ${min}–${max} characters without control characters`)
  return v
}

/** Free text: tabs and line feeds allowed, other control characters not. */
export function textParagraph (malformed: Malformed, v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length > max || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) throw malformed(`${what} must be at most ${max} characters (line breaks allowed, no other control characters)`)
  return v
}

/** Milliseconds since the Unix epoch. */
export function epochMillis (malformed: Malformed, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} must be milliseconds since 1970`)
  return v
}

/** A plain map (not an array, bytes or a CID). */
export function isPlainMap (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && CID.asCID(value) === null
}

export function hexOf (b: Uint8Array): Hex {
  return `0x${Array.from(b, x => x.toString(16).padStart(2, '0')).join('')}`
}

/** 0x-hex to bytes (addresses, signatures). */
export function fromHexBytes (h: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(h)) throw new P2pdvError('ERR_BAD_ARGUMENT', 'not a hex string')
  return Uint8Array.from(h.slice(2).match(/../g) ?? [], x => Number.parseInt(x, 16))
}

/** SHA-256(domain || DAG-CBOR(body)): the 32 bytes a creator signs. */
export function domainDigest (domain: Uint8Array, body: object): Uint8Array {
  const cbor = dagCbor.encode(body)
  const msg = new Uint8Array(domain.byteLength + cbor.byteLength)
  msg.set(domain, 0)
  msg.set(cbor, domain.byteLength)
  return sha256(msg)
}

/** True when `sig` is a low-s EIP-191 signature by `signer` (20 bytes) over `digest`. */
export async function signedBy (digest: Uint8Array, sig: Uint8Array, signer: Uint8Array): Promise<boolean> {
  if (sig.byteLength !== SIGNATURE_BYTES) return false
  const s = BigInt(hexOf(sig.subarray(32, 64)))
  const v = sig[64]
  if (s > HALF_N || (v !== 27 && v !== 28)) return false
  try {
    // viem loads on first use: it is most of the module graph, and file commands never need it.
    const { recoverMessageAddress } = await import('viem')
    const recovered = await recoverMessageAddress({ message: { raw: digest }, signature: hexOf(sig) })
    return equalBytes(fromHexBytes(recovered), signer)
  } catch {
    return false
  }
}

/**
 * Decodes a signed document: DAG-CBOR, a map, its body validated by `validate`, a 65-byte `sig`,
 * and byte-for-byte the canonical encoding (so one document has exactly one CID).
 */
export function decodeSigned<B extends object> (bytes: Uint8Array, malformed: Malformed, validate: (body: unknown) => B): B & { sig: Uint8Array } {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (cause) {
    throw Object.assign(malformed('not DAG-CBOR'), { cause })
  }
  const { sig, ...rest } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  const body = validate(rest)
  if (!(sig instanceof Uint8Array) || sig.byteLength !== SIGNATURE_BYTES) throw malformed('sig must be 65 bytes')
  const doc = { ...body, sig }
  if (!equalBytes(dagCbor.encode(doc), bytes)) throw malformed('not in canonical form')
  return doc
}

/** Encodes body + sig canonically; checks the signature's length. */
export function encodeSigned (body: object, sig: unknown, malformed: Malformed): Uint8Array {
  if (!(sig instanceof Uint8Array) || sig.byteLength !== SIGNATURE_BYTES) throw malformed('sig must be 65 bytes')
  return dagCbor.encode({ ...body, sig })
}

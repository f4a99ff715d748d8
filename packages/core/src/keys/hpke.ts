/**
 * HPKE (RFC 9180) in base mode with one fixed suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM, through @hpke/core (WebCrypto in Node and browsers). Every use in the project
 * passes its own `info` (a domain label plus what the ciphertext is about, e.g. the video id) and
 * `aad` (the recipient's public key), so a ciphertext made for one purpose, video or recipient
 * never opens as another.
 */
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { P2pdvError } from '../errors.ts'

export const HPKE_SUITE = 'DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM'
export const X25519_KEY_BYTES = 32
/** The encapsulated key (the sender's ephemeral X25519 public key). */
export const HPKE_ENC_BYTES = 32
export const HPKE_TAG_BYTES = 16
/** @hpke/core refuses longer info strings. */
export const MAX_HPKE_INFO_BYTES = 128

export const HpkeErrorCode = {
  BAD_PUBLIC_KEY: 'ERR_BAD_PUBLIC_KEY',
  BAD_PRIVATE_KEY: 'ERR_BAD_PRIVATE_KEY'
} as const

export interface HpkeSealed {
  /** Encapsulated key, 32 bytes. */
  enc: Uint8Array
  /** AES-256-GCM ciphertext with its 16-byte tag. */
  ct: Uint8Array
}

export interface HpkeBinding {
  info: Uint8Array
  aad: Uint8Array
}

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() })

function checkBinding (b: HpkeBinding): void {
  if (b.info.byteLength > MAX_HPKE_INFO_BYTES) throw new P2pdvError('ERR_BAD_ARGUMENT', `HPKE info is at most ${MAX_HPKE_INFO_BYTES} bytes`)
}

/** Seals `plaintext` to an X25519 public key. A low-order or malformed key is ERR_BAD_PUBLIC_KEY. */
export async function hpkeSeal (recipientPublicKey: Uint8Array, plaintext: Uint8Array, binding: HpkeBinding): Promise<HpkeSealed> {
  checkBinding(binding)
  if (recipientPublicKey.byteLength !== X25519_KEY_BYTES) throw new P2pdvError(HpkeErrorCode.BAD_PUBLIC_KEY, 'X25519 public keys are 32 bytes')
  try {
    const pk = await suite.kem.deserializePublicKey(recipientPublicKey)
    const { enc, ct } = await suite.seal({ recipientPublicKey: pk, info: binding.info }, plaintext, binding.aad)
    return { enc: new Uint8Array(enc), ct: new Uint8Array(ct) }
  } catch (cause) {
    // Encapsulation fails only on keys that yield an all-zero shared secret (low order points).
    throw new P2pdvError(HpkeErrorCode.BAD_PUBLIC_KEY, 'cannot seal to this X25519 public key (low order or malformed)', {
      hint: 'The recipient published an invalid encryption key; ask them to create a new identity.', cause
    })
  }
}

/**
 * Opens an HPKE ciphertext. Any failure (wrong key, wrong info or aad, altered enc or ct) is
 * reported as `failCode`, chosen by the caller so errors say what was being opened.
 */
export async function hpkeOpen (recipientPrivateKey: Uint8Array, sealed: HpkeSealed, binding: HpkeBinding, failCode: string, what: string): Promise<Uint8Array> {
  checkBinding(binding)
  if (recipientPrivateKey.byteLength !== X25519_KEY_BYTES) throw new P2pdvError(HpkeErrorCode.BAD_PRIVATE_KEY, 'X25519 private keys are 32 bytes')
  let sk: CryptoKey
  try {
    sk = await suite.kem.deserializePrivateKey(recipientPrivateKey)
  } catch (cause) {
    throw new P2pdvError(HpkeErrorCode.BAD_PRIVATE_KEY, 'not a usable X25519 private key', { cause })
  }
  try {
    if (sealed.enc.byteLength !== HPKE_ENC_BYTES) throw new Error('enc length')
    return new Uint8Array(await suite.open({ recipientKey: sk, enc: sealed.enc, info: binding.info }, sealed.ct, binding.aad))
  } catch (cause) {
    throw new P2pdvError(failCode, `${what} does not open with this key: it was altered, or sealed to someone else or for another video`, { cause })
  }
}

const enc = new TextEncoder()

/** `label || 0x00 || parts…`: the info/AAD layout used throughout. */
export function bindingBytes (label: string, ...parts: Uint8Array[]): Uint8Array {
  const l = enc.encode(label)
  const out = new Uint8Array(l.byteLength + 1 + parts.reduce((n, p) => n + p.byteLength, 0))
  out.set(l)
  let off = l.byteLength + 1
  for (const p of parts) { out.set(p, off); off += p.byteLength }
  return out
}

/**
 * Ed25519 signature checks that use the platform's own implementation (WebCrypto: browsers from
 * 2024–25 on, Node 20+) where it exists, and noble's otherwise. In a page the difference is
 * large: a first noble verify runs on a cold JIT, and on the watch page's critical path it took
 * ~80 ms of the main thread (the time to first frame bench, 2-core machine); WebCrypto's is
 * native and off the main thread.
 */
import { ed25519 } from '@noble/curves/ed25519.js'

let nativeWorks: boolean | undefined

export async function verifyEd25519 (sig: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (sig.byteLength !== 64 || publicKey.byteLength !== 32) return false
  const subtle = globalThis.crypto?.subtle
  if (subtle !== undefined && nativeWorks !== false) {
    try {
      const key = await subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
      nativeWorks = true
      return await subtle.verify({ name: 'Ed25519' }, key, sig as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>)
    } catch (err) {
      // Unsupported algorithm: fall back for good. A key the platform refuses (not a curve
      // point) is simply not a valid signer.
      if ((err as DOMException).name !== 'NotSupportedError') return false
      nativeWorks = false
    }
  }
  try { return ed25519.verify(sig, message, publicKey) } catch { return false }
}

/** An Ed25519 signer for a 32-byte seed (RFC 8032 private key). */
export interface Ed25519Signer {
  publicKey: Uint8Array
  sign: (message: Uint8Array) => Promise<Uint8Array>
  /** Drops the secret: zeroes the copy the portable path keeps (a platform key is not extractable). */
  forget: () => void
}

// PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410): the fixed DER header, then the 32 bytes.
const PKCS8_ED25519_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

/**
 * A signer for `seed`, on the platform's Ed25519 where it has one (noble otherwise). Same keys and
 * signatures either way (Ed25519 is deterministic); the native one saves the ~80 ms a cold noble
 * key derivation and signature cost a short-lived CLI process.
 */
export async function ed25519Signer (seed: Uint8Array): Promise<Ed25519Signer> {
  if (seed.byteLength !== 32) throw new RangeError('an Ed25519 seed is 32 bytes')
  const subtle = globalThis.crypto?.subtle
  if (subtle !== undefined && nativeWorks !== false) {
    const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.byteLength + 32)
    pkcs8.set(PKCS8_ED25519_PREFIX)
    pkcs8.set(seed, PKCS8_ED25519_PREFIX.byteLength)
    try {
      // The signing key is not extractable; a second, extractable import only yields the public
      // half (JWK `x`) and is dropped at once.
      const key = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
      const { x } = await subtle.exportKey('jwk', await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']))
      nativeWorks = true
      const publicKey = base64UrlBytes(x ?? '')
      return { publicKey, sign: async message => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, message as Uint8Array<ArrayBuffer>)), forget: () => {} }
    } catch (err) {
      // Unsupported: noble from now on. Any other refusal: noble for this key (same result).
      if ((err as DOMException).name === 'NotSupportedError') nativeWorks = false
    } finally {
      pkcs8.fill(0)
    }
  }
  const secret = seed.slice()
  return { publicKey: ed25519.getPublicKey(secret), sign: async message => ed25519.sign(message, secret), forget: () => { secret.fill(0) } }
}

function base64UrlBytes (s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/')
  const bin = atob(b64 + '='.repeat((4 - b64.length % 4) % 4))
  return Uint8Array.from(bin, c => c.charCodeAt(0))
}

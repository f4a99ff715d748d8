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

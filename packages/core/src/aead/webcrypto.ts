/** Browser backend: WebCrypto AES-GCM (hardware-accelerated, asynchronous). */
import { AEAD_TAG_BYTES } from '../limits.ts'
import { AeadAuthError, type Aead } from './types.ts'

const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>()

async function importKey (raw: Uint8Array): Promise<CryptoKey> {
  let k = keys.get(raw)
  if (k === undefined) {
    k = globalThis.crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt'])
    keys.set(raw, k)
  }
  return await k
}

export const aead: Aead = {
  async seal (key, nonce, aad, plaintext) {
    const ct = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: AEAD_TAG_BYTES * 8 },
      await importKey(key), plaintext as Uint8Array<ArrayBuffer>)
    return new Uint8Array(ct)
  },
  async open (key, nonce, aad, sealed) {
    if (sealed.byteLength < AEAD_TAG_BYTES) throw new AeadAuthError('sealed chunk shorter than its tag')
    try {
      const pt = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: AEAD_TAG_BYTES * 8 },
        await importKey(key), sealed as Uint8Array<ArrayBuffer>)
      return new Uint8Array(pt)
    } catch {
      throw new AeadAuthError('authentication tag mismatch')
    }
  }
}

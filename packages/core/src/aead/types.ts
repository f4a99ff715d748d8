/** AES-256-GCM with a 12-byte nonce and a 16-byte tag appended to the ciphertext. */
export interface Aead {
  seal: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => Promise<Uint8Array>
  /** Throws `AeadAuthError` when the tag does not verify. */
  open: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => Promise<Uint8Array>
}

export class AeadAuthError extends Error {
  override name = 'AeadAuthError'
}

/** Ed25519 verification on WebCrypto, for browsers (no node:crypto there). */
export type Verifier = (payload: Uint8Array, sig: Uint8Array) => Promise<boolean>

export async function ed25519Verifier (raw: Uint8Array): Promise<Verifier | null> {
  let key: CryptoKey
  try {
    key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
  } catch {
    return null
  }
  return async (payload, sig) => {
    try { return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig as Uint8Array<ArrayBuffer>, payload as Uint8Array<ArrayBuffer>) } catch { return false }
  }
}

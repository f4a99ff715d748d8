/** Browser backend of `#sha256`: noble-hashes (pure JS, synchronous, like the Node backend). */
import { sha256 } from '@noble/hashes/sha2.js'

/** SHA-256 of the concatenation of `parts`, without concatenating them. */
export function sha256Parts (...parts: Uint8Array[]): Uint8Array {
  const h = sha256.create()
  for (const p of parts) h.update(p)
  return h.digest()
}

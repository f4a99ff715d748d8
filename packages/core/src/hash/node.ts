/** Node backend of `#sha256`: node:crypto (OpenSSL, SHA extensions where the CPU has them). */
import { createHash } from 'node:crypto'

/** SHA-256 of the concatenation of `parts`, without concatenating them. */
export function sha256Parts (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  const d = h.digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}

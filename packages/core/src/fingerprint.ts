import { sha256 } from '@noble/hashes/sha2.js'
import { checkKey, FORMAT_VERSION } from './sealed.ts'

const LABEL = new TextEncoder().encode(`p2pdv/v${FORMAT_VERSION}/key-fingerprint\0`)

/** Names a content key without revealing it (recorded on chain): SHA-256(label || K). */
export function keyFingerprint (key: Uint8Array): Uint8Array {
  checkKey(key)
  const buf = new Uint8Array(LABEL.byteLength + key.byteLength)
  buf.set(LABEL)
  buf.set(key, LABEL.byteLength)
  const out = sha256(buf)
  buf.fill(0)
  return out
}

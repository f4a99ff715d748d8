/**
 * Audit Merkle roots (the spec and the reference are `merkleRoot` in @p2pdv/core/audit) computed
 * with node:crypto: the portable SHA-256 runs at tens of MB/s on 1 KiB leaves, too slow for the
 * upload path. A 1 MiB block has 2047 hashes of a few bytes to 1 KiB each, so the cost is per
 * call: one-shot `crypto.hash` into preallocated buffers (no Hash object per node) is ~1.6× the
 * createHash chain. The sealing workers compute it beside the seal, off the main thread.
 * Equality with the reference is tested.
 */
import { hash } from 'node:crypto'
import { AUDIT_LEAF_BYTES } from '@p2pdv/core/audit'

const sha256 = (data: Uint8Array): Buffer => hash('sha256', data, 'buffer') as Buffer

export function merkleRootFast (block: Uint8Array, leafBytes = AUDIT_LEAF_BYTES): Uint8Array {
  const n = Math.max(1, Math.ceil(block.byteLength / leafBytes))
  // Leaf i: H(0x00 ‖ u32be(i) ‖ leaf), all digests in one buffer; each level then in place.
  const level = Buffer.allocUnsafe(n * 32)
  const scratch = Buffer.allocUnsafe(5 + leafBytes)
  scratch[0] = 0
  for (let i = 0; i < n; i++) {
    const leaf = block.subarray(i * leafBytes, (i + 1) * leafBytes)
    scratch.writeUInt32BE(i, 1)
    scratch.set(leaf, 5)
    level.set(sha256(scratch.subarray(0, 5 + leaf.byteLength)), i * 32)
  }
  // Inner: H(0x01 ‖ left ‖ right); an odd node is carried up unchanged.
  const pair = Buffer.allocUnsafe(65)
  pair[0] = 1
  let width = n
  while (width > 1) {
    let out = 0
    for (let i = 0; i < width; i += 2, out++) {
      if (i + 1 < width) {
        level.copy(pair, 1, i * 32, i * 32 + 64)
        level.set(sha256(pair), out * 32)
      } else {
        level.copy(level, out * 32, i * 32, i * 32 + 32)
      }
    }
    width = out
  }
  // Root: H(0x02 ‖ u32be(size) ‖ top), binding the block size.
  const head = Buffer.allocUnsafe(37)
  head[0] = 2
  head.writeUInt32BE(block.byteLength, 1)
  level.copy(head, 5, 0, 32)
  return new Uint8Array(sha256(head))
}

/**
 * Merkle trees over a block's bytes, for storage audits: the root is recorded publicly when the
 * block is placed; later an auditor asks a node for one random leaf and its path and checks it
 * against the root, with neither the block nor any key. Leaves are fixed-size slices of the block
 * (the last one shorter); an odd node at any level is promoted unchanged. Leaf and inner hashes are
 * domain-separated (RFC 6962 style) so an inner node can never pass as a leaf:
 *
 *   leaf  = SHA-256(0x00 || u32be(index) || slice)
 *   inner = SHA-256(0x01 || left || right)
 *   root  = SHA-256(0x02 || u32be(block size) || top)
 *
 * The leaf index is hashed in, so a node cannot answer a challenge for leaf i with another leaf;
 * the size is hashed into the root, so one root stands for exactly one block length.
 */
import { sha256Parts } from '#sha256'
import { P2pdvError } from '../errors.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'

/**
 * Leaf size of new audit roots. 16 KiB rather than 1 KiB: an uploader computes a root for every
 * block, and with 1 KiB leaves that was 2047 hash calls per MiB, whose per-call cost made the
 * roots slower than sealing and hashing the block together (≈ 250 MB/s vs ≈ 1.2 GB/s at 16 KiB
 * with node:crypto on the benchmark machine). A challenge answer grows from ~1.3 KiB to ~16 KiB;
 * audits are rare and small either way. Records say which size their roots use.
 */
export const AUDIT_LEAF_BYTES = 16 * 1024
/** The leaf size of roots recorded before records said (placement records without `leaf`). */
export const LEGACY_AUDIT_LEAF_BYTES = 1024
export const MIN_AUDIT_LEAF_BYTES = 1024
export const MAX_AUDIT_LEAF_BYTES = 64 * 1024
/** ceil(log2(MAX_BLOCK_BYTES / MIN_AUDIT_LEAF_BYTES)) + slack: no honest proof is longer. */
export const MAX_PROOF_DEPTH = 24

/** True for the leaf sizes roots may use: a power of two from 1 KiB to 64 KiB. */
export function isAuditLeafBytes (n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= MIN_AUDIT_LEAF_BYTES && n <= MAX_AUDIT_LEAF_BYTES && (n & (n - 1)) === 0
}

export const AuditErrorCode = {
  BAD_PROOF: 'ERR_AUDIT_BAD_PROOF',
  BAD_ARGUMENT: 'ERR_AUDIT_ARGUMENT'
} as const

export interface MerkleProof {
  /** Index of the challenged leaf. */
  index: number
  /** The leaf's bytes. */
  leaf: Uint8Array
  /** Sibling hashes from the leaf up; `null` where the node had no sibling and was promoted. */
  path: Array<Uint8Array | null>
}

export function leafCount (blockBytes: number, leafBytes = AUDIT_LEAF_BYTES): number {
  return Math.max(1, Math.ceil(blockBytes / leafBytes))
}

const INNER_PREFIX = new Uint8Array([1])

function leafHash (index: number, slice: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(5)
  new DataView(prefix.buffer).setUint32(1, index)
  return sha256Parts(prefix, slice)
}

function innerHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Parts(INNER_PREFIX, left, right)
}

function leaves (block: Uint8Array, leafBytes: number): Uint8Array[] {
  if (!isAuditLeafBytes(leafBytes)) throw new P2pdvError(AuditErrorCode.BAD_ARGUMENT, `audit leaves are a power of two from ${MIN_AUDIT_LEAF_BYTES} to ${MAX_AUDIT_LEAF_BYTES} bytes, not ${String(leafBytes)}`)
  if (block.byteLength > MAX_BLOCK_BYTES) throw new P2pdvError(AuditErrorCode.BAD_ARGUMENT, 'block larger than MAX_BLOCK_BYTES')
  const n = leafCount(block.byteLength, leafBytes)
  return Array.from({ length: n }, (_, i) => leafHash(i, block.subarray(i * leafBytes, (i + 1) * leafBytes)))
}

function up (level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = []
  for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? innerHash(level[i]!, level[i + 1]!) : level[i]!)
  return next
}

function sealRoot (blockBytes: number, top: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(5)
  prefix[0] = 2
  new DataView(prefix.buffer).setUint32(1, blockBytes)
  return sha256Parts(prefix, top)
}

export function merkleRoot (block: Uint8Array, leafBytes = AUDIT_LEAF_BYTES): Uint8Array {
  let level = leaves(block, leafBytes)
  while (level.length > 1) level = up(level)
  return sealRoot(block.byteLength, level[0]!)
}

/** The answer to a challenge for leaf `index` (computed by the node holding the block). */
export function merkleProof (block: Uint8Array, index: number, leafBytes = AUDIT_LEAF_BYTES): MerkleProof {
  const n = leafCount(block.byteLength, leafBytes)
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) throw new P2pdvError(AuditErrorCode.BAD_ARGUMENT, `leaf index ${index} out of range (block has ${n} leaves)`)
  const path: Array<Uint8Array | null> = []
  let level = leaves(block, leafBytes)
  let i = index
  while (level.length > 1) {
    const sibling = i ^ 1
    path.push(sibling < level.length ? level[sibling]! : null)
    level = up(level)
    i >>= 1
  }
  return { index, leaf: block.slice(index * leafBytes, (index + 1) * leafBytes), path }
}

/**
 * Checks a proof against a recorded root and block size; throws ERR_AUDIT_BAD_PROOF naming what
 * is wrong. The path shape is fully determined by (size, index), so a proof of another shape fails.
 */
export function verifyMerkleProof (root: Uint8Array, blockBytes: number, proof: MerkleProof, leafBytes = AUDIT_LEAF_BYTES): void {
  const bad = (why: string): P2pdvError => new P2pdvError(AuditErrorCode.BAD_PROOF, `audit proof rejected: ${why}`, { details: { index: proof.index } })
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 0 || blockBytes > MAX_BLOCK_BYTES) throw bad('block size out of range')
  if (!isAuditLeafBytes(leafBytes)) throw bad('leaf size not supported')
  const n = leafCount(blockBytes, leafBytes)
  if (!Number.isSafeInteger(proof.index) || proof.index < 0 || proof.index >= n) throw bad('leaf index out of range')
  const expectedLeaf = Math.min(leafBytes, blockBytes - proof.index * leafBytes)
  if (proof.leaf.byteLength !== Math.max(0, expectedLeaf)) throw bad('leaf has the wrong length')
  if (proof.path.length > MAX_PROOF_DEPTH) throw bad('path too long')
  let hash = leafHash(proof.index, proof.leaf)
  let i = proof.index
  let width = n
  let depth = 0
  while (width > 1) {
    const step = proof.path[depth]
    if (step === undefined) throw bad('path too short')
    const sibling = i ^ 1
    if (sibling < width) {
      if (!(step instanceof Uint8Array) || step.byteLength !== 32) throw bad('path hash has the wrong length')
      hash = (i & 1) === 0 ? innerHash(hash, step) : innerHash(step, hash)
    } else if (step !== null) {
      throw bad('path has a sibling where there is none')
    }
    i >>= 1
    width = Math.ceil(width / 2)
    depth++
  }
  if (depth !== proof.path.length) throw bad('path too long')
  if (!constantTimeEqual(sealRoot(blockBytes, hash), root)) throw bad('does not match the recorded root')
}

function constantTimeEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AUDIT_LEAF_BYTES, AuditErrorCode, isAuditLeafBytes, leafCount, LEGACY_AUDIT_LEAF_BYTES, merkleProof, merkleRoot, verifyMerkleProof } from '@p2pdv/core/audit'

/** Roots recorded before the leaf size was recorded (1 KiB) and those written now (16 KiB). */
const LEAF_SIZES = [LEGACY_AUDIT_LEAF_BYTES, AUDIT_LEAF_BYTES]

const block = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)

describe('audit merkle trees', () => {
  it('every leaf of blocks of many sizes proves against the root, at either leaf size', () => {
    for (const leafBytes of LEAF_SIZES) {
      for (const size of [0, 1, 1023, 1024, 1025, 3 * 1024, 5 * 1024 + 3, 64 * 1024, 3 * 16 * 1024 + 1]) {
        const b = block(size)
        const root = merkleRoot(b, leafBytes)
        for (let i = 0; i < leafCount(size, leafBytes); i++) verifyMerkleProof(root, size, merkleProof(b, i, leafBytes), leafBytes)
      }
    }
    // The default is the current leaf size.
    assert.deepEqual(merkleRoot(block(40_000)), merkleRoot(block(40_000), AUDIT_LEAF_BYTES))
    assert.notDeepEqual(merkleRoot(block(40_000), LEGACY_AUDIT_LEAF_BYTES), merkleRoot(block(40_000), AUDIT_LEAF_BYTES))
  })

  it('rejects any single flipped bit in the leaf or the path, a moved leaf, and a wrong size', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 70_000 }), fc.constantFrom(...LEAF_SIZES), fc.nat(), fc.nat(), (size, leafBytes, leafSeed, bitSeed) => {
      const b = block(size)
      const root = merkleRoot(b, leafBytes)
      const verify = (p: typeof proof, s = size): void => { verifyMerkleProof(root, s, p, leafBytes) }
      const index = leafSeed % leafCount(size, leafBytes)
      const proof = merkleProof(b, index, leafBytes)
      const leaf = proof.leaf.slice()
      leaf[bitSeed % leaf.byteLength]! ^= 1 << (bitSeed % 8)
      assert.throws(() => { verify({ ...proof, leaf }) }, { code: AuditErrorCode.BAD_PROOF })
      const hashes = proof.path.map((h, d) => [h, d] as const).filter(([h]) => h !== null)
      if (hashes.length > 0) {
        const [h, d] = hashes[bitSeed % hashes.length]!
        const path = proof.path.slice()
        const flipped = h!.slice()
        flipped[bitSeed % 32]! ^= 1
        path[d] = flipped
        assert.throws(() => { verify({ ...proof, path }) }, { code: AuditErrorCode.BAD_PROOF })
      }
      if (leafCount(size, leafBytes) > 1) {
        const other = (index + 1) % leafCount(size, leafBytes)
        const moved = merkleProof(b, other, leafBytes)
        assert.throws(() => { verify({ ...moved, index }) }, { code: AuditErrorCode.BAD_PROOF })
      }
      assert.throws(() => { verify(proof, size + 1024) }, { code: AuditErrorCode.BAD_PROOF })
    }), { numRuns: 200 })
  })

  it('refuses malformed proofs and leaf sizes roots may not use, without throwing anything else', () => {
    const leafBytes = LEGACY_AUDIT_LEAF_BYTES
    const b = block(4096)
    const root = merkleRoot(b, leafBytes)
    const p = merkleProof(b, 2, leafBytes)
    for (const bad of [{ ...p, index: -1 }, { ...p, index: 4 }, { ...p, index: 1.5 }, { ...p, path: [] }, { ...p, path: [...p.path, null] },
      { ...p, path: p.path.map(() => new Uint8Array(31)) }, { ...p, path: Array(100).fill(null) }, { ...p, leaf: new Uint8Array(0) }]) {
      assert.throws(() => { verifyMerkleProof(root, 4096, bad, leafBytes) }, { code: AuditErrorCode.BAD_PROOF })
    }
    assert.throws(() => merkleProof(b, 9, leafBytes), { code: AuditErrorCode.BAD_ARGUMENT })
    for (const odd of [0, 512, 3000, 128 * 1024]) {
      assert.equal(isAuditLeafBytes(odd), false)
      assert.throws(() => merkleRoot(b, odd), { code: AuditErrorCode.BAD_ARGUMENT })
      assert.throws(() => { verifyMerkleProof(root, 4096, p, odd) }, { code: AuditErrorCode.BAD_PROOF })
    }
  })
})

describe('audit hash backends', () => {
  it('node:crypto and noble produce the same digests, so roots agree in Node and in browsers', async () => {
    const node = await import('../src/hash/node.ts')
    const noble = await import('../src/hash/noble.ts')
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 4 }), parts => {
      assert.deepEqual(node.sha256Parts(...parts), noble.sha256Parts(...parts))
    }), { numRuns: 200 })
  })
})

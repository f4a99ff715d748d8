import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AuditErrorCode, leafCount, merkleProof, merkleRoot, verifyMerkleProof } from '@p2pdv/core/audit'

const block = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)

describe('audit merkle trees', () => {
  it('every leaf of blocks of many sizes proves against the root', () => {
    for (const size of [0, 1, 1023, 1024, 1025, 3 * 1024, 5 * 1024 + 3, 64 * 1024]) {
      const b = block(size)
      const root = merkleRoot(b)
      for (let i = 0; i < leafCount(size); i++) verifyMerkleProof(root, size, merkleProof(b, i))
    }
  })

  it('rejects any single flipped bit in the leaf or the path, a moved leaf, and a wrong size', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20_000 }), fc.nat(), fc.nat(), (size, leafSeed, bitSeed) => {
      const b = block(size)
      const root = merkleRoot(b)
      const index = leafSeed % leafCount(size)
      const proof = merkleProof(b, index)
      const leaf = proof.leaf.slice()
      leaf[bitSeed % leaf.byteLength]! ^= 1 << (bitSeed % 8)
      assert.throws(() => { verifyMerkleProof(root, size, { ...proof, leaf }) }, { code: AuditErrorCode.BAD_PROOF })
      const hashes = proof.path.map((h, d) => [h, d] as const).filter(([h]) => h !== null)
      if (hashes.length > 0) {
        const [h, d] = hashes[bitSeed % hashes.length]!
        const path = proof.path.slice()
        const flipped = h!.slice()
        flipped[bitSeed % 32]! ^= 1
        path[d] = flipped
        assert.throws(() => { verifyMerkleProof(root, size, { ...proof, path }) }, { code: AuditErrorCode.BAD_PROOF })
      }
      if (leafCount(size) > 1) {
        const other = (index + 1) % leafCount(size)
        const moved = merkleProof(b, other)
        assert.throws(() => { verifyMerkleProof(root, size, { ...moved, index }) }, { code: AuditErrorCode.BAD_PROOF })
      }
      assert.throws(() => { verifyMerkleProof(root, size + 1024, proof) }, { code: AuditErrorCode.BAD_PROOF })
    }), { numRuns: 200 })
  })

  it('refuses malformed proofs without throwing anything else', () => {
    const b = block(4096)
    const root = merkleRoot(b)
    const p = merkleProof(b, 2)
    for (const bad of [{ ...p, index: -1 }, { ...p, index: 4 }, { ...p, index: 1.5 }, { ...p, path: [] }, { ...p, path: [...p.path, null] },
      { ...p, path: p.path.map(() => new Uint8Array(31)) }, { ...p, path: Array(100).fill(null) }, { ...p, leaf: new Uint8Array(0) }]) {
      assert.throws(() => { verifyMerkleProof(root, 4096, bad) }, { code: AuditErrorCode.BAD_PROOF })
    }
    assert.throws(() => merkleProof(b, 9), { code: AuditErrorCode.BAD_ARGUMENT })
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

// The reward tree builder: proofs verify for every leaf and tree size, roots do not depend on
// input order, and a tampered leaf or proof does not verify.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { concat, getAddress, keccak256, type Address, type Hex } from 'viem'
import { buildRewardTree, rewardLeaf, type RewardShare } from '../src/index.ts'

/** OpenZeppelin MerkleProof.processProof with commutative keccak, in TypeScript. */
function verify (proof: Hex[], root: Hex, leaf: Hex): boolean {
  let h = leaf
  for (const p of proof) h = BigInt(h) < BigInt(p) ? keccak256(concat([h, p])) : keccak256(concat([p, h]))
  return h === root
}

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => getAddress(`0x${Buffer.from(b).toString('hex')}`) as Address)
const share = fc.record({ node: address, ethAmount: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), tokenAmount: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }) })
const shares = fc.uniqueArray(share, { minLength: 1, maxLength: 40, selector: s => s.node })

describe('reward tree', () => {
  it('every leaf has a proof that verifies against the root, for any number of nodes', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), shares, (epoch, list) => {
      const tree = buildRewardTree(epoch, list)
      for (const s of list) assert.ok(verify(tree.proof(s.node), tree.root, rewardLeaf(epoch, s)))
      assert.equal(tree.ethTotal, list.reduce((t, s) => t + s.ethAmount, 0n))
    }), { numRuns: 60 })
  })

  it('the root does not depend on input order', () => {
    fc.assert(fc.property(shares, list => {
      assert.equal(buildRewardTree(3n, list).root, buildRewardTree(3n, [...list].reverse()).root)
    }), { numRuns: 40 })
  })

  it('a changed amount, another epoch or a foreign proof does not verify', () => {
    fc.assert(fc.property(fc.uniqueArray(share, { minLength: 2, maxLength: 20, selector: s => s.node }), list => {
      const tree = buildRewardTree(1n, list)
      const [a, b] = list as [RewardShare, RewardShare]
      assert.ok(!verify(tree.proof(a.node), tree.root, rewardLeaf(1n, { ...a, ethAmount: a.ethAmount ^ 1n })))
      assert.ok(!verify(tree.proof(a.node), tree.root, rewardLeaf(2n, a)))
      if (tree.proof(a.node).join() !== tree.proof(b.node).join()) assert.ok(!verify(tree.proof(b.node), tree.root, rewardLeaf(1n, a)))
    }), { numRuns: 40 })
  })

  it('refuses empty trees, duplicate nodes, negative amounts and unknown nodes', () => {
    const n = '0x0000000000000000000000000000000000000001' as Address
    assert.throws(() => buildRewardTree(0n, []), RangeError)
    assert.throws(() => buildRewardTree(0n, [{ node: n, ethAmount: 1n, tokenAmount: 0n }, { node: n, ethAmount: 2n, tokenAmount: 0n }]), RangeError)
    assert.throws(() => buildRewardTree(0n, [{ node: n, ethAmount: -1n, tokenAmount: 0n }]), RangeError)
    assert.throws(() => buildRewardTree(0n, [{ node: n, ethAmount: 1n, tokenAmount: 0n }]).proof('0x0000000000000000000000000000000000000002'), RangeError)
  })
})

// Settlement over random epochs (fast-check): shares never exceed the pool, each share is the
// node's recomputed floor(pool × weight / total), every proof leads to the root, the root does not
// depend on record order (anyone recomputes it), and impossible records are refused by code and
// paid nothing.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { getAddress, type Address } from 'viem'
import { MAX_STORED_BYTES, nodeWeight, settleEpoch, verifyRewardProof, verifySettlement, type NodeAuditRecord, type SettlementInput } from '../src/settlement.ts'

const RUNS = Number(process.env.P2PDV_PROPERTY_RUNS ?? 100)
const EPOCH_SECONDS = 86_400n

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).filter(b => b.some(x => x !== 0)).map(b => getAddress(`0x${Buffer.from(b).toString('hex')}`))
const validRecord = fc.record({
  node: address,
  storedBytes: fc.bigInt({ min: 0n, max: MAX_STORED_BYTES }),
  seconds: fc.bigInt({ min: 0n, max: EPOCH_SECONDS }),
  audits: fc.integer({ min: 0, max: 10_000 })
}).chain(r => fc.integer({ min: 0, max: r.audits }).map(passes => ({ ...r, passes })))
const pool = fc.record({ eth: fc.bigInt({ min: 0n, max: 10n ** 24n }), token: fc.bigInt({ min: 0n, max: 10n ** 30n }) })

describe('settlement', () => {
  it('pays each node its recomputed share, never more than the pool in all, with proofs to the root', () => {
    fc.assert(fc.property(fc.uniqueArray(validRecord, { minLength: 1, maxLength: 40, selector: r => r.node.toLowerCase() }), pool, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (records, p, epoch) => {
      const input: SettlementInput = { epoch, epochSeconds: EPOCH_SECONDS, pool: p, records }
      const s = settleEpoch(input)
      assert.deepEqual(s.refusals, [])
      const eth = s.shares.reduce((t, x) => t + x.ethAmount, 0n)
      const token = s.shares.reduce((t, x) => t + x.tokenAmount, 0n)
      assert.ok(eth <= p.eth && token <= p.token, 'paid never exceeds funded')
      // Flooring loses less than one wei per node.
      if (s.totalWeight > 0n) assert.ok(p.eth - eth < BigInt(records.length) + 1n && p.token - token < BigInt(records.length) + 1n)
      const total = records.reduce((t, r) => t + nodeWeight(r), 0n)
      assert.equal(s.totalWeight, total)
      for (const r of records) {
        const share = s.shares.find(x => x.node === r.node)
        const expected = total === 0n ? { eth: 0n, token: 0n } : { eth: p.eth * nodeWeight(r) / total, token: p.token * nodeWeight(r) / total }
        assert.deepEqual([share?.ethAmount ?? 0n, share?.tokenAmount ?? 0n], [expected.eth, expected.token])
        if (share !== undefined) assert.ok(verifyRewardProof(s.tree!.root, epoch, share, s.tree!.proof(share.node)))
      }
      if (s.tree !== undefined) {
        assert.ok(verifySettlement({ ...input, records: [...records].reverse() }, s.tree.root), 'record order does not change the root')
        const other = s.shares[0]!
        assert.equal(verifyRewardProof(s.tree.root, epoch, { ...other, ethAmount: other.ethAmount + 1n }, s.tree.proof(other.node)), false, 'a proof is for its amounts only')
        assert.equal(verifyRewardProof(s.tree.root, epoch ^ 1n, other, s.tree.proof(other.node)), false, 'and for its epoch only')
      }
    }), { numRuns: RUNS })
  })

  it('a node that passed no audit earns nothing; pass rate scales the share', () => {
    const a = getAddress('0x' + '11'.repeat(20)) as Address
    const b = getAddress('0x' + '22'.repeat(20)) as Address
    const c = getAddress('0x' + '33'.repeat(20)) as Address
    const s = settleEpoch({ epoch: 0n, epochSeconds: EPOCH_SECONDS, pool: { eth: 0n, token: 3000n }, records: [
      { node: a, storedBytes: 100n, seconds: EPOCH_SECONDS, audits: 10, passes: 10 },
      { node: b, storedBytes: 100n, seconds: EPOCH_SECONDS, audits: 10, passes: 5 },
      { node: c, storedBytes: 100n, seconds: EPOCH_SECONDS, audits: 10, passes: 0 }
    ] })
    assert.deepEqual(s.shares.map(x => [x.node, x.tokenAmount]), [[a, 2000n], [b, 1000n]])
  })

  it('refuses impossible records by code, pays them nothing, and pays the others as without them', () => {
    const good: NodeAuditRecord = { node: getAddress('0x' + '44'.repeat(20)), storedBytes: 1000n, seconds: 60n, audits: 4, passes: 4 }
    const dup = getAddress('0x' + '55'.repeat(20))
    const bad: NodeAuditRecord[] = [
      { ...good, node: getAddress('0x' + '66'.repeat(20)), passes: 5 },
      { ...good, node: getAddress('0x' + '77'.repeat(20)), seconds: EPOCH_SECONDS + 1n },
      { ...good, node: getAddress('0x' + '88'.repeat(20)), storedBytes: MAX_STORED_BYTES + 1n },
      { ...good, node: '0x0000000000000000000000000000000000000000' },
      { ...good, node: 'bob' as Address },
      { ...good, node: getAddress('0x' + '99'.repeat(20)), storedBytes: -1n },
      { ...good, node: getAddress('0x' + 'aa'.repeat(20)), audits: 1.5 },
      { ...good, node: dup },
      { ...good, node: dup, storedBytes: 10n ** 12n },
      { ...good, node: dup, storedBytes: 5n }
    ]
    const s = settleEpoch({ epoch: 3n, epochSeconds: EPOCH_SECONDS, pool: { eth: 10n ** 18n, token: 0n }, records: [good, ...bad] })
    assert.deepEqual(s.refusals.map(r => r.code), [
      'ERR_SETTLE_IMPOSSIBLE_PASSES', 'ERR_SETTLE_IMPOSSIBLE_DURATION', 'ERR_SETTLE_IMPOSSIBLE_VOLUME', 'ERR_SETTLE_BAD_RECORD', 'ERR_SETTLE_BAD_RECORD',
      'ERR_SETTLE_BAD_RECORD', 'ERR_SETTLE_BAD_RECORD', 'ERR_SETTLE_DUPLICATE_NODE', 'ERR_SETTLE_DUPLICATE_NODE', 'ERR_SETTLE_DUPLICATE_NODE'
    ])
    assert.deepEqual(s.shares, [{ node: good.node, ethAmount: 10n ** 18n, tokenAmount: 0n }], 'both records of the duplicated node are left out')
    assert.equal(s.tree?.root, settleEpoch({ epoch: 3n, epochSeconds: EPOCH_SECONDS, pool: { eth: 10n ** 18n, token: 0n }, records: [good] }).tree?.root)
    assert.throws(() => settleEpoch({ epoch: -1n, epochSeconds: EPOCH_SECONDS, pool: { eth: 0n, token: 0n }, records: [] }), RangeError)
    assert.throws(() => settleEpoch({ epoch: 0n, epochSeconds: 0n, pool: { eth: 0n, token: 0n }, records: [] }), RangeError)
    assert.equal(settleEpoch({ epoch: 0n, epochSeconds: 1n, pool: { eth: 5n, token: 0n }, records: [] }).tree, undefined, 'nothing earned: nothing to post')
  })

  it('splits the pool by the governed weights: storage part by storage weight, the rest by served bytes, never more than the pool', () => {
    const weighted = fc.record({ storageShareBps: fc.integer({ min: 0, max: 10_000 }), minPassBps: fc.integer({ min: 0, max: 10_000 }) })
    const served = fc.bigInt({ min: 0n, max: 2n ** 40n })
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(validRecord, served), { minLength: 1, maxLength: 30, selector: ([r]) => r.node.toLowerCase() }), pool, weighted, (pairs, p, weights) => {
      const records = pairs.map(([r, servedBytes]) => ({ ...r, servedBytes }))
      const s = settleEpoch({ epoch: 1n, epochSeconds: EPOCH_SECONDS, pool: p, records, weights })
      assert.deepEqual(s.refusals, [])
      const eth = s.shares.reduce((t, x) => t + x.ethAmount, 0n)
      const token = s.shares.reduce((t, x) => t + x.tokenAmount, 0n)
      assert.ok(eth <= p.eth && token <= p.token, 'paid never exceeds funded')
      const storage = records.map(r => nodeWeight(r, weights.minPassBps))
      const totalStorage = storage.reduce((a, b) => a + b, 0n)
      const totalServed = records.reduce((a, r) => a + r.servedBytes, 0n)
      assert.equal(s.totalWeight, totalStorage)
      const bps = totalServed === 0n ? 10_000n : totalStorage === 0n ? 0n : BigInt(weights.storageShareBps)
      records.forEach((r, i) => {
        const share = s.shares.find(x => x.node === r.node)
        const sp = p.token * bps / 10_000n
        const expected = (totalStorage === 0n ? 0n : sp * storage[i]! / totalStorage) + (totalServed === 0n ? 0n : (p.token - sp) * r.servedBytes / totalServed)
        assert.equal(share?.tokenAmount ?? 0n, expected)
        if (r.passes * 10_000 < weights.minPassBps * r.audits) assert.equal(storage[i], 0n, 'below the minimum pass rate, storage earns nothing')
      })
    }), { numRuns: RUNS })
  })

  it('below the minimum pass rate a node earns nothing for storage; served bytes are paid by the serving share', () => {
    const a = getAddress('0x' + '11'.repeat(20))
    const b = getAddress('0x' + '22'.repeat(20))
    const records = [
      { node: a, storedBytes: 100n, seconds: EPOCH_SECONDS, audits: 10, passes: 10, servedBytes: 0n },
      { node: b, storedBytes: 100n, seconds: EPOCH_SECONDS, audits: 10, passes: 4, servedBytes: 500n }
    ]
    const s = settleEpoch({ epoch: 0n, epochSeconds: EPOCH_SECONDS, pool: { eth: 0n, token: 1000n }, records, weights: { storageShareBps: 8000, minPassBps: 5000 } })
    assert.deepEqual(s.shares.map(x => [x.node, x.tokenAmount]), [[a, 800n], [b, 200n]])
    const noServing = settleEpoch({ epoch: 0n, epochSeconds: EPOCH_SECONDS, pool: { eth: 0n, token: 1000n }, records: records.map(r => ({ ...r, servedBytes: 0n })), weights: { storageShareBps: 8000, minPassBps: 5000 } })
    assert.deepEqual(noServing.shares.map(x => [x.node, x.tokenAmount]), [[a, 1000n]], 'a part nobody earned goes to the other')
    assert.throws(() => settleEpoch({ epoch: 0n, epochSeconds: 1n, pool: { eth: 0n, token: 0n }, records: [], weights: { storageShareBps: 10_001, minPassBps: 0 } }), RangeError)
  })
})

// `gov propose --set KEY=VALUE`: each key parses to the ProtocolParams call it names, within the
// contract's own bounds, and decodes back; hostile or impossible values get ERR_GOV_BAD_CHANGE
// (or the amount/duration codes) before any transaction.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { decodeFunctionData } from 'viem'
import { ProtocolParamsAbi } from '@p2pdv/contracts/abis'
import { decodeParamChange, describeParamChange, encodeParamChange, parseParamChange, parseParamChanges } from '../src/param-changes.ts'

const code = (fn: () => unknown): string => {
  try { fn() } catch (err) { return (err as { code: string }).code }
  return 'no error'
}

describe('parameter changes', () => {
  it('parses each key into its setter call', () => {
    const call = (text: string) => {
      const d = decodeFunctionData({ abi: ProtocolParamsAbi, data: encodeParamChange(parseParamChange(text)) })
      return [d.functionName, d.args]
    }
    assert.deepEqual(call('min-stake=1500'), ['setMinStake', [1500n * 10n ** 18n]])
    assert.deepEqual(call('unbonding=7d'), ['setUnbondingPeriod', [604_800n]])
    assert.deepEqual(call('split=80:15'), ['setRevenueSplit', [8000, 1500]])
    assert.deepEqual(call('split=82.5%:12.25%'), ['setRevenueSplit', [8250, 1225]])
    assert.deepEqual(call('slash=12.5'), ['setSlashBps', [1250]])
    assert.deepEqual(call('erasure=10:4'), ['setErasureDefaults', [10, 4]])
    assert.deepEqual(call('erasure=128:128'), ['setErasureDefaults', [128, 128]])
    assert.deepEqual(call('settlement=80:50'), ['setSettlementWeights', [8000, 5000]])
    assert.deepEqual(call(' TREASURY = 0x70997970c51812dc3a010c7d01b50e0d17dc79c8'), ['setTreasury', ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8']])
  })

  it('refuses what the contract would refuse, and junk, with a code', () => {
    for (const bad of ['split=90:10.01', 'split=80', 'split=a:b', 'slash=100.01', 'slash=-1', 'erasure=0:2', 'erasure=4:0', 'erasure=200:57',
      'erasure=10', 'treasury=0x0000000000000000000000000000000000000000', 'treasury=bob', 'unbonding=366d', 'min-stake=1eth', 'quorum=5',
      'nokey', '=5', 'settlement=101:0', 'settlement=80', `split=${'9'.repeat(300)}`, 'split=1:2:3', 'slash=1e3', 'erasure=1000:1']) {
      assert.match(code(() => parseParamChange(bad)), /^ERR_(GOV_BAD_CHANGE|BAD_AMOUNT|BAD_DURATION)$/, bad)
    }
    assert.equal(code(() => parseParamChange('min-stake=lots')), 'ERR_BAD_AMOUNT')
    assert.equal(code(() => parseParamChange('unbonding=soon')), 'ERR_BAD_DURATION')
    assert.equal(code(() => parseParamChanges([])), 'ERR_GOV_BAD_CHANGE')
    assert.equal(code(() => parseParamChanges(['slash=1', 'slash=2'])), 'ERR_GOV_BAD_CHANGE', 'the same key twice')
    assert.equal(code(() => parseParamChanges(Array.from({ length: 8 }, () => 'slash=1'))), 'ERR_GOV_BAD_CHANGE')
  })

  it('decodes what it encodes, and describes it in the words --set takes', () => {
    fc.assert(fc.property(
      fc.oneof(
        fc.record({ c: fc.integer({ min: 0, max: 10_000 }), n: fc.integer({ min: 0, max: 10_000 }) }).filter(x => x.c + x.n <= 10_000).map(x => `split=${x.c / 100}:${x.n / 100}`),
        fc.integer({ min: 0, max: 10_000 }).map(b => `slash=${b / 100}`),
        fc.record({ k: fc.integer({ min: 1, max: 255 }), m: fc.integer({ min: 1, max: 255 }) }).filter(x => x.k + x.m <= 256).map(x => `erasure=${x.k}:${x.m}`),
        fc.bigInt({ min: 0n, max: 10n ** 12n }).map(n => `min-stake=${n}`),
        fc.bigInt({ min: 0n, max: 365n * 86_400n }).map(n => `unbonding=${n}`),
        fc.record({ s: fc.integer({ min: 0, max: 10_000 }), p: fc.integer({ min: 0, max: 10_000 }) }).map(x => `settlement=${x.s / 100}:${x.p / 100}`)
      ),
      text => {
        const change = parseParamChange(text)
        assert.deepEqual(decodeParamChange(encodeParamChange(change)), change)
        assert.deepEqual(parseParamChange(describeParamChange(change)), change)
      }
    ))
    assert.equal(decodeParamChange('0xdeadbeef'), undefined, 'a call that is no setter decodes to nothing')
  })
})

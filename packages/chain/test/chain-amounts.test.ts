import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatAmount, formatDurationSeconds, parseAmount, parseDuration, revertCode } from '@p2pdv/chain'

describe('chain amounts and durations', () => {
  it('parses ether and P2PV amounts exactly', () => {
    assert.deepEqual(parseAmount('0.01'), { asset: 'eth', amount: 10n ** 16n })
    assert.deepEqual(parseAmount('0.01eth'), { asset: 'eth', amount: 10n ** 16n })
    assert.deepEqual(parseAmount('25 P2PV'), { asset: 'p2pv', amount: 25n * 10n ** 18n })
    assert.deepEqual(parseAmount('0.000000000000000001'), { asset: 'eth', amount: 1n })
    assert.deepEqual(parseAmount('3', 'p2pv'), { asset: 'p2pv', amount: 3n * 10n ** 18n })
    assert.equal(formatAmount(15n * 10n ** 15n, 'eth'), '0.015 ETH')
  })

  it('refuses what is not an amount', () => {
    for (const bad of ['', '-1', '1e18', '0.0000000000000000001', '1 btc', 'abc', '1.2.3', '9'.repeat(31)]) {
      assert.throws(() => parseAmount(bad), { code: 'ERR_BAD_AMOUNT' }, bad)
    }
  })

  it('parses durations in seconds, minutes, hours, days and weeks', () => {
    assert.equal(parseDuration('3600'), 3600n)
    assert.equal(parseDuration('90m'), 5400n)
    assert.equal(parseDuration('48h'), 172_800n)
    assert.equal(parseDuration('30d'), 2_592_000n)
    assert.equal(parseDuration('2w'), 1_209_600n)
    assert.equal(formatDurationSeconds(172_800n), '2d')
    assert.equal(formatDurationSeconds(5400n), '90m')
    for (const bad of ['', '1y', '-5h', '1.5h']) assert.throws(() => parseDuration(bad), { code: 'ERR_BAD_DURATION' }, bad)
  })

  it('names revert codes after the contract error', () => {
    assert.equal(revertCode('NotForSale'), 'ERR_CHAIN_NOT_FOR_SALE')
    assert.equal(revertCode('ERC20InsufficientAllowance'), 'ERR_CHAIN_ERC20_INSUFFICIENT_ALLOWANCE')
    assert.equal(revertCode('AccessControlUnauthorizedAccount'), 'ERR_CHAIN_ACCESS_CONTROL_UNAUTHORIZED_ACCOUNT')
  })
})

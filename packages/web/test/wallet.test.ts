// The wallet pages' pure parts: the price state a viewer sees, the local watch history, and what
// an injected wallet's account and chain events mean.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { describe, it } from 'node:test'
import type { Hex } from 'viem'
import {
  conditionSegments, conditionText, durationWords, groupDigits, priceView, qualification, refundedNote, refundView, refundWindowLabel, timeLeft, tokenMinimum, utcTime, wholeTokens, type ClauseLike
} from '../src/app/discover/price-view.ts'
import { HISTORY_KEY, MAX_HISTORY, readHistory, recordWatch } from '../src/app/library/history.ts'
import type { AccessState } from '../src/app/wallet/session.ts'
import { watchWalletChanges, type EventfulProvider, type WalletChange } from '../src/app/wallet/wallet-changes.ts'

const owner = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Hex
function chain (policy: AccessState['video']['policy'], extra: Partial<AccessState> = {}, price?: { amount: bigint, duration: bigint }): AccessState {
  return { video: { id: `0x${'1'.repeat(64)}`, owner, policy, retired: false, blocked: false, ...(price === undefined ? {} : { price: { asset: 'eth', ...price } }) } as unknown as AccessState['video'], access: false, ...extra }
}

describe('price state', () => {
  const listedPaid = { policy: 'paid' as const, price: { asset: 'eth' as const, amount: 10n ** 16n, durationSeconds: 0n } }
  it('names free, buy, owned, subscribe, subscribed, no plan and private', () => {
    assert.equal(priceView({ policy: 'public' }, undefined).state, 'public')
    assert.deepEqual(priceView(listedPaid, undefined), { state: 'buy', label: 'Buy for 0.01 ETH', detail: 'Yours to watch for good.' })
    // The chain's price wins over the listing's (it may have changed since the index saw it).
    assert.equal(priceView(listedPaid, chain('paid', {}, { amount: 2n * 10n ** 16n, duration: 0n })).label, 'Buy for 0.02 ETH')
    assert.equal(priceView(listedPaid, chain('paid', { access: true }, { amount: 1n, duration: 0n })).state, 'owned')
    assert.equal(priceView(listedPaid, chain('paid')).state, 'not-for-sale')
    assert.equal(priceView(listedPaid, chain('private')).state, 'private')
    const plan = { asset: 'eth' as const, amount: 5n * 10n ** 15n, period: 30n * 86_400n }
    assert.deepEqual(priceView({ policy: 'subscribers' }, chain('subscribers', { plan })), { state: 'subscribe', label: 'Subscribe for 0.005 ETH', detail: '30 days of every video of this creator.' })
    assert.equal(priceView({ policy: 'subscribers' }, chain('subscribers', { plan, access: true, subscribed: true })).state, 'subscribed')
    assert.equal(priceView({ policy: 'subscribers' }, chain('subscribers')).state, 'no-plan')
  })
})

describe('refunds on the video page', () => {
  const me = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as Hex
  const held = { payer: me, asset: 'eth' as const, amount: 10n ** 16n, refundableUntil: 1_800_000_000n }

  it('says how long a refund window lasts, and nothing without one', () => {
    assert.equal(refundWindowLabel(7n * 86_400n), 'Refundable for 7 days after you buy')
    assert.equal(refundWindowLabel(86_400n), 'Refundable for 1 day after you buy')
    assert.equal(refundWindowLabel(48n * 3_600n), 'Refundable for 2 days after you buy')
    assert.equal(refundWindowLabel(36n * 3_600n), 'Refundable for 36 hours after you buy')
    assert.equal(refundWindowLabel(90n * 60n), 'Refundable for 90 minutes after you buy')
    assert.equal(refundWindowLabel(0n), 'Not refundable', 'a buyer is told there are no refunds before paying')
    assert.equal(refundWindowLabel(undefined), undefined)
    assert.equal(durationWords(61n), '2 minutes', 'rounds up: never promises less time than there is')
  })

  it('offers a refund only to the payer, only within the window', () => {
    const now = held.refundableUntil - 3n * 86_400n
    assert.deepEqual(refundView(held, me.toLowerCase(), now), { state: 'refundable', until: held.refundableUntil, amount: '0.01 ETH', deadline: '2027-01-15 08:00 UTC', left: '3 days left' })
    assert.equal(refundView(held, me, held.refundableUntil - 1n).state, 'refundable')
    assert.equal(timeLeft(7n * 86_400n - 10n), '6 days 23 hours', 'never rounded up')
    assert.equal(timeLeft(90n * 60n), '1 hour 30 minutes')
    assert.equal(timeLeft(86_400n), '1 day')
    assert.equal(timeLeft(119n), '1 minute')
    assert.equal(timeLeft(59n), 'under a minute')
    assert.equal(refundView(held, me, held.refundableUntil).state, 'closed', 'the contract refuses at block.timestamp >= refundableUntil')
    assert.equal(refundView(held, owner, now).state, 'other-payer', 'a gift: only the payer may refund')
    assert.equal(refundView(undefined, me, now).state, 'none')
    assert.equal(refundView({ ...held, amount: 0n }, me, now).state, 'none')
  })

  it('says where the money went: credited in the contract, not in the wallet yet', () => {
    assert.match(refundedNote(10n ** 16n, 'eth'), /^Refunded 0\.01 ETH\. .*credits the money to your account.*not in your wallet until you withdraw/)
  })

  it('owned while a refundable purchase is held, free-for-you when the condition alone opens it', () => {
    const listedPaid = { policy: 'paid' as const, price: { asset: 'eth' as const, amount: 10n ** 16n, durationSeconds: 0n } }
    const price = { amount: 10n ** 16n, duration: 0n }
    assert.equal(priceView(listedPaid, chain('paid', { access: true, conditionMet: true }, price)).state, 'qualified')
    assert.equal(priceView(listedPaid, chain('paid', { access: true, conditionMet: true, refund: { window: 1n, held: { video: `0x${'1'.repeat(64)}`, viewer: me, ...held } } }, price)).state, 'owned')
    assert.equal(priceView(listedPaid, chain('paid', { access: false, conditionMet: false }, price)).state, 'buy')
  })
})

describe('access conditions in words', () => {
  const token = '0xAbCdEf0123456789abcdef0123456789ABCDEF01'
  const clause = (c: Partial<ClauseLike>): ClauseLike => ({ kind: 1, token: '0x0000000000000000000000000000000000000000', notBefore: 0n, id: 0n, min: 0n, notAfter: 0n, ...c })
  const OPEN_END = 2n ** 64n - 1n

  it('names each kind, joined by and / or', () => {
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 1, token, min: 100n })] }), 'Free for holders of ≥ 100 base units of token 0xAbCd…EF01 (ERC-20)', 'decimals not read: base units, said so')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 2, token, min: 1n })] }), 'Free for holders of any NFT of collection 0xAbCd…EF01 (ERC-721)')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 2, token, min: 3n })] }), 'Free for holders of ≥ 3 NFTs of collection 0xAbCd…EF01 (ERC-721)')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 3, token, id: 7n, min: 2n })] }), 'Free for holders of ≥ 2 of token #7 of collection 0xAbCd…EF01 (ERC-1155)')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 4, notBefore: 1_798_761_600n, notAfter: 1_801_440_000n })] }), 'Free from 2027-01-01 00:00 UTC until 2027-02-01 00:00 UTC')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 4, notBefore: 1_798_761_600n, notAfter: OPEN_END })] }), 'Free from 2027-01-01 00:00 UTC on')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 4, notAfter: 1_798_761_600n })] }), 'Free until 2027-01-01 00:00 UTC')
    assert.equal(conditionText({ any: true, clauses: [clause({ kind: 1, token, min: 10n ** 20n }), clause({ kind: 4, notBefore: 1_798_761_600n, notAfter: OPEN_END })] }),
      'Free for holders of ≥ 100,000,000,000,000,000,000 base units of token 0xAbCd…EF01 (ERC-20) or for anyone from 2027-01-01 00:00 UTC on')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 2, token, min: 1n }), clause({ kind: 4, notAfter: 1_798_761_600n })] }),
      'Free for holders of any NFT of collection 0xAbCd…EF01 (ERC-721) and only until 2027-01-01 00:00 UTC')
    assert.equal(conditionText({ any: false, clauses: [] }), undefined)
    assert.equal(conditionText(undefined), undefined)
    assert.match(conditionText({ any: false, clauses: [clause({ kind: 9 })] })!, /does not know \(kind 9\)/)
  })

  it('shows ERC-20 minimums in whole tokens with the token\'s symbol beside the base units; unusable decimals fall back to base units', () => {
    const c = { any: false, clauses: [clause({ kind: 1, token, min: 10n ** 20n })] }
    const dai = new Map([[token.toLowerCase(), { decimals: 18, symbol: 'DAI' }]])
    assert.equal(conditionText(c, dai), 'Free for holders of ≥ 100 DAI (100,000,000,000,000,000,000 base units) of token 0xAbCd…EF01 (ERC-20)')
    assert.equal(conditionText({ any: false, clauses: [clause({ kind: 1, token, min: 1_500_000n })] }, new Map([[token.toLowerCase(), { decimals: 6 }]])),
      'Free for holders of ≥ 1.5 tokens (1,500,000 base units) of token 0xAbCd…EF01 (ERC-20)')
    assert.equal(conditionText(c, new Map([[token.toLowerCase(), { problem: 'decimals() unreadable' }]])), 'Free for holders of ≥ 100,000,000,000,000,000,000 base units of token 0xAbCd…EF01 (ERC-20)')
    assert.equal(tokenMinimum(12_345n * 10n ** 15n, { decimals: 18, symbol: 'X' }), '≥ 12.345 X (12,345,000,000,000,000,000 base units)')
    assert.equal(tokenMinimum(5n, { decimals: 99 }), '≥ 5 base units', 'absurd decimals are not used')
    assert.equal(wholeTokens(1_234_567n * 10n ** 18n, 18), '1,234,567')
  })

  it('keeps addresses as data (shortened on the page, full in a title), never as markup', () => {
    const hostile = '<img src=x onerror=alert(1)>'
    const segs = conditionSegments({ any: false, clauses: [clause({ kind: 1, token: hostile, min: 1n })] })!
    assert.deepEqual(segs.filter(s => typeof s !== 'string'), [{ address: hostile }])
    assert.ok(segs.every(s => typeof s !== 'string' || !s.includes('<')), 'no markup built from chain values')
  })

  it('says whether this wallet qualifies', () => {
    assert.deepEqual(qualification(true), { state: 'qualified', text: 'You qualify: plays free' })
    assert.equal(qualification(false).state, 'not-qualified')
    assert.equal(qualification(undefined).state, 'unknown')
  })

  it('formats times in UTC and big numbers with separators', () => {
    assert.equal(utcTime(0n), '1970-01-01 00:00 UTC')
    assert.equal(utcTime(59n), '1970-01-01 00:00:59 UTC')
    assert.equal(utcTime(2n ** 63n), `${2n ** 63n} s (unix time)`)
    assert.equal(groupDigits(1234567n), '1,234,567')
    assert.equal(groupDigits(999n), '999')
  })
})

describe('watch history (local)', () => {
  const store = (): Map<string, string> & Storage => {
    const m = new Map<string, string>()
    return Object.assign(m, { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => { m.set(k, v) }, removeItem: (k: string) => { m.delete(k) } }) as unknown as Map<string, string> & Storage
  }
  const id = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`

  it('keeps the latest first, once each, at most MAX_HISTORY', () => {
    const s = store()
    for (let i = 0; i < MAX_HISTORY + 5; i++) recordWatch({ id: id(i), title: `v${i}`, at: i }, s)
    recordWatch({ id: id(MAX_HISTORY + 1), title: 'again', at: 999 }, s)
    const h = readHistory(s)
    assert.equal(h.length, MAX_HISTORY)
    assert.deepEqual(h[0], { id: id(MAX_HISTORY + 1), title: 'again', at: 999 })
    assert.equal(h.filter(e => e.id === id(MAX_HISTORY + 1)).length, 1)
  })

  it('survives garbage another script wrote (bad JSON, wrong shapes, huge titles)', () => {
    const s = store()
    s.setItem(HISTORY_KEY, '{not json')
    assert.deepEqual(readHistory(s), [])
    s.setItem(HISTORY_KEY, JSON.stringify({ a: 1 }))
    assert.deepEqual(readHistory(s), [])
    s.setItem(HISTORY_KEY, JSON.stringify([null, 7, { id: 'javascript:alert(1)', title: 'x', at: 1 }, { id: id(1), title: 'x'.repeat(10_000), at: 2 }]))
    const h = readHistory(s)
    assert.equal(h.length, 1)
    assert.equal(h[0]!.title.length, 200)
    recordWatch({ id: '../../etc', title: 'no', at: 3 }, s)
    assert.equal(readHistory(s).length, 1)
  })
})

describe('injected wallet changes', () => {
  const me = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  const other = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
  function watched (): { emitter: EventEmitter, changes: WalletChange[], stop: () => void } {
    const emitter = new EventEmitter()
    const changes: WalletChange[] = []
    const stop = watchWalletChanges(emitter as unknown as EventfulProvider, { address: me.toLowerCase() }, c => { changes.push(c) })
    return { emitter, changes, stop }
  }

  it('reports another account, a locked wallet and a chain switch; the same account is no change', () => {
    const { emitter, changes } = watched()
    emitter.emit('accountsChanged', [me])
    emitter.emit('accountsChanged', [other, me])
    emitter.emit('accountsChanged', [])
    emitter.emit('chainChanged', '0x1')
    assert.deepEqual(changes, [{ kind: 'account', address: other }, { kind: 'locked' }, { kind: 'chain', chainId: 1 }])
  })

  it('works with a provider that emits no events (no on/removeListener): nothing to follow, nothing thrown', () => {
    const stop = watchWalletChanges({ request: async () => null } as unknown as EventfulProvider, { address: me }, () => { throw new Error('no events') })
    stop()
  })

  it('ignores events that are not an account list or a chain id, and stops listening when told', () => {
    const { emitter, changes, stop } = watched()
    for (const junk of [undefined, 'x', { 0: other }, ['0x12'], [5], ['not an address'.repeat(1000)]]) emitter.emit('accountsChanged', junk)
    for (const junk of [undefined, '0x', '0xzz', '0x' + 'f'.repeat(40), -1, 1.5, {}]) emitter.emit('chainChanged', junk)
    assert.deepEqual(changes, [])
    stop()
    emitter.emit('accountsChanged', [other])
    assert.deepEqual(changes, [])
    assert.equal(emitter.listenerCount('accountsChanged') + emitter.listenerCount('chainChanged'), 0)
  })
})

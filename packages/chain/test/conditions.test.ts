// Access-condition specs as users type them (`--require`): every form parses to the clause the
// contract stores and prints back to the same spec; every malformed one is refused with the code
// naming what is wrong. Also the renewal reminders' pure part (which subscriptions expire soon).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { getAddress, zeroAddress, type Address } from 'viem'
import { checkTokenMetadata, clauseSpec, ClauseKind, describeClause, describeCondition, describeTokenAmount, formatUnitsExact, liveSubscriptions, OPEN_END, parseClause, parseCondition, RENEWAL_WARNING_SECONDS, resolveCondition, tokenMetadata, type ChainContext, type TokenMetadata } from '@p2pdv/chain'

const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const T = getAddress(TOKEN)
const base = { token: zeroAddress, notBefore: 0n, id: 0n, min: 0n, notAfter: 0n }

describe('condition specs', () => {
  it('parses each kind to the clause the contract stores', () => {
    assert.deepEqual(parseClause(`erc20:${TOKEN}>=100`), { ...base, kind: ClauseKind.erc20, token: T, min: 100n })
    assert.deepEqual(parseClause(`erc20:${TOKEN}>=100e18`), { ...base, kind: ClauseKind.erc20, token: T, min: 100n * 10n ** 18n })
    assert.deepEqual(parseClause(`erc20:${TOKEN} >= 1.5e6`), { ...base, kind: ClauseKind.erc20, token: T, min: 1_500_000n })
    assert.deepEqual(parseClause(`erc20:${TOKEN}`), { ...base, kind: ClauseKind.erc20, token: T, min: 1n }, 'no minimum: any balance')
    assert.deepEqual(parseClause(`ERC721:${TOKEN}`), { ...base, kind: ClauseKind.erc721, token: T, min: 1n })
    assert.deepEqual(parseClause(`erc721:${TOKEN}>=3`), { ...base, kind: ClauseKind.erc721, token: T, min: 3n })
    assert.deepEqual(parseClause(`erc1155:${TOKEN}:42>=2`), { ...base, kind: ClauseKind.erc1155, token: T, id: 42n, min: 2n })
    assert.deepEqual(parseClause(`erc1155:${TOKEN}:0`), { ...base, kind: ClauseKind.erc1155, token: T, id: 0n, min: 1n })
    assert.deepEqual(parseClause('time:2027-01-01..2027-02-01'), { ...base, kind: ClauseKind.time, notBefore: 1798761600n, notAfter: 1801440000n })
    assert.deepEqual(parseClause('time:2027-01-01T18:00..'), { ...base, kind: ClauseKind.time, notBefore: 1798826400n, notAfter: OPEN_END }, 'no zone: UTC')
    assert.deepEqual(parseClause('time:2027-01-01T20:00+02:00..'), { ...base, kind: ClauseKind.time, notBefore: 1798826400n, notAfter: OPEN_END })
    assert.deepEqual(parseClause('time:..1800000000'), { ...base, kind: ClauseKind.time, notBefore: 0n, notAfter: 1_800_000_000n })
  })

  it('prints a clause back as a spec that parses to the same clause (property)', () => {
    const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).filter(b => b.some(x => x !== 0)).map(b => getAddress(`0x${Buffer.from(b).toString('hex')}`) as Address)
    const min = fc.bigInt({ min: 1n, max: 2n ** 128n - 1n })
    const clause = fc.oneof(
      fc.record({ kind: fc.constant(ClauseKind.erc20), token: addr, min }).map(c => ({ ...base, ...c })),
      fc.record({ kind: fc.constant(ClauseKind.erc721), token: addr, min }).map(c => ({ ...base, ...c })),
      fc.record({ kind: fc.constant(ClauseKind.erc1155), token: addr, id: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), min }).map(c => ({ ...base, ...c })),
      // Not open at both ends: that window holds for everyone, and the parser refuses it.
      fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.bigInt({ min: 1n, max: 2n ** 40n }), fc.boolean())
        .filter(([from, , open]) => !(from === 0n && open))
        .map(([from, len, open]) => ({ ...base, kind: ClauseKind.time, notBefore: from, notAfter: open ? OPEN_END : from + len }))
    )
    fc.assert(fc.property(clause, c => { assert.deepEqual(parseClause(clauseSpec(c)), c) }), { numRuns: 300 })
  })

  it('refuses malformed specs with the code naming what is wrong', () => {
    const cases: Array<[string, string]> = [
      ['', 'ERR_CONDITION_SYNTAX'],
      [TOKEN, 'ERR_CONDITION_SYNTAX'],
      [`erc20:${TOKEN}${'0'.repeat(200)}`, 'ERR_CONDITION_SYNTAX'],
      [`erc20:${TOKEN}>=1 extra`, 'ERR_CONDITION_SYNTAX'],
      [`erc777:${TOKEN}`, 'ERR_CONDITION_KIND'],
      ['erc20:0x1234', 'ERR_CONDITION_ADDRESS'],
      ['erc20:', 'ERR_CONDITION_ADDRESS'],
      [`erc20:${zeroAddress}>=1`, 'ERR_CONDITION_ADDRESS'],
      [`erc20:${TOKEN}>=0`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=-5`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=1.5`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=1.25e1`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=${2n ** 128n}`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=lots`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}:5>=1`, 'ERR_CONDITION_TOKEN_ID'],
      [`erc721:${TOKEN}:5`, 'ERR_CONDITION_TOKEN_ID'],
      [`erc1155:${TOKEN}`, 'ERR_CONDITION_TOKEN_ID'],
      [`erc1155:${TOKEN}:>=2`, 'ERR_CONDITION_TOKEN_ID'],
      [`erc1155:${TOKEN}:x1`, 'ERR_CONDITION_TOKEN_ID'],
      [`erc1155:${TOKEN}:${2n ** 256n}`, 'ERR_CONDITION_TOKEN_ID'],
      ['time:2027-01-01', 'ERR_CONDITION_TIME'],
      ['time:..', 'ERR_CONDITION_TIME'],
      ['time:2027-02-01..2027-01-01', 'ERR_CONDITION_TIME'],
      ['time:2027-01-01..2027-01-01', 'ERR_CONDITION_TIME'],
      ['time:tomorrow..', 'ERR_CONDITION_TIME'],
      ['time:2027-13-45..', 'ERR_CONDITION_TIME'],
      ['time:1..2..3', 'ERR_CONDITION_TIME'],
      [`time:${2n ** 64n}..`, 'ERR_CONDITION_TIME']
    ]
    for (const [spec, code] of cases) {
      assert.throws(() => parseClause(spec), (err: Error & { code?: string, hint?: string }) => {
        assert.equal(err.code, code, `${spec.slice(0, 60)}: ${err.message}`)
        assert.ok(err.message.includes('condition'), err.message)
        return true
      })
    }
  })

  it('takes 1 to 4 clauses and keeps the combinator', () => {
    const spec = `erc721:${TOKEN}`
    assert.throws(() => parseCondition([], false), { code: 'ERR_CONDITION_COUNT' })
    assert.throws(() => parseCondition([spec, spec, spec, spec, spec], true), { code: 'ERR_CONDITION_COUNT' })
    const c = parseCondition([spec, 'time:..2027-01-01'], true)
    assert.equal(c.any, true)
    assert.equal(c.clauses.length, 2)
    assert.match(describeCondition(c), /meets any of: holds a token of ERC-721 0x5FbDB.*; asks before 2027-01-01T00:00:00Z/)
    assert.match(describeCondition({ ...c, any: false }), /meets all of/)
  })
})

describe('token minimums in whole tokens (decimals and symbol)', () => {
  const DAI: TokenMetadata = { decimals: 18, symbol: 'DAI' }
  const ok = (value: unknown): PromiseSettledResult<unknown> => ({ status: 'fulfilled', value })
  const reverted: PromiseSettledResult<unknown> = { status: 'rejected', reason: new Error('execution reverted') }
  /** A chain whose token answers decimals() and symbol() as given (a function: it throws or hangs). */
  const chainWith = (answers: Record<string, () => Promise<unknown>>): ChainContext =>
    ({ public: { readContract: async ({ functionName }: { functionName: string }) => await answers[functionName]!() } }) as unknown as ChainContext

  it('keeps >=N in base units, and reads >=100.5tokens and >=100SYMBOL as whole tokens to scale later', () => {
    assert.deepEqual(parseClause(`erc20:${TOKEN}>=100`).min, 100n, '>=N stays base units')
    const t = parseClause(`erc20:${TOKEN}>=100.5tokens`)
    assert.deepEqual([t.min, t.inTokens], [0n, { amount: '100.5', unit: 'tokens' }])
    assert.deepEqual(parseClause(`erc20:${TOKEN}>=100DAI`).inTokens, { amount: '100', unit: 'DAI' })
    assert.equal(clauseSpec(t), `erc20:${T}>=100.5tokens`, 'printed back as written (the studio passes specs on)')
    for (const [spec, code] of [
      [`erc20:${TOKEN}>=0tokens`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=0.000tokens`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=1e5tokens`, 'ERR_CONDITION_UNIT'],
      [`erc20:${TOKEN}>=.5tokens`, 'ERR_CONDITION_AMOUNT'],
      [`erc20:${TOKEN}>=5 tokens`, 'ERR_CONDITION_SYNTAX'],
      [`erc20:${TOKEN}>=5${'X'.repeat(17)}`, 'ERR_CONDITION_AMOUNT'],
      [`erc721:${TOKEN}>=5tokens`, 'ERR_CONDITION_AMOUNT']
    ] as const) {
      assert.throws(() => parseClause(spec), { code }, spec)
    }
  })

  it('scales by the token\'s decimals, checks the symbol, and refuses what cannot be scaled', async () => {
    const ctx = chainWith({ decimals: async () => 18, symbol: async () => 'DAI' })
    const c = await resolveCondition(ctx, parseCondition([`erc20:${TOKEN}>=100.5tokens`, `erc20:${TOKEN}>=100dai`, `erc721:${TOKEN}`], false))
    assert.deepEqual(c.clauses.map(cl => cl.min), [100_500_000_000_000_000_000n, 100n * 10n ** 18n, 1n])
    assert.ok(c.clauses.every(cl => !('inTokens' in cl)), 'the contract gets plain clauses')
    const refuse = async (answers: Record<string, () => Promise<unknown>>, spec: string, code: string): Promise<void> => {
      await assert.rejects(resolveCondition(chainWith(answers), parseCondition([spec], false)), { code }, spec)
    }
    await refuse({ decimals: async () => 18, symbol: async () => 'USDC' }, `erc20:${TOKEN}>=100DAI`, 'ERR_CONDITION_UNIT')
    await refuse({ decimals: async () => 6, symbol: async () => 'USDC' }, `erc20:${TOKEN}>=1.0000001tokens`, 'ERR_CONDITION_AMOUNT')
    await refuse({ decimals: async () => { throw new Error('execution reverted') }, symbol: async () => 'DAI' }, `erc20:${TOKEN}>=1tokens`, 'ERR_CONDITION_DECIMALS')
    await refuse({ decimals: async () => 77, symbol: async () => 'BIG' }, `erc20:${TOKEN}>=1BIG`, 'ERR_CONDITION_DECIMALS')
    await refuse({ decimals: async () => 36, symbol: async () => 'BIG' }, `erc20:${TOKEN}>=${'9'.repeat(10)}BIG`, 'ERR_CONDITION_AMOUNT')
  })

  it('falls back to base units, and says why, for a token that reverts, answers junk, absurd decimals or nothing in time', async () => {
    assert.deepEqual(checkTokenMetadata(ok(18), ok('DAI')), DAI)
    assert.deepEqual(checkTokenMetadata(ok(0), ok('NFT-ish')), { decimals: 0, symbol: 'NFT-ish' })
    assert.deepEqual(checkTokenMetadata(reverted, ok('DAI')), { symbol: 'DAI', problem: 'decimals() unreadable' })
    assert.deepEqual(checkTokenMetadata(ok(37), reverted), { problem: 'decimals() says 37, more than 36' })
    assert.deepEqual(checkTokenMetadata(ok(1.5), ok('')), { problem: 'decimals() returned no number' })
    assert.deepEqual(checkTokenMetadata(ok('18'), ok(42)), { problem: 'decimals() returned no number' })
    for (const junk of ['D\u0000AI', 'a b', 'X'.repeat(17), '<script>', '\u202eIAD']) {
      assert.equal(checkTokenMetadata(ok(18), ok(junk)).symbol, undefined, JSON.stringify(junk))
    }
    const hung = await tokenMetadata(chainWith({ decimals: async () => await new Promise(() => {}), symbol: async () => 'DAI' }), T, { timeoutMs: 50 })
    assert.deepEqual(hung, { symbol: 'DAI', problem: 'decimals() did not answer within 50 ms' })
    assert.deepEqual(await tokenMetadata(chainWith({ decimals: async () => 6, symbol: async () => { throw new Error('returned bytes32') } }), T), { decimals: 6 })
  })

  it('shows a minimum in whole tokens beside its base units, or base units with the reason', () => {
    assert.equal(formatUnitsExact(100n * 10n ** 18n, 18), '100')
    assert.equal(formatUnitsExact(1n, 18), '0.000000000000000001')
    assert.equal(formatUnitsExact(1_500_000n, 6), '1.5')
    assert.equal(formatUnitsExact(42n, 0), '42')
    assert.equal(describeTokenAmount(100n * 10n ** 18n, DAI), '≥ 100 DAI (100000000000000000000 base units)')
    assert.equal(describeTokenAmount(1_500_000n, { decimals: 6 }), '≥ 1.5 tokens (1500000 base units)')
    assert.equal(describeTokenAmount(5n, { problem: 'decimals() unreadable' }), '≥ 5 base units (decimals() unreadable: shown in base units)')
    const c = parseClause(`erc20:${TOKEN}>=100e18`)
    assert.equal(describeClause(c, new Map([[TOKEN, DAI]])), `holds ≥ 100 DAI (100000000000000000000 base units) of ERC-20 ${T}`)
    assert.equal(describeClause(c), `holds ≥ 100000000000000000000 base units of ERC-20 ${T}`)
  })
})

describe('renewal reminders', () => {
  const a = `0x${'aa'.repeat(20)}` as Address
  const b = `0x${'bb'.repeat(20)}` as Address
  const c = `0x${'cc'.repeat(20)}` as Address
  it('keeps running subscriptions, soonest first, and flags those ending within 7 days', () => {
    const now = 1_000_000n
    const live = liveSubscriptions([
      { creator: a, until: now + 30n * 86_400n, block: 3n },
      { creator: b, until: now - 1n, block: 2n },
      { creator: c, until: now + RENEWAL_WARNING_SECONDS, block: 1n }
    ], now)
    assert.deepEqual(live.map(s => [s.creator, s.expiresSoon]), [[c, true], [a, false]])
    assert.equal(live[0]!.secondsLeft, RENEWAL_WARNING_SECONDS)
    assert.deepEqual(liveSubscriptions([{ creator: a, until: now, block: 1n }], now), [], 'ends at now: over')
  })
})

/**
 * Access conditions (AccessManager.setCondition): who may watch a video because of what they hold
 * or when they ask, beside grants, payments and subscriptions. A condition is 1 to 4 clauses
 * joined by one combinator, all of them (AND) or any of them (OR); hasAccess evaluates it on
 * chain, so key keepers need nothing new.
 *
 * Clauses as people type them (`p2pdv upload … --require SPEC`, repeatable):
 *
 *   erc20:0xTOKEN>=100          holds at least 100 of the token's smallest unit (base units;
 *                               100e18: 100 whole tokens of an 18-decimal token); `>=N` left out
 *                               means at least 1
 *   erc20:0xTOKEN>=100.5tokens  holds at least 100.5 whole tokens: a number followed by a unit,
 *   erc20:0xTOKEN>=100DAI       `tokens` or the token's own symbol(), is scaled by its decimals()
 *                               read from the chain (resolveCondition); a symbol that is not the
 *                               token's is refused, so the unit also checks the address
 *   erc721:0xCOLLECTION         holds at least one token of the collection (`>=3`: three)
 *   erc1155:0xCOLLECTION:ID>=2  holds at least 2 of token ID (`>=N` left out: 1)
 *   time:FROM..UNTIL            now is in [FROM, UNTIL): ISO dates or date-times (UTC unless
 *                               they say otherwise) or unix seconds; either side may be empty
 *
 * A malformed spec is refused with an ERR_CONDITION_… code naming what is wrong, before anything
 * is sent; the contract checks the same rules again (InvalidClause, InvalidClauseCount).
 */
import { getAddress, isAddress, zeroAddress, type Address, type Hex, type TransactionReceipt } from 'viem'
import { AccessManagerAbi } from '@p2pdv/contracts/abis'
import { P2pdvError } from '@p2pdv/core/errors'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { writeContract } from './write.ts'

export const ConditionErrorCode = {
  SYNTAX: 'ERR_CONDITION_SYNTAX',
  KIND: 'ERR_CONDITION_KIND',
  ADDRESS: 'ERR_CONDITION_ADDRESS',
  AMOUNT: 'ERR_CONDITION_AMOUNT',
  TOKEN_ID: 'ERR_CONDITION_TOKEN_ID',
  TIME: 'ERR_CONDITION_TIME',
  COUNT: 'ERR_CONDITION_COUNT',
  UNIT: 'ERR_CONDITION_UNIT',
  DECIMALS: 'ERR_CONDITION_DECIMALS'
} as const

/** AccessManager.MAX_CLAUSES. */
export const MAX_CLAUSES = 4
/** Longest clause spec accepted (an address, an id of 78 digits and an amount fit easily). */
export const MAX_SPEC_LENGTH = 200
/** notAfter of a window open at its end. */
export const OPEN_END = 2n ** 64n - 1n
const MAX_MIN = 2n ** 128n - 1n
const MAX_UINT256 = 2n ** 256n - 1n

export const ClauseKind = { erc20: 1, erc721: 2, erc1155: 3, time: 4 } as const
export type ClauseKindName = keyof typeof ClauseKind

/** One clause, as the contract stores it (fields a kind does not use are 0). */
export interface Clause {
  kind: number
  token: Address
  notBefore: bigint
  id: bigint
  min: bigint
  notAfter: bigint
}

/**
 * A clause as parsed: an ERC-20 minimum written in whole tokens (`>=100.5tokens`, `>=100DAI`)
 * keeps `inTokens` and a `min` of 0 until resolveCondition scales it by the token's decimals().
 */
export interface ParsedClause extends Clause {
  inTokens?: { amount: string, unit: string }
}

export interface Condition {
  /** true: any clause suffices (OR); false: all must hold (AND). */
  any: boolean
  clauses: ParsedClause[]
}

/** Most decimals a token may state and still be read in whole tokens (more: base units, said so). */
export const MAX_TOKEN_DECIMALS = 36
/** Longest symbol shown; longer or odd ones are left out (a token's metadata is anyone's text). */
export const MAX_SYMBOL_LENGTH = 16
/** How long the decimals() and symbol() reads of one token may take together. */
export const TOKEN_METADATA_TIMEOUT_MS = 5_000

function fail (code: string, spec: string, why: string, hint: string): P2pdvError {
  return new P2pdvError(code, `condition "${spec.slice(0, 80)}${spec.length > 80 ? '…' : ''}": ${why}`, { hint })
}

const SPEC_HINT = 'Write erc20:0xTOKEN>=AMOUNT, erc721:0xCOLLECTION, erc1155:0xCOLLECTION:ID>=AMOUNT or time:FROM..UNTIL.'

function parseAddress (text: string, spec: string): Address {
  if (!isAddress(text, { strict: false })) throw fail(ConditionErrorCode.ADDRESS, spec, `"${text.slice(0, 50)}" is not a contract address`, 'Addresses are 0x followed by 40 hex digits.')
  if (text.toLowerCase() === zeroAddress) throw fail(ConditionErrorCode.ADDRESS, spec, 'the zero address holds no tokens', 'Give the token contract\'s address.')
  return getAddress(text)
}

/** `100`, `100e18`, `1.5e18`: whole numbers of the token's smallest unit, 1 to 2^128-1. */
function parseMin (text: string | undefined, spec: string): bigint {
  if (text === undefined) return 1n
  const m = /^(\d{1,39})(?:\.(\d{1,39}))?(?:e(\d{1,2}))?$/i.exec(text)
  const hint = 'The minimum is a whole number of the token\'s smallest unit, at least 1: 100, or 100e18 for 100 tokens of 18 decimals.'
  if (m === null) throw fail(ConditionErrorCode.AMOUNT, spec, `"${text.slice(0, 50)}" is not an amount`, hint)
  const fraction = m[2] ?? ''
  const exp = Number(m[3] ?? '0')
  if (fraction.length > exp) throw fail(ConditionErrorCode.AMOUNT, spec, `${text} is not a whole number of the smallest unit`, hint)
  return checkMin(BigInt(`${m[1]!}${fraction}`) * 10n ** BigInt(exp - fraction.length), text, spec, hint)
}

function checkMin (value: bigint, text: string, spec: string, hint: string): bigint {
  if (value === 0n) throw fail(ConditionErrorCode.AMOUNT, spec, 'a minimum of 0 holds for everyone', hint)
  if (value > MAX_MIN) throw fail(ConditionErrorCode.AMOUNT, spec, `${text} is more than 2^128-1 base units`, hint)
  return value
}

const BASE_AMOUNT = /^\d{1,39}(?:\.\d{1,39})?(?:e\d{1,2})?$/i
const TOKEN_AMOUNT = /^(\d{1,39})(?:\.(\d{1,36}))?([A-Za-z$][A-Za-z0-9$._-]{0,15})$/
const UNIT_HINT = 'Write >=100 for base units, or a number with a unit: >=100.5tokens, or >=100SYMBOL with the token\'s own symbol (its decimals() scale it).'

/** `100.5tokens`, `100DAI`: an amount in whole tokens, scaled later (undefined: not this form). */
function parseTokenAmount (text: string | undefined, spec: string): { amount: string, unit: string } | undefined {
  if (text === undefined || BASE_AMOUNT.test(text)) return undefined
  const m = TOKEN_AMOUNT.exec(text)
  if (m === null) throw fail(ConditionErrorCode.AMOUNT, spec, `"${text.slice(0, 50)}" is not an amount`, UNIT_HINT)
  // 1e5tokens would read as 1 of a token called "e5tokens": exponents and units do not mix.
  if (/^e\d/i.test(m[3]!)) throw fail(ConditionErrorCode.UNIT, spec, `"${text.slice(0, 50)}" mixes an exponent and a unit`, UNIT_HINT)
  const amount = m[2] === undefined ? m[1]! : `${m[1]!}.${m[2]}`
  if (/^0*(?:\.0*)?$/.test(amount)) throw fail(ConditionErrorCode.AMOUNT, spec, 'a minimum of 0 holds for everyone', UNIT_HINT)
  return { amount, unit: m[3]! }
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/

function parseTime (text: string, spec: string): bigint {
  const hint = 'Write time:FROM..UNTIL with ISO dates (2027-01-01, 2027-01-01T18:00Z) or unix seconds; either side may be empty.'
  if (/^\d{1,20}$/.test(text)) {
    if (BigInt(text) > OPEN_END) throw fail(ConditionErrorCode.TIME, spec, `${text} is past the end of time (2^64-1 seconds)`, hint)
    return BigInt(text)
  }
  const m = ISO.exec(text)
  // A date-time without a zone is read as UTC (Date.parse would take the local zone).
  const ms = m === null ? Number.NaN : Date.parse(text.includes('T') && m[1] === undefined ? `${text}Z` : text)
  if (Number.isNaN(ms) || ms < 0) throw fail(ConditionErrorCode.TIME, spec, `"${text.slice(0, 50)}" is not a date`, hint)
  return BigInt(Math.floor(ms / 1000))
}

/** Parses one clause spec; throws ERR_CONDITION_… naming what is wrong. */
export function parseClause (spec: string): ParsedClause {
  if (spec.length > MAX_SPEC_LENGTH) throw fail(ConditionErrorCode.SYNTAX, spec, `longer than ${MAX_SPEC_LENGTH} characters`, SPEC_HINT)
  const s = spec.trim()
  const colon = s.indexOf(':')
  if (colon <= 0) throw fail(ConditionErrorCode.SYNTAX, spec, 'no kind (erc20:, erc721:, erc1155: or time:)', SPEC_HINT)
  const kind = s.slice(0, colon).toLowerCase()
  const rest = s.slice(colon + 1)
  const empty: Clause = { kind: 0, token: zeroAddress, notBefore: 0n, id: 0n, min: 0n, notAfter: 0n }
  if (kind === 'time') {
    const parts = rest.split('..')
    if (parts.length !== 2) throw fail(ConditionErrorCode.TIME, spec, 'a window is FROM..UNTIL', 'Write time:2027-01-01..2027-02-01, time:2027-01-01.. or time:..2027-02-01.')
    const [from, until] = parts.map(p => p.trim()) as [string, string]
    if (from === '' && until === '') throw fail(ConditionErrorCode.TIME, spec, 'a window open at both ends holds for everyone', 'Give FROM, UNTIL or both.')
    const notBefore = from === '' ? 0n : parseTime(from, spec)
    const notAfter = until === '' ? OPEN_END : parseTime(until, spec)
    if (notAfter <= notBefore) throw fail(ConditionErrorCode.TIME, spec, 'the window ends before it starts', 'UNTIL must be later than FROM.')
    return { ...empty, kind: ClauseKind.time, notBefore, notAfter }
  }
  if (kind !== 'erc20' && kind !== 'erc721' && kind !== 'erc1155') {
    throw fail(ConditionErrorCode.KIND, spec, `unknown kind "${kind.slice(0, 20)}"`, 'Kinds: erc20, erc721, erc1155, time.')
  }
  const m = /^([^:>=\s]*)(?::([^>=\s]*))?\s*(?:>=\s*(\S*))?$/.exec(rest)
  if (m === null) throw fail(ConditionErrorCode.SYNTAX, spec, 'expected 0xADDRESS[:ID][>=AMOUNT]', SPEC_HINT)
  const token = parseAddress(m[1]!, spec)
  if (kind === 'erc20') {
    if (m[2] !== undefined) throw fail(ConditionErrorCode.TOKEN_ID, spec, 'an ERC20 clause takes no token id', 'Write erc20:0xTOKEN>=AMOUNT.')
    const inTokens = parseTokenAmount(m[3], spec)
    if (inTokens !== undefined) return { ...empty, kind: ClauseKind.erc20, token, inTokens }
    return { ...empty, kind: ClauseKind.erc20, token, min: parseMin(m[3], spec) }
  }
  const min = parseMin(m[3], spec)
  if (kind === 'erc1155') {
    if (m[2] === undefined || m[2] === '') throw fail(ConditionErrorCode.TOKEN_ID, spec, 'an ERC-1155 clause names a token id', 'Write erc1155:0xCOLLECTION:ID>=AMOUNT.')
    if (!/^\d{1,78}$/.test(m[2]) || BigInt(m[2]) > MAX_UINT256) throw fail(ConditionErrorCode.TOKEN_ID, spec, `"${m[2].slice(0, 50)}" is not a token id`, 'A token id is a whole number (decimal), at most 2^256-1.')
    return { ...empty, kind: ClauseKind.erc1155, token, id: BigInt(m[2]), min }
  }
  if (m[2] !== undefined) throw fail(ConditionErrorCode.TOKEN_ID, spec, `an ${kind.toUpperCase()} clause takes no token id`, kind === 'erc721' ? 'erc721:0xCOLLECTION holds for any token of it; per-id gating is an erc1155 clause.' : 'Write erc20:0xTOKEN>=AMOUNT.')
  return { ...empty, kind: ClauseKind[kind], token, min }
}

/** Parses the `--require` specs of one video (1 to MAX_CLAUSES). */
export function parseCondition (specs: readonly string[], any: boolean): Condition {
  if (specs.length === 0 || specs.length > MAX_CLAUSES) {
    throw new P2pdvError(ConditionErrorCode.COUNT, `a condition has 1 to ${MAX_CLAUSES} clauses, not ${specs.length}`, { hint: `Give --require at most ${MAX_CLAUSES} times.` })
  }
  return { any, clauses: specs.map(parseClause) }
}

function isoOrSeconds (t: bigint): string {
  return t > 253_402_300_799n ? t.toString() : new Date(Number(t) * 1000).toISOString().replace('.000Z', 'Z')
}

/** The spec a clause is written as (parseClause(clauseSpec(c)) gives c back). */
export function clauseSpec (c: ParsedClause): string {
  if (c.inTokens !== undefined) return `erc20:${c.token}>=${c.inTokens.amount}${c.inTokens.unit}`
  const min = c.min === 1n ? '' : `>=${c.min}`
  switch (c.kind) {
    case ClauseKind.erc20: return `erc20:${c.token}${min}`
    case ClauseKind.erc721: return `erc721:${c.token}${min}`
    case ClauseKind.erc1155: return `erc1155:${c.token}:${c.id}${min}`
    case ClauseKind.time: return `time:${c.notBefore === 0n ? '' : isoOrSeconds(c.notBefore)}..${c.notAfter === OPEN_END ? '' : isoOrSeconds(c.notAfter)}`
    default: return `unknown:${c.kind}`
  }
}

/** What a token says of itself: decimals() and symbol(), or why they could not be used. */
export interface TokenMetadata {
  /** 0 to MAX_TOKEN_DECIMALS; absent when unreadable or absurd. */
  decimals?: number
  /** A short, plain symbol; absent when unreadable or odd. */
  symbol?: string
  /** Why amounts of this token are shown in base units (decimals unusable). */
  problem?: string
}

/** `100.5` for 100500000000000000000 at 18 decimals (exact, no rounding). */
export function formatUnitsExact (value: bigint, decimals: number): string {
  if (decimals === 0) return value.toString()
  const text = value.toString().padStart(decimals + 1, '0')
  const whole = text.slice(0, -decimals)
  const fraction = text.slice(-decimals).replace(/0+$/, '')
  return fraction === '' ? whole : `${whole}.${fraction}`
}

/** `≥ 100 DAI (100000000000000000000 base units)`, or the base units alone when the decimals are unusable. */
export function describeTokenAmount (min: bigint, meta?: TokenMetadata): string {
  if (meta?.decimals === undefined) return `≥ ${min} base units${meta?.problem === undefined ? '' : ` (${meta.problem}: shown in base units)`}`
  return `≥ ${formatUnitsExact(min, meta.decimals)} ${meta.symbol ?? 'tokens'} (${min} base units)`
}

/** One line a person reads; `tokens` (by lower-case address) shows ERC-20 minimums in whole tokens. */
export function describeClause (c: ParsedClause, tokens?: ReadonlyMap<string, TokenMetadata>): string {
  switch (c.kind) {
    case ClauseKind.erc20: return c.inTokens !== undefined
      ? `holds ≥ ${c.inTokens.amount} ${c.inTokens.unit} of ERC-20 ${c.token}`
      : `holds ${describeTokenAmount(c.min, tokens?.get(c.token.toLowerCase()))} of ERC-20 ${c.token}`
    case ClauseKind.erc721: return `holds ${c.min === 1n ? 'a token' : `at least ${c.min} tokens`} of ERC-721 ${c.token}`
    case ClauseKind.erc1155: return `holds at least ${c.min} of token ${c.id} of ERC-1155 ${c.token}`
    case ClauseKind.time: return c.notBefore === 0n
      ? `asks before ${isoOrSeconds(c.notAfter)}`
      : c.notAfter === OPEN_END ? `asks from ${isoOrSeconds(c.notBefore)} on` : `asks from ${isoOrSeconds(c.notBefore)} until ${isoOrSeconds(c.notAfter)}`
    default: return `unknown clause kind ${c.kind}`
  }
}

export function describeCondition (c: Condition, tokens?: ReadonlyMap<string, TokenMetadata>): string {
  if (c.clauses.length === 0) return 'no condition'
  const parts = c.clauses.map(cl => describeClause(cl, tokens))
  return parts.length === 1 ? `a viewer who ${parts[0]!}` : `a viewer who ${c.any ? 'meets any of' : 'meets all of'}: ${parts.join('; ')}`
}

/** Checks what a token's decimals() and symbol() returned (pure: hostile values are unit-tested). */
export function checkTokenMetadata (decimals: PromiseSettledResult<unknown>, symbol: PromiseSettledResult<unknown>): TokenMetadata {
  const meta: TokenMetadata = {}
  if (symbol.status === 'fulfilled' && typeof symbol.value === 'string' && symbol.value.length <= MAX_SYMBOL_LENGTH && /^[\p{L}\p{N}$._-]+$/u.test(symbol.value)) meta.symbol = symbol.value
  if (decimals.status === 'rejected') meta.problem = 'decimals() unreadable'
  else if (typeof decimals.value !== 'number' || !Number.isInteger(decimals.value) || decimals.value < 0) meta.problem = 'decimals() returned no number'
  else if (decimals.value > MAX_TOKEN_DECIMALS) meta.problem = `decimals() says ${decimals.value}, more than ${MAX_TOKEN_DECIMALS}`
  else meta.decimals = decimals.value
  return meta
}

const ERC20_METADATA_ABI = [
  { type: 'function', name: 'decimals', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint8' }] },
  { type: 'function', name: 'symbol', stateMutability: 'view', inputs: [], outputs: [{ type: 'string' }] }
] as const

/**
 * Reads an ERC-20's decimals() and symbol(), bounded by `timeoutMs`: a token that reverts,
 * answers junk, states absurd decimals or does not answer in time gets no decimals (amounts are
 * then shown in base units, with the reason), never an error.
 */
export async function tokenMetadata (ctx: ChainContext, token: Address, options: { timeoutMs?: number } = {}): Promise<TokenMetadata> {
  const timeoutMs = options.timeoutMs ?? TOKEN_METADATA_TIMEOUT_MS
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('timed out')) }, timeoutMs) })
  const read = async (functionName: 'decimals' | 'symbol'): Promise<unknown> =>
    await Promise.race([ctx.public.readContract({ address: token, abi: ERC20_METADATA_ABI, functionName }), timeout])
  try {
    const [decimals, symbol] = await Promise.allSettled([read('decimals'), read('symbol')])
    const meta = checkTokenMetadata(decimals, symbol)
    if (decimals.status === 'rejected' && decimals.reason instanceof Error && decimals.reason.message === 'timed out') meta.problem = `decimals() did not answer within ${timeoutMs} ms`
    return meta
  } finally {
    clearTimeout(timer)
  }
}

/** decimals() and symbol() of each ERC-20 a condition names, by lower-case address. */
export async function conditionTokens (ctx: ChainContext, c: Condition, options: { timeoutMs?: number } = {}): Promise<Map<string, TokenMetadata>> {
  const tokens = [...new Set(c.clauses.filter(cl => cl.kind === ClauseKind.erc20).map(cl => cl.token.toLowerCase() as Address))]
  const metas = await Promise.all(tokens.map(async t => await tokenMetadata(ctx, t, options)))
  return new Map(tokens.map((t, i) => [t, metas[i]!]))
}

/** Scales a whole-token minimum (`100.5` tokens) by `meta`'s decimals (pure: unit-tested). */
export function scaleTokenAmount (c: ParsedClause & { inTokens: { amount: string, unit: string } }, meta: TokenMetadata): bigint {
  const spec = clauseSpec(c)
  const { amount, unit } = c.inTokens
  if (meta.decimals === undefined) {
    throw fail(ConditionErrorCode.DECIMALS, spec, `the token's ${meta.problem ?? 'decimals() is unusable'}, so ${amount} ${unit} cannot be turned into base units`, 'Give the minimum in base units instead: erc20:0xTOKEN>=N (N of its smallest unit).')
  }
  if (unit.toLowerCase() !== 'tokens' && (meta.symbol === undefined || meta.symbol.toLowerCase() !== unit.toLowerCase())) {
    throw fail(ConditionErrorCode.UNIT, spec, meta.symbol === undefined ? `the token states no usable symbol, so "${unit}" cannot be checked` : `the token at ${c.token} is ${meta.symbol}, not ${unit}`, `Check the address, or write >=${amount}tokens${meta.symbol === undefined ? '' : ` or >=${amount}${meta.symbol}`}.`)
  }
  const [whole, fraction = ''] = amount.split('.') as [string, string?]
  if (fraction.length > meta.decimals) {
    throw fail(ConditionErrorCode.AMOUNT, spec, `${amount} has more decimal places than the token's ${meta.decimals}`, `Give at most ${meta.decimals} decimal places.`)
  }
  const value = BigInt(whole + fraction.padEnd(meta.decimals, '0'))
  return checkMin(value, `${amount} ${unit}`, spec, UNIT_HINT)
}

/**
 * The condition with every whole-token minimum turned into base units, from each token's
 * decimals() (and its symbol() checked against the unit written); refuses with
 * ERR_CONDITION_DECIMALS / _UNIT / _AMOUNT. Base-unit clauses pass unchanged.
 */
export async function resolveCondition (ctx: ChainContext, c: Condition, options: { timeoutMs?: number, tokens?: ReadonlyMap<string, TokenMetadata> } = {}): Promise<Condition> {
  if (!c.clauses.some(cl => cl.inTokens !== undefined)) return c
  const tokens = options.tokens ?? await conditionTokens(ctx, { any: c.any, clauses: c.clauses.filter(cl => cl.inTokens !== undefined) }, options)
  return {
    any: c.any,
    clauses: c.clauses.map(cl => {
      if (cl.inTokens === undefined) return cl
      const { inTokens, ...rest } = cl
      return { ...rest, min: scaleTokenAmount({ ...cl, inTokens }, tokens.get(cl.token.toLowerCase()) ?? { problem: 'decimals() not read' }) }
    })
  }
}

/** The clauses as the contract takes them (no parse-only fields). */
function contractClauses (c: Condition): Clause[] {
  return c.clauses.map(cl => ({ kind: cl.kind, token: cl.token, notBefore: cl.notBefore, id: cl.id, min: cl.min, notAfter: cl.notAfter }))
}

// ---- on chain ----

/** Sets (replaces) the video's condition (whole-token minimums resolved first); the signer must manage the video. */
export async function setCondition (ctx: ChainContext, id: Hex, condition: Condition): Promise<TransactionReceipt> {
  const resolved = await resolveCondition(ctx, condition)
  return await writeContract(ctx, { action: 'setting the access condition', address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'setCondition', args: [id, resolved.any, contractClauses(resolved)] })
}

export async function clearCondition (ctx: ChainContext, id: Hex): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action: 'clearing the access condition', address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'clearCondition', args: [id] })
}

/** Whether `viewer` meets the video's condition now (false when it has none). */
export async function conditionMet (ctx: ChainContext, id: Hex, viewer: Address): Promise<boolean> {
  try {
    return await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'conditionMet', args: [id, viewer] })
  } catch (err) {
    throw chainError(err, 'checking the access condition')
  }
}

/** The video's condition (no clauses when it has none). */
export async function conditionOf (ctx: ChainContext, id: Hex): Promise<Condition> {
  try {
    const [any, clauses] = await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'conditionOf', args: [id] })
    return { any, clauses: clauses.map(c => ({ kind: c.kind, token: c.token, notBefore: c.notBefore, id: c.id, min: c.min, notAfter: c.notAfter })) }
  } catch (err) {
    throw chainError(err, 'reading the access condition')
  }
}


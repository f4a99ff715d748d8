/** A listed video's price state for one viewer, from the chain (pure: unit-tested in test/app.test.ts). */
import type { AccessState } from '../wallet/session.ts'
import { formatUnits, priceLabel, shortAddress, type ListedVideo } from './api.ts'
import { decimalMark, formatNumber, t } from '../i18n/index.ts'

export interface PriceView { state: string, label: string, detail: string }

function days (seconds: bigint): number {
  return Math.max(1, Math.round(Number(seconds) / 86_400))
}

/** What the chain says this viewer may do, as a label (pure: unit-tested). */
export function priceView (listed: Pick<ListedVideo, 'policy' | 'price'>, a: AccessState | undefined): PriceView {
  const policy = a?.video.policy ?? listed.policy
  if (policy === 'public') return { state: 'public', label: t('common.free'), detail: t('price.anyone') }
  if (policy === 'private') return { state: 'private', label: t('price.private'), detail: t('price.privateDetail') }
  if (a?.access === true) {
    if (policy === 'subscribers' && a.subscribed === true) return { state: 'subscribed', label: t('price.inSubscription'), detail: t('price.inSubscriptionDetail') }
    // Met the creator's condition and holds no purchase of it: free because of what it holds or when it asks.
    if (a.conditionMet === true && a.refund?.held === undefined) return { state: 'qualified', label: t('price.freeForYou'), detail: t('price.freeForYouDetail') }
    return { state: 'owned', label: t('price.owned'), detail: t('price.ownedDetail') }
  }
  if (policy === 'subscribers') {
    const plan = a?.plan
    if (a !== undefined && plan === undefined) return { state: 'no-plan', label: t('price.subscribersOnly'), detail: t('price.noPlan') }
    return { state: 'subscribe', label: plan === undefined ? t('price.subscribers') : t('price.subscribeFor', { price: amountLabel(plan.amount, plan.asset) }), detail: plan === undefined ? t('price.subscriptionIncluded') : t('price.planDays', { count: days(plan.period) }) }
  }
  const price = a?.video.price
  if (a !== undefined && price === undefined) return { state: 'not-for-sale', label: t('price.notForSale'), detail: t('price.noPrice') }
  const label = price === undefined ? priceLabel(listed) : `${formatUnits(price.amount)} ${price.asset === 'eth' ? 'ETH' : 'P2PV'}`
  const forGood = (price?.duration ?? listed.price?.durationSeconds) === 0n
  return { state: 'buy', label: t('price.buyFor', { price: label }), detail: forGood ? t('price.forGood') : t('price.limited') }
}

// ---- refunds and access conditions (AccessManager) ----
// Type-only imports: this module is in the page's first chunk, the chain code is not.

/** A clause's kinds as the contract numbers them (conditions.ts ClauseKind). */
const KIND = { erc20: 1, erc721: 2, erc1155: 3, time: 4 } as const
/** notAfter of a time window open at its end (conditions.ts OPEN_END). */
const OPEN_END = 2n ** 64n - 1n
/** Last second a Date can show (9999-12-31T23:59:59Z); later times show as seconds. */
const LAST_DATE = 253_402_300_799n

/** `2027-01-01 18:00 UTC` (seconds kept when not 0): the same for every viewer, as the chain sees it. */
export function utcTime (seconds: bigint): string {
  if (seconds < 0n || seconds > LAST_DATE) return t('price.unixTime', { seconds: seconds.toString() })
  const iso = new Date(Number(seconds) * 1000).toISOString()
  const sec = iso.slice(17, 19)
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${sec === '00' ? '' : `:${sec}`} UTC`
}

/** `1,000,000` (`1 000 000` in French): an integer with its thousands marked (amounts may pass 2^53). */
export function groupDigits (n: bigint): string {
  return formatNumber(n)
}

/** `7 days`, `48 hours`, `90 minutes`, `1 day`: a duration the way a person says it. */
export function durationWords (seconds: bigint): string {
  if (seconds >= 86_400n && seconds % 86_400n === 0n) return unit(seconds / 86_400n, 'unit.day')
  if (seconds >= 3_600n && seconds % 3_600n === 0n) return unit(seconds / 3_600n, 'unit.hour')
  if (seconds >= 60n) return unit((seconds + 59n) / 60n, 'unit.minute')
  return unit(seconds < 0n ? 0n : seconds, 'unit.second')
}

/** `6 days 23 hours`, `5 hours 2 minutes`, `12 minutes`, `under a minute`: time left, never rounded up. */
export function timeLeft (seconds: bigint): string {
  const two = (a: bigint, aName: UnitKey, b: bigint, bName: UnitKey): string => b === 0n ? unit(a, aName) : t('unit.two', { a: unit(a, aName), b: unit(b, bName) })
  if (seconds >= 86_400n) return two(seconds / 86_400n, 'unit.day', (seconds % 86_400n) / 3_600n, 'unit.hour')
  if (seconds >= 3_600n) return two(seconds / 3_600n, 'unit.hour', (seconds % 3_600n) / 60n, 'unit.minute')
  if (seconds >= 60n) return unit(seconds / 60n, 'unit.minute')
  return t('unit.underMinute')
}

/**
 * The buy area's line about refunds, stated before the buyer pays: "Refundable for 7 days after
 * you buy", or "Not refundable" (undefined: the window is not known yet).
 */
export function refundWindowLabel (seconds: bigint | undefined): string | undefined {
  if (seconds === undefined) return undefined
  if (seconds <= 0n) return t('refund.none')
  return t('refund.window', { duration: durationWords(seconds) })
}

/** What is held for a viewer's purchase (refunds.ts HeldSale, structurally). */
export interface HeldPurchase { payer: string, asset: 'eth' | 'p2pv', amount: bigint, refundableUntil: bigint }

export type RefundView =
  | { state: 'none' }
  /** The connected account paid and may refund until `until`. */
  | { state: 'refundable', until: bigint, amount: string, deadline: string, left: string }
  /** Someone else paid for this viewer (a gift): only the payer may refund. */
  | { state: 'other-payer' }
  /** The window closed; the sale waits to be paid out to the creator. */
  | { state: 'closed' }

export function amountLabel (amount: bigint, asset: 'eth' | 'p2pv'): string {
  return `${formatUnits(amount)} ${asset === 'eth' ? 'ETH' : 'P2PV'}`
}

/** Whether `me` may refund the purchase held for it now (pure: unit-tested). */
export function refundView (held: HeldPurchase | undefined, me: string, now: bigint): RefundView {
  if (held === undefined || held.amount === 0n) return { state: 'none' }
  if (now >= held.refundableUntil) return { state: 'closed' }
  if (held.payer.toLowerCase() !== me.toLowerCase()) return { state: 'other-payer' }
  return { state: 'refundable', until: held.refundableUntil, amount: amountLabel(held.amount, held.asset), deadline: utcTime(held.refundableUntil), left: t('refund.left', { time: timeLeft(held.refundableUntil - now) }) }
}

/** What the page says once a refund is confirmed: exactly what AccessManager.refund does (credits the payer). */
export function refundedNote (amount: bigint, asset: 'eth' | 'p2pv'): string {
  return t('refund.refunded', { amount: amountLabel(amount, asset) })
}

export function withdrawnNote (amount: bigint, asset: 'eth' | 'p2pv'): string {
  return t('refund.withdrawn', { amount: amountLabel(amount, asset) })
}

/** A clause as the contract stores it (conditions.ts Clause, structurally). */
export interface ClauseLike { kind: number, token: string, notBefore: bigint, id: bigint, min: bigint, notAfter: bigint }
export interface ConditionLike { any: boolean, clauses: readonly ClauseLike[] }

/** Words, and token addresses the page shows shortened with the full address in a title. */
export type Segment = string | { address: string }

type UnitKey = 'unit.day' | 'unit.hour' | 'unit.minute' | 'unit.second'
const unit = (n: bigint, key: UnitKey): string => t(key, { count: n })

function timePhrase (c: ClauseLike): string {
  if (c.notBefore === 0n) return t('cond.until', { time: utcTime(c.notAfter) })
  if (c.notAfter >= OPEN_END) return t('cond.fromOn', { time: utcTime(c.notBefore) })
  return t('cond.fromUntil', { from: utcTime(c.notBefore), until: utcTime(c.notAfter) })
}

/** What an ERC-20 says of itself (conditions.ts TokenMetadata, structurally): decimals and symbol, or why not. */
export interface TokenLike { decimals?: number, symbol?: string, problem?: string }

/** `100.5` for 100500000000000000000 at 18 decimals, exactly (pure). */
export function wholeTokens (value: bigint, decimals: number): string {
  if (decimals <= 0) return groupDigits(value)
  const text = value.toString().padStart(decimals + 1, '0')
  const fraction = text.slice(-decimals).replace(/0+$/, '')
  return `${groupDigits(BigInt(text.slice(0, -decimals)))}${fraction === '' ? '' : `${decimalMark()}${fraction}`}`
}

/** `≥ 100 DAI (100,000,000,000,000,000,000 base units)`, or base units alone when the decimals are unknown or unusable. */
export function tokenMinimum (min: bigint, meta: TokenLike | undefined): string {
  if (meta?.decimals === undefined || meta.decimals > 36) return t('cond.baseUnits', { min: groupDigits(min) })
  return t('cond.tokenMin', { amount: wholeTokens(min, meta.decimals), symbol: meta.symbol ?? t('cond.tokens'), min: groupDigits(min) })
}

function clauseSegments (c: ClauseLike, alone: boolean, any: boolean, tokens?: ReadonlyMap<string, TokenLike>): Segment[] {
  const token = { address: c.token }
  switch (c.kind) {
    case KIND.erc20: return [t('cond.erc20', { min: tokenMinimum(c.min, tokens?.get(c.token.toLowerCase())) }), token, ' (ERC-20)']
    case KIND.erc721: return c.min <= 1n
      ? [t('cond.erc721Any'), token, ' (ERC-721)']
      : [t('cond.erc721', { min: groupDigits(c.min) }), token, ' (ERC-721)']
    case KIND.erc1155: return [t('cond.erc1155', { min: groupDigits(c.min), id: c.id.toString() }), token, ' (ERC-1155)']
    // Alone: "Free from … until …"; beside others: "… or for anyone from …", "… and only from …".
    case KIND.time: return [t(alone ? 'cond.timeAlone' : any ? 'cond.timeAny' : 'cond.timeAll', { phrase: timePhrase(c) })]
    default: return [t('cond.unknown', { kind: String(c.kind) })]
  }
}

/**
 * "Free for holders of ≥ 100 DAI (100,000,000,000,000,000,000 base units) of token 0xAb…cd
 * (ERC-20) or for anyone from … until …" (pure: unit-tested); undefined: no condition. `tokens`
 * (by lower-case address) holds each ERC-20's decimals and symbol as read from the chain.
 */
export function conditionSegments (c: ConditionLike | undefined, tokens?: ReadonlyMap<string, TokenLike>): Segment[] | undefined {
  if (c === undefined || c.clauses.length === 0) return undefined
  const alone = c.clauses.length === 1
  const out: Segment[] = [t('cond.free')]
  c.clauses.forEach((clause, i) => {
    if (i > 0) out.push(t(c.any ? 'cond.or' : 'cond.and'))
    out.push(...clauseSegments(clause, alone, c.any, tokens))
  })
  return out
}

/** The same words as plain text, addresses shortened (as the page shows them). */
export function conditionText (c: ConditionLike | undefined, tokens?: ReadonlyMap<string, TokenLike>): string | undefined {
  return conditionSegments(c, tokens)?.map(s => typeof s === 'string' ? s : shortAddress(s.address)).join('')
}

/** Whether this viewer meets the condition: conditionMet on chain (undefined: no wallet to ask for). */
export function qualification (met: boolean | undefined): { state: 'qualified' | 'not-qualified' | 'unknown', text: string } {
  if (met === true) return { state: 'qualified', text: t('cond.qualified') }
  if (met === false) return { state: 'not-qualified', text: t('cond.notQualified') }
  return { state: 'unknown', text: t('cond.unknownWallet') }
}

/**
 * Amounts and durations as people type them: `0.01` or `0.01eth` (ether), `25p2pv` (P2PV, 18
 * decimals), `48h`, `30d`. Parsed exactly (no floating point) into wei and seconds.
 */
import { formatUnits, parseUnits } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import type { Asset } from './token.ts'

export const AmountErrorCode = { BAD_AMOUNT: 'ERR_BAD_AMOUNT', BAD_DURATION: 'ERR_BAD_DURATION' } as const

const MAX_WEI = 2n ** 128n - 1n

export function parseAmount (text: string, defaultAsset: Asset = 'eth'): { asset: Asset, amount: bigint } {
  const m = /^\s*(\d{1,30}(?:\.\d{1,18})?)\s*(eth|p2pv)?\s*$/i.exec(text)
  if (m === null) {
    throw new P2pdvError(AmountErrorCode.BAD_AMOUNT, `"${text.slice(0, 40)}" is not an amount`, { hint: 'Write e.g. 0.01 or 0.01eth (ether), or 25p2pv (tokens).' })
  }
  const asset = (m[2]?.toLowerCase() as Asset | undefined) ?? defaultAsset
  const amount = parseUnits(m[1]!, 18)
  if (amount > MAX_WEI) throw new P2pdvError(AmountErrorCode.BAD_AMOUNT, `${text} is too large`)
  return { asset, amount }
}

export function formatAmount (amount: bigint, asset: Asset): string {
  return `${formatUnits(amount, 18)} ${asset === 'eth' ? 'ETH' : 'P2PV'}`
}

const UNIT_SECONDS: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86_400n, w: 604_800n }

/** `90s`, `30m`, `48h`, `30d`, `2w` (a bare number is seconds). */
export function parseDuration (text: string): bigint {
  const m = /^\s*(\d{1,12})\s*([smhdw]?)\s*$/i.exec(text)
  if (m === null) {
    throw new P2pdvError(AmountErrorCode.BAD_DURATION, `"${text.slice(0, 40)}" is not a duration`, { hint: 'Write e.g. 3600, 90m, 48h, 30d or 2w.' })
  }
  return BigInt(m[1]!) * UNIT_SECONDS[(m[2] === '' ? 's' : m[2]!).toLowerCase()]!
}

export function formatDurationSeconds (seconds: bigint): string {
  for (const [unit, n] of [['w', 604_800n], ['d', 86_400n], ['h', 3600n], ['m', 60n]] as const) {
    if (seconds >= n && seconds % n === 0n) return `${seconds / n}${unit}`
  }
  return `${seconds}s`
}

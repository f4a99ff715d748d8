/**
 * Parameter changes as people type them on `p2pdv gov propose --set KEY=VALUE`, turned into the
 * ProtocolParams calls a proposal carries. Bounds are the contract's own (ProtocolParams.sol), checked
 * here too so a proposal that could never execute is refused before anyone votes on it.
 */
import { decodeFunctionData, encodeFunctionData, getAddress, isAddress, zeroAddress, type Address, type Hex } from 'viem'
import { ProtocolParamsAbi } from '@p2pdv/contracts/abis'
import { P2pdvError } from '@p2pdv/core/errors'
import { parseAmount, parseDuration } from './amounts.ts'

export const ParamChangeErrorCode = { BAD_CHANGE: 'ERR_GOV_BAD_CHANGE' } as const

export const PARAM_BPS = 10_000
export const MAX_UNBONDING_SECONDS = 365n * 86_400n
export const MAX_STRIPE_BLOCKS = 256
/** One change per key, so a proposal carries at most this many. */
export const PARAM_KEYS = ['min-stake', 'unbonding', 'split', 'slash', 'erasure', 'treasury', 'settlement'] as const
export type ParamKey = typeof PARAM_KEYS[number]
const MAX_SET_TEXT = 200

export type ParamChange =
  | { key: 'min-stake', wei: bigint }
  | { key: 'unbonding', seconds: bigint }
  | { key: 'split', creatorBps: number, nodePoolBps: number }
  | { key: 'slash', bps: number }
  | { key: 'erasure', k: number, m: number }
  | { key: 'treasury', address: Address }
  | { key: 'settlement', storageShareBps: number, minPassBps: number }

const FORMATS = 'min-stake=1000 (P2PV), unbonding=7d, split=80:15 (creator %:node pool %, the treasury gets the rest), slash=10 (%), erasure=10:4 (data:parity blocks), treasury=0x…, settlement=80:50 (storage share of the reward pool %:minimum audit pass rate %)'

function bad (text: string, why: string): P2pdvError {
  return new P2pdvError(ParamChangeErrorCode.BAD_CHANGE, `--set ${text.slice(0, 60)}: ${why}`, { hint: `Write KEY=VALUE, one of: ${FORMATS}.` })
}

/** "12.5" or "12.5%" → 1250 basis points; at most two decimals. */
function percentToBps (text: string, whole: string): number {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?%?$/.exec(text)
  if (m === null) throw bad(whole, `"${text.slice(0, 20)}" is not a percentage (e.g. 12.5)`)
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

/** Parses one `KEY=VALUE`. Throws ERR_GOV_BAD_CHANGE (or ERR_BAD_AMOUNT / ERR_BAD_DURATION for those values). */
export function parseParamChange (text: string): ParamChange {
  if (text.length > MAX_SET_TEXT) throw bad(text, 'too long')
  const eq = text.indexOf('=')
  if (eq < 0) throw bad(text, 'missing "="')
  const key = text.slice(0, eq).trim().toLowerCase()
  const value = text.slice(eq + 1).trim()
  switch (key) {
    case 'min-stake': {
      const { asset, amount } = parseAmount(value, 'p2pv')
      if (asset !== 'p2pv') throw bad(text, 'the minimum stake is in P2PV')
      return { key, wei: amount }
    }
    case 'unbonding': {
      const seconds = parseDuration(value)
      if (seconds > MAX_UNBONDING_SECONDS) throw bad(text, 'the unbonding period is at most 365d')
      return { key, seconds }
    }
    case 'split': {
      const parts = value.split(':')
      if (parts.length !== 2) throw bad(text, 'write CREATOR:NODE_POOL in percent, e.g. 80:15')
      const creatorBps = percentToBps(parts[0]!, text)
      const nodePoolBps = percentToBps(parts[1]!, text)
      if (creatorBps + nodePoolBps > PARAM_BPS) throw bad(text, 'creator and node pool shares add up to more than 100 %')
      return { key, creatorBps, nodePoolBps }
    }
    case 'slash': {
      const bps = percentToBps(value, text)
      if (bps > PARAM_BPS) throw bad(text, 'a slash takes at most 100 %')
      return { key, bps }
    }
    case 'erasure': {
      const m = /^(\d{1,3}):(\d{1,3})$/.exec(value)
      if (m === null) throw bad(text, 'write DATA:PARITY blocks, e.g. 10:4')
      const k = Number(m[1])
      const parity = Number(m[2])
      if (k < 1 || parity < 1 || k + parity > MAX_STRIPE_BLOCKS) throw bad(text, `need at least 1 data and 1 parity block and at most ${MAX_STRIPE_BLOCKS} in all`)
      return { key, k, m: parity }
    }
    case 'treasury': {
      if (!isAddress(value, { strict: false }) || getAddress(value) === zeroAddress) throw bad(text, 'the treasury must be a non-zero 0x address')
      return { key, address: getAddress(value) }
    }
    case 'settlement': {
      const parts = value.split(':')
      if (parts.length !== 2) throw bad(text, 'write STORAGE_SHARE:MIN_PASS in percent, e.g. 80:50')
      const storageShareBps = percentToBps(parts[0]!, text)
      const minPassBps = percentToBps(parts[1]!, text)
      if (storageShareBps > PARAM_BPS || minPassBps > PARAM_BPS) throw bad(text, 'both are percentages of at most 100')
      return { key, storageShareBps, minPassBps }
    }
    default:
      throw bad(text, `unknown key "${key.slice(0, 20)}"`)
  }
}

/** Parses every `--set`; refuses none at all and the same key twice (its last value would silently win). */
export function parseParamChanges (texts: readonly string[]): ParamChange[] {
  if (texts.length === 0) throw new P2pdvError(ParamChangeErrorCode.BAD_CHANGE, 'a proposal needs at least one --set KEY=VALUE', { hint: `Keys: ${FORMATS}.` })
  if (texts.length > PARAM_KEYS.length) throw bad(texts.join(' '), `at most ${PARAM_KEYS.length} changes, one per key`)
  const changes = texts.map(parseParamChange)
  const keys = new Set<string>()
  for (const c of changes) {
    if (keys.has(c.key)) throw bad(c.key, 'this key is set twice')
    keys.add(c.key)
  }
  return changes
}

/** The ProtocolParams call that makes a change. */
export function encodeParamChange (change: ParamChange): Hex {
  switch (change.key) {
    case 'min-stake': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setMinStake', args: [change.wei] })
    case 'unbonding': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setUnbondingPeriod', args: [change.seconds] })
    case 'split': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setRevenueSplit', args: [change.creatorBps, change.nodePoolBps] })
    case 'slash': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setSlashBps', args: [change.bps] })
    case 'erasure': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setErasureDefaults', args: [change.k, change.m] })
    case 'treasury': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setTreasury', args: [change.address] })
    case 'settlement': return encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setSettlementWeights', args: [change.storageShareBps, change.minPassBps] })
  }
}

/** A change in the words `--set` takes, for listings. */
export function describeParamChange (change: ParamChange): string {
  switch (change.key) {
    case 'min-stake': return `min-stake=${formatTokens(change.wei)}`
    case 'unbonding': return `unbonding=${change.seconds}s`
    case 'split': return `split=${change.creatorBps / 100}:${change.nodePoolBps / 100}`
    case 'slash': return `slash=${change.bps / 100}`
    case 'erasure': return `erasure=${change.k}:${change.m}`
    case 'treasury': return `treasury=${change.address}`
    case 'settlement': return `settlement=${change.storageShareBps / 100}:${change.minPassBps / 100}`
  }
}

function formatTokens (wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '')
  return frac === '' ? `${whole}` : `${whole}.${frac}`
}

/** The change a proposal's call makes, when it is a ProtocolParams setter; undefined otherwise. */
export function decodeParamChange (data: Hex): ParamChange | undefined {
  let call
  try {
    call = decodeFunctionData({ abi: ProtocolParamsAbi, data })
  } catch {
    return undefined
  }
  switch (call.functionName) {
    case 'setMinStake': return { key: 'min-stake', wei: call.args[0] }
    case 'setUnbondingPeriod': return { key: 'unbonding', seconds: call.args[0] }
    case 'setRevenueSplit': return { key: 'split', creatorBps: call.args[0], nodePoolBps: call.args[1] }
    case 'setSlashBps': return { key: 'slash', bps: call.args[0] }
    case 'setErasureDefaults': return { key: 'erasure', k: call.args[0], m: call.args[1] }
    case 'setTreasury': return { key: 'treasury', address: call.args[0] }
    case 'setSettlementWeights': return { key: 'settlement', storageShareBps: call.args[0], minPassBps: call.args[1] }
    default: return undefined
  }
}

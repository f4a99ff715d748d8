/**
 * An epoch's settlement: what each storage node earned, from its audit results, and the Merkle
 * tree the Rewards contract pays from. Pure and deterministic, so anyone holding the published
 * inputs recomputes the same root (`verifySettlement`).
 *
 * The pool is split by the governed weights (ProtocolParams `settlementWeights`): a storage part
 * (`storageShareBps`) shared by storage weight, stored bytes × seconds stored × pass rate
 * (passes / audits; nothing below `minPassBps`), and the rest shared by served bytes. When no
 * node earned in one part, the other takes the whole pool, so a quiet epoch strands nothing. A
 * node's share of each part is floor(part × weight / total weight). Flooring means the shares
 * add up to at most the pool (the rest stays in the contract for a later epoch), never more.
 *
 * Impossible records (more passes than audits, longer than the epoch, more bytes than a node can
 * hold, a node listed twice, the zero address) are refused, each with a code, and left out:
 * one bad record must not block every other node's pay, and the refusals are published beside
 * the inputs so the exclusion is visible.
 */
import { concat, getAddress, isAddress, keccak256, zeroAddress, type Address, type Hex } from 'viem'
import { buildRewardTree, rewardLeaf, type RewardShare, type RewardTree } from '@p2pdv/contracts/merkle'

export const SettlementErrorCode = {
  BAD_RECORD: 'ERR_SETTLE_BAD_RECORD',
  DUPLICATE_NODE: 'ERR_SETTLE_DUPLICATE_NODE',
  IMPOSSIBLE_PASSES: 'ERR_SETTLE_IMPOSSIBLE_PASSES',
  IMPOSSIBLE_DURATION: 'ERR_SETTLE_IMPOSSIBLE_DURATION',
  IMPOSSIBLE_VOLUME: 'ERR_SETTLE_IMPOSSIBLE_VOLUME'
} as const

/** No node stores more than 1 PiB; a larger claim is a bug or a lie. */
export const MAX_STORED_BYTES = 2n ** 50n
/** An epoch lasts at most a year. */
export const MAX_EPOCH_SECONDS = 365n * 86_400n
/** Bounds the work and the published input file (a leaf per node). */
export const MAX_SETTLEMENT_NODES = 100_000
const MAX_POOL = 2n ** 128n - 1n
const BPS = 10_000n

/** The governed weights; without them everything pays storage and any pass rate counts. */
export interface SettlementWeights {
  /** Basis points of the pool paid for storage; the rest pays served bytes. */
  storageShareBps: number
  /** Pass rate (basis points) below which a node earns nothing for storage. */
  minPassBps: number
}
export const STORAGE_ONLY: SettlementWeights = { storageShareBps: 10_000, minPassBps: 0 }

/** What the auditor saw of one node over the epoch. */
export interface NodeAuditRecord {
  node: Address
  /** Bytes the node held for the network (blocks placed on it and passing audits). */
  storedBytes: bigint
  /** Seconds of the epoch it held them. */
  seconds: bigint
  audits: number
  passes: number
  /** Bytes it served to viewers over the epoch (from serving receipts; 0 when none). */
  servedBytes?: bigint
}

export interface SettlementInput {
  epoch: bigint
  epochSeconds: bigint
  /** What the epoch pays out at most, per asset (wei). */
  pool: { eth: bigint, token: bigint }
  records: readonly NodeAuditRecord[]
  weights?: SettlementWeights
}

export interface Refusal {
  /** The record's position in the input. */
  index: number
  node: string
  code: string
  reason: string
}

export interface Settlement {
  epoch: bigint
  /** Undefined when no node earned anything (nothing to post). */
  tree: RewardTree | undefined
  shares: RewardShare[]
  refusals: Refusal[]
  /** Total storage weight of the accepted records. */
  totalWeight: bigint
  /** Total served bytes of the accepted records. */
  totalServed: bigint
}

/** Checks a record; a refusal, or undefined when it is possible. */
function refusalOf (r: NodeAuditRecord, index: number, epochSeconds: bigint): Refusal | undefined {
  const node = String(r.node).slice(0, 42)
  const refuse = (code: string, reason: string): Refusal => ({ index, node, code, reason })
  if (typeof r.node !== 'string' || !isAddress(r.node, { strict: false }) || getAddress(r.node) === zeroAddress) return refuse(SettlementErrorCode.BAD_RECORD, 'not a node address')
  if (typeof r.storedBytes !== 'bigint' || typeof r.seconds !== 'bigint' || !Number.isSafeInteger(r.audits) || !Number.isSafeInteger(r.passes)) return refuse(SettlementErrorCode.BAD_RECORD, 'amounts must be whole numbers')
  if (r.storedBytes < 0n || r.seconds < 0n || r.audits < 0 || r.passes < 0) return refuse(SettlementErrorCode.BAD_RECORD, 'negative amounts')
  if (r.passes > r.audits) return refuse(SettlementErrorCode.IMPOSSIBLE_PASSES, `${r.passes} passes out of ${r.audits} audits`)
  if (r.seconds > epochSeconds) return refuse(SettlementErrorCode.IMPOSSIBLE_DURATION, `${r.seconds} s stored in an epoch of ${epochSeconds} s`)
  if (r.storedBytes > MAX_STORED_BYTES) return refuse(SettlementErrorCode.IMPOSSIBLE_VOLUME, `${r.storedBytes} bytes is more than a node can hold`)
  if (r.servedBytes !== undefined && (typeof r.servedBytes !== 'bigint' || r.servedBytes < 0n)) return refuse(SettlementErrorCode.BAD_RECORD, 'served bytes must be a whole number')
  if (r.servedBytes !== undefined && r.servedBytes > MAX_STORED_BYTES) return refuse(SettlementErrorCode.IMPOSSIBLE_VOLUME, `${r.servedBytes} bytes served is more than a node can serve in an epoch`)
  return undefined
}

/**
 * A node's weight: bytes × seconds × pass rate, the rate in 2^-32 steps so it stays an integer
 * (the rounding is under 2^-32 of a weight, far below a wei of any pool).
 */
export function nodeWeight (r: NodeAuditRecord, minPassBps = 0): bigint {
  if (r.audits === 0 || r.passes === 0) return 0n
  if (BigInt(r.passes) * BPS < BigInt(minPassBps) * BigInt(r.audits)) return 0n
  return r.storedBytes * r.seconds * BigInt(r.passes) * (1n << 32n) / BigInt(r.audits)
}

/** Settles an epoch. Throws (RangeError) only for an input that is not an epoch at all. */
export function settleEpoch (input: SettlementInput): Settlement {
  if (input.epoch < 0n || input.epoch >= 2n ** 64n) throw new RangeError('the epoch is a uint64')
  if (input.epochSeconds <= 0n || input.epochSeconds > MAX_EPOCH_SECONDS) throw new RangeError(`an epoch lasts 1 s to ${MAX_EPOCH_SECONDS} s`)
  if (input.pool.eth < 0n || input.pool.token < 0n || input.pool.eth > MAX_POOL || input.pool.token > MAX_POOL) throw new RangeError('pool amounts are uint128')
  if (input.records.length > MAX_SETTLEMENT_NODES) throw new RangeError(`at most ${MAX_SETTLEMENT_NODES} records per epoch`)
  const weights = input.weights ?? STORAGE_ONLY
  for (const w of [weights.storageShareBps, weights.minPassBps]) if (!Number.isSafeInteger(w) || w < 0 || w > 10_000) throw new RangeError('weights are basis points, 0 to 10000')
  const refusals: Refusal[] = []
  const accepted = new Map<Address, { index: number, weight: bigint, served: bigint }>()
  const duplicated = new Set<Address>()
  input.records.forEach((r, index) => {
    const refusal = refusalOf(r, index, input.epochSeconds)
    if (refusal !== undefined) { refusals.push(refusal); return }
    const node = getAddress(r.node)
    const first = accepted.get(node)
    // A second record for a node could double its pay: all its records are refused, since which is true is unknown.
    if (first !== undefined) {
      if (!duplicated.has(node)) refusals.push({ index: first.index, node, code: SettlementErrorCode.DUPLICATE_NODE, reason: 'the node is listed more than once' })
      refusals.push({ index, node, code: SettlementErrorCode.DUPLICATE_NODE, reason: 'the node is listed more than once' })
      duplicated.add(node)
      return
    }
    accepted.set(node, { index, weight: nodeWeight(r, weights.minPassBps), served: r.servedBytes ?? 0n })
  })
  for (const node of duplicated) accepted.delete(node)
  const totalWeight = [...accepted.values()].reduce((a, b) => a + b.weight, 0n)
  const totalServed = [...accepted.values()].reduce((a, b) => a + b.served, 0n)
  // Each part's pool; a part nobody earned goes to the other.
  const storageBps = totalServed === 0n ? BPS : totalWeight === 0n ? 0n : BigInt(weights.storageShareBps)
  const storagePool = { eth: input.pool.eth * storageBps / BPS, token: input.pool.token * storageBps / BPS }
  const servingPool = { eth: input.pool.eth - storagePool.eth, token: input.pool.token - storagePool.token }
  const part = (pool: bigint, w: bigint, total: bigint): bigint => total === 0n ? 0n : pool * w / total
  const shares: RewardShare[] = []
  for (const [node, a] of [...accepted.entries()].sort(([x], [y]) => x < y ? -1 : 1)) {
    const share = {
      node,
      ethAmount: part(storagePool.eth, a.weight, totalWeight) + part(servingPool.eth, a.served, totalServed),
      tokenAmount: part(storagePool.token, a.weight, totalWeight) + part(servingPool.token, a.served, totalServed)
    }
    if (share.ethAmount > 0n || share.tokenAmount > 0n) shares.push(share)
  }
  return { epoch: input.epoch, tree: shares.length === 0 ? undefined : buildRewardTree(input.epoch, shares), shares, refusals, totalWeight, totalServed }
}

/**
 * An epoch's length in seconds from its audit window [fromMs, toMs): rounded up, at least 1 s.
 * Part of the published format: the settler and `p2pdv rewards verify` both use it.
 */
export function epochSecondsOf (fromMs: number, toMs: number): bigint {
  return BigInt(Math.max(1, Math.ceil((toMs - fromMs) / 1000)))
}

/** True when the published inputs settle to `root` (what `p2pdv rewards verify` checks). */
export function verifySettlement (input: SettlementInput, root: Hex): boolean {
  const s = settleEpoch(input)
  return s.tree !== undefined && s.tree.root.toLowerCase() === root.toLowerCase()
}

/** Checks a proof as the Rewards contract does (sorted pairs), without a chain. */
export function verifyRewardProof (root: Hex, epoch: bigint, share: RewardShare, proof: readonly Hex[]): boolean {
  let h = rewardLeaf(epoch, share)
  for (const p of proof) h = BigInt(h) < BigInt(p) ? keccak256(concat([h, p])) : keccak256(concat([p, h]))
  return h.toLowerCase() === root.toLowerCase()
}

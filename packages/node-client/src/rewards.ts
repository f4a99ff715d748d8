/**
 * What a settler node serves about reward epochs (GET /api/v1/rewards/{epoch}/{address} and
 * GET /api/v1/rewards/{epoch}), checked field by field. A settler is a stranger: these checks
 * only make its answer well-typed and bounded; whether a proof leads to the posted root, or the
 * inputs settle to it, is the caller's check against the chain.
 */
import { base64Bytes } from './node-info.ts'

export type HexString = `0x${string}`

/** A proof answer is a few hashes; 64 levels cover any tree the contract could hold. */
export const MAX_REWARD_PROOF_BYTES = 16 * 1024
export const MAX_PROOF_HASHES = 64
/** An epoch's inputs: at most 100 000 records and shares (chain MAX_SETTLEMENT_NODES), ~250 bytes each. */
export const MAX_REWARD_INPUTS_BYTES = 64 * 1024 * 1024
export const MAX_REWARD_RECORDS = 100_000
const MAX_PEER_CHARS = 128
const MAX_REFUSALS = 100_000
/** The settler reads at most 100 000 receipts per epoch (node settle/settler.ts MAX_SETTLED_RECEIPTS). */
export const MAX_PUBLISHED_RECEIPTS = 100_000
const MAX_RECEIPT_CHARS = 700

/** One node's leaf in a posted epoch and the proof that leads to `root`. */
export interface RewardProof {
  epoch: bigint
  node: HexString
  ethAmount: bigint
  tokenAmount: bigint
  root: HexString
  proof: HexString[]
}

/** The published inputs of a settled epoch: anyone recomputes the root from them. */
export interface RewardEpochInputs {
  epoch: bigint
  /** The audit window [from, to), ms since the Unix epoch. */
  from: number
  to: number
  root: HexString
  weights: { storageShareBps: number, minPassBps: number }
  pool: { eth: bigint, token: bigint }
  records: Array<{ node: HexString, peer: string, storedBytes: bigint, seconds: bigint, audits: number, passes: number }>
  shares: Array<{ node: HexString, ethAmount: bigint, tokenAmount: bigint }>
  refusals: Array<{ index: number, node: string, code: string }>
  /** v2: each audited node's serving receipts (encoded, unverified: `tallyReceipts` checks them). */
  receipts: Array<{ peer: string, receipts: Uint8Array[] }>
}

/** Thrown by the parsers; NodeClient turns it into ERR_BAD_NODE_RESPONSE. */
export class RewardShapeError extends Error {}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const HASH = /^0x[0-9a-fA-F]{64}$/

function fail (what: string): never { throw new RewardShapeError(what) }

function obj (v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`)
  return v as Record<string, unknown>
}

/** A decimal uint of at most `bits` bits, as the settler writes amounts (JSON has no bigint). */
function uint (v: unknown, what: string, bits = 128): bigint {
  if (typeof v !== 'string' || !/^\d{1,40}$/.test(v)) fail(`${what} is not a decimal amount`)
  const n = BigInt(v)
  if (n >= 1n << BigInt(bits)) fail(`${what} is out of range`)
  return n
}

function count (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} is not a whole number`)
  return v
}

function bps (v: unknown, what: string): number {
  const n = count(v, what)
  if (n > 10_000) fail(`${what} is more than 100 %`)
  return n
}

function address (v: unknown, what: string): HexString {
  if (typeof v !== 'string' || !ADDRESS.test(v)) fail(`${what} is not a 0x address`)
  return v as HexString
}

function hash (v: unknown, what: string): HexString {
  if (typeof v !== 'string' || !HASH.test(v)) fail(`${what} is not a 32-byte hash`)
  return v.toLowerCase() as HexString
}

function list (v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length > max) fail(`${what} is not a list of at most ${max}`)
  return v
}

/** A proof answer for `epoch` and `node`; an answer about another epoch or node is refused. */
export function parseRewardProof (body: unknown, epoch: bigint, node: string): RewardProof {
  const b = obj(body, 'the proof')
  const p: RewardProof = {
    epoch: uint(b.epoch, 'epoch', 64),
    node: address(b.node, 'node'),
    ethAmount: uint(b.ethAmount, 'ethAmount'),
    tokenAmount: uint(b.tokenAmount, 'tokenAmount'),
    root: hash(b.root, 'root'),
    proof: list(b.proof, MAX_PROOF_HASHES, 'proof').map((h, i) => hash(h, `proof[${i}]`))
  }
  if (p.epoch !== epoch) fail(`the proof is for epoch ${p.epoch}, not ${epoch}`)
  if (p.node.toLowerCase() !== node.toLowerCase()) fail('the proof is for another node')
  return p
}

/** An epoch's inputs answer for `epoch`. */
export function parseRewardEpochInputs (body: unknown, epoch: bigint): RewardEpochInputs {
  const b = obj(body, 'the epoch inputs')
  if (b.v !== 1 && b.v !== 2) fail('unknown inputs version')
  let receiptCount = 0
  const weights = obj(b.weights, 'weights')
  const pool = obj(b.pool, 'pool')
  const from = count(b.from, 'from')
  const to = count(b.to, 'to')
  if (to < from) fail('the window ends before it starts')
  const inputs: RewardEpochInputs = {
    epoch: uint(b.epoch, 'epoch', 64),
    from,
    to,
    root: hash(b.root, 'root'),
    weights: { storageShareBps: bps(weights.storageShareBps, 'storageShareBps'), minPassBps: bps(weights.minPassBps, 'minPassBps') },
    pool: { eth: uint(pool.eth, 'pool.eth'), token: uint(pool.token, 'pool.token') },
    records: list(b.records, MAX_REWARD_RECORDS, 'records').map((x, i) => {
      const r = obj(x, `records[${i}]`)
      if (typeof r.peer !== 'string' || r.peer.length > MAX_PEER_CHARS) fail(`records[${i}].peer is not a peer id`)
      return {
        node: address(r.node, `records[${i}].node`),
        peer: r.peer,
        storedBytes: uint(r.storedBytes, `records[${i}].storedBytes`, 64),
        seconds: uint(r.seconds, `records[${i}].seconds`, 64),
        audits: count(r.audits, `records[${i}].audits`),
        passes: count(r.passes, `records[${i}].passes`)
      }
    }),
    shares: list(b.shares, MAX_REWARD_RECORDS, 'shares').map((x, i) => {
      const s = obj(x, `shares[${i}]`)
      return { node: address(s.node, `shares[${i}].node`), ethAmount: uint(s.ethAmount, `shares[${i}].ethAmount`), tokenAmount: uint(s.tokenAmount, `shares[${i}].tokenAmount`) }
    }),
    refusals: list(b.refusals ?? [], MAX_REFUSALS, 'refusals').map((x, i) => {
      const r = obj(x, `refusals[${i}]`)
      return { index: count(r.index, `refusals[${i}].index`), node: String(r.node).slice(0, 42), code: String(r.code).slice(0, 64) }
    }),
    receipts: list(b.v === 1 ? [] : b.receipts, MAX_REWARD_RECORDS, 'receipts').map((x, i) => {
      const g = obj(x, `receipts[${i}]`)
      if (typeof g.peer !== 'string' || g.peer.length > MAX_PEER_CHARS) fail(`receipts[${i}].peer is not a peer id`)
      const encoded = list(g.receipts, MAX_PUBLISHED_RECEIPTS, `receipts[${i}].receipts`)
      receiptCount += encoded.length
      if (receiptCount > MAX_PUBLISHED_RECEIPTS) fail(`more than ${MAX_PUBLISHED_RECEIPTS} receipts`)
      return {
        peer: g.peer,
        receipts: encoded.map((r, j) => {
          if (typeof r !== 'string' || r.length > MAX_RECEIPT_CHARS || !/^[A-Za-z0-9+/]*={0,2}$/.test(r)) fail(`receipts[${i}].receipts[${j}] is not base64`)
          return base64Bytes(r)
        })
      }
    })
  }
  if (inputs.epoch !== epoch) fail(`the inputs are for epoch ${inputs.epoch}, not ${epoch}`)
  return inputs
}

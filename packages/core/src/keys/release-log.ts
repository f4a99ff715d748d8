/**
 * A keeper's audit log of key releases: an append-only, hash-chained list of entries (who asked
 * for which video's share, when, and what the keeper decided). Each entry commits to the one
 * before it, so editing or deleting an entry changes every later link; the head is signed by the
 * keeper and anchored on chain from time to time, so even the keeper cannot rewrite history that
 * an anchor or a signed head already covers.
 *
 *   body     = { v: 1, kind, video, subject, request, epoch, decision, salt }      (no key material, ever)
 *   bodyHash = SHA-256("p2pdv/v1/keeper-log-body" 0x00 || DAG-CBOR(body))
 *   link[i]  = SHA-256("p2pdv/v1/keeper-log" 0x00 || u64be(i) || u64be(time) || link[i−1] || bodyHash)
 *   link[−1] = 32 zero bytes; head = link[length − 1]
 *
 * A reader who may not see an entry's body (it is about someone else's video) still gets its
 * bodyHash, so the chain verifies end to end; the random salt keeps a hidden body from being
 * guessed from its hash.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { getAddress } from 'viem'
import { P2pdvError } from '../errors.ts'
import { equalBytes } from '../cid.ts'
import { bindingBytes } from './hpke.ts'
import { fromHex, isVideoId, toHex, type Hex, type VideoId } from './video-id.ts'

export const LOG_VERSION = 1
export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`
export const MAX_DECISION_LENGTH = 64

export const LogErrorCode = {
  BROKEN: 'ERR_AUDIT_LOG_BROKEN',
  MALFORMED: 'ERR_AUDIT_LOG_MALFORMED'
} as const

export type LogKind = 'release' | 'refusal' | 'deposit' | 'drop'
const KINDS: readonly string[] = ['release', 'refusal', 'deposit', 'drop']

export interface LogBody {
  v: 1
  kind: LogKind
  video: VideoId
  /** The viewer (release, refusal) or the owner (deposit, drop). */
  subject: Hex
  /** The request digest; ZERO_HASH when there was none. */
  request: Hex
  epoch: number
  /** "released", "stored", or the refusal code. */
  decision: string
  salt: Hex
}

export interface LogEntry {
  seq: number
  /** Unix ms, keeper clock. */
  time: number
  bodyHash: Hex
  /** Present when the reader may see it. */
  body?: LogBody
}

export function newLogBody (b: Omit<LogBody, 'v' | 'salt'>): LogBody {
  return { v: LOG_VERSION, ...b, subject: getAddress(b.subject), salt: toHex(randomBytes(16)) }
}

export function hashLogBody (b: LogBody): Hex {
  const cbor = dagCbor.encode({ v: b.v, kind: b.kind, video: b.video, subject: b.subject, request: b.request, epoch: b.epoch, decision: b.decision, salt: b.salt })
  return toHex(sha256(bindingBytes('p2pdv/v1/keeper-log-body', cbor)))
}

function u64 (n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

export function linkHash (seq: number, time: number, prev: Hex, bodyHash: Hex): Hex {
  return toHex(sha256(bindingBytes('p2pdv/v1/keeper-log', u64(seq), u64(time), fromHex(prev, 32, 'prev'), fromHex(bodyHash, 32, 'bodyHash'))))
}

export interface Checkpoint {
  /** Entries covered (the head is link[length − 1]). */
  length: number
  head: Hex
}

export interface VerifyLogOptions {
  /** Where `entries` start: the head before entries[0] (default: the genesis, length 0). */
  start?: Checkpoint
  /** Heads the chain must pass through: the keeper's signed head, on-chain anchors. */
  checkpoints?: Checkpoint[]
}

function broken (seq: number, reason: string): P2pdvError {
  return new P2pdvError(LogErrorCode.BROKEN, `the audit log is broken at entry ${seq}: ${reason}`, {
    hint: 'The keeper\'s log was edited, truncated or reordered; report the keeper and keep this output as evidence.',
    details: { seq, reason }
  })
}

/** Recomputes the chain; returns the final checkpoint. Any mismatch is ERR_AUDIT_LOG_BROKEN. */
export function verifyLog (entries: LogEntry[], o: VerifyLogOptions = {}): Checkpoint {
  let length = o.start?.length ?? 0
  let head = o.start?.head ?? ZERO_HASH
  const wanted = new Map<number, Hex>()
  for (const c of o.checkpoints ?? []) {
    if (c.length < length) continue
    const prior = wanted.get(c.length)
    if (prior !== undefined && prior.toLowerCase() !== c.head.toLowerCase()) throw broken(c.length - 1, 'two different heads are claimed for the same length')
    wanted.set(c.length, c.head)
  }
  const check = (): void => {
    const w = wanted.get(length)
    if (w !== undefined && !equalBytes(fromHex(w, 32, 'head'), fromHex(head, 32, 'head'))) throw broken(length - 1, 'the chain does not reach the signed or anchored head')
  }
  check()
  for (const e of entries) {
    if (e.seq !== length) throw broken(length, e.seq > length ? `entries ${length}…${e.seq - 1} are missing` : 'entries are out of order or repeated')
    if (e.body !== undefined && hashLogBody(e.body) !== e.bodyHash.toLowerCase()) throw broken(e.seq, 'the entry was edited (its body does not match its hash)')
    head = linkHash(e.seq, e.time, head, e.bodyHash)
    length++
    check()
  }
  for (const l of wanted.keys()) if (l > length) throw broken(length, `the log ends at ${length} entries but a head covers ${l}`)
  return { length, head }
}

// ---- parsing what a keeper serves ----------------------------------------------------------

function malformed (what: string): P2pdvError {
  return new P2pdvError(LogErrorCode.MALFORMED, `malformed audit log: ${what}`)
}

function hex (v: unknown, len: number, what: string): Hex {
  fromHex(v, len, what, LogErrorCode.MALFORMED)
  return (v as string).toLowerCase() as Hex
}

function int (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} must be a non-negative integer`)
  return v
}

export function parseLogBody (v: unknown): LogBody {
  if (typeof v !== 'object' || v === null) throw malformed('body')
  const m = v as Record<string, unknown>
  if (m.v !== LOG_VERSION) throw malformed('unsupported body version')
  if (typeof m.kind !== 'string' || !KINDS.includes(m.kind)) throw malformed('kind')
  if (typeof m.video !== 'string' || !isVideoId(m.video)) throw malformed('video')
  if (typeof m.subject !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(m.subject)) throw malformed('subject')
  if (typeof m.decision !== 'string' || m.decision.length === 0 || m.decision.length > MAX_DECISION_LENGTH) throw malformed('decision')
  return {
    v: 1,
    kind: m.kind as LogKind,
    video: m.video,
    subject: m.subject as Hex,
    request: hex(m.request, 32, 'request'),
    epoch: int(m.epoch, 'epoch'),
    decision: m.decision,
    salt: hex(m.salt, 16, 'salt')
  }
}

export function parseLogEntry (v: unknown): LogEntry {
  if (typeof v !== 'object' || v === null) throw malformed('entry')
  const m = v as Record<string, unknown>
  const e: LogEntry = { seq: int(m.seq, 'seq'), time: int(m.time, 'time'), bodyHash: hex(m.bodyHash, 32, 'bodyHash') }
  if (m.body !== undefined && m.body !== null) e.body = parseLogBody(m.body)
  return e
}

/** A `{ length, head }` a keeper serves (e.g. the `base` a compacted log starts from). */
export function parseCheckpoint (v: unknown): Checkpoint {
  if (typeof v !== 'object' || v === null) throw malformed('checkpoint')
  const m = v as Record<string, unknown>
  return { length: int(m.length, 'length'), head: hex(m.head, 32, 'head') }
}

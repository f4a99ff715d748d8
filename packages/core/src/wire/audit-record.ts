/**
 * A signed audit result: what an auditor asked, what came back and its verdict, signed with the
 * auditor's identity key. Records are kept by the auditor, served to anyone, and are the evidence
 * behind reputation and slashing. A proof record carries the node's own signed response, so a
 * third party can re-check a failure against the public root without trusting the auditor about
 * what the node said.
 *
 *   sig = Sign(auditor key, DAG-CBOR(["p2pdv/audit-record/v1", record]))
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { isAuditLeafBytes, LEGACY_AUDIT_LEAF_BYTES } from '../audit/merkle.ts'
import { AUDIT_NONCE_BYTES, AUDIT_RECORD_DOMAIN, MAX_AUDIT_MESSAGE_BYTES } from './audit.ts'
import { blockCidField, malformed, readMap } from './codec.ts'

export const AUDIT_RECORD_VERSION = 1
/** A record holds at most one response and a few fields. */
export const MAX_AUDIT_RECORD_BYTES = MAX_AUDIT_MESSAGE_BYTES + 1024

/** `proof`: a Merkle challenge; `read`: a full GET of the block, hashed by the auditor. */
export type AuditKind = 'proof' | 'read'
/** `timeout` and `unreachable` speak about availability; `fail` about the data or the answer. */
export type AuditOutcome = 'pass' | 'fail' | 'timeout' | 'unreachable'

export const AUDIT_KINDS: readonly AuditKind[] = ['proof', 'read']
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['pass', 'fail', 'timeout', 'unreachable']

export interface AuditRecord {
  v: 1
  auditor: string
  /** The audited node. */
  peer: string
  cid: CID
  kind: AuditKind
  /** Challenged leaf (proof records). */
  index?: number
  /** The challenge's nonce (proof records). */
  nonce?: Uint8Array
  /** The challenge's leaf size (proof records), when it is not LEGACY_AUDIT_LEAF_BYTES. */
  leaf?: number
  /** ms since the epoch, auditor clock: when the challenge or read was sent, and its deadline. */
  issued: number
  deadline: number
  outcome: AuditOutcome
  /** Why it did not pass (a stable code), absent on a pass. */
  code?: string
  /**
   * Whether the verdict counts against the node. A failure does not count when the node never
   * confirmed it held the block (no signed receipt, no earlier pass), or when the recorded root
   * turned out to be wrong: targets come from uploaders, who must not be able to frame a node.
   */
  counted: boolean
  /** The node's raw signed response (proof records that got one). */
  response?: Uint8Array
  /** SHA-256 of what a full read returned (read records that got bytes). */
  served?: Uint8Array
}

export interface SignedAuditRecord { record: AuditRecord, sig: Uint8Array }

/** The leaf size a proof record's challenge used. */
export function recordLeafBytes (r: Pick<AuditRecord, 'leaf'>): number {
  return r.leaf ?? LEGACY_AUDIT_LEAF_BYTES
}

function strip (r: AuditRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v
  return out
}

/** The bytes the auditor signs. */
export function auditRecordPayload (r: AuditRecord): Uint8Array {
  return dagCbor.encode([AUDIT_RECORD_DOMAIN, strip(r)])
}

export function encodeSignedAuditRecord (s: SignedAuditRecord): Uint8Array {
  return dagCbor.encode({ v: AUDIT_RECORD_VERSION, record: strip(s.record), sig: s.sig })
}

function int (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed('audit record', `${what} must be a non-negative integer`)
  return v
}

function str (v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw malformed('audit record', what)
  return v
}

export function decodeSignedAuditRecord (data: Uint8Array): SignedAuditRecord {
  const outer = readMap(data, MAX_AUDIT_RECORD_BYTES, AUDIT_RECORD_VERSION, 'audit record')
  if (!(outer.sig instanceof Uint8Array) || outer.sig.byteLength === 0 || outer.sig.byteLength > 256) throw malformed('audit record', 'sig')
  const m = outer.record
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw malformed('audit record', 'record must be a map')
  const r = m as Record<string, unknown>
  if (r.v !== AUDIT_RECORD_VERSION) throw malformed('audit record', 'record version')
  if (!AUDIT_KINDS.includes(r.kind as AuditKind)) throw malformed('audit record', 'kind')
  if (!AUDIT_OUTCOMES.includes(r.outcome as AuditOutcome)) throw malformed('audit record', 'outcome')
  if (typeof r.counted !== 'boolean') throw malformed('audit record', 'counted')
  const record: AuditRecord = {
    v: 1,
    auditor: str(r.auditor, 'auditor', 128),
    peer: str(r.peer, 'peer', 128),
    cid: blockCidField(r.cid, 'audit record'),
    kind: r.kind as AuditKind,
    issued: int(r.issued, 'issued'),
    deadline: int(r.deadline, 'deadline'),
    outcome: r.outcome as AuditOutcome,
    counted: r.counted
  }
  if (r.index !== undefined) record.index = int(r.index, 'index')
  if (r.nonce !== undefined) {
    if (!(r.nonce instanceof Uint8Array) || r.nonce.byteLength !== AUDIT_NONCE_BYTES) throw malformed('audit record', 'nonce')
    record.nonce = r.nonce
  }
  if (r.leaf !== undefined) {
    if (!isAuditLeafBytes(r.leaf)) throw malformed('audit record', 'leaf')
    record.leaf = r.leaf
  }
  if (r.code !== undefined) record.code = str(r.code, 'code', 64)
  if (r.response !== undefined) {
    if (!(r.response instanceof Uint8Array) || r.response.byteLength > MAX_AUDIT_MESSAGE_BYTES) throw malformed('audit record', 'response')
    record.response = r.response
  }
  if (r.served !== undefined) {
    if (!(r.served instanceof Uint8Array) || r.served.byteLength !== 32) throw malformed('audit record', 'served')
    record.served = r.served
  }
  return { record, sig: outer.sig }
}

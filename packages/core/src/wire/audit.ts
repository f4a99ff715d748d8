/**
 * Storage audits, `/p2pdv/audit/1.0.0` (libp2p) and `POST /api/v1/audit` (HTTP): an auditor
 * challenges a node for one leaf of one block with a fresh nonce and a deadline; the node answers
 * with the leaf and its Merkle path, signed by its identity key over (challenge, proof hash). The
 * auditor checks the proof against the block's public audit root and the signature against the
 * node's peer id: no block data and no content key are needed.
 *
 *   auditor → node:  lp(challenge)        (libp2p: one challenge per stream; HTTP: the body)
 *   node → auditor:  lp(response)
 *
 * Messages are DAG-CBOR maps, validated strictly, at most MAX_AUDIT_MESSAGE_BYTES.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import type { CID } from 'multiformats/cid'
import { isAuditLeafBytes, LEGACY_AUDIT_LEAF_BYTES, MAX_AUDIT_LEAF_BYTES, MAX_PROOF_DEPTH, verifyMerkleProof, type MerkleProof } from '../audit/merkle.ts'
import { P2pdvError } from '../errors.ts'
import { blockCidField, malformed, readMap } from './codec.ts'

export const AUDIT_PROTOCOL = '/p2pdv/audit/1.0.0'
export const AUDIT_WIRE_VERSION = 1
/** A response carries at most one leaf (≤ 64 KiB), 24 path hashes and a signature. */
export const MAX_AUDIT_MESSAGE_BYTES = MAX_AUDIT_LEAF_BYTES + 4096
export const AUDIT_NONCE_BYTES = 32
/** Nodes refuse challenges whose deadline is further away than this (a challenge is short-lived). */
export const MAX_AUDIT_WINDOW_MS = 60_000
export const AUDIT_RESPONSE_DOMAIN = 'p2pdv/audit-response/v1'
export const AUDIT_RECORD_DOMAIN = 'p2pdv/audit-record/v1'
const MAX_PEER_ID_CHARS = 128
const MAX_SIG_BYTES = 256

/** Codes a node answers a challenge with when it gives no proof, and codes an auditor records. */
export const AuditCode = {
  /** The block is not stored here (never was, or lost). */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** The node's copy failed its hash check and was quarantined. */
  CORRUPT: 'ERR_BLOCK_CORRUPT',
  /** The deadline has passed, or lies too far ahead. */
  EXPIRED: 'ERR_AUDIT_EXPIRED',
  BAD_CHALLENGE: 'ERR_AUDIT_BAD_CHALLENGE',
  /** Too many audits in progress on this node; ask again later. */
  BUSY: 'ERR_AUDIT_BUSY',
  INTERNAL: 'ERR_INTERNAL',
  /** Recorded by auditors: the proof does not verify against the recorded root. */
  BAD_PROOF: 'ERR_AUDIT_BAD_PROOF',
  /** Recorded by auditors: the signature or the signer is wrong. */
  BAD_SIGNATURE: 'ERR_AUDIT_BAD_SIGNATURE',
  /** Recorded by auditors: a full read returned bytes that do not hash to the CID. */
  READ_MISMATCH: 'ERR_AUDIT_READ_MISMATCH',
  /** Recorded by auditors: no answer before the deadline. */
  TIMEOUT: 'ERR_AUDIT_TIMEOUT',
  /** Recorded by auditors: the node could not be reached at all. */
  UNREACHABLE: 'ERR_AUDIT_UNREACHABLE'
} as const

export interface AuditChallenge {
  v: 1
  cid: CID
  /** Index of the challenged leaf. */
  index: number
  /**
   * Leaf size of the block's recorded root (its placement record's). On the wire only when it is
   * not LEGACY_AUDIT_LEAF_BYTES, so older challenges keep their exact bytes.
   */
  leaf: number
  /** 32 fresh random bytes: binds the signed answer to this challenge (no replay). */
  nonce: Uint8Array
  /** Peer id of the auditor asking. */
  auditor: string
  /** Milliseconds since the epoch; the auditor ignores answers after it. */
  deadline: number
}

export type AuditResponse =
  | { v: 1, ok: true, peer: string, proof: MerkleProof, time: number, sig: Uint8Array }
  | { v: 1, ok: false, code: string, message: string }

function nonNegInt (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed('audit', `${what} must be a non-negative integer`)
  return v
}

function peerField (v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PEER_ID_CHARS) throw malformed('audit', `${what} must be a peer id`)
  return v
}

export function encodeAuditChallenge (c: Omit<AuditChallenge, 'v'>): Uint8Array {
  if (c.nonce.byteLength !== AUDIT_NONCE_BYTES) throw malformed('audit', `nonce must be ${AUDIT_NONCE_BYTES} bytes`)
  if (!isAuditLeafBytes(c.leaf)) throw malformed('audit', 'leaf must be a power of two from 1024 to 65536')
  return dagCbor.encode({ v: AUDIT_WIRE_VERSION, cid: c.cid, index: c.index, ...(c.leaf === LEGACY_AUDIT_LEAF_BYTES ? {} : { leaf: c.leaf }), nonce: c.nonce, auditor: c.auditor, deadline: c.deadline })
}

export function decodeAuditChallenge (data: Uint8Array): AuditChallenge {
  const m = readMap(data, MAX_AUDIT_MESSAGE_BYTES, AUDIT_WIRE_VERSION, 'audit')
  if (!(m.nonce instanceof Uint8Array) || m.nonce.byteLength !== AUDIT_NONCE_BYTES) throw malformed('audit', `nonce must be ${AUDIT_NONCE_BYTES} bytes`)
  const index = nonNegInt(m.index, 'index')
  const leaf = m.leaf ?? LEGACY_AUDIT_LEAF_BYTES
  if (!isAuditLeafBytes(leaf)) throw malformed('audit', 'leaf must be a power of two from 1024 to 65536')
  return { v: 1, cid: blockCidField(m.cid, 'audit'), index, leaf, nonce: m.nonce, auditor: peerField(m.auditor, 'auditor'), deadline: nonNegInt(m.deadline, 'deadline') }
}

export function encodeAuditResponse (r: AuditResponse): Uint8Array {
  if (!r.ok) return dagCbor.encode({ v: AUDIT_WIRE_VERSION, ok: false, code: r.code, message: r.message.slice(0, 512) })
  return dagCbor.encode({ v: AUDIT_WIRE_VERSION, ok: true, peer: r.peer, index: r.proof.index, leaf: r.proof.leaf, path: r.proof.path, time: r.time, sig: r.sig })
}

/**
 * Decodes a response. Shapes are checked here (lengths, types, bounds); whether the proof is
 * right is `checkAuditProof`'s job, and the signature is checked against the peer's key by the
 * caller (it needs the peer id's public key).
 */
export function decodeAuditResponse (data: Uint8Array): AuditResponse {
  const m = readMap(data, MAX_AUDIT_MESSAGE_BYTES, AUDIT_WIRE_VERSION, 'audit')
  if (m.ok === false) {
    if (typeof m.code !== 'string' || m.code.length > 64 || typeof m.message !== 'string' || m.message.length > 512) throw malformed('audit', 'a refusal has a code and a message')
    return { v: 1, ok: false, code: m.code, message: m.message }
  }
  if (m.ok !== true) throw malformed('audit', 'ok must be true or false')
  if (!(m.leaf instanceof Uint8Array) || m.leaf.byteLength > MAX_AUDIT_LEAF_BYTES) throw malformed('audit', `leaf must be at most ${MAX_AUDIT_LEAF_BYTES} bytes`)
  if (!Array.isArray(m.path) || m.path.length > MAX_PROOF_DEPTH) throw malformed('audit', `path must be a list of at most ${MAX_PROOF_DEPTH} steps`)
  const path = m.path.map(step => {
    if (step === null) return null
    if (!(step instanceof Uint8Array) || step.byteLength !== 32) throw malformed('audit', 'path steps are 32-byte hashes or null')
    return step
  })
  if (!(m.sig instanceof Uint8Array) || m.sig.byteLength === 0 || m.sig.byteLength > MAX_SIG_BYTES) throw malformed('audit', 'sig')
  return { v: 1, ok: true, peer: peerField(m.peer, 'peer'), proof: { index: nonNegInt(m.index, 'index'), leaf: m.leaf, path }, time: nonNegInt(m.time, 'time'), sig: m.sig }
}

/** SHA-256 of the challenge's canonical encoding. */
export function challengeHash (c: Omit<AuditChallenge, 'v'>): Uint8Array {
  return sha256(encodeAuditChallenge(c))
}

/** SHA-256 of DAG-CBOR([index, leaf, path]). */
export function proofHash (p: MerkleProof): Uint8Array {
  return sha256(dagCbor.encode([p.index, p.leaf, p.path]))
}

/**
 * The exact bytes a node signs when it answers (and an auditor verifies):
 * DAG-CBOR(["p2pdv/audit-response/v1", peer, SHA-256(challenge), SHA-256(proof), time]).
 */
export function auditResponsePayload (peer: string, challenge: Omit<AuditChallenge, 'v'>, proof: MerkleProof, time: number): Uint8Array {
  return dagCbor.encode([AUDIT_RESPONSE_DOMAIN, peer, challengeHash(challenge), proofHash(proof), time])
}

/** What an auditor needs to audit one block: all public, no key. */
export interface AuditTarget {
  cid: CID
  /** Block size in bytes (bound into the root). */
  size: number
  /** The block's audit Merkle root (`merkleRoot`). */
  root: Uint8Array
  /** The root's leaf size. */
  leafBytes: number
  /** Peer ids expected to hold the block. */
  holders: string[]
}

/**
 * Checks that a proof answers this challenge for this block: the index is the challenged one and
 * the leaf and path lead to the recorded root. Throws ERR_AUDIT_BAD_PROOF.
 */
export function checkAuditProof (challenge: Pick<AuditChallenge, 'index'>, target: Pick<AuditTarget, 'root' | 'size' | 'leafBytes'>, proof: MerkleProof): void {
  if (proof.index !== challenge.index) throw new P2pdvError(AuditCode.BAD_PROOF, `proof is for leaf ${proof.index}, leaf ${challenge.index} was challenged`)
  verifyMerkleProof(target.root, target.size, proof, target.leafBytes)
}

/**
 * The hot-copy record: a node's signed, versioned statement that it placed extra, temporary copies
 * of some blocks of an object on other nodes because viewers ask it for them a lot (issue 16,
 * "hot videos spread"). It is a separate document from the placement record on purpose:
 *
 * - the placement record is the object's durability contract (owner-signed at version 1, audited,
 *   repaired); a node cannot and must not change it to add copies that may vanish any minute;
 * - hot copies never count for durability: repair and audits read placement records only;
 * - readers treat a hot-copy record as a hint — one more node to ask — and verify every block by
 *   its CID as always, so a lying record costs a 404 and a retry, never wrong bytes.
 *
 * One record per (object, signer node); each change adds one to `version`. `state: 'cold'` says
 * the copies are dropped (holders delete them); a record also stops counting at `expires`, so
 * copies whose source node died go away by themselves. See docs/protocol.md.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { ed25519 } from '@noble/curves/ed25519.js'
import { verifyEd25519 } from '../ed25519.ts'
import type { CID } from '../cid.ts'
import { P2pdvError } from '../errors.ts'
import { fieldChecks } from '../fields.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'

export const HotCopyErrorCode = {
  MALFORMED: 'ERR_HOT_COPY_MALFORMED',
  SIGNATURE: 'ERR_HOT_COPY_SIGNATURE',
  STALE: 'ERR_HOT_COPY_STALE'
} as const

export const HOT_COPY_VERSION = 1
/** Blocks one record lists (a 1 MiB-block object of 1 GiB). */
export const MAX_HOT_COPY_BLOCKS = 1024
/** Extra holders per block. */
export const MAX_HOT_HOLDERS_PER_BLOCK = 8
/** An encoded record stays far below a block. */
export const MAX_HOT_COPY_BYTES = 256 * 1024
/** A record is valid for at most this long after it is signed (it is renewed while hot). */
export const MAX_HOT_COPY_TTL_MS = 24 * 60 * 60_000
const SIGNING_DOMAIN = 'p2pdv/hot-copy/v1'
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{20,128}$|^b[a-z2-7]{20,127}$/

export interface HotBlock {
  cid: CID
  size: number
  /** Peer ids of the nodes holding the temporary copy. */
  nodes: string[]
}

export interface HotCopyRecord {
  v: 1
  /** The object's (sealed) manifest CID: the object of its placement record. */
  object: CID
  /** Per (object, signer): each new statement adds one. */
  version: number
  /** ms since the epoch, by the signer's clock. */
  time: number
  /** After this time (ms since the epoch) the copies no longer count and their holders drop them. */
  expires: number
  /** `hot`: the copies below exist; `cold`: they were dropped. */
  state: 'hot' | 'cold'
  blocks: HotBlock[]
  /** The signing node's Ed25519 public key (its libp2p identity). */
  signer: Uint8Array
  sig: Uint8Array
}

export type UnsignedHotCopyRecord = Omit<HotCopyRecord, 'signer' | 'sig'>

function malformed (what: string): P2pdvError {
  return new P2pdvError(HotCopyErrorCode.MALFORMED, `hot-copy record is malformed: ${what}`, { hint: 'The record was written by an incompatible or faulty node; it is ignored.' })
}

const field = fieldChecks(malformed)

/** Checks a decoded record's fields and limits (not its signature). */
export function validateHotCopyRecord (value: unknown): HotCopyRecord {
  const r = field.map(value, 'record')
  if (r.v !== HOT_COPY_VERSION) throw malformed(`version ${String(r.v).slice(0, 16)} is not supported`)
  if (r.type !== 'hot-copy') throw malformed('type must be "hot-copy"')
  if (r.state !== 'hot' && r.state !== 'cold') throw malformed('state must be "hot" or "cold"')
  if (!Array.isArray(r.blocks) || r.blocks.length > MAX_HOT_COPY_BLOCKS) throw malformed(`blocks must list at most ${MAX_HOT_COPY_BLOCKS} blocks`)
  const seen = new Set<string>()
  const blocks = r.blocks.map((v, i): HotBlock => {
    const b = field.map(v, `blocks[${i}]`)
    const cid = field.blockCid(b.cid, `blocks[${i}].cid`)
    if (seen.has(cid.toString())) throw malformed(`blocks[${i}] lists a block twice`)
    seen.add(cid.toString())
    if (!Array.isArray(b.nodes) || b.nodes.length > MAX_HOT_HOLDERS_PER_BLOCK) throw malformed(`blocks[${i}].nodes must list at most ${MAX_HOT_HOLDERS_PER_BLOCK} peer ids`)
    const nodes = b.nodes.map((n, j) => {
      if (typeof n !== 'string' || !PEER_ID.test(n)) throw malformed(`blocks[${i}].nodes[${j}] is not a peer id`)
      return n
    })
    if (new Set(nodes).size !== nodes.length) throw malformed(`blocks[${i}].nodes lists a node twice`)
    return { cid, size: field.uint(b.size, `blocks[${i}].size`, MAX_BLOCK_BYTES), nodes }
  })
  const time = field.uint(r.time, 'time')
  const expires = field.uint(r.expires, 'expires')
  if (expires <= time || expires - time > MAX_HOT_COPY_TTL_MS) throw malformed(`expires must be after time, by at most ${MAX_HOT_COPY_TTL_MS} ms`)
  return {
    v: 1,
    object: field.blockCid(r.object, 'object'),
    version: field.uint(r.version, 'version', 2 ** 32),
    time,
    expires,
    state: r.state,
    blocks,
    signer: field.bytes(r.signer, 'signer', 32),
    sig: field.bytes(r.sig, 'sig', 64)
  }
}

function toWire (r: UnsignedHotCopyRecord & { signer: Uint8Array, sig?: Uint8Array }): Record<string, unknown> {
  return {
    v: HOT_COPY_VERSION,
    type: 'hot-copy',
    object: r.object,
    version: r.version,
    time: r.time,
    expires: r.expires,
    state: r.state,
    blocks: r.blocks.map(b => ({ cid: b.cid, size: b.size, nodes: b.nodes })),
    signer: r.signer,
    ...(r.sig === undefined ? {} : { sig: r.sig })
  }
}

/** The exact bytes a node signs: the record without `sig`, under a domain tag. */
export function hotCopySigningPayload (r: UnsignedHotCopyRecord & { signer: Uint8Array, sig?: Uint8Array }): Uint8Array {
  const { sig: _sig, ...unsigned } = r
  return dagCbor.encode([SIGNING_DOMAIN, toWire(unsigned)])
}

export async function signHotCopyRecord (r: UnsignedHotCopyRecord, signer: Uint8Array, sign: (payload: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<HotCopyRecord> {
  const sig = await sign(hotCopySigningPayload({ ...r, signer }))
  return { ...r, signer, sig }
}

export function encodeHotCopyRecord (r: HotCopyRecord): Uint8Array {
  const body = dagCbor.encode(toWire(r))
  if (body.byteLength > MAX_HOT_COPY_BYTES) throw malformed(`the record needs ${body.byteLength} bytes, more than ${MAX_HOT_COPY_BYTES}`)
  validateHotCopyRecord(dagCbor.decode(body))
  return body
}

function decodeUnverified (data: Uint8Array): HotCopyRecord {
  if (data.byteLength > MAX_HOT_COPY_BYTES) throw malformed(`larger than ${MAX_HOT_COPY_BYTES} bytes`)
  let value: unknown
  try { value = dagCbor.decode(data) } catch (cause) { throw Object.assign(malformed('not DAG-CBOR'), { cause }) }
  return validateHotCopyRecord(value)
}

function badSignature (): P2pdvError {
  return new P2pdvError(HotCopyErrorCode.SIGNATURE, 'the hot-copy record signature does not verify', { hint: 'The record was forged or damaged; it is ignored.' })
}

/** Decodes, validates and checks the signature (nodes). */
export function decodeHotCopyRecord (data: Uint8Array): HotCopyRecord {
  const r = decodeUnverified(data)
  let ok = false
  try { ok = ed25519.verify(r.sig, hotCopySigningPayload(r), r.signer) } catch { ok = false }
  if (!ok) throw badSignature()
  return r
}

/** The same with the platform's Ed25519 where there is one (readers, pages). */
export async function decodeHotCopyRecordAsync (data: Uint8Array): Promise<HotCopyRecord> {
  const r = decodeUnverified(data)
  if (!await verifyEd25519(r.sig, hotCopySigningPayload(r), r.signer)) throw badSignature()
  return r
}

/** Whether a record currently offers copies (hot and not expired). */
export function hotCopyLive (r: Pick<HotCopyRecord, 'state' | 'expires'>, now = Date.now()): boolean {
  return r.state === 'hot' && r.expires > now
}

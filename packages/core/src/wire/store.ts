/**
 * Store protocol `/p2pdv/store/1.0.0` (libp2p). One stream carries any number of blocks:
 *
 *   client → node:  repeat { lp(header) lp(block) }, then close its write side
 *   node → client:  one lp(response) per block, in order
 *
 * lp = unsigned-varint length prefix. header and response are DAG-CBOR maps (schemas below,
 * validated strictly, at most MAX_STORE_MESSAGE_BYTES). The node checks the header's size against
 * its limits before it reads the block. A refused block gets an error response and the stream goes
 * on; a framing error ends the stream.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { isBlockCid } from '../cid.ts'
import { P2pdvError } from '../errors.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'

export const STORE_PROTOCOL = '/p2pdv/store/1.0.0'
export const STORE_WIRE_VERSION = 1
export const MAX_STORE_MESSAGE_BYTES = 1024
export const RECEIPT_DOMAIN = 'p2pdv/store-receipt/v1'

export const WireErrorCode = {
  MALFORMED: 'ERR_WIRE_MALFORMED',
  VERSION: 'ERR_WIRE_VERSION'
} as const

/** Codes a node answers with when it refuses a block. */
export const StoreRefusal = {
  TOO_LARGE: 'ERR_BLOCK_TOO_LARGE',
  HASH_MISMATCH: 'ERR_BLOCK_HASH_MISMATCH',
  SIZE_MISMATCH: 'ERR_BLOCK_SIZE_MISMATCH',
  BAD_CID: 'ERR_BAD_CID',
  QUOTA: 'ERR_QUOTA_EXCEEDED',
  INTERNAL: 'ERR_INTERNAL'
} as const

/**
 * `grant`: an encoded upload grant (upload-grant.ts). The first header of a stream must carry one;
 * later headers may omit it and are charged to the stream's grant.
 */
export interface StoreHeader { v: 1, cid: CID, size: number, grant?: Uint8Array }

export interface Receipt {
  /** Node peer id (string form). */
  peer: string
  cid: CID
  size: number
  /** Milliseconds since the epoch, node clock. */
  time: number
  sig: Uint8Array
}

export type StoreResponse =
  | { v: 1, ok: true, receipt: Receipt }
  | { v: 1, ok: false, code: string, message: string }

function malformed (what: string): P2pdvError {
  return new P2pdvError(WireErrorCode.MALFORMED, `malformed store message: ${what}`)
}

function decodeMap (data: Uint8Array): Record<string, unknown> {
  if (data.byteLength > MAX_STORE_MESSAGE_BYTES) throw malformed('message too large')
  let v: unknown
  try { v = dagCbor.decode(data) } catch { throw malformed('not DAG-CBOR') }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not a map')
  const m = v as Record<string, unknown>
  if (m.v !== STORE_WIRE_VERSION) throw new P2pdvError(WireErrorCode.VERSION, `unsupported store protocol version ${String(m.v)}`)
  return m
}

function blockCidField (v: unknown): CID {
  const c = CID.asCID(v)
  if (c === null || !isBlockCid(c)) throw malformed('cid must be a raw sha2-256 CIDv1')
  return c
}

function sizeField (v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed('size must be a non-negative integer')
  return v
}

export function encodeStoreHeader (h: Omit<StoreHeader, 'v'>): Uint8Array {
  return dagCbor.encode({ v: STORE_WIRE_VERSION, cid: h.cid, size: h.size, ...(h.grant === undefined ? {} : { grant: h.grant }) })
}

/** Decodes a header; a size above MAX_BLOCK_BYTES is reported by the caller as TOO_LARGE. */
export function decodeStoreHeader (data: Uint8Array): StoreHeader {
  const m = decodeMap(data)
  if (m.grant !== undefined && !(m.grant instanceof Uint8Array)) throw malformed('grant must be bytes')
  return { v: 1, cid: blockCidField(m.cid), size: sizeField(m.size), ...(m.grant === undefined ? {} : { grant: m.grant }) }
}

export function encodeStoreResponse (r: StoreResponse): Uint8Array {
  return dagCbor.encode(r)
}

export function decodeStoreResponse (data: Uint8Array): StoreResponse {
  const m = decodeMap(data)
  if (m.ok === true) {
    const r = m.receipt as Record<string, unknown> | undefined
    if (typeof r !== 'object' || r === null) throw malformed('receipt missing')
    if (typeof r.peer !== 'string' || r.peer.length > 128) throw malformed('receipt.peer')
    if (!(r.sig instanceof Uint8Array) || r.sig.byteLength > 256) throw malformed('receipt.sig')
    if (typeof r.time !== 'number' || !Number.isSafeInteger(r.time)) throw malformed('receipt.time')
    return { v: 1, ok: true, receipt: { peer: r.peer, cid: blockCidField(r.cid), size: sizeField(r.size), time: r.time, sig: r.sig } }
  }
  if (m.ok === false && typeof m.code === 'string' && typeof m.message === 'string' && m.code.length <= 64 && m.message.length <= 512) {
    return { v: 1, ok: false, code: m.code, message: m.message }
  }
  throw malformed('response must be ok with a receipt, or an error with code and message')
}

/** The exact bytes a node signs for a receipt (and a client verifies). */
export function receiptPayload (r: Omit<Receipt, 'sig'>): Uint8Array {
  return dagCbor.encode([RECEIPT_DOMAIN, r.peer, r.cid, r.size, r.time])
}

export { MAX_BLOCK_BYTES }

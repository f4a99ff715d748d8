/** Shared strict decoding helpers for the wire codecs (DAG-CBOR maps with a version field). */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { isBlockCid } from '../cid.ts'
import { P2pdvError } from '../errors.ts'
import { WireErrorCode } from './store.ts'

export function malformed (kind: string, what: string): P2pdvError {
  return new P2pdvError(WireErrorCode.MALFORMED, `malformed ${kind} message: ${what}`)
}

/** Decodes a DAG-CBOR map of at most `maxBytes` whose `v` is `version`. */
export function readMap (data: Uint8Array, maxBytes: number, version: number, kind: string): Record<string, unknown> {
  if (data.byteLength > maxBytes) throw malformed(kind, 'message too large')
  let v: unknown
  try { v = dagCbor.decode(data) } catch { throw malformed(kind, 'not DAG-CBOR') }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || CID.asCID(v) !== null) throw malformed(kind, 'not a map')
  const m = v as Record<string, unknown>
  if (m.v !== version) throw new P2pdvError(WireErrorCode.VERSION, `unsupported ${kind} protocol version ${String(m.v).slice(0, 20)}`)
  return m
}

export function blockCidField (v: unknown, kind: string): CID {
  const c = CID.asCID(v)
  if (c === null || !isBlockCid(c)) throw malformed(kind, 'cid must be a raw sha2-256 CIDv1')
  return c
}

export function sizeField (v: unknown, kind: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(kind, 'size must be a non-negative integer')
  return v
}

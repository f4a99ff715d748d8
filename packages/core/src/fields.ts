/**
 * Field checks for decoded DAG-CBOR (manifests, placement records): each returns the value with
 * its type, or throws the decoder's own typed error, so every format reports bad fields alike.
 */
import { CID } from 'multiformats/cid'
import { isBlockCid } from './cid.ts'
import type { P2pdvError } from './errors.ts'

export interface FieldChecks {
  /** A map: not an array, bytes or a CID (DAG-CBOR decodes those to objects too). */
  map: (v: unknown, what: string) => Record<string, unknown>
  uint: (v: unknown, what: string, max?: number) => number
  bytes: (v: unknown, what: string, len: number) => Uint8Array
  /** A string of at most `max` characters without control characters. */
  text: (v: unknown, what: string, max: number) => string
  /** A raw sha2-256 CIDv1 (a block's). */
  blockCid: (v: unknown, what: string) => CID
}

/** The checks, failing with `malformed(what went wrong)`. */
export function fieldChecks (malformed: (what: string) => P2pdvError): FieldChecks {
  return {
    map (v, what) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || CID.asCID(v) !== null) throw malformed(`${what} must be a map`)
      return v as Record<string, unknown>
    },
    uint (v, what, max = Number.MAX_SAFE_INTEGER) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw malformed(`${what} must be an integer from 0 to ${max}`)
      return v
    },
    bytes (v, what, len) {
      if (!(v instanceof Uint8Array) || v.byteLength !== len) throw malformed(`${what} must be ${len} bytes`)
      return v
    },
    text (v, what, max) {
      if (typeof v !== 'string' || v.length > max || /[\u0000-\u001f]/.test(v)) throw malformed(`${what} must be a string of at most ${max} characters without control characters`)
      return v
    },
    blockCid (v, what) {
      const c = CID.asCID(v)
      if (c === null || !isBlockCid(c)) throw malformed(`${what} must be a raw sha2-256 CIDv1`)
      return c
    }
  }
}

/**
 * Manifests: what an object is made of. DAG-CBOR, versioned, validated field by field on decode
 * (a manifest comes from the network and is untrusted until its AEAD tag verified, and checked
 * even then). The sealed manifest is one block:
 *
 *   block = 0x01 (format) || nonce (12 random bytes) || AES-256-GCM(K_m, nonce, aad = "p2pdv/v1\0manifest", cbor)
 *
 * with K_m = HKDF-SHA256(K, info = "p2pdv/v1/manifest-key"): a separate key, so a manifest can be
 * re-sealed (updated) under a fresh random nonce without touching the chunk nonce space of K.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { aead } from '#aead'
import { AeadAuthError } from './aead/types.ts'
import { blockCid, CID, isBlockCid, verifyBlock } from './cid.ts'
import { P2pdvError } from './errors.ts'
import { MAX_BLOCK_BYTES, MAX_CHUNK_PLAINTEXT } from './limits.ts'
import { checkKey, FORMAT_VERSION, NONCE_BYTES, OBJECT_ID_BYTES, SealErrorCode } from './sealed.ts'

export const ManifestErrorCode = {
  MALFORMED: 'ERR_MANIFEST_MALFORMED',
  UNSUPPORTED: 'ERR_MANIFEST_UNSUPPORTED',
  TOO_LARGE: 'ERR_MANIFEST_TOO_LARGE'
} as const

export const MAX_NAME_LENGTH = 255
export const MAX_MIME_LENGTH = 127
const MANIFEST_BLOCK_FORMAT = 0x01
const enc = new TextEncoder()
const MANIFEST_AAD = enc.encode(`p2pdv/v${FORMAT_VERSION}\0manifest`)
const MANIFEST_KEY_INFO = enc.encode(`p2pdv/v${FORMAT_VERSION}/manifest-key`)

export interface ChunkRef {
  cid: CID
  /** Plaintext bytes in this chunk. */
  size: number
}

export interface FileManifest {
  v: 1
  type: 'file'
  objectId: Uint8Array
  size: number
  chunkSize: number
  /** SHA-256 of the whole plaintext. */
  sha256: Uint8Array
  chunks: ChunkRef[]
  name?: string
  mime?: string
}

export type Manifest = FileManifest

function malformed (what: string): P2pdvError {
  return new P2pdvError(ManifestErrorCode.MALFORMED, `manifest is malformed: ${what}`, {
    hint: 'The object was written by an incompatible or faulty client; it cannot be read.'
  })
}

function rec (v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || CID.asCID(v) !== null) throw malformed(`${what} must be a map`)
  return v as Record<string, unknown>
}

export function uint (v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw malformed(`${what} must be an integer from 0 to ${max}`)
  return v
}

export function bytes (v: unknown, what: string, len: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.byteLength !== len) throw malformed(`${what} must be ${len} bytes`)
  return v
}

export function text (v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length > max || /[\u0000-\u001f]/.test(v)) throw malformed(`${what} must be a string of at most ${max} characters without control characters`)
  return v
}

export function cid (v: unknown, what: string): CID {
  const c = CID.asCID(v)
  if (c === null || !isBlockCid(c)) throw malformed(`${what} must be a raw sha2-256 CIDv1`)
  return c
}

/** The largest chunk list that still fits one manifest block (about 40 bytes per entry). */
export const MAX_CHUNKS_PER_MANIFEST = Math.floor((MAX_BLOCK_BYTES - 1024) / 48)

export function chunkRefs (v: unknown, what: string, maxChunkSize: number): ChunkRef[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CHUNKS_PER_MANIFEST) throw malformed(`${what} must be a list of 1 to ${MAX_CHUNKS_PER_MANIFEST} chunks`)
  return v.map((c, i) => {
    const r = rec(c, `${what}[${i}]`)
    return { cid: cid(r.cid, `${what}[${i}].cid`), size: uint(r.size, `${what}[${i}].size`, maxChunkSize) }
  })
}

export function validateFileManifest (value: unknown): FileManifest {
  const m = rec(value, 'manifest')
  const chunkSize = uint(m.chunkSize, 'chunkSize', MAX_CHUNK_PLAINTEXT)
  if (chunkSize === 0) throw malformed('chunkSize must be positive')
  const chunks = chunkRefs(m.chunks, 'chunks', chunkSize)
  const size = uint(m.size, 'size')
  const total = chunks.reduce((a, c) => a + c.size, 0)
  if (total !== size) throw malformed(`chunk sizes add up to ${total}, not ${size}`)
  chunks.forEach((c, i) => {
    if (i < chunks.length - 1 && c.size !== chunkSize) throw malformed(`chunk ${i} is not full`)
  })
  const out: FileManifest = {
    v: 1,
    type: 'file',
    objectId: bytes(m.objectId, 'objectId', OBJECT_ID_BYTES),
    size,
    chunkSize,
    sha256: bytes(m.sha256, 'sha256', 32),
    chunks
  }
  if (m.name !== undefined) out.name = text(m.name, 'name', MAX_NAME_LENGTH)
  if (m.mime !== undefined) out.mime = text(m.mime, 'mime', MAX_MIME_LENGTH)
  return out
}

export function validateManifest (value: unknown): Manifest {
  const m = rec(value, 'manifest')
  if (m.v !== 1) {
    throw new P2pdvError(ManifestErrorCode.UNSUPPORTED, `manifest version ${String(m.v)} is not supported`, { hint: 'Upgrade p2pdv.' })
  }
  switch (m.type) {
    case 'file': return validateFileManifest(m)
    default:
      throw new P2pdvError(ManifestErrorCode.UNSUPPORTED, `manifest type "${String(m.type).slice(0, 32)}" is not supported`, { hint: 'Upgrade p2pdv.' })
  }
}

export function encodeManifest (manifest: Manifest): Uint8Array {
  return dagCbor.encode(validateManifest(manifest))
}

export function decodeManifest (data: Uint8Array): Manifest {
  if (data.byteLength > MAX_BLOCK_BYTES) throw new P2pdvError(ManifestErrorCode.TOO_LARGE, 'manifest larger than one block')
  let value: unknown
  try {
    value = dagCbor.decode(data)
  } catch (cause) {
    throw Object.assign(malformed('not DAG-CBOR'), { cause })
  }
  return validateManifest(value)
}

export function manifestKey (key: Uint8Array): Uint8Array {
  checkKey(key)
  return hkdf(sha256, key, undefined, MANIFEST_KEY_INFO, 32)
}

export async function sealManifest (key: Uint8Array, manifest: Manifest): Promise<{ cid: CID, block: Uint8Array }> {
  const body = encodeManifest(manifest)
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  const km = manifestKey(key)
  const sealed = await aead.seal(km, nonce, MANIFEST_AAD, body)
  km.fill(0)
  const block = new Uint8Array(1 + NONCE_BYTES + sealed.byteLength)
  block[0] = MANIFEST_BLOCK_FORMAT
  block.set(nonce, 1)
  block.set(sealed, 1 + NONCE_BYTES)
  if (block.byteLength > MAX_BLOCK_BYTES) {
    throw new P2pdvError(ManifestErrorCode.TOO_LARGE, `the manifest needs ${block.byteLength} bytes, more than one ${MAX_BLOCK_BYTES}-byte block`, {
      hint: `Objects are limited to ${MAX_CHUNKS_PER_MANIFEST} chunks (about ${Math.floor(MAX_CHUNKS_PER_MANIFEST * MAX_CHUNK_PLAINTEXT / 2 ** 30)} GiB); split the file.`
    })
  }
  return { cid: await blockCid(block), block }
}

export async function openManifest (key: Uint8Array, manifestCid: CID, block: Uint8Array): Promise<Manifest> {
  await verifyBlock(manifestCid, block)
  if (block.byteLength < 1 + NONCE_BYTES || block[0] !== MANIFEST_BLOCK_FORMAT) throw malformed('unknown manifest block format')
  const km = manifestKey(key)
  let body: Uint8Array
  try {
    body = await aead.open(km, block.subarray(1, 1 + NONCE_BYTES), MANIFEST_AAD, block.subarray(1 + NONCE_BYTES))
  } catch (err) {
    if (err instanceof AeadAuthError) {
      throw new P2pdvError(SealErrorCode.CHUNK_AUTH, 'the manifest does not open with this key', {
        hint: 'The capability is wrong or incomplete: check that the part after # was copied completely.'
      })
    }
    throw err
  } finally {
    km.fill(0)
  }
  return decodeManifest(body)
}

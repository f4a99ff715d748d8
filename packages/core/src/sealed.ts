/**
 * Sealed objects (format v1). A plaintext "stream" is cut into chunks of at most 1 MiB; each chunk
 * is sealed with AES-256-GCM under the object's content key K with
 *
 *   nonce = stream (7 bytes BE) || chunk index (4 bytes BE) || last flag (1 byte: 1 = last)
 *   aad   = "p2pdv/v1" || 0x00 || objectId (16 bytes) || 0x00 || context
 *
 * so a chunk opens only at its own position, in its own stream and object, and a stream whose
 * last chunk is missing is detected. One K may seal many streams (a video's segments); a
 * (K, stream) pair must never seal two different plaintexts. See docs/protocol.md.
 */
import { aead } from '#aead'
import { P2pdvError } from './errors.ts'
import { AEAD_TAG_BYTES, MAX_CHUNK_PLAINTEXT } from './limits.ts'
import { AeadAuthError } from './aead/types.ts'

export const FORMAT_VERSION = 1
export const KEY_BYTES = 32
export const OBJECT_ID_BYTES = 16
export const NONCE_BYTES = 12
/** Streams are numbered 0 … MAX_STREAM. */
export const MAX_STREAM = 2 ** 48 - 1
export const MAX_CHUNKS_PER_STREAM = 2 ** 32 - 1
export const MAX_CONTEXT_BYTES = 256

export const SealErrorCode = {
  CHUNK_AUTH: 'ERR_CHUNK_AUTH',
  TRUNCATED: 'ERR_TRUNCATED',
  TRAILING_DATA: 'ERR_TRAILING_DATA',
  BAD_KEY: 'ERR_BAD_KEY',
  BAD_ARGUMENT: 'ERR_SEAL_ARGUMENT'
} as const

const PREFIX = new TextEncoder().encode(`p2pdv/v${FORMAT_VERSION}`)

export interface ChunkPosition {
  /** Content key (32 bytes). */
  key: Uint8Array
  objectId: Uint8Array
  stream: number
  index: number
  last: boolean
  /** Caller context bound into the AAD (e.g. rendition and segment of a video). */
  context?: Uint8Array
}

export function generateContentKey (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES))
}

export function generateObjectId (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(OBJECT_ID_BYTES))
}

function argError (message: string): P2pdvError {
  return new P2pdvError(SealErrorCode.BAD_ARGUMENT, message)
}

export function chunkNonce (stream: number, index: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(stream) || stream < 0 || stream > MAX_STREAM) throw argError(`stream number out of range: ${stream}`)
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_CHUNKS_PER_STREAM) throw argError(`chunk index out of range: ${index}`)
  const nonce = new Uint8Array(NONCE_BYTES)
  const view = new DataView(nonce.buffer)
  // 56-bit big-endian stream number; stream < 2^48, so byte 0 stays 0.
  view.setUint16(1, Math.floor(stream / 2 ** 32))
  view.setUint32(3, stream >>> 0)
  view.setUint32(7, index)
  nonce[11] = last ? 1 : 0
  return nonce
}

export function chunkAad (objectId: Uint8Array, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (objectId.byteLength !== OBJECT_ID_BYTES) throw argError(`object id must be ${OBJECT_ID_BYTES} bytes`)
  if (context.byteLength > MAX_CONTEXT_BYTES) throw argError(`context longer than ${MAX_CONTEXT_BYTES} bytes`)
  const aad = new Uint8Array(PREFIX.byteLength + 1 + OBJECT_ID_BYTES + 1 + context.byteLength)
  aad.set(PREFIX, 0)
  aad.set(objectId, PREFIX.byteLength + 1)
  aad.set(context, PREFIX.byteLength + 2 + OBJECT_ID_BYTES)
  return aad
}

export function checkKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
    throw new P2pdvError(SealErrorCode.BAD_KEY, `content keys are ${KEY_BYTES} bytes`)
  }
}

/** Seals one chunk; the result (ciphertext || tag) is a block. */
export async function sealChunk (pos: ChunkPosition, plaintext: Uint8Array): Promise<Uint8Array> {
  checkKey(pos.key)
  if (plaintext.byteLength > MAX_CHUNK_PLAINTEXT) throw argError(`chunks hold at most ${MAX_CHUNK_PLAINTEXT} bytes`)
  return await aead.seal(pos.key, chunkNonce(pos.stream, pos.index, pos.last), chunkAad(pos.objectId, pos.context), plaintext)
}

/** Opens one chunk sealed at exactly this position, or throws ERR_CHUNK_AUTH. */
export async function openChunk (pos: ChunkPosition, sealed: Uint8Array): Promise<Uint8Array> {
  checkKey(pos.key)
  if (sealed.byteLength > MAX_CHUNK_PLAINTEXT + AEAD_TAG_BYTES) throw chunkAuthError(pos)
  try {
    return await aead.open(pos.key, chunkNonce(pos.stream, pos.index, pos.last), chunkAad(pos.objectId, pos.context), sealed)
  } catch (err) {
    if (err instanceof AeadAuthError) throw chunkAuthError(pos)
    throw err
  }
}

export function chunkAuthError (pos: Pick<ChunkPosition, 'stream' | 'index'>): P2pdvError {
  return new P2pdvError(SealErrorCode.CHUNK_AUTH, `chunk ${pos.index} of stream ${pos.stream} failed authentication: wrong key, or the data was tampered with, reordered or swapped`, {
    hint: 'Check that the capability (the part after #) was copied completely. If it was, the stored data is damaged: try other nodes.',
    details: { stream: pos.stream, index: pos.index }
  })
}

/** Splits a plaintext size into chunk sizes (an empty plaintext is one empty chunk). */
export function chunkSizes (size: number, chunkSize = MAX_CHUNK_PLAINTEXT): number[] {
  if (size === 0) return [0]
  const out: number[] = []
  for (let off = 0; off < size; off += chunkSize) out.push(Math.min(chunkSize, size - off))
  return out
}

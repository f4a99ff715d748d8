/**
 * The per-chunk work, shared by the worker threads and the inline path: seal + hash, or
 * verify hash + open. Synchronous node:crypto, so one thread does one chunk at full speed.
 */
import { createHash } from 'node:crypto'
// Narrow imports: every worker thread loads this module graph at start (the core index would
// pull in manifests, keys and curves, ~0.7 s of module loading per worker).
import { chunkAad, chunkAuthError, chunkNonce, type ChunkPosition } from '@p2pdv/core/sealed'
import { AeadAuthError, openSync, sealSync } from '@p2pdv/core/aead-node'
import { ownsWholeBuffer } from '@p2pdv/core/buffers'
import { merkleRootFast } from '../merkle.ts'

export interface SealTask {
  op: 'seal'
  pos: ChunkPosition
  data: Uint8Array
  /** Compute the block's audit Merkle root too (uploads do; default true). */
  root?: boolean
  /** A buffer of exactly the sealed size to seal into (a recycled one: see CryptoPool.sealedBuffer). */
  into?: ArrayBuffer
}

export interface OpenTask {
  op: 'open'
  pos: ChunkPosition
  data: Uint8Array
  /** sha2-256 digest the sealed bytes must have (from the CID); absent when the reader verified them. */
  digest?: Uint8Array
}

export type Task = SealTask | OpenTask

export interface TaskResult {
  data: Uint8Array
  /** sha2-256 of the sealed bytes (seal only). */
  digest?: Uint8Array
  /** Audit Merkle root of the sealed bytes (seal only; see @p2pdv/core/audit). */
  root?: Uint8Array
  error?: { code: string, stream: number, index: number }
  /**
   * The task's input buffer handed back for reuse: a seal's plaintext, zeroed; an open's
   * ciphertext, from a worker only (see recycleInput).
   */
  spare?: ArrayBuffer
}


/**
 * Hands the input back as `result.spare` for a later chunk (whole buffers only): a fresh megabyte
 * per chunk cost the main thread page faults and garbage collections. A seal's plaintext is zeroed
 * first. An open's ciphertext goes back only from a worker (`inWorker`), where the input is the
 * thread's own (transferred, so no view on the main thread is left, or cloned); run inline, it
 * may still be the caller's (a cache's, a decoded stripe's).
 */
export function recycleInput (task: Task, result: TaskResult, inWorker = false): void {
  if (task.data.byteLength === 0 || !ownsWholeBuffer(task.data)) return
  if (task.op === 'seal') task.data.fill(0)
  else if (!inWorker || result.error !== undefined) return
  result.spare = task.data.buffer as ArrayBuffer
}

export function runTask (task: Task): TaskResult {
  const nonce = chunkNonce(task.pos.stream, task.pos.index, task.pos.last)
  const aad = chunkAad(task.pos.objectId, task.pos.context)
  if (task.op === 'seal') {
    const sealed = sealSync(task.pos.key, nonce, aad, task.data, task.into)
    const digest = new Uint8Array(createHash('sha256').update(sealed).digest())
    return task.root === false ? { data: sealed, digest } : { data: sealed, digest, root: merkleRootFast(sealed) }
  }
  if (task.digest !== undefined && !createHash('sha256').update(task.data).digest().equals(task.digest)) return { data: new Uint8Array(0), error: { code: 'ERR_BLOCK_HASH_MISMATCH', stream: task.pos.stream, index: task.pos.index } }
  try {
    return { data: openSync(task.pos.key, nonce, aad, task.data) }
  } catch (err) {
    if (err instanceof AeadAuthError) return { data: new Uint8Array(0), error: { code: chunkAuthError(task.pos).code, stream: task.pos.stream, index: task.pos.index } }
    throw err
  }
}

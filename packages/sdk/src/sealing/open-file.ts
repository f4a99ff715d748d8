/**
 * Streams an object's plaintext: fetch blocks ahead with bounded concurrency, verify each hash and
 * open it in the pool, yield chunks in order, and check the total size and the plaintext SHA-256
 * at the end. The first bad chunk stops the stream with a typed error; nothing after it is yielded.
 */
import { createHash } from 'node:crypto'
import { chunkAuthError, P2pdvError, SealErrorCode, type CID, type FileManifest } from '@p2pdv/core'
import type { TaskResult } from './chunk-crypto.ts'
import { CryptoPool } from './pool.ts'

export const OpenErrorCode = {
  DIGEST_MISMATCH: 'ERR_PLAINTEXT_DIGEST_MISMATCH'
} as const

export interface OpenFileOptions {
  key: Uint8Array
  concurrency?: number
  pool?: CryptoPool
  workers?: number
  stream?: number
  context?: Uint8Array
  signal?: AbortSignal
  /** fetchBlock returns bytes already checked against their CIDs: do not hash them again. */
  verified?: boolean
  /**
   * Takes each block's buffer once a worker has opened it (ciphertext, handed back: see
   * recycleInput), so the fetcher can read a later block into it instead of a fresh megabyte.
   */
  recycle?: (buffer: ArrayBuffer) => void
}

function digestMismatch (): P2pdvError {
  return new P2pdvError(OpenErrorCode.DIGEST_MISMATCH, 'the decrypted object does not match the size and SHA-256 in its manifest', {
    hint: 'The object was written by a faulty client; it cannot be trusted.'
  })
}

export type FetchBlock = (cid: CID, index: number, signal?: AbortSignal) => Promise<Uint8Array>

export const DEFAULT_FETCH_CONCURRENCY = 8

/** What openFile needs of an object: a file manifest, or one stream of a video. */
export interface SealedStreamRef { objectId: Uint8Array, size: number, chunks: FileManifest['chunks'], sha256?: Uint8Array }

export async function * openFile (manifest: SealedStreamRef, fetchBlock: FetchBlock, opts: OpenFileOptions): AsyncGenerator<Uint8Array> {
  const pool = opts.pool ?? new CryptoPool(opts.workers)
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_FETCH_CONCURRENCY)
  const stream = opts.stream ?? 0
  const hash = createHash('sha256')
  const inflight: Array<Promise<TaskResult & { index: number }>> = []
  const last = manifest.chunks.length - 1
  let next = 0
  let size = 0
  // Fetches still running when the stream ends early (a failed block, or the reader stopped)
  // are cancelled, so the error surfaces now rather than after their timeouts.
  const stop = new AbortController()
  const signal = opts.signal === undefined ? stop.signal : AbortSignal.any([opts.signal, stop.signal])
  const launch = (): void => {
    const index = next++
    const ref = manifest.chunks[index]!
    const pos = { key: opts.key, objectId: manifest.objectId, stream, index, last: index === last, ...(opts.context === undefined ? {} : { context: opts.context }) }
    const opened = fetchBlock(ref.cid, index, signal)
      .then(async data => {
        const r = await pool.run({ op: 'open', pos, data, ...(opts.verified === true ? {} : { digest: ref.cid.multihash.digest }) })
        if (r.spare !== undefined) opts.recycle?.(r.spare)
        return { ...r, index }
      })
    // Only the oldest fetch is awaited; a later one may fail first (its holder went down). Its
    // error is thrown when its turn comes, or dropped if an earlier one ends the stream; until
    // then it must not count as an unhandled rejection, which would kill the process mid-write.
    opened.catch(() => {})
    inflight.push(opened)
  }
  try {
    while (next < manifest.chunks.length && inflight.length < concurrency) launch()
    while (inflight.length > 0) {
      const r = await inflight.shift()!
      if (next < manifest.chunks.length) launch()
      if (r.error !== undefined) {
        if (r.error.code === SealErrorCode.CHUNK_AUTH) throw chunkAuthError(r.error)
        throw new P2pdvError(r.error.code, `chunk ${r.error.index} does not match its CID`, { hint: 'The source served damaged data; retry to use another node.' })
      }
      if (r.data.byteLength !== manifest.chunks[r.index]!.size) throw digestMismatch()
      hash.update(r.data)
      size += r.data.byteLength
      yield r.data
    }
    if (size !== manifest.size || (manifest.sha256 !== undefined && !hash.digest().equals(manifest.sha256))) throw digestMismatch()
  } finally {
    stop.abort()
    await Promise.allSettled(inflight)
    if (opts.pool === undefined) await pool.close()
  }
}

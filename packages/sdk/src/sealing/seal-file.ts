/**
 * Streams a file through the crypto pool: re-chunk to 1 MiB, seal and hash in parallel, yield
 * blocks in order with a bounded number in flight (constant memory for any file size), then
 * build and seal the manifest.
 */
import { createHash } from 'node:crypto'
import { AEAD_TAG_BYTES, CID, generateObjectId, MAX_CHUNK_PLAINTEXT, sealManifest, type ChunkRef, type FileManifest } from '@p2pdv/core'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import type { TaskResult } from './chunk-crypto.ts'
import { CryptoPool } from './pool.ts'
import { isChunkReader, type ChunkReader } from './file-chunks.ts'
import { freshChunk, rechunk } from './rechunk.ts'
import { BufferRecycler } from '../buffer-recycler.ts'

export interface SealedBlock {
  index: number
  cid: CID
  bytes: Uint8Array
  plaintextSize: number
  /** The block's audit Merkle root, computed by the worker that sealed it. */
  root?: Uint8Array
  /**
   * Hands `bytes` back to the pool for a later chunk, once the consumer is done with them (every
   * copy stored). Optional: a block never released is simply collected. `bytes` must not be read
   * after; a second call does nothing.
   */
  release: () => void
}

export interface SealFileOptions {
  key: Uint8Array
  objectId?: Uint8Array
  /** Stream number under the key (files use 0; videos number their segments). */
  stream?: number
  context?: Uint8Array
  /** A pool to share; otherwise one is created with `workers` threads and closed at the end. */
  pool?: CryptoPool
  workers?: number
  name?: string
  mime?: string
  /** Compute each block's audit root in the workers (default true: uploads record them). */
  auditRoots?: boolean
}

export interface SealedFile {
  manifest: FileManifest
  manifestCid: CID
  manifestBlock: Uint8Array
}

export class FileSealer {
  private readonly opts: SealFileOptions
  private sealed: SealedFile | undefined

  constructor (opts: SealFileOptions) {
    this.opts = opts
  }

  /** Available once `blocks()` has been iterated to the end. */
  get result (): SealedFile {
    if (this.sealed === undefined) throw new Error('FileSealer.result read before all blocks were consumed')
    return this.sealed
  }

  /** `source`: any byte stream (re-cut into chunks), or a ChunkReader such as `fileChunks(path)` (no copy). */
  async * blocks (source: AsyncIterable<Uint8Array> | ChunkReader): AsyncGenerator<SealedBlock> {
    const objectId = this.opts.objectId ?? generateObjectId()
    const pool = this.opts.pool ?? new CryptoPool(this.opts.workers)
    let sealed: SealedStream
    try {
      sealed = yield * sealStream(source, { ...this.opts, objectId, pool })
    } finally {
      if (this.opts.pool === undefined) await pool.close()
    }
    const manifest: FileManifest = {
      v: 1,
      type: 'file',
      objectId,
      size: sealed.size,
      chunkSize: MAX_CHUNK_PLAINTEXT,
      sha256: sealed.sha256,
      chunks: sealed.chunks,
      ...(this.opts.name === undefined ? {} : { name: this.opts.name.slice(0, 255) }),
      ...(this.opts.mime === undefined ? {} : { mime: this.opts.mime })
    }
    const { cid, block } = await sealManifest(this.opts.key, manifest)
    this.sealed = { manifest, manifestCid: cid, manifestBlock: block }
  }
}

/** Spare plaintext buffers kept (the pool's window is a few per worker). */
const MAX_SPARES = 16

export interface SealedStream {
  size: number
  chunks: ChunkRef[]
  /** SHA-256 of the stream's plaintext. */
  sha256: Uint8Array
}

/**
 * Seals one stream (a file, a segment…) under `key`: yields its blocks in order and returns its
 * chunk list. The pool is the caller's and stays open.
 */
export async function * sealStream (source: AsyncIterable<Uint8Array> | ChunkReader, opts: { key: Uint8Array, objectId: Uint8Array, pool: CryptoPool, stream?: number, context?: Uint8Array, auditRoots?: boolean }): AsyncGenerator<SealedBlock, SealedStream> {
  const { key, objectId, pool } = opts
  const stream = opts.stream ?? 0
  const window = Math.max(2, pool.window)
  const hash = createHash('sha256')
  const chunks: ChunkRef[] = []
  const inflight: Array<{ index: number, size: number, result: Promise<TaskResult> }> = []
  // Plaintext buffers the workers handed back (zeroed), reused for the next chunks.
  const spares = new BufferRecycler(MAX_SPARES)
  const alloc = (n: number): Uint8Array => {
    const b = spares.take(n)
    return b === undefined ? freshChunk(n) : new Uint8Array(b)
  }
  let size = 0
  let index = 0
  const settle = async (): Promise<SealedBlock> => {
    const next = inflight.shift()!
    const r = await next.result
    if (r.spare !== undefined) spares.give(r.spare)
    const cid = CID.createV1(raw.code, createDigest(sha256.code, r.digest!))
    chunks.push({ cid, size: next.size })
    let released = false
    const release = (): void => { if (!released) { released = true; pool.recycleSealed(r.data) } }
    return { index: next.index, cid, bytes: r.data, plaintextSize: next.size, release, ...(r.root === undefined ? {} : { root: r.root }) }
  }
  try {
    const cut = isChunkReader(source) ? source.readChunks(MAX_CHUNK_PLAINTEXT, alloc) : rechunk(source, MAX_CHUNK_PLAINTEXT, alloc)
    for await (const { chunk, last } of cut) {
      hash.update(chunk)
      size += chunk.byteLength
      const pos = { key, objectId, stream, index, last, ...(opts.context === undefined ? {} : { context: opts.context }) }
      const into = pool.sealedBuffer(chunk.byteLength + AEAD_TAG_BYTES)
      inflight.push({ index, size: chunk.byteLength, result: pool.run({ op: 'seal', pos, data: chunk, ...(into === undefined ? {} : { into }), ...(opts.auditRoots === false ? { root: false } : {}) }) })
      index++
      if (inflight.length >= window) yield await settle()
    }
    while (inflight.length > 0) yield await settle()
  } finally {
    // Let every task finish before anyone closes the pool (results are dropped on early exit).
    await Promise.allSettled(inflight.map(async t => await t.result))
  }
  return { size, chunks, sha256: new Uint8Array(hash.digest()) }
}

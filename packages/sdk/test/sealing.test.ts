import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateContentKey, MAX_CHUNK_PLAINTEXT, openManifest, P2pdvError, SealErrorCode, type CID } from '@p2pdv/core'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CryptoPool, fileChunks, FileSealer, MAX_INLINE_BEFORE_READY, openFile, rechunk, SealPipeline } from '@p2pdv/sdk/sealing'

async function * from (...parts: Uint8Array[]): AsyncGenerator<Uint8Array> { for (const p of parts) yield p }

async function collect<T> (it: AsyncIterable<T>): Promise<T[]> { const out: T[] = []; for await (const x of it) out.push(x); return out }

describe('rechunk', () => {
  it('cuts any input into exact chunks and flags the last', async () => {
    const out = await collect(rechunk(from(new Uint8Array(5), new Uint8Array(7), new Uint8Array(0), new Uint8Array(4)), 4))
    assert.deepEqual(out.map(c => [c.chunk.byteLength, c.last]), [[4, false], [4, false], [4, false], [4, true]])
    assert.deepEqual((await collect(rechunk(from(), 4))).map(c => [c.chunk.byteLength, c.last]), [[0, true]])
    assert.deepEqual((await collect(rechunk(from(new Uint8Array(9)), 4))).map(c => [c.chunk.byteLength, c.last]), [[4, false], [4, false], [1, true]])
  })
})

describe('fileChunks', () => {
  it('reads a file into exact chunks of the buffers it is given, flags the last, and keeps every byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-chunks-'))
    try {
      for (const size of [0, 1, 4, 5, 8, 9]) {
        const bytes = new Uint8Array(randomBytes(size))
        const path = join(dir, `f${size}`)
        await writeFile(path, bytes)
        const given: Uint8Array[] = []
        const out = await collect(fileChunks(path).readChunks(4, n => { const b = new Uint8Array(n); given.push(b); return b }))
        const want = size === 0 ? [[0, true]] : Array.from({ length: Math.ceil(size / 4) }, (_, i) => [Math.min(4, size - i * 4), i === Math.ceil(size / 4) - 1])
        assert.deepEqual(out.map(c => [c.chunk.byteLength, c.last]), want, `file of ${size} bytes`)
        assert.deepEqual(Buffer.concat(out.map(c => c.chunk)), Buffer.from(bytes))
        // Full chunks are the very buffers handed out (no copy).
        for (const c of out.filter(c => c.chunk.byteLength === 4)) assert.ok(given.includes(c.chunk))
      }
      await assert.rejects(collect(fileChunks(join(dir, 'missing')).readChunks(4, n => new Uint8Array(n))), { code: 'ENOENT' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('seals a file read this way to the same plaintext', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-chunks-'))
    const pool = new CryptoPool(2)
    try {
      const input = randomBytes(2 * MAX_CHUNK_PLAINTEXT + 7)
      const path = join(dir, 'in.bin')
      await writeFile(path, input)
      const key = generateContentKey()
      const sealer = new FileSealer({ key, pool })
      const blocks = new Map<string, Uint8Array>()
      for await (const b of sealer.blocks(fileChunks(path))) blocks.set(b.cid.toString(), b.bytes)
      assert.equal(sealer.result.manifest.chunks.length, 3)
      const out = Buffer.concat(await collect(openFile(sealer.result.manifest, async (cid: CID) => blocks.get(cid.toString())!, { key, pool })))
      assert.ok(out.equals(input))
    } finally {
      await pool.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('FileSealer + openFile through the worker pool', () => {
  for (const [label, size, workers] of [['empty', 0, 0], ['1 byte', 1, 0], ['3 MiB + 5, 2 workers', 3 * MAX_CHUNK_PLAINTEXT + 5, 2], ['exactly 2 MiB, inline', 2 * MAX_CHUNK_PLAINTEXT, 0]] as const) {
    it(`round-trips ${label}`, async () => {
      const key = generateContentKey()
      const input = randomBytes(size)
      const pool = new CryptoPool(workers)
      try {
        const sealer = new FileSealer({ key, pool, name: 'x.bin' })
        const blocks = new Map<string, Uint8Array>()
        // Feed odd-sized pieces to exercise re-chunking.
        const pieces = []
        for (let off = 0; off < size; off += 300_001) pieces.push(input.subarray(off, off + 300_001))
        for await (const b of sealer.blocks(from(...pieces.map(p => new Uint8Array(p))))) blocks.set(b.cid.toString(), b.bytes)
        const { manifest, manifestCid, manifestBlock } = sealer.result
        assert.equal(manifest.size, size)
        assert.equal(manifest.chunks.length, Math.max(1, Math.ceil(size / MAX_CHUNK_PLAINTEXT)))
        assert.deepEqual(await openManifest(key, manifestCid, manifestBlock), manifest)
        const fetch = async (cid: CID): Promise<Uint8Array> => blocks.get(cid.toString())!.slice()
        const out = Buffer.concat(await collect(openFile(manifest, fetch, { key, pool })))
        assert.equal(createHash('sha256').update(out).digest('hex'), createHash('sha256').update(input).digest('hex'))
      } finally {
        await pool.close()
      }
    })
  }

  it('stops at a corrupt block with a typed error and yields nothing after it', async () => {
    const key = generateContentKey()
    const pool = new CryptoPool(2)
    try {
      const sealer = new FileSealer({ key, pool })
      const blocks: Uint8Array[] = []
      for await (const b of sealer.blocks(from(randomBytes(4 * MAX_CHUNK_PLAINTEXT)))) blocks.push(b.bytes)
      const { manifest } = sealer.result
      const yielded: number[] = []
      const fetchBad = async (_cid: CID, index: number): Promise<Uint8Array> => {
        const b = blocks[index]!.slice()
        if (index === 2) b[100]! ^= 1
        return b
      }
      await assert.rejects(async () => { for await (const c of openFile(manifest, fetchBad, { key, pool })) yielded.push(c.byteLength) }, { code: 'ERR_BLOCK_HASH_MISMATCH' })
      assert.deepEqual(yielded, [MAX_CHUNK_PLAINTEXT, MAX_CHUNK_PLAINTEXT])
      // A block that hashes right but was sealed for another position (swapped chunks) fails AEAD.
      const swapped = manifest.chunks.slice()
      ;[swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!]
      const byCid = async (cid: CID): Promise<Uint8Array> => blocks[manifest.chunks.findIndex(c => c.cid.equals(cid))]!.slice()
      await assert.rejects(collect(openFile({ ...manifest, chunks: swapped }, byCid, { key, pool })), { code: SealErrorCode.CHUNK_AUTH })
      // Truncation: dropping the last chunk leaves a stream with no last-flagged chunk.
      const truncated = { ...manifest, chunks: manifest.chunks.slice(0, 3), size: 3 * MAX_CHUNK_PLAINTEXT }
      await assert.rejects(collect(openFile(truncated, byCid, { key, pool })), { code: SealErrorCode.CHUNK_AUTH })
    } finally {
      await pool.close()
    }
  })
  it('a fetch that fails while an earlier one is awaited ends the stream with its typed error, never as an unhandled rejection', async () => {
    const key = generateContentKey()
    const pool = new CryptoPool(0)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    try {
      const sealer = new FileSealer({ key, pool })
      const blocks: Uint8Array[] = []
      for await (const b of sealer.blocks(from(randomBytes(4 * MAX_CHUNK_PLAINTEXT)))) blocks.push(b.bytes)
      let releaseFirst!: () => void
      const firstHeld = new Promise<void>(resolve => { releaseFirst = resolve })
      const laterFailed: Array<Promise<unknown>> = []
      // Block 0 is held until every later block has failed: those rejections settle while openFile awaits block 0.
      const fetch = async (_cid: CID, index: number): Promise<Uint8Array> => {
        if (index === 0) { await firstHeld; throw new P2pdvError('ERR_BLOCK_UNAVAILABLE', 'gone') }
        const failure = Promise.reject(new P2pdvError('ERR_BLOCK_UNAVAILABLE', 'gone'))
        laterFailed.push(failure.catch(() => {}))
        return await failure
      }
      const reading = collect(openFile(sealer.result.manifest, fetch, { key, pool }))
      const settled = reading.then(() => undefined, (err: unknown) => err)
      while (laterFailed.length < 3) await new Promise(resolve => setImmediate(resolve))
      await Promise.all(laterFailed)
      // Give the runtime a full turn to report rejections nobody handles.
      await new Promise(resolve => setTimeout(resolve, 20))
      releaseFirst()
      const err = await settled
      assert.equal((err as P2pdvError).code, 'ERR_BLOCK_UNAVAILABLE')
      assert.deepEqual(unhandled, [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await pool.close()
    }
  })
})

describe('sealed-block buffer recycling', () => {
  it('seals later chunks into buffers released by earlier blocks; every block keeps its CID and the file opens', async () => {
    const key = generateContentKey()
    const input = randomBytes(12 * MAX_CHUNK_PLAINTEXT + 7)
    const pool = new CryptoPool(2)
    try {
      const sealer = new FileSealer({ key, pool })
      const blocks = new Map<string, Uint8Array>()
      for await (const b of sealer.blocks(from(new Uint8Array(input)))) {
        // What a node checks: the bytes hash to the CID, even in a reused buffer.
        assert.deepEqual(createHash('sha256').update(b.bytes).digest(), Buffer.from(b.cid.multihash.digest))
        blocks.set(b.cid.toString(), b.bytes.slice())
        b.release()
        b.release()
      }
      assert.ok(pool.sealedReused > 0, 'no chunk was sealed into a released buffer')
      assert.equal(blocks.size, 13)
      const { manifest } = sealer.result
      const out = Buffer.concat(await collect(openFile(manifest, async (cid: CID) => blocks.get(cid.toString())!.slice(), { key, pool })))
      assert.ok(out.equals(input))
    } finally {
      await pool.close()
    }
  })

  it('hands each opened block\'s buffer back from the workers, never from an inline open', async () => {
    const key = generateContentKey()
    const input = randomBytes(5 * MAX_CHUNK_PLAINTEXT + 3)
    const pool = new CryptoPool(2)
    try {
      const sealer = new FileSealer({ key, pool })
      const blocks = new Map<string, Uint8Array>()
      for await (const b of sealer.blocks(from(new Uint8Array(input)))) blocks.set(b.cid.toString(), b.bytes.slice())
      const { manifest } = sealer.result
      const handed: ArrayBuffer[] = []
      const fetched = new Set<ArrayBufferLike>()
      const fetch = async (cid: CID): Promise<Uint8Array> => { const b = blocks.get(cid.toString())!.slice(); fetched.add(b.buffer); return b }
      const inlineBefore = pool.inlineRuns
      const out = Buffer.concat(await collect(openFile(manifest, fetch, { key, pool, recycle: b => { handed.push(b) } })))
      assert.ok(out.equals(input))
      // Every open a worker ran (all, once the workers are up) hands its block's buffer back whole.
      assert.equal(handed.length, manifest.chunks.length - (pool.inlineRuns - inlineBefore))
      assert.ok(handed.length > 0)
      const sealedSizes = new Set(manifest.chunks.map(c => c.size + 16))
      for (const b of handed) assert.ok(sealedSizes.has(b.byteLength), `a ${b.byteLength}-byte buffer is no block's`)
      assert.ok(handed.every(b => !fetched.has(b)), 'a transferred buffer comes back as a new object')
    } finally {
      await pool.close()
    }
    // Inline (no workers) the input may still be the caller's: nothing is handed back.
    const inline = new CryptoPool(0)
    const sealer = new FileSealer({ key, pool: inline })
    const blocks: Uint8Array[] = []
    for await (const b of sealer.blocks(from(new Uint8Array(input.subarray(0, 1000))))) blocks.push(b.bytes)
    let handedInline = 0
    await collect(openFile(sealer.result.manifest, async () => blocks[0]!, { key, pool: inline, recycle: () => { handedInline++ } }))
    assert.equal(handedInline, 0)
  })

  it('keeps no buffer a block never released', async () => {
    const pool = new CryptoPool(2)
    try {
      const sealer = new FileSealer({ key: generateContentKey(), pool })
      for await (const b of sealer.blocks(from(new Uint8Array(randomBytes(6 * MAX_CHUNK_PLAINTEXT))))) assert.ok(b.bytes.byteLength > 0)
      assert.equal(pool.sealedReused, 0)
    } finally {
      await pool.close()
    }
  })
})

describe('CryptoPool before its workers are up', () => {
  it('runs the first tasks inline, hands the plaintext back zeroed, and the rest on the workers, same bytes', async () => {
    const pool = new CryptoPool(2)
    try {
      const key = generateContentKey()
      const objectId = new Uint8Array(randomBytes(16))
      const pos = { key, objectId, stream: 0, index: 0, last: true }
      const plain = new Uint8Array(randomBytes(4096))
      const input = plain.slice()
      // Called at once: no worker has started yet, so this one runs on this thread.
      const early = await pool.run({ op: 'seal', pos, data: input })
      assert.equal(pool.inlineRuns, 1)
      assert.ok(input.every(b => b === 0), 'the plaintext is zeroed once sealed, as a worker does')
      assert.equal(early.spare, input.buffer)
      // A burst that never yields to the event loop (chunks from memory) runs inline only up to
      // the budget; the rest waits for the workers.
      const burst = await Promise.all(Array.from({ length: 6 }, async () => await pool.run({ op: 'seal', pos, data: plain.slice() })))
      assert.equal(pool.inlineRuns, MAX_INLINE_BEFORE_READY)
      for (const r of burst) assert.deepEqual(r.data, early.data)
      const opened = await pool.run({ op: 'open', pos, data: burst[5]!.data, digest: early.digest! })
      assert.deepEqual(opened.data, plain)
      assert.equal(pool.inlineRuns, MAX_INLINE_BEFORE_READY)
    } finally {
      await pool.close()
    }
  })
})

describe('SealPipeline', () => {
  it('seals several streams at once and writes every block in stream order; each stream opens at its number', async () => {
    const key = generateContentKey()
    const objectId = new Uint8Array(randomBytes(16))
    const pool = new CryptoPool(2)
    try {
      const inputs = Array.from({ length: 12 }, (_, i) => new Uint8Array(randomBytes(i % 3 === 0 ? MAX_CHUNK_PLAINTEXT + 100 : 3000 + i)))
      const written: Array<{ cid: CID, bytes: Uint8Array }> = []
      let opened = 0
      let maxOpen = 0
      const pipeline = new SealPipeline({ key, objectId, pool, ahead: 3, write: async b => { written.push({ cid: b.cid, bytes: b.bytes }); await new Promise(resolve => setTimeout(resolve, 1)) } })
      const refs = await Promise.all(inputs.map(async (input, i) => await pipeline.add(() => {
        opened++
        maxOpen = Math.max(maxOpen, opened - written.length)
        return from(input)
      }, new Uint8Array([i]))))
      assert.deepEqual(refs.map(r => r.n), inputs.map((_, i) => i))
      // Written in order: stream after stream, each stream's chunks in order.
      assert.deepEqual(written.map(w => w.cid.toString()), refs.flatMap(r => r.chunks.map(c => c.cid.toString())))
      const store = new Map(written.map(w => [w.cid.toString(), w.bytes.slice()]))
      for (const [i, r] of refs.entries()) {
        const plain = Buffer.concat(await collect(openFile({ objectId, size: r.size, chunks: r.chunks }, async cid => store.get(cid.toString())!.slice(), { key, pool, stream: r.n, context: new Uint8Array([i]) })))
        assert.deepEqual(new Uint8Array(plain), inputs[i])
      }
    } finally {
      await pool.close()
    }
  })

  it('fails the stream that failed and every later one, and does not hang', async () => {
    const pool = new CryptoPool(0)
    const pipeline = new SealPipeline({ key: generateContentKey(), objectId: new Uint8Array(16), pool, ahead: 2, write: async () => {} })
    const broken = (async function * (): AsyncGenerator<Uint8Array> { yield new Uint8Array(3); throw new Error('disk gone') })
    const results = await Promise.allSettled([
      pipeline.add(() => from(new Uint8Array(10)), new Uint8Array(0)),
      pipeline.add(broken, new Uint8Array(0)),
      pipeline.add(() => from(new Uint8Array(10)), new Uint8Array(0)),
      pipeline.add(() => from(new Uint8Array(10)), new Uint8Array(0))
    ])
    assert.deepEqual(results.map(r => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected'])
    assert.match(String((results[1] as PromiseRejectedResult).reason), /disk gone/)
    await pool.close()
  })
})

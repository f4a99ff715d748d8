import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateContentKey, MAX_CHUNK_PLAINTEXT, openManifest, SealErrorCode, type CID } from '@p2pdv/core'
import { CryptoPool, FileSealer, openFile, rechunk } from '@p2pdv/sdk/sealing'

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
})

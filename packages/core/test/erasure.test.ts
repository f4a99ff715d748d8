import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createWasmBackend, encodeStripe, ErasureErrorCode, erasureBackend, pureBackend, reconstructStripe, stripeShardSize, ERASURE_ALIGN, type RsBackend } from '@p2pdv/core/erasure'
import { encodingMatrix, invert, multiply, identity } from '../src/erasure/matrix.ts'
import { generateModule, WASM_SOURCES } from '../../../scripts/assemble-wasm.ts'

// Node 24 has WebAssembly SIMD and relaxed SIMD: both kernels must load here.
const simd = createWasmBackend('simd')
const relaxed = createWasmBackend('relaxed')
const fast: RsBackend[] = [simd, relaxed].filter(b => b !== undefined)

const vectors = JSON.parse(readFileSync(new URL('./vectors/reed-solomon.json', import.meta.url), 'utf8')) as { cases: Array<{ k: number, m: number, shardSize: number, parity: string[] }> }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const seeded = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 3) * seed) & 0xff)

describe('erasure: Reed–Solomon over GF(2^8)', () => {
  it('matches parity computed by an independent implementation (known answers, up to 64 + 64 shards)', () => {
    for (const rs of [pureBackend, ...fast]) {
      for (const c of vectors.cases) {
        const data = Array.from({ length: c.k }, (_, i) => Uint8Array.from({ length: c.shardSize }, (_, j) => (i * 31 + j * 7 + 13 + ((i * j) >> 2)) & 0xff))
        assert.deepEqual(rs.encode(c.k, c.m, data, c.shardSize).map(hex), c.parity, `${rs.name} k=${c.k} m=${c.m}`)
      }
    }
  })

  it('the encoding matrix is systematic and every k rows are invertible (29 of 80)', () => {
    const k = 29
    const m = 51
    const enc = encodingMatrix(k, m)
    assert.deepEqual(enc.slice(0, k), identity(k))
    for (let trial = 0; trial < 20; trial++) {
      const rows = [...Array(k + m).keys()].sort((a, b) => ((a * 7919 + trial * 104729) % 97) - ((b * 7919 + trial * 104729) % 97)).slice(0, k).sort((a, b) => a - b)
      const sub = rows.map(r => enc[r]!)
      assert.deepEqual(multiply(sub, invert(sub)), identity(k))
    }
  })

  it('Node runs the WebAssembly SIMD kernels (plain and relaxed), and #erasure picks one', () => {
    assert.equal(simd?.name, 'wasm-simd')
    assert.equal(relaxed?.name, 'wasm-relaxed-simd')
    assert.match(erasureBackend.name, /^wasm-/)
  })

  it('the SIMD kernels and the portable coder produce identical parity and rebuilds (any size, many chunks)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 2000, max: 5000 })), fc.nat(), fc.boolean(), (k, m, words, seed, ragged) => {
      // Whole lanes, or ragged sizes that end mid-lane; up to 144 KiB spans several kernel chunks.
      const size = words * ERASURE_ALIGN - (ragged ? 1 + (seed % 15) : 0)
      const data = Array.from({ length: k }, (_, i) => seeded(size, seed + i))
      const expected = pureBackend.encode(k, m, data, size)
      const lost = [...Array(k + m).keys()].sort((a, b) => ((a * 31 + seed) % 23) - ((b * 31 + seed) % 23)).slice(0, m)
      const shards = [...data, ...expected].map((s, i) => lost.includes(i) ? undefined : s)
      const rebuiltExpected = pureBackend.reconstruct(k, m, shards, size, lost)
      for (const rs of fast) {
        assert.deepEqual(rs.encode(k, m, data, size).map(hex), expected.map(hex), rs.name)
        assert.deepEqual(rs.reconstruct(k, m, shards, size, lost).map(hex), rebuiltExpected.map(hex), rs.name)
      }
    }), { numRuns: 60 })
  })

  it('wide stripes (29 + 51) agree across backends', () => {
    const k = 29
    const m = 51
    const size = 4096 + 48
    const data = Array.from({ length: k }, (_, i) => seeded(size, i))
    const expected = pureBackend.encode(k, m, data, size).map(hex)
    for (const rs of fast) assert.deepEqual(rs.encode(k, m, data, size).map(hex), expected, rs.name)
  })

  it('backends write into caller buffers when given, and refuse wrong ones', () => {
    const data = [seeded(64, 1), seeded(64, 2), seeded(64, 3)]
    const expected = pureBackend.encode(3, 2, data, 64).map(hex)
    for (const rs of [pureBackend, ...fast]) {
      const into = [new Uint8Array(64).fill(0xaa), new Uint8Array(64).fill(0x55)]
      const out = rs.encode(3, 2, data, 64, into)
      assert.equal(out[0], into[0])
      assert.deepEqual(into.map(hex), expected, rs.name)
      assert.throws(() => rs.encode(3, 2, data, 64, [new Uint8Array(64)]), { code: ErasureErrorCode.BAD_SHARD })
      assert.throws(() => rs.encode(3, 2, data, 64, [new Uint8Array(64), new Uint8Array(63)]), { code: ErasureErrorCode.BAD_SHARD })
      assert.throws(() => rs.reconstruct(3, 2, [undefined, data[1], data[2], new Uint8Array(64), undefined], 64, [0], []), { code: ErasureErrorCode.BAD_SHARD })
    }
  })

  it('the committed kernel bytes are what the committed WAT assembles to (no drift)', async () => {
    for (const source of WASM_SOURCES) {
      const { text } = await generateModule(source)
      assert.equal(readFileSync(source.module, 'utf8'), text, 'run `npm run build:wasm -w packages/core` and commit the result')
    }
  })

  it('any k of the k + m blocks rebuild every other block, for stripes of ragged blocks', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 8, maxLength: 8 }), fc.nat(), (k, m, dRaw, sizes, seed) => {
      const d = Math.min(dRaw, k)
      const blocks = sizes.slice(0, d).map((s, i) => seeded(s, seed + i))
      const parity = encodeStripe({ k, m }, blocks)
      assert.equal(parity.length, m)
      for (const p of parity) assert.equal(p.byteLength, stripeShardSize(blocks.map(b => b.byteLength)))
      const all: Array<Uint8Array | undefined> = [...blocks, ...Array(k - d).fill(undefined), ...parity]
      // Drop m of the d + m stored blocks, chosen by the seed.
      const stored = [...blocks.keys(), ...parity.map((_, j) => k + j)]
      const lost = stored.sort((a, b) => ((a * 37 + seed) % 101) - ((b * 37 + seed) % 101)).slice(0, m)
      const damaged = all.map((s, i) => lost.includes(i) ? undefined : s)
      const rebuilt = reconstructStripe({ k, m }, damaged, blocks.map(b => b.byteLength), lost)
      lost.forEach((t, i) => { assert.deepEqual(hex(rebuilt[i]!), hex(all[t]!), `shard ${t}`) })
    }), { numRuns: 150 })
  })

  it('refuses bad parameters, too few blocks and wrong-sized blocks with typed errors', () => {
    for (const [k, m] of [[0, 2], [4, 0], [200, 57], [1.5, 2], [-1, 1]]) {
      assert.throws(() => encodeStripe({ k: k!, m: m! }, [new Uint8Array(4)]), { code: ErasureErrorCode.BAD_PARAMS })
    }
    assert.throws(() => encodeStripe({ k: 2, m: 1 }, []), { code: ErasureErrorCode.BAD_SHARD })
    assert.throws(() => encodeStripe({ k: 2, m: 1 }, [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)]), { code: ErasureErrorCode.BAD_SHARD })
    const blocks = [seeded(100, 1), seeded(90, 2), seeded(100, 3), seeded(7, 4)]
    const parity = encodeStripe({ k: 4, m: 2 }, blocks)
    const sizes = blocks.map(b => b.byteLength)
    assert.throws(() => reconstructStripe({ k: 4, m: 2 }, [undefined, undefined, undefined, blocks[3], parity[0], parity[1]], sizes, [0]), { code: ErasureErrorCode.TOO_FEW_SHARDS })
    assert.throws(() => reconstructStripe({ k: 4, m: 2 }, [seeded(99, 1), undefined, blocks[2], blocks[3], parity[0], parity[1]], sizes, [1]), { code: ErasureErrorCode.BAD_SHARD })
    assert.throws(() => reconstructStripe({ k: 4, m: 2 }, [undefined, blocks[1], blocks[2], blocks[3], parity[0], parity[1]], sizes, [9]), { code: ErasureErrorCode.BAD_SHARD })
  })
})

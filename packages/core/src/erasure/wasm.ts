/**
 * The fast Reed–Solomon backend: the same code as the portable coder (same matrices from
 * `pure.ts`), with the byte arithmetic done by a WebAssembly SIMD kernel (`gf256-simd.wat`: split
 * nibble tables looked up with i8x16.swizzle, or relaxed_swizzle where the engine has relaxed SIMD).
 * It runs wherever WebAssembly SIMD does — Node 24, Chromium, Firefox, Safari 16.4+ — and
 * `createWasmBackend` returns undefined where it cannot
 * (no SIMD, or a page whose Content-Security-Policy forbids compiling WebAssembly), so callers fall
 * back to the portable coder.
 *
 * Shards are processed in chunks small enough that every input and output chunk of a call fits
 * in the CPU's L2 cache together: each chunk is copied into the kernel's memory, combined there,
 * and the outputs are copied back. Memory stays bounded (≈ CHUNK_BUDGET plus the tables) however
 * large the stripe.
 */
import { MUL_TABLE } from './gf256.ts'
import { GF256_RELAXED_SIMD_WASM_BASE64, GF256_SIMD_WASM_BASE64 } from './gf256-simd.wasm.ts'
import type { Matrix } from './matrix.ts'
import { cachedEncodingMatrix, decodingRows, sourcesOf } from './pure.ts'
import { checkInto, type RsBackend } from './types.ts'

/** Bytes of shard data (inputs + outputs) per kernel call: within a typical 256 KiB–1 MiB L2. */
export const CHUNK_BUDGET = 192 * 1024
/** Smallest chunk per shard, so wide stripes (29 + 51) still make long SIMD runs. */
const MIN_CHUNK = 1024
const PAGE = 65536
const LANE = 16

interface Kernel {
  memory: WebAssembly.Memory
  apply: (rows: number, cols: number, tables: number, inputs: number, outputs: number, stride: number, len: number) => void
}

function decodeBase64 (b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/**
 * 'relaxed' is the kernel with i8x16.relaxed_swizzle (a single pshufb on x86; identical output,
 * since every index is 0..15), 'simd' the plain one. 'auto' takes relaxed where the engine has it.
 */
export type WasmKernelVariant = 'auto' | 'relaxed' | 'simd'

/** A kernel's module bytes (exported for tests that compare them with the assembled WAT). */
export function simdModuleBytes (variant: 'relaxed' | 'simd'): Uint8Array<ArrayBuffer> {
  return decodeBase64(variant === 'relaxed' ? GF256_RELAXED_SIMD_WASM_BASE64 : GF256_SIMD_WASM_BASE64)
}

function instantiate (variant: 'relaxed' | 'simd'): Kernel | undefined {
  if (typeof WebAssembly !== 'object') return undefined
  const bytes = simdModuleBytes(variant)
  try {
    if (!WebAssembly.validate(bytes)) return undefined
    // Synchronous compile: the module is < 1 KiB, far under browsers' main-thread limit.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes))
    const exports = instance.exports as unknown as Kernel
    return { memory: exports.memory, apply: exports.apply }
  } catch {
    // A CSP without 'wasm-unsafe-eval' throws here (CompileError/EvalError): use the fallback.
    return undefined
  }
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to

/**
 * The 32-byte table pair of coefficient c: c·x for x = 0..15, then for x = 0x00, 0x10 .. 0xf0.
 */
function writeTables (view: Uint8Array, at: number, rows: Matrix, cols: number): void {
  let p = at
  for (const row of rows) {
    for (let c = 0; c < cols; c++) {
      const base = row[c]! << 8
      for (let x = 0; x < 16; x++) {
        view[p + x] = MUL_TABLE[base | x]!
        view[p + 16 + x] = MUL_TABLE[base | (x << 4)]!
      }
      p += 32
    }
  }
}

function makeApply (kernel: Kernel): (rows: Matrix, inputs: Uint8Array[], outputs: Uint8Array[], size: number) => void {
  return (rows, inputs, outputs, size) => {
    const nr = rows.length
    const nc = inputs.length
    if (nr === 0) return
    const chunk = Math.min(roundUp(size, LANE), Math.max(MIN_CHUNK, Math.floor(CHUNK_BUDGET / (nr + nc) / 64) * 64))
    const tablesBytes = roundUp(nr * nc * 32, 64)
    const inBase = tablesBytes
    const outBase = inBase + nc * chunk
    const need = outBase + nr * chunk
    const have = kernel.memory.buffer.byteLength
    if (need > have) kernel.memory.grow(Math.ceil((need - have) / PAGE))
    const mem = new Uint8Array(kernel.memory.buffer)
    writeTables(mem, 0, rows, nc)
    for (let off = 0; off < size; off += chunk) {
      const len = Math.min(chunk, size - off)
      for (let c = 0; c < nc; c++) mem.set(inputs[c]!.subarray(off, off + len), inBase + c * chunk)
      // A ragged tail runs to the next lane on stale bytes; only `len` bytes are copied out.
      kernel.apply(nr, nc, 0, inBase, outBase, chunk, roundUp(len, LANE))
      for (let r = 0; r < nr; r++) outputs[r]!.set(mem.subarray(outBase + r * chunk, outBase + r * chunk + len), off)
    }
  }
}

/** The WebAssembly SIMD backend, or undefined where this runtime cannot run it. */
export function createWasmBackend (variant: WasmKernelVariant = 'auto'): RsBackend | undefined {
  let chosen: 'relaxed' | 'simd' = variant === 'simd' ? 'simd' : 'relaxed'
  let kernel = instantiate(chosen)
  if (kernel === undefined && variant === 'auto') kernel = instantiate(chosen = 'simd')
  if (kernel === undefined) return undefined
  const apply = makeApply(kernel)
  return {
    name: chosen === 'relaxed' ? 'wasm-relaxed-simd' : 'wasm-simd',
    encode (k, m, data, shardSize, into) {
      const parity = into !== undefined ? checkInto(into, m, shardSize) : Array.from({ length: m }, () => new Uint8Array(shardSize))
      apply(cachedEncodingMatrix(k, m).slice(k), data, parity, shardSize)
      return parity
    },
    reconstruct (k, m, shards, shardSize, targets, into) {
      const sources = sourcesOf(shards, k)
      const out = into !== undefined ? checkInto(into, targets.length, shardSize) : targets.map(() => new Uint8Array(shardSize))
      apply(decodingRows(k, m, sources, targets), sources.map(i => shards[i]!), out, shardSize)
      return out
    }
  }
}

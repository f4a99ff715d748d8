/**
 * Erasure coding for stripes of sealed blocks: systematic Reed–Solomon over GF(2^8). A stripe is
 * up to k data blocks (the object's blocks, in order) plus m parity blocks; any k of the k + m
 * rebuild the rest. Blocks in a stripe differ in size (the last chunk of a stream is short), so
 * every shard is the stripe's largest block zero-padded to a multiple of ERASURE_ALIGN bytes; a
 * stripe with fewer than k data blocks (the object's last) is completed by all-zero shards that
 * are never stored. Parity blocks are exactly one shard long. See docs/protocol.md.
 *
 * The arithmetic runs on the fastest backend the platform allows (`#erasure`: a WebAssembly SIMD
 * kernel in Node and in browsers that permit it, else portable TypeScript); all give
 * byte-identical parity (tested).
 */
import { backend } from '#erasure'
import { P2pdvError } from '../errors.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'
import { ErasureErrorCode, type RsBackend } from './types.ts'

export type { RsBackend } from './types.ts'
export { pureBackend } from './pure.ts'
export { createWasmBackend } from './wasm.ts'

export { ErasureErrorCode }

/** GF(2^8) has 256 elements, so at most 256 shards per stripe. */
export const MAX_ERASURE_SHARDS = 256
/** Shard sizes are multiples of this (16-byte SIMD lanes; 8 bytes is what native RS libraries need). */
export const ERASURE_ALIGN = 16
/** Devnet defaults: any 2 of 6 nodes may fail; 1.5× storage. */
export const DEFAULT_K = 4
export const DEFAULT_M = 2

export interface ErasureParams { k: number, m: number }

export function checkErasureParams (k: number, m: number): void {
  if (!Number.isSafeInteger(k) || !Number.isSafeInteger(m) || k < 1 || m < 1 || k + m > MAX_ERASURE_SHARDS) {
    throw new P2pdvError(ErasureErrorCode.BAD_PARAMS, `erasure parameters k=${k}, m=${m} are out of range`, {
      hint: `Use k ≥ 1 data and m ≥ 1 parity blocks per stripe with k + m ≤ ${MAX_ERASURE_SHARDS} (e.g. --k 4 --m 2).`
    })
  }
}

/** The shard size of a stripe whose data blocks have these sizes. */
export function stripeShardSize (blockSizes: readonly number[]): number {
  const largest = blockSizes.reduce((a, b) => Math.max(a, b), 0)
  const size = Math.max(ERASURE_ALIGN, Math.ceil(largest / ERASURE_ALIGN) * ERASURE_ALIGN)
  if (size > MAX_BLOCK_BYTES) throw new P2pdvError(ErasureErrorCode.BAD_SHARD, `a stripe shard of ${size} bytes exceeds the block limit`)
  return size
}

function pad (block: Uint8Array, size: number): Uint8Array {
  if (block.byteLength === size && (block.byteOffset & 3) === 0) return block
  const out = new Uint8Array(size)
  out.set(block)
  return out
}

/**
 * The m parity blocks of a stripe of 1 … k data blocks (any sizes up to the block limit).
 */
export function encodeStripe (params: ErasureParams, blocks: readonly Uint8Array[], rs: RsBackend = backend): Uint8Array[] {
  const { k, m } = params
  checkErasureParams(k, m)
  if (blocks.length === 0 || blocks.length > k) throw new P2pdvError(ErasureErrorCode.BAD_SHARD, `a stripe holds 1 to ${k} data blocks, not ${blocks.length}`)
  const size = stripeShardSize(blocks.map(b => b.byteLength))
  const data = Array.from({ length: k }, (_, i) => i < blocks.length ? pad(blocks[i]!, size) : new Uint8Array(size))
  return rs.encode(k, m, data, size)
}

/**
 * Rebuilds blocks of a stripe. `shards` has k + m entries — the stripe's data blocks (only the
 * first `dataSizes.length` exist; the rest are implicit zero shards), then its parity blocks —
 * with `undefined` where a block is missing. `dataSizes` are the data blocks' true sizes (from the
 * manifest or placement record): rebuilt data blocks are cut back to them. Rebuilt blocks are not
 * verified here; callers check them against their CIDs.
 */
export function reconstructStripe (params: ErasureParams, shards: ReadonlyArray<Uint8Array | undefined>, dataSizes: readonly number[], targets: readonly number[], rs: RsBackend = backend): Uint8Array[] {
  const { k, m } = params
  checkErasureParams(k, m)
  const d = dataSizes.length
  if (shards.length !== k + m || d === 0 || d > k) throw new P2pdvError(ErasureErrorCode.BAD_SHARD, `a stripe has ${k + m} shards and 1 to ${k} data blocks`)
  const size = stripeShardSize(dataSizes)
  const full: Array<Uint8Array | undefined> = shards.map((s, i) => {
    if (i >= d && i < k) return new Uint8Array(size)
    if (s === undefined) return undefined
    const expected = i < d ? dataSizes[i]! : size
    if (s.byteLength !== expected) throw new P2pdvError(ErasureErrorCode.BAD_SHARD, `shard ${i} is ${s.byteLength} bytes, expected ${expected}`)
    return pad(s, size)
  })
  for (const t of targets) {
    if (!Number.isSafeInteger(t) || t < 0 || t >= k + m || (t >= d && t < k)) throw new P2pdvError(ErasureErrorCode.BAD_SHARD, `cannot rebuild shard ${t}`)
  }
  const present = full.filter(s => s !== undefined).length
  if (present < k) {
    throw new P2pdvError(ErasureErrorCode.TOO_FEW_SHARDS, `only ${present - (k - d)} of the stripe's ${d + m} blocks are available; ${d} are needed to rebuild it`, {
      hint: 'Too many nodes holding this stripe are unreachable; bring nodes back and retry.'
    })
  }
  const wanted = targets.filter(t => full[t] === undefined)
  const rebuilt = wanted.length === 0 ? [] : rs.reconstruct(k, m, full, size, wanted)
  return targets.map(t => {
    const i = wanted.indexOf(t)
    const shard = i >= 0 ? rebuilt[i]! : full[t]!
    return t < d ? shard.subarray(0, dataSizes[t]!) : shard
  })
}

export { backend as erasureBackend }

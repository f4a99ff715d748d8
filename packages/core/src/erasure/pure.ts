/**
 * The portable Reed–Solomon backend: table-driven GF(2^8) in plain TypeScript. It runs in every
 * JavaScript engine (the browser player decodes parity with it) and is the reference the Node
 * fast path is tested against.
 */
import { MUL_TABLE } from './gf256.ts'
import { encodingMatrix, invert, type Matrix } from './matrix.ts'
import { checkInto, type RsBackend } from './types.ts'

/**
 * out[r] = Σ_c rows[r][c] · inputs[c] over `size` bytes. Four bytes per step through 32-bit
 * views where the buffers allow it (every shard is a multiple of 4 bytes here), else bytewise.
 */
export function applyMatrix (rows: Matrix, inputs: Uint8Array[], outputs: Uint8Array[], size: number): void {
  for (let r = 0; r < rows.length; r++) {
    const out = outputs[r]!
    const row = rows[r]!
    let first = true
    for (let c = 0; c < inputs.length; c++) {
      const coef = row[c]!
      if (coef === 0) continue
      mulSlice(coef, inputs[c]!, out, size, first)
      first = false
    }
    if (first) out.fill(0, 0, size)
  }
}

function aligned (a: Uint8Array): boolean {
  return (a.byteOffset & 3) === 0
}

function mulSlice (coef: number, input: Uint8Array, out: Uint8Array, size: number, assign: boolean): void {
  const base = coef << 8
  const t = MUL_TABLE
  let i = 0
  if (aligned(input) && aligned(out)) {
    const words = size >>> 2
    const in32 = new Uint32Array(input.buffer, input.byteOffset, words)
    const out32 = new Uint32Array(out.buffer, out.byteOffset, words)
    if (coef === 1) {
      if (assign) out32.set(in32)
      else for (let w = 0; w < words; w++) out32[w] = out32[w]! ^ in32[w]!
    } else if (assign) {
      for (let w = 0; w < words; w++) {
        const v = in32[w]!
        out32[w] = t[base | (v & 0xff)]! | (t[base | ((v >>> 8) & 0xff)]! << 8) | (t[base | ((v >>> 16) & 0xff)]! << 16) | (t[base | (v >>> 24)]! << 24)
      }
    } else {
      for (let w = 0; w < words; w++) {
        const v = in32[w]!
        out32[w] = out32[w]! ^ (t[base | (v & 0xff)]! | (t[base | ((v >>> 8) & 0xff)]! << 8) | (t[base | ((v >>> 16) & 0xff)]! << 16) | (t[base | (v >>> 24)]! << 24))
      }
    }
    i = words << 2
  }
  if (assign) for (; i < size; i++) out[i] = t[base | input[i]!]!
  else for (; i < size; i++) out[i] = out[i]! ^ t[base | input[i]!]!
}

const matrices = new Map<string, Matrix>()

export function cachedEncodingMatrix (k: number, m: number): Matrix {
  const key = `${k}/${m}`
  let mx = matrices.get(key)
  if (mx === undefined) {
    mx = encodingMatrix(k, m)
    if (matrices.size > 64) matrices.clear()
    matrices.set(key, mx)
  }
  return mx
}

/** The first k present shards: the ones a rebuild reads. */
export function sourcesOf (shards: ReadonlyArray<Uint8Array | undefined>, k: number): number[] {
  const sources: number[] = []
  for (let i = 0; i < shards.length && sources.length < k; i++) if (shards[i] !== undefined) sources.push(i)
  return sources
}

/** The rows that rebuild `targets` from the shards at `sources` (k indices into the k+m shards). */
export function decodingRows (k: number, m: number, sources: number[], targets: number[]): Matrix {
  const enc = cachedEncodingMatrix(k, m)
  const inv = invert(sources.map(i => enc[i]!))
  return targets.map(t => {
    if (t < k) return inv[t]!
    // A parity shard: its encoding row applied to the data, which is inv × sources.
    const row = new Uint8Array(k)
    const er = enc[t]!
    for (let c = 0; c < k; c++) {
      let v = 0
      for (let i = 0; i < k; i++) {
        const a = er[i]!
        const b = inv[i]![c]!
        if (a !== 0 && b !== 0) v ^= MUL_TABLE[(a << 8) | b]!
      }
      row[c] = v
    }
    return row
  })
}

export const pureBackend: RsBackend = {
  name: 'pure-ts',
  encode (k, m, data, shardSize, into) {
    const parity = into !== undefined ? checkInto(into, m, shardSize) : Array.from({ length: m }, () => new Uint8Array(shardSize))
    applyMatrix(cachedEncodingMatrix(k, m).slice(k), data, parity, shardSize)
    return parity
  },
  reconstruct (k, m, shards, shardSize, targets, into) {
    const sources = sourcesOf(shards, k)
    const rows = decodingRows(k, m, sources, targets)
    const out = into !== undefined ? checkInto(into, targets.length, shardSize) : targets.map(() => new Uint8Array(shardSize))
    applyMatrix(rows, sources.map(i => shards[i]!), out, shardSize)
    return out
  }
}

/** Small dense matrices over GF(2^8): the Vandermonde construction and Gauss–Jordan inversion. */
import { gfDiv, gfExp, gfMul } from './gf256.ts'

/** Row-major rows × cols. */
export type Matrix = Uint8Array[]

export function zeros (rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Uint8Array(cols))
}

export function identity (n: number): Matrix {
  const m = zeros(n, n)
  for (let i = 0; i < n; i++) m[i]![i] = 1
  return m
}

export function vandermonde (rows: number, cols: number): Matrix {
  const m = zeros(rows, cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m[r]![c] = gfExp(r, c)
  return m
}

export function multiply (a: Matrix, b: Matrix): Matrix {
  const rows = a.length
  const inner = b.length
  const cols = b[0]!.length
  const out = zeros(rows, cols)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let v = 0
      for (let i = 0; i < inner; i++) v ^= gfMul(a[r]![i]!, b[i]![c]!)
      out[r]![c] = v
    }
  }
  return out
}

/** The inverse of a square matrix; throws RangeError when it is singular. */
export function invert (input: Matrix): Matrix {
  const n = input.length
  const a = input.map(row => row.slice())
  const inv = identity(n)
  for (let col = 0; col < n; col++) {
    let pivot = col
    while (pivot < n && a[pivot]![col] === 0) pivot++
    if (pivot === n) throw new RangeError('singular matrix')
    if (pivot !== col) {
      [a[col], a[pivot]] = [a[pivot]!, a[col]!];
      [inv[col], inv[pivot]] = [inv[pivot]!, inv[col]!]
    }
    const scale = a[col]![col]!
    if (scale !== 1) {
      for (let c = 0; c < n; c++) {
        a[col]![c] = gfDiv(a[col]![c]!, scale)
        inv[col]![c] = gfDiv(inv[col]![c]!, scale)
      }
    }
    for (let r = 0; r < n; r++) {
      const f = a[r]![col]!
      if (r === col || f === 0) continue
      for (let c = 0; c < n; c++) {
        a[r]![c] = a[r]![c]! ^ gfMul(f, a[col]![c]!)
        inv[r]![c] = inv[r]![c]! ^ gfMul(f, inv[col]![c]!)
      }
    }
  }
  return inv
}

/**
 * The systematic encoding matrix for k data and m parity shards: a (k+m) × k Vandermonde matrix
 * times the inverse of its top k × k square, so the top is the identity (data shards are stored
 * as they are) and every k rows are invertible (any k shards rebuild the rest). This is the
 * matrix of Backblaze JavaReedSolomon and klauspost/reedsolomon (their default).
 */
export function encodingMatrix (k: number, m: number): Matrix {
  const v = vandermonde(k + m, k)
  return multiply(v, invert(v.slice(0, k)))
}

/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and
 * generator 2 — the field of Backblaze's JavaReedSolomon, klauspost/reedsolomon and the Rust
 * reed-solomon-erasure crate, so parity computed here equals theirs for the same matrix.
 */
export const GF_POLYNOMIAL = 0x11d

export const EXP = new Uint8Array(510)
export const LOG = new Uint8Array(256)
{
  let x = 1
  for (let i = 0; i < 255; i++) {
    EXP[i] = x
    EXP[i + 255] = x
    LOG[x] = i
    x <<= 1
    if (x & 0x100) x ^= GF_POLYNOMIAL
  }
}

export function gfMul (a: number, b: number): number {
  if (a === 0 || b === 0) return 0
  return EXP[LOG[a]! + LOG[b]!]!
}

export function gfDiv (a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(2^8)')
  if (a === 0) return 0
  return EXP[LOG[a]! + 255 - LOG[b]!]!
}

/** a^n (0^0 = 1, as the Vandermonde construction needs). */
export function gfExp (a: number, n: number): number {
  if (n === 0) return 1
  if (a === 0) return 0
  return EXP[(LOG[a]! * n) % 255]!
}

/** MUL_TABLE[c * 256 + x] = c · x: one 256-byte row per coefficient (64 KiB in all). */
export const MUL_TABLE = new Uint8Array(256 * 256)
for (let c = 0; c < 256; c++) for (let x = 0; x < 256; x++) MUL_TABLE[c * 256 + x] = gfMul(c, x)

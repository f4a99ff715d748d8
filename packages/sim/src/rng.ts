/** A small seeded PRNG (sfc32), so simulations are reproducible run to run. Not for secrets. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    this.a = 0x9e3779b9
    this.b = 0x243f6a88
    this.c = 0xb7e15162
    this.d = seed >>> 0
    for (let i = 0; i < 16; i++) this.next32()
  }

  next32 (): number {
    let t = (this.a + this.b) | 0
    this.d = (this.d + 1) | 0
    t = (t + this.d) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1), 53 bits. */
  next (): number {
    return ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Exponential with the given mean. */
  exp (mean: number): number {
    return -mean * Math.log1p(-this.next())
  }
}

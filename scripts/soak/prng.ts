/**
 * A seeded PRNG (sfc32, seeded through splitmix32) so a soak run's choices — file sizes, which
 * operation, which node the nemesis hits and when — replay exactly from `--seed`. Not for secrets.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next: () => number
  /** Integer in [min, max] (both inclusive). */
  int: (min: number, max: number) => number
  pick: <T>(items: readonly T[]) => T
  /** An independent stream derived from this one (the workload and the nemesis each get one). */
  fork: () => Prng
}

function splitmix32 (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

export function createPrng (seed: number): Prng {
  const init = splitmix32(seed)
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  // Let the state mix before the first output.
  for (let i = 0; i < 12; i++) u32()
  const next = (): number => u32() / 0x1_0000_0000
  const prng: Prng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: items => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    fork: () => createPrng(u32())
  }
  return prng
}

/**
 * Token buckets keyed by a string (a viewer's address). Each key holds up to `burst` tokens and
 * regains `perMinute` per minute. The table is bounded: past `maxKeys` the least recently
 * touched key is forgotten (it then starts full again, which only ever errs towards serving).
 */
export const DEFAULT_RATE_PER_MINUTE = 60
export const DEFAULT_BURST = 20
export const DEFAULT_MAX_KEYS = 100_000

export interface RateLimitOptions {
  perMinute?: number
  burst?: number
  maxKeys?: number
  now?: () => number
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()
  private readonly perMs: number
  private readonly burst: number
  private readonly maxKeys: number
  private readonly now: () => number

  constructor (o: RateLimitOptions = {}) {
    this.perMs = (o.perMinute ?? DEFAULT_RATE_PER_MINUTE) / 60_000
    this.burst = o.burst ?? DEFAULT_BURST
    this.maxKeys = o.maxKeys ?? DEFAULT_MAX_KEYS
    this.now = o.now ?? Date.now
  }

  /** Takes a token; returns 0 when allowed, else the milliseconds until one is available. */
  take (key: string): number {
    const now = this.now()
    let b = this.buckets.get(key)
    if (b === undefined) {
      b = { tokens: this.burst, at: now }
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!)
    } else {
      this.buckets.delete(key)
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs)
      b.at = now
    }
    this.buckets.set(key, b)
    if (b.tokens >= 1) { b.tokens -= 1; return 0 }
    return this.perMs > 0 ? Math.ceil((1 - b.tokens) / this.perMs) : Number.POSITIVE_INFINITY
  }
}

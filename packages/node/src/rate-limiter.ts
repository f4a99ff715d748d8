/** A token bucket over bytes: `take(n)` waits until n bytes fit the rate (bursts up to `burst`). */
export class RateLimiter {
  private readonly rate: number
  private readonly burst: number
  private tokens: number
  private last = performance.now()
  private chain: Promise<void> = Promise.resolve()

  constructor (bytesPerSecond: number, burst = Math.max(bytesPerSecond, 2 * 1024 * 1024)) {
    this.rate = bytesPerSecond
    this.burst = burst
    this.tokens = burst
  }

  async take (bytes: number, signal?: AbortSignal): Promise<void> {
    // Callers are served in order, so a large request is not starved by small ones.
    const turn = this.chain.then(async () => {
      const need = Math.min(bytes, this.burst)
      while (true) {
        const now = performance.now()
        this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / 1000 * this.rate)
        this.last = now
        if (this.tokens >= need) { this.tokens -= need; return }
        if (signal?.aborted === true) throw signal.reason
        await new Promise(resolve => setTimeout(resolve, Math.ceil((need - this.tokens) / this.rate * 1000)))
      }
    })
    this.chain = turn.catch(() => {})
    await turn
  }
}

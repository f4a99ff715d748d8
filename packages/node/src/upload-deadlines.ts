/**
 * Deadlines for upload bodies. An upload holds one of the node's few upload slots (and a block
 * buffer) from its first byte, so a body that stops, or trickles, must lose its slot: otherwise 64
 * uploads that declare a megabyte and send one byte keep every other upload out for as long as the
 * server's request timeout (Node's default: 300 s). A body may go without a byte for at most
 * `graceMs`, and past `graceMs` it must have averaged `minBytesPerSecond` since its head arrived.
 * One sweep a second checks every watched upload (at most 64): no timer per upload or per chunk.
 */

/** How long a body may send nothing, and the head start before the minimum rate applies. */
export const UPLOAD_GRACE_MS = 5_000
/** 32 KiB/s (256 kbit/s): a 1 MiB block within 37 s; a phone on a poor link still makes it. */
export const MIN_UPLOAD_BYTES_PER_SECOND = 32 * 1024
const SWEEP_MS = 1_000

export interface UploadDeadlinesOptions {
  graceMs?: number
  minBytesPerSecond?: number
  now?: () => number
}

export interface UploadWatch {
  /** Records the body's size so far. */
  progress: (received: number) => void
  /** Stops watching (the body ended, or failed). */
  done: () => void
}

interface Watched { startedAt: number, lastByteAt: number, received: number, onStall: () => void }

export class UploadDeadlines {
  private readonly active = new Set<Watched>()
  private readonly graceMs: number
  private readonly minBytesPerMs: number
  private readonly now: () => number
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (opts: UploadDeadlinesOptions = {}) {
    this.graceMs = opts.graceMs ?? UPLOAD_GRACE_MS
    this.minBytesPerMs = (opts.minBytesPerSecond ?? MIN_UPLOAD_BYTES_PER_SECOND) / 1000
    this.now = opts.now ?? (() => performance.now())
  }

  /** Watches one body; `onStall` is called once if it falls behind (and the watch ends). */
  watch (onStall: () => void): UploadWatch {
    const t = this.now()
    const w: Watched = { startedAt: t, lastByteAt: t, received: 0, onStall }
    this.active.add(w)
    if (this.timer === undefined) {
      this.timer = setInterval(() => { this.sweep() }, SWEEP_MS)
      this.timer.unref()
    }
    return {
      progress: received => { w.received = received; w.lastByteAt = this.now() },
      done: () => { this.forget(w) }
    }
  }

  /** Cuts every watched body that is behind (called by the timer; tests call it directly). */
  sweep (): void {
    const now = this.now()
    for (const w of [...this.active]) {
      const idle = now - w.lastByteAt > this.graceMs
      const behind = w.received < (now - w.startedAt - this.graceMs) * this.minBytesPerMs
      if (!idle && !behind) continue
      this.forget(w)
      w.onStall()
    }
  }

  /**
   * At capacity, a new upload may take the slot of the body that has sent nothing for longest, if
   * that is at least `minIdleMs`: someone who reopens stalled uploads as fast as they are cut no
   * longer holds every slot for the grace period. The evicted body is cut as if it had stalled.
   */
  evictIdlest (minIdleMs: number): boolean {
    const w = this.idlest(minIdleMs)
    if (w === undefined) return false
    this.forget(w)
    w.onStall()
    return true
  }

  /** True when some body has sent nothing for `minIdleMs` (a slot `evictIdlest` could free). */
  hasIdle (minIdleMs: number): boolean {
    return this.idlest(minIdleMs) !== undefined
  }

  private idlest (minIdleMs: number): Watched | undefined {
    const cutoff = this.now() - minIdleMs
    let found: Watched | undefined
    for (const w of this.active) if (w.lastByteAt <= cutoff && (found === undefined || w.lastByteAt < found.lastByteAt)) found = w
    return found
  }

  get size (): number {
    return this.active.size
  }

  private forget (w: Watched): void {
    this.active.delete(w)
    if (this.active.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}

/**
 * Buffers handed back for reuse, found by exact size. A fresh megabyte per block is memory
 * outside V8's heap, and a stream of them drives full collections and peak RSS; recycling a few
 * keeps both flat. Only ciphertext (or buffers the giver has wiped) belongs here: a reused buffer
 * is not cleared. A buffer taken is the taker's alone.
 */
export class BufferRecycler {
  private readonly free: ArrayBuffer[] = []
  /** Buffers handed out again (for tests and stats). */
  reused = 0

  /** Buffers kept at most; more given back are left to the collector. */
  readonly max: number

  constructor (max: number) {
    this.max = max
  }

  take (size: number): ArrayBuffer | undefined {
    const i = this.free.findIndex(b => b.byteLength === size)
    if (i < 0) return undefined
    this.reused++
    return this.free.splice(i, 1)[0]
  }

  give (buffer: ArrayBuffer): void {
    if (buffer.byteLength > 0 && this.free.length < this.max) this.free.push(buffer)
  }
}

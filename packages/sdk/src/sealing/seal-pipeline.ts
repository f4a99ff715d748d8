/**
 * Seals many small streams (a video's segments) with the pool kept busy: up to `ahead` streams
 * seal at once, while their blocks are handed to `write` strictly in the order the streams were
 * added (erasure stripes and the manifest follow that order). Sealing one segment at a time left
 * the workers idle: a segment is a chunk or two, so only one task was ever in flight. Memory is
 * bounded by `ahead` streams' sealed blocks.
 */
import type { StreamRef } from '@p2pdv/core'
import type { CryptoPool } from './pool.ts'
import type { ChunkReader } from './file-chunks.ts'
import { sealStream, type SealedBlock } from './seal-file.ts'

/** Streams sealed ahead of the one being written. */
export const DEFAULT_SEAL_AHEAD = 8

export interface SealPipelineOptions {
  key: Uint8Array
  objectId: Uint8Array
  pool: CryptoPool
  /** Receives every block, in stream order then block order. */
  write: (block: SealedBlock) => Promise<void>
  ahead?: number
}

export class SealPipeline {
  private readonly opts: SealPipelineOptions
  private readonly ahead: number
  private next = 0
  private active = 0
  private readonly waiting: Array<() => void> = []
  private written: Promise<void> = Promise.resolve()

  constructor (opts: SealPipelineOptions) {
    this.opts = opts
    this.ahead = Math.max(1, opts.ahead ?? DEFAULT_SEAL_AHEAD)
  }

  /** Streams added so far (the next stream number). */
  get streams (): number { return this.next }

  /**
   * Adds a stream (it gets the next stream number) and resolves with its reference once its
   * blocks are written. `open` is called when its turn to seal comes.
   */
  async add (open: () => AsyncIterable<Uint8Array> | ChunkReader, context: Uint8Array): Promise<StreamRef> {
    const n = this.next++
    const sealing = this.seal(n, open, context)
    sealing.catch(() => {})
    // Writes follow the order of add(); a failed stream fails every later one. Either way the
    // stream's slot is given back once it has settled.
    const done = this.written.then(async () => {
      try {
        const { blocks, ref } = await sealing
        for (const b of blocks) await this.opts.write(b)
        return ref
      } finally {
        this.release()
      }
    }, async (earlier: unknown) => {
      await sealing.catch(() => {})
      this.release()
      throw earlier
    })
    this.written = done.then(() => {})
    // Later streams see a failure through `written`; the last one's must not go unhandled.
    this.written.catch(() => {})
    return await done
  }

  private async seal (n: number, open: () => AsyncIterable<Uint8Array> | ChunkReader, context: Uint8Array): Promise<{ blocks: SealedBlock[], ref: StreamRef }> {
    await this.acquire()
    const blocks: SealedBlock[] = []
    const gen = sealStream(open(), { key: this.opts.key, objectId: this.opts.objectId, pool: this.opts.pool, stream: n, context })
    while (true) {
      const step = await gen.next()
      if (step.done === true) return { blocks, ref: { n, size: step.value.size, chunks: step.value.chunks } }
      blocks.push(step.value)
    }
  }

  private async acquire (): Promise<void> {
    if (this.active < this.ahead) { this.active++; return }
    await new Promise<void>(resolve => this.waiting.push(resolve))
  }

  private release (): void {
    const w = this.waiting.shift()
    if (w !== undefined) w()
    else this.active--
  }
}

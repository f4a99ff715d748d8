/**
 * A pool of worker threads for chunk crypto. `workers: 0` runs tasks inline (small inputs, or
 * when threads are not wanted). Plaintext buffers are transferred, not copied.
 *
 * A worker takes some 40-100 ms to start (a thread, then its modules). Until one has said it is
 * ready, the first few tasks run inline on the calling thread instead of queueing behind that
 * start: a small `put` or `get` (a chunk or two) is done before any worker would have been. Only
 * a few: a caller whose chunks come from memory never yields to the event loop, so it would never
 * hear that a worker is ready and would seal everything inline (the seal bench fell from 0.84x to
 * 0.64x of raw node:crypto when every task could run inline).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { ownsWholeBuffer } from '@p2pdv/core/buffers'
import { recycleInput, runTask, type Task, type TaskResult } from './chunk-crypto.ts'
import { BufferRecycler } from '../buffer-recycler.ts'

interface Pending { resolve: (r: TaskResult) => void, reject: (e: Error) => void }

/**
 * A worker's young generation, in MiB. Its JS garbage is a few small objects per chunk (the
 * chunks are ArrayBuffers outside the heap), but V8 let each worker's young generation grow with
 * the upload's length: a 256 MiB put peaked at 244-250 MiB of RSS against 219-221 MiB for 64 MiB.
 * Capped, 205-220 against 207-208, and the seal bench is unchanged (0.92x / 0.82x vs 0.84x / 0.84x).
 */
export const WORKER_YOUNG_GENERATION_MB = 2

/** Sealed-block buffers kept for reuse (a put has about this many blocks between sealer and nodes). */
export const MAX_SEALED_FREE = 32

/** Tasks run inline, at most, while no worker is ready yet. */
export const MAX_INLINE_BEFORE_READY = 2

/** What a worker posts: `ready` once, when its modules are loaded; then one answer per task. */
export type WorkerMessage = { ready: true } | { id: number, result?: TaskResult, failure?: string }

export function defaultWorkers (): number {
  return Math.max(1, availableParallelism())
}

export class CryptoPool {
  private readonly workers: Worker[] = []
  private readonly ready: boolean[] = []
  private readonly pending = new Map<number, Pending>()
  private readonly load: number[] = []
  private nextId = 0
  private readonly sealedFree = new BufferRecycler(MAX_SEALED_FREE)
  /** Tasks run inline because no worker was ready yet (at most MAX_INLINE_BEFORE_READY; for tests and stats). */
  inlineRuns = 0
  readonly size: number

  constructor (workers = defaultWorkers()) {
    this.size = workers
    for (let i = 0; i < workers; i++) {
      const w = new Worker(new URL('./worker.ts', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } })
      this.ready.push(false)
      w.on('message', (msg: WorkerMessage) => {
        if ('ready' in msg) { this.ready[i] = true; return }
        const p = this.pending.get(msg.id)
        if (p === undefined) return
        this.pending.delete(msg.id)
        this.load[i] = (this.load[i] ?? 1) - 1
        // An idle worker must not keep the process alive; a busy one must.
        if (this.load[i] === 0) w.unref()
        if (msg.result !== undefined) p.resolve(msg.result)
        else p.reject(new Error(msg.failure ?? 'worker failed'))
      })
      w.on('error', err => { for (const p of this.pending.values()) p.reject(err) ; this.pending.clear() })
      w.unref()
      this.workers.push(w)
      this.load.push(0)
    }
  }

  /** The capacity worth keeping in flight to keep every worker busy. */
  get window (): number {
    return this.size * 4 + 2
  }

  async run (task: Task): Promise<TaskResult> {
    if (this.size === 0) return runTask(task)
    let best = this.leastLoaded(i => this.ready[i] === true)
    if (best < 0 && this.inlineRuns < MAX_INLINE_BEFORE_READY) {
      this.inlineRuns++
      const result = runTask(task)
      recycleInput(task, result)
      return result
    }
    // No worker ready and the inline budget spent: queue on the least loaded one (it takes the
    // task once it has started).
    if (best < 0) best = this.leastLoaded(() => true)
    const worker = this.workers[best] as Worker
    this.load[best] = (this.load[best] ?? 0) + 1
    worker.ref()
    const id = this.nextId++
    return await new Promise<TaskResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      // Only transfer buffers the task owns whole; otherwise copy (structured clone).
      const transfer = ownsWholeBuffer(task.data) ? [task.data.buffer as ArrayBuffer] : []
      if (task.op === 'seal' && task.into !== undefined) transfer.push(task.into)
      worker.postMessage({ id, task }, transfer)
    })
  }

  /** The index of the least loaded worker among those `eligible` accepts, or -1 if none. */
  private leastLoaded (eligible: (i: number) => boolean): number {
    let best = -1
    for (let i = 0; i < this.load.length; i++) if (eligible(i) && (best < 0 || (this.load[i] ?? 0) < (this.load[best] ?? 0))) best = i
    return best
  }

  /**
   * A buffer of `size` bytes to seal a chunk into: one a consumer gave back with `recycleSealed`,
   * or undefined (the sealer allocates). Sealed bytes are ciphertext, so a recycled buffer needs no
   * wiping.
   */
  sealedBuffer (size: number): ArrayBuffer | undefined {
    return this.sealedFree.take(size)
  }

  /** Chunks sealed into a recycled buffer (for tests and stats). */
  get sealedReused (): number {
    return this.sealedFree.reused
  }

  /**
   * Takes back a sealed block's buffer that its consumer is done with (every replica stored), for
   * the next chunk (see BufferRecycler). Only buffers the view spans whole are kept.
   */
  recycleSealed (bytes: Uint8Array): void {
    if (ownsWholeBuffer(bytes)) this.sealedFree.give(bytes.buffer as ArrayBuffer)
  }

  async close (): Promise<void> {
    await Promise.all(this.workers.map(async w => await w.terminate()))
    this.workers.length = 0
  }
}


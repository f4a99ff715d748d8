/**
 * "Run this every N ms, never two at once, stop cleanly": the one loop behind the node's
 * background work (repair passes, audit rounds, reputation publishing, the keeper's upkeep).
 *
 * - The next pass is scheduled `intervalMs` after the previous one *ended*, so a pass slower than
 *   the interval delays the next instead of piling up.
 * - `jitter` (0…1) spreads each wait over intervalMs × (1 ± jitter), so nodes started together
 *   do not all scan each other at the same instant.
 * - `runNow()` runs a pass at once and resolves (or rejects) with it; asked while a pass runs, it
 *   runs one more right after that pass (requests made meanwhile share it), never beside it.
 * - Each pass gets an AbortSignal that `stop()` aborts (`onStop: 'finish'` lets the pass end on its
 *   own instead); `stop()` returns once the running pass has ended, so what the task uses (a
 *   store, a socket) can be closed right after.
 * - A scheduled pass that throws is handed to `onError` and the loop goes on.
 */
import type { Component } from './lifecycle.ts'

export interface PeriodicTaskOptions {
  /** Shown in logs by the lifecycle. */
  name: string
  intervalMs: number
  /** Delay before the first pass after `start` (default: `intervalMs`). */
  firstDelayMs?: number
  /** Each wait is spread over intervalMs × (1 ± jitter); 0 (default) … 1. */
  jitter?: number
  /** What `stop` does to a running pass: abort its signal and wait (default), or just wait. */
  onStop?: 'abort' | 'finish'
  /** A scheduled pass failed (a pass run by `runNow` rejects to its caller instead). */
  onError: (err: unknown) => void
  /** For tests of the jitter. */
  random?: () => number
}

export type PeriodicRun = (signal: AbortSignal) => void | Promise<void>

export class PeriodicTask implements Component {
  readonly name: string
  private readonly run: PeriodicRun
  private readonly opts: PeriodicTaskOptions
  private state: 'idle' | 'started' | 'stopped' = 'idle'
  private controller = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private current: Promise<void> | undefined
  private next: Promise<void> | undefined
  /** Passes that have ended (with or without an error). */
  passes = 0
  /** Passes in a row that threw (0 after one that did not): what a supervisor watches. */
  consecutiveFailures = 0

  constructor (run: PeriodicRun, opts: PeriodicTaskOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError('intervalMs must be positive')
    this.run = run
    this.opts = opts
    this.name = opts.name
  }

  /** Whether a pass is running now. */
  get running (): boolean {
    return this.current !== undefined
  }

  /** Schedules the first pass; starting a started task does nothing. */
  start (): void {
    if (this.state === 'started') return
    if (this.controller.signal.aborted) this.controller = new AbortController()
    this.state = 'started'
    this.schedule(this.opts.firstDelayMs ?? this.wait())
  }

  /** Runs a pass now (after the running one, if any); resolves when it ends. A stopped task runs nothing. */
  async runNow (): Promise<void> {
    await this.pass()
  }

  /** No more passes; aborts the running one (unless `onStop: 'finish'`) and waits for it to end. */
  async stop (): Promise<void> {
    this.state = 'stopped'
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.opts.onStop !== 'finish') this.controller.abort()
    await this.current?.catch(() => {})
    await this.next?.catch(() => {})
  }

  private pass (): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    if (this.current !== undefined) {
      this.next ??= this.current.catch(() => {}).then(async () => {
        this.next = undefined
        await this.pass()
      })
      return this.next
    }
    clearTimeout(this.timer)
    this.timer = undefined
    const signal = this.controller.signal
    this.current = (async () => { await this.run(signal) })().then(() => { this.consecutiveFailures = 0 }, err => {
      this.consecutiveFailures++
      throw err
    }).finally(() => {
      this.current = undefined
      this.passes++
      this.schedule(this.wait())
    })
    return this.current
  }

  private schedule (ms: number): void {
    if (this.state !== 'started' || this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pass().catch(err => { this.opts.onError(err) })
    }, ms)
    // The node's sockets keep the process alive, not its background work.
    this.timer.unref()
  }

  private wait (): number {
    const jitter = Math.min(1, Math.max(0, this.opts.jitter ?? 0))
    const spread = jitter === 0 ? 0 : jitter * (2 * (this.opts.random ?? Math.random)() - 1)
    return Math.max(0, Math.round(this.opts.intervalMs * (1 + spread)))
  }
}

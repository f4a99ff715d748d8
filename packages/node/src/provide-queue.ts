/**
 * Announces stored blocks on the DHT in the background, a few at a time, never blocking the
 * store acknowledgement. A failed announcement is logged and dropped (the next reprovide or a
 * reader's fallback to known nodes covers it).
 */
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'

export const PROVIDE_CONCURRENCY = 4
export const PROVIDE_TIMEOUT_MS = 30_000
export const MAX_PENDING_PROVIDES = 100_000

export class ProvideQueue {
  private readonly pending: CID[] = []
  private active = 0
  private stopped = false
  private readonly controller = new AbortController()
  private readonly provide: (cid: CID, signal: AbortSignal) => Promise<void>
  private readonly log: Logger

  constructor (provide: (cid: CID, signal: AbortSignal) => Promise<void>, log: Logger) {
    this.provide = provide
    this.log = log
  }

  add (cid: CID): void {
    if (this.stopped || this.pending.length >= MAX_PENDING_PROVIDES) return
    this.pending.push(cid)
    this.pump()
  }

  stop (): void {
    this.stopped = true
    this.pending.length = 0
    this.controller.abort()
  }

  private pump (): void {
    while (!this.stopped && this.active < PROVIDE_CONCURRENCY && this.pending.length > 0) {
      const cid = this.pending.shift()!
      this.active++
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(PROVIDE_TIMEOUT_MS)])
      this.provide(cid, signal).catch(err => {
        if (!this.stopped) this.log.debug({ err, cid: cid.toString() }, 'provide failed')
      }).finally(() => { this.active--; this.pump() })
    }
  }
}

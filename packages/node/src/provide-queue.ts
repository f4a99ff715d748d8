/**
 * Announces stored blocks on the DHT in the background, never blocking the store acknowledgement
 * and never competing with the data plane. A DHT provide costs a closest-peers query and an
 * ADD_PROVIDER per peer (each a new stream, peer-store merges, a provider record written on the
 * other side): measured on the 3-node put/get benchmark, announcing every block as it arrived
 * took more node CPU than storing and serving the blocks, and slowed both. So announcements wait
 * until the node has had no block traffic for `quietMs`, and then run a few at a time; under
 * constant traffic one still starts every `maxDelayMs`, so the queue always drains. A failed
 * announcement is logged and dropped (a reader falls back to the placement record's holders and
 * the nodes it knows; the next reprovide covers it).
 */
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'

export const PROVIDE_CONCURRENCY = 2
export const PROVIDE_TIMEOUT_MS = 30_000
export const MAX_PENDING_PROVIDES = 100_000
/** No block stored or served for this long: the node is idle enough to announce. */
export const PROVIDE_QUIET_MS = 1_000
/** Under constant traffic, one announcement still starts at least this often. */
export const PROVIDE_MAX_DELAY_MS = 1_000

export interface ProvideQueueOptions {
  concurrency?: number
  quietMs?: number
  maxDelayMs?: number
  /** The clock (tests pass a fake one). */
  now?: () => number
}

export class ProvideQueue {
  private readonly pending = new Set<string>()
  private readonly cids = new Map<string, CID>()
  private active = 0
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private lastTraffic = -Infinity
  /** When the last announcement started, or the queue last became non-empty, whichever is later. */
  private lastStart = -Infinity
  private readonly controller = new AbortController()
  private readonly provide: (cid: CID, signal: AbortSignal) => Promise<void>
  private readonly log: Logger
  private readonly concurrency: number
  private readonly quietMs: number
  private readonly maxDelayMs: number
  private readonly now: () => number

  constructor (provide: (cid: CID, signal: AbortSignal) => Promise<void>, log: Logger, opts: ProvideQueueOptions = {}) {
    this.provide = provide
    this.log = log
    this.concurrency = opts.concurrency ?? PROVIDE_CONCURRENCY
    this.quietMs = opts.quietMs ?? PROVIDE_QUIET_MS
    this.maxDelayMs = opts.maxDelayMs ?? PROVIDE_MAX_DELAY_MS
    this.now = opts.now ?? Date.now
  }

  /** Blocks waiting to be announced. */
  get size (): number {
    return this.pending.size
  }

  /** Queues a newly stored block (storing it is traffic too). */
  add (cid: CID): void {
    this.traffic()
    if (this.stopped || this.pending.size >= MAX_PENDING_PROVIDES) return
    const key = cid.toString()
    if (this.pending.has(key)) return
    if (this.pending.size === 0 && this.active === 0) this.lastStart = this.now()
    this.pending.add(key)
    this.cids.set(key, cid)
    this.pump()
  }

  /** Marks data-plane traffic (a block stored or served): announcements wait for a quiet spell. */
  traffic (): void {
    this.lastTraffic = this.now()
  }

  stop (): void {
    this.stopped = true
    this.pending.clear()
    this.cids.clear()
    clearTimeout(this.timer)
    this.controller.abort()
  }

  private pump (): void {
    if (this.timer !== undefined) return
    while (!this.stopped && this.active < this.concurrency && this.pending.size > 0) {
      const now = this.now()
      const quiet = now - this.lastTraffic >= this.quietMs
      const overdue = this.active === 0 && now - this.lastStart >= this.maxDelayMs
      if (!quiet && !overdue) {
        const wait = Math.max(1, Math.min(this.quietMs - (now - this.lastTraffic), this.maxDelayMs - (now - this.lastStart)))
        this.timer = setTimeout(() => { this.timer = undefined; this.pump() }, wait)
        this.timer.unref()
        return
      }
      const key = this.pending.values().next().value as string
      const cid = this.cids.get(key)!
      this.pending.delete(key)
      this.cids.delete(key)
      this.active++
      this.lastStart = now
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(PROVIDE_TIMEOUT_MS)])
      this.provide(cid, signal).catch(err => {
        if (!this.stopped) this.log.debug({ err, cid: key }, 'provide failed')
      }).finally(() => { this.active--; this.pump() })
    }
  }
}

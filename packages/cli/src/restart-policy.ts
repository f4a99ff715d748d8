/**
 * When the devnet restarts a crashed node: at once-ish, then backing off (1 s, 2 s, 4 s … up to
 * 30 s) while crashes keep coming, and not at all once a node crashed `maxCrashes` times within
 * `windowMs` (a node that dies on every start would otherwise loop forever and bury its log).
 * Pure bookkeeping with the clock passed in, so it is tested without waiting.
 */
export interface RestartPolicyOptions {
  /** Crashes allowed within the window; the next one gives up. 0 = never restart. */
  maxCrashes: number
  windowMs: number
  initialDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxCrashes: 5,
  windowMs: 10 * 60_000,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000
}

export type RestartDecision =
  | { restart: true, delayMs: number, crashesInWindow: number }
  | { restart: false, crashesInWindow: number }

export class RestartPolicy {
  readonly options: RestartPolicyOptions
  /** Crash times within the window, oldest first (at most maxCrashes + 1 kept). */
  private readonly crashes: number[] = []

  constructor (options: Partial<RestartPolicyOptions> = {}) {
    this.options = { ...DEFAULT_RESTART_POLICY, ...options }
  }

  /** Records a crash at `now` and says whether, and after how long, to start the node again. */
  crashed (now: number): RestartDecision {
    const { maxCrashes, windowMs, initialDelayMs, maxDelayMs } = this.options
    this.crashes.push(now)
    while (this.crashes.length > 0 && this.crashes[0]! <= now - windowMs) this.crashes.shift()
    if (this.crashes.length > maxCrashes + 1) this.crashes.shift()
    const n = this.crashes.length
    if (n > maxCrashes) return { restart: false, crashesInWindow: n }
    return { restart: true, delayMs: Math.min(maxDelayMs, initialDelayMs * 2 ** (n - 1)), crashesInWindow: n }
  }
}

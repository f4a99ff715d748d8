/**
 * Self-healing for a node's background subsystems (repair today). A periodic task already goes on
 * after a failed pass; what it cannot undo is state gone bad inside its owner (a poisoned cache, a
 * dead handle, a worker whose start failed). The supervisor checks each subsystem every `checkMs`;
 * one that reports itself failing (FAILURES_BEFORE_RESTART passes in a row threw, or it is not
 * running) is stopped and started again, made afresh. Restarts back off exponentially
 * (`baseBackoffMs` doubling up to `maxBackoffMs`), so a subsystem that cannot recover costs one
 * attempt per few minutes, not a tight loop; the backoff resets once the subsystem has stayed
 * healthy for `maxBackoffMs`. Each restart is counted (`p2pdv_component_restarts_total`, by
 * subsystem name: a closed label set fixed in code).
 */
import type { Logger } from 'pino'
import type { Component } from '../lifecycle.ts'
import { PeriodicTask } from '../periodic-task.ts'

/** Failed passes in a row after which a subsystem counts as failing. */
export const FAILURES_BEFORE_RESTART = 3
export const DEFAULT_SUPERVISOR_CHECK_MS = 5_000
export const DEFAULT_RESTART_BACKOFF_MS = 1_000
export const DEFAULT_MAX_RESTART_BACKOFF_MS = 5 * 60_000

export interface Supervised {
  /** A fixed name (it is a metric label). */
  readonly name: string
  /** Whether it should run but is failing or not running. */
  failing: () => boolean
  /** Stops what is left of it and starts it anew; throws when the new start fails. */
  restart: () => Promise<void>
}

export interface SupervisorOptions {
  children: readonly Supervised[]
  log: Logger
  /** Called after each restart attempt (the node counts them in its metrics). */
  onRestart: (name: string, ok: boolean) => void
  checkMs?: number
  baseBackoffMs?: number
  maxBackoffMs?: number
  now?: () => number
}

interface ChildState { backoffMs: number, notBefore: number, lastRestart: number }

export class Supervisor implements Component {
  readonly name = 'supervisor'
  private readonly opts: SupervisorOptions
  private readonly task: PeriodicTask
  private readonly state = new Map<string, ChildState>()

  constructor (opts: SupervisorOptions) {
    this.opts = opts
    this.task = new PeriodicTask(async () => { await this.check() }, {
      name: 'supervisor',
      intervalMs: opts.checkMs ?? DEFAULT_SUPERVISOR_CHECK_MS,
      onStop: 'finish',
      onError: err => { opts.log.error({ err }, 'supervisor check failed') }
    })
  }

  start (): void {
    this.task.start()
  }

  async stop (): Promise<void> {
    await this.task.stop()
  }

  /** One look at every child: restarts the failing ones whose backoff has passed. */
  async check (): Promise<void> {
    const now = (this.opts.now ?? Date.now)()
    const base = this.opts.baseBackoffMs ?? DEFAULT_RESTART_BACKOFF_MS
    const max = this.opts.maxBackoffMs ?? DEFAULT_MAX_RESTART_BACKOFF_MS
    for (const child of this.opts.children) {
      const s = this.state.get(child.name) ?? { backoffMs: base, notBefore: 0, lastRestart: -Infinity }
      this.state.set(child.name, s)
      if (!child.failing()) {
        if (now - s.lastRestart >= max) s.backoffMs = base
        continue
      }
      if (now < s.notBefore) continue
      s.lastRestart = now
      s.notBefore = now + s.backoffMs
      const backoffMs = s.backoffMs
      s.backoffMs = Math.min(max, s.backoffMs * 2)
      try {
        await child.restart()
        this.opts.log.warn({ component: child.name, backoffMs }, 'restarted a failing subsystem')
        this.opts.onRestart(child.name, true)
      } catch (err) {
        this.opts.log.error({ err, component: child.name, retryInMs: backoffMs }, 'a failing subsystem did not restart; retrying later')
        this.opts.onRestart(child.name, false)
      }
    }
  }
}

/**
 * Components with a lifecycle. A node is a stack of components — stores, planes, background
 * workers — each of which acquires something in `start` (a file lock, a socket, a timer) and gives
 * it back in `stop`. `Lifecycle` starts them in order; when one fails to start, it stops the ones
 * already started, last first, and rethrows the original error, so a failed start leaves nothing
 * open (the data dir can be opened again by the next start in the same process). `stop` stops
 * every component, last first, even when some stops throw: each failure is logged, the first is
 * rethrown once all have run.
 *
 * The pattern is libp2p's Startable components, with one difference: libp2p starts its components
 * together, while a node's are ordered (the HTTP plane's address is announced over libp2p, repair
 * needs both planes), and an undo stack is what makes a half-started node safe to throw away.
 */
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'

/** Something that holds resources between `start` and `stop`. */
export interface Startable {
  start: () => void | Promise<void>
  /** Releases what `start` acquired; called once per successful `start`. */
  stop: () => void | Promise<void>
}

/** A named startable, as the lifecycle logs it. */
export interface Component extends Startable {
  readonly name: string
}

/** A component from two functions (for resources that need no class of their own). */
export function component (name: string, start: () => void | Promise<void>, stop: () => void | Promise<void> = () => {}): Component {
  return { name, start, stop }
}

/** The value of a component that has not started (or has stopped): a wiring bug, not a user error. */
export function notStarted (name: string): P2pdvError {
  return new P2pdvError('ERR_NOT_STARTED', `the ${name} component is used before it started`, {
    hint: 'A component may only use components started before it (see the order in node.ts).'
  })
}

/**
 * A component holding one value: `open` makes it (opening files, binding sockets), `close` gives
 * it back. `open` must clean up after itself when it throws: the lifecycle only stops what started.
 */
export class Resource<T> implements Component {
  readonly name: string
  private readonly open: () => T | Promise<T>
  private readonly close: (value: T) => void | Promise<void>
  private current: T | undefined
  private opened = false

  constructor (name: string, open: () => T | Promise<T>, close: (value: T) => void | Promise<void> = () => {}) {
    this.name = name
    this.open = open
    this.close = close
  }

  /** The value; throws ERR_NOT_STARTED before `start`. */
  get value (): T {
    if (!this.opened) throw notStarted(this.name)
    return this.current as T
  }

  /** The value, or undefined before `start` (for late-bound callbacks). */
  get maybe (): T | undefined {
    return this.opened ? this.current : undefined
  }

  async start (): Promise<void> {
    this.current = await this.open()
    this.opened = true
  }

  async stop (): Promise<void> {
    if (!this.opened) return
    const value = this.current as T
    this.opened = false
    this.current = undefined
    await this.close(value)
  }
}

export class Lifecycle {
  private readonly log: Logger | undefined
  /** Started components, in start order. */
  private readonly started: Component[] = []

  constructor (log?: Logger) {
    this.log = log
  }

  /** Names of the components now started, in start order. */
  get running (): string[] {
    return this.started.map(c => c.name)
  }

  /**
   * Starts `components` in order after the ones already started. If one throws, every started
   * component (earlier batches too) is stopped, last first, and the start error is rethrown.
   */
  async start (components: readonly Component[]): Promise<void> {
    for (const c of components) {
      try {
        await c.start()
      } catch (err) {
        this.log?.debug({ err, component: c.name }, 'component failed to start; stopping the ones started')
        await this.stopAll(false)
        throw err
      }
      this.started.push(c)
    }
  }

  /** Stops every started component, last first; all stops run, the first error is rethrown. */
  async stop (): Promise<void> {
    await this.stopAll(true)
  }

  private async stopAll (rethrow: boolean): Promise<void> {
    let first: { err: unknown } | undefined
    for (const c of this.started.splice(0).reverse()) {
      // One at a time (a later component may use an earlier one until it has stopped), and
      // never skipped: allSettled's semantics, in order.
      try {
        await c.stop()
      } catch (err) {
        this.log?.warn({ err, component: c.name }, 'component failed to stop cleanly')
        first ??= { err }
      }
    }
    if (rethrow && first !== undefined) throw first.err
  }
}

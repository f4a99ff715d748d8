/**
 * Whether the chain this node depends on answers. A node started with `--chain` decides access
 * (keeper), indexes videos (discovery) and reports audits through the chain's RPC; when the RPC is
 * gone, those answers go stale or fail, so the node must leave a load balancer's rotation
 * (`/readyz` 503, check `chain: false`) and come back by itself once the RPC answers again.
 * Reachable until CHAIN_PROBE_FAILURES probes in a row fail: one lost request is not an outage.
 */
import { Gauge, type Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { ChainClient } from '@p2pdv/chain'
import type { Component } from '../lifecycle.ts'
import { PeriodicTask } from '../periodic-task.ts'

export const CHAIN_PROBE_INTERVAL_MS = 5_000
export const CHAIN_PROBE_TIMEOUT_MS = 3_000
export const CHAIN_PROBE_FAILURES = 2

export interface ChainHealthOptions {
  /** The node's own chain client, read at start (it connects first); undefined without a chain. */
  client: () => Pick<ChainClient, 'public'> | undefined
  log: Logger
  registry: Registry
  intervalMs?: number
  timeoutMs?: number
}

export class ChainHealth implements Component {
  readonly name = 'chain health'
  private readonly opts: ChainHealthOptions
  private task: PeriodicTask | undefined
  private enabled = false
  private failures = 0
  private readonly gauge: Gauge

  constructor (opts: ChainHealthOptions) {
    this.opts = opts
    this.gauge = new Gauge({ name: 'p2pdv_chain_reachable', help: '1 while the chain RPC this node uses answers (probed every few seconds), 0 after consecutive failures; absent without a chain', registers: [opts.registry] })
  }

  /** Undefined when the node uses no chain; else whether its RPC answers. */
  get reachable (): boolean | undefined {
    if (!this.enabled) return undefined
    return this.failures < CHAIN_PROBE_FAILURES
  }

  start (): void {
    const client = this.opts.client()
    if (client === undefined) return
    this.enabled = true
    const probe = async (): Promise<bigint> => await client.public.getBlockNumber({ cacheTime: 0 })
    this.gauge.set(1)
    this.task = new PeriodicTask(async signal => {
      const timeoutMs = this.opts.timeoutMs ?? CHAIN_PROBE_TIMEOUT_MS
      try {
        await new Promise<bigint>((resolve, reject) => {
          const timer = setTimeout(() => { reject(new Error(`no answer in ${timeoutMs} ms`)) }, timeoutMs)
          signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
          probe().then(resolve, reject).finally(() => { clearTimeout(timer) })
        })
        this.record(true)
      } catch (err) {
        if (signal.aborted) return
        this.record(false, err)
      }
    }, { name: this.name, intervalMs: this.opts.intervalMs ?? CHAIN_PROBE_INTERVAL_MS, onError: () => {} })
    this.task.start()
  }

  async stop (): Promise<void> {
    await this.task?.stop()
    this.task = undefined
  }

  private record (ok: boolean, err?: unknown): void {
    const was = this.reachable
    this.failures = ok ? 0 : this.failures + 1
    const now = this.reachable
    this.gauge.set(now === true ? 1 : 0)
    if (was === now) return
    if (now === true) this.opts.log.info('the chain RPC answers again: ready')
    else this.opts.log.warn({ err: (err as Error | undefined)?.message }, 'the chain RPC does not answer: not ready until it does')
  }
}

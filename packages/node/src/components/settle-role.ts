/**
 * The settler role (`--settle`): every epoch (`--settle-epoch`) it settles the reward pool from
 * this node's audit results and posts the root (settle/settler.ts); its routes serve each node's
 * proof. Needs the auditor role and a wallet; without the Rewards settler role it warns and
 * still answers the routes with nothing.
 */
import type { Logger } from 'pino'
import { isSettler } from '@p2pdv/chain'
import { isP2pdvError } from '@p2pdv/core/errors'
import type { AuditorChain } from '../audit/chain-reporter.ts'
import type { Component, Resource } from '../lifecycle.ts'
import { PeriodicTask } from '../periodic-task.ts'
import { Settler } from '../settle/settler.ts'
import type { AuditRole } from './audit-role.ts'
import type { NodeDisk } from './disk.ts'

export interface SettleRoleDeps {
  config: { epochMs: number } | undefined
  disk: Resource<NodeDisk>
  audit: AuditRole
  chain: () => AuditorChain | undefined
  log: Logger
}

export class SettleRole implements Component {
  readonly name = 'settler'
  private readonly deps: SettleRoleDeps
  private task: PeriodicTask | undefined
  settler: Settler | undefined

  constructor (deps: SettleRoleDeps) {
    this.deps = deps
  }

  async start (): Promise<void> {
    const { config, log } = this.deps
    const store = this.deps.audit.store
    const chain = this.deps.chain()
    if (config === undefined || store === undefined || chain === undefined) return
    const settler = new Settler({ store, chain: chain.client, dir: this.deps.disk.value.dir.root, log })
    this.settler = settler
    if (!await isSettler(chain.client, chain.operator)) {
      log.warn({ operator: chain.operator }, 'this wallet lacks the Rewards settler role: epochs will not be posted')
    }
    this.task = new PeriodicTask(async signal => { await settler.settle(signal) }, {
      name: 'settle epochs',
      intervalMs: config.epochMs,
      onError: err => { log.warn({ code: isP2pdvError(err) ? err.code : 'ERR_INTERNAL', err: isP2pdvError(err) ? undefined : err }, 'settling the epoch failed; the next epoch covers its audits') }
    })
    this.task.start()
  }

  async stop (): Promise<void> {
    await this.task?.stop()
  }
}

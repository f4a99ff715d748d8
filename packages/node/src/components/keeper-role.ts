/**
 * The keeper role (`--keeper`): key shares in `keeper/keeper.db` (opened here, closed on stop),
 * releases checked against the chain's access oracle, and the keeper's periodic upkeep (nonce
 * pruning, log compaction, anchoring), which stops before its store closes.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { AccessOracle, LogAnchor } from '@p2pdv/core/keys'
import type { KeeperConfig } from '../config.ts'
import { Keeper, SOURCE_BURST } from '../keeper/keeper.ts'
import { loadKeeperKeys, type KeeperKeys } from '../keeper/keeper-keys.ts'
import { KeeperStore } from '../keeper/keeper-store.ts'
import { notStarted, type Component, type Resource } from '../lifecycle.ts'
import type { NodeDisk } from './disk.ts'

/** What the keeper reads the chain through (from the node's chain access). */
export interface KeeperAccess {
  oracle?: AccessOracle
  /** What releases are checked against: every --rpc endpoint must agree (chain-quorum.ts). */
  releaseOracle?: AccessOracle
  anchor?: LogAnchor
  /** The wallet's keys; without a wallet the keeper has keys of its own in its directory. */
  walletKeys?: KeeperKeys
}

export interface KeeperRoleDeps {
  disk: Resource<NodeDisk>
  config: KeeperConfig | undefined
  access: () => KeeperAccess
  passphrase: string
  registry: Registry
  log: Logger
}

export class KeeperRole implements Component {
  readonly name = 'keeper'
  private readonly deps: KeeperRoleDeps
  private started: { keeper: Keeper, store: KeeperStore } | undefined
  private ran = false

  constructor (deps: KeeperRoleDeps) {
    this.deps = deps
  }

  /** The keeper, when this node runs the role. */
  get keeper (): Keeper | undefined {
    if (!this.ran) throw notStarted(this.name)
    return this.started?.keeper
  }

  async start (): Promise<void> {
    const { config, log } = this.deps
    const access = this.deps.access()
    const { oracle, walletKeys } = access
    this.ran = true
    if (config?.enabled !== true || oracle === undefined) return
    const keeperDir = join(this.deps.disk.value.dir.root, 'keeper')
    const keys = walletKeys ?? await loadKeeperKeys(keeperDir, this.deps.passphrase)
    const store = new KeeperStore(keeperDir)
    let keeper: Keeper
    try {
      keeper = this.keeperOn(keys, store, oracle, access, config)
    } catch (err) {
      store.close()
      throw err
    }
    keeper.start()
    this.started = { keeper, store }
    log.info({ address: keeper.address }, 'keeper role on')
  }

  private keeperOn (keys: KeeperKeys, store: KeeperStore, oracle: AccessOracle, access: KeeperAccess, config: KeeperConfig): Keeper {
    const { log } = this.deps
    return new Keeper({
      keys,
      store,
      oracle: access.releaseOracle ?? oracle,
      ...(access.anchor === undefined ? {} : { anchor: access.anchor }),
      log,
      registry: this.deps.registry,
      rate: { perMinute: config.ratePerMinute, burst: config.burst },
      sourceRate: { perMinute: config.sourceRatePerMinute, burst: Math.max(SOURCE_BURST, Math.ceil(config.sourceRatePerMinute / 30)) },
      newSignerRate: { perMinute: config.newSignerRatePerMinute, burst: Math.max(1, Math.ceil(config.newSignerRatePerMinute / 3)) },
      anchorIntervalMs: config.anchorIntervalSeconds * 1000
    })
  }

  async stop (): Promise<void> {
    const started = this.started
    this.started = undefined
    this.ran = false
    if (started === undefined) return
    try {
      await started.keeper.stop()
    } finally {
      started.store.close()
    }
  }
}

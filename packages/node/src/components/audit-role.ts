/**
 * Audits. Every node answers challenges (the responder). With `--audit` it is also an auditor:
 * its results in `audit.sqlite` (opened here, closed on stop), targets from placement records,
 * and, with a wallet holding the audit role, slashing and reputation on chain. The rounds are a
 * separate component (`rounds`), started last, once the node is ready.
 */
import type { Libp2p } from '@libp2p/interface'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { Auditor } from '../audit/auditor.ts'
import { chainSlashReporter, PublisherSlot, type AuditorChain, type ReputationPublisher } from '../audit/chain-reporter.ts'
import { PlacementTargetSource } from '../audit/placement-source.ts'
import { AuditResponder } from '../audit/responder.ts'
import { localSlashReporter, SlashPolicy } from '../audit/slash.ts'
import { AUDIT_DB_FILE, AuditStore } from '../audit/store.ts'
import { createAuditTransport, libp2pHttpResolver } from '../audit/transport.ts'
import type { AuditorConfig } from '../config.ts'
import { component, notStarted, type Component, type Resource } from '../lifecycle.ts'
import type { NodeMetrics } from '../metrics.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import type { NodeDisk } from './disk.ts'
import type { PlacementsComponent } from './placements.ts'

export interface AuditRoleDeps {
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  placements: PlacementsComponent
  /** `--audit` options; none = this node only answers. */
  config: AuditorConfig | undefined
  /** The auditor's wallet on chain, if it has one. */
  chain: () => AuditorChain | undefined
  /** The HTTP data planes of the peers this node knows (targets are read from their records). */
  peerUrls: () => Promise<string[]>
  libp2p: () => Libp2p | undefined
  forgeProofs: boolean
  /** The `fail-audit` test fault: every round of the first auditor made throws (a restarted one works). */
  failFirstAuditor?: boolean
  metrics: NodeMetrics
  log: Logger
}

interface Started {
  responder: AuditResponder
  auditor?: { auditor: Auditor, store: AuditStore, publishing: PublisherSlot }
}

export class AuditRole implements Component {
  readonly name = 'audit'
  private readonly deps: AuditRoleDeps
  private started: Started | undefined
  /** Auditors made so far (the `fail-audit` fault breaks the first). */
  private made = 0

  constructor (deps: AuditRoleDeps) {
    this.deps = deps
  }

  get responder (): AuditResponder { return this.get().responder }
  get auditor (): Auditor | undefined { return this.get().auditor?.auditor }
  get store (): AuditStore | undefined { return this.get().auditor?.store }
  get publisher (): ReputationPublisher | undefined { return this.get().auditor?.publishing.publisher }

  start (): void {
    const { disk, metrics, log } = this.deps
    const { peerId, privateKey, dir } = disk.value
    const responder = new AuditResponder({ peerId, privateKey, blockstore: this.deps.blockstore.value, metrics, log, forgeProofs: this.deps.forgeProofs })
    const config = this.deps.config
    if (config === undefined) {
      this.started = { responder }
      return
    }
    const store = new AuditStore(join(dir.root, AUDIT_DB_FILE))
    try {
      const current = { value: undefined as Auditor | undefined }
      // Scores of whichever auditor runs now: replacing the auditor leaves the publisher alone.
      const publishing = new PublisherSlot({ chain: this.deps.chain, scores: () => current.value?.reputation() ?? [], log: this.deps.log, intervalMs: config.chainIntervalMs })
      const auditor = this.auditorOn(store, config)
      current.value = auditor
      this.current = current
      this.started = { responder, auditor: { auditor, store, publishing } }
    } catch (err) {
      store.close()
      throw err
    }
  }

  /** The running auditor, as the publisher reads it. */
  private current: { value: Auditor | undefined } | undefined

  private auditorOn (store: AuditStore, config: AuditorConfig): Auditor {
    const { disk, metrics, log } = this.deps
    const { peerId, privateKey } = disk.value
    const { transport, chainIntervalMs: _publishedElsewhere, ...options } = config
    const chain = this.deps.chain()
    const onChain = chain?.auditorRole === true ? chain : undefined
    const libp2p = this.deps.libp2p
    const resolve = (peer: string, signal: AbortSignal): Promise<string | undefined> => {
      const node = libp2p()
      return node === undefined ? Promise.resolve(undefined) : libp2pHttpResolver(node)(peer, signal)
    }
    const placementSource = new PlacementTargetSource({ store, local: this.deps.placements.placements, peers: this.deps.peerUrls, log })
    const broken = this.deps.failFirstAuditor === true && this.made++ === 0
    const auditor = new Auditor({
      ...(broken ? { beforeRound: () => { throw new Error('test fault fail-audit: this auditor fails every round') } } : {}),
      peerId,
      privateKey,
      store,
      transport: createAuditTransport(transport, { resolveHttp: resolve, libp2p }),
      log,
      metrics,
      slashPolicy: new SlashPolicy(),
      slashReporter: onChain === undefined ? localSlashReporter(store, log) : chainSlashReporter(onChain, store, log),
      options,
      sync: async signal => await placementSource.sync(signal)
    })
    return auditor
  }

  stop (): void {
    this.started?.auditor?.store.close()
  }

  /** Whether this node audits and its rounds keep failing (the supervisor then calls `restartRounds`). */
  get roundsFailing (): boolean {
    return this.started?.auditor?.auditor.failing === true
  }

  /**
   * Replaces the auditor with a new one on the same store: results, targets and reputation are in
   * audit.sqlite, so nothing is lost but the running round. The reputation publisher runs on (it
   * reads the new auditor's scores from its next round) and keeps its state.
   */
  async restartRounds (): Promise<void> {
    const started = this.get()
    const old = started.auditor
    const config = this.deps.config
    if (old === undefined || config === undefined) return
    await old.auditor.stop()
    const fresh = this.auditorOn(old.store, config)
    old.auditor = fresh
    if (this.current !== undefined) this.current.value = fresh
    fresh.start()
  }

  /** Whether this node publishes reputation and its rounds keep failing (the supervisor then calls `restartPublisher`). */
  get publisherFailing (): boolean {
    return this.started?.auditor?.publishing.failing === true
  }

  /** Replaces a failing reputation publisher, leaving the auditor running (audit/chain-reporter.ts PublisherSlot). */
  async restartPublisher (): Promise<void> {
    await this.started?.auditor?.publishing.restart()
  }

  /** The publisher's slot (for tests and the reputation endpoint), when this node audits. */
  get publishing (): PublisherSlot | undefined {
    return this.started?.auditor?.publishing
  }

  /** Audit rounds and reputation publishing, as a component of their own (started once the node is ready). */
  rounds (): Component {
    return component('audit rounds', () => {
      this.auditor?.start()
      this.publishing?.start()
    }, async () => {
      await this.publishing?.stop()
      await this.auditor?.stop()
    })
  }

  private get (): Started {
    if (this.started === undefined) throw notStarted(this.name)
    return this.started
  }
}

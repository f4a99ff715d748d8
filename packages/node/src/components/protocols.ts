/**
 * What runs over libp2p once it listens: the block intake behind the store protocol (and behind
 * HTTP PUT, which answers ERR_NOT_READY until then), the keeper and audit protocols, the DHT
 * announcements (the provide queue) and the first dials (`--bootstrap` and known peers).
 */
import type { Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import { AUDIT_PROTOCOL, STORE_PROTOCOL } from '@p2pdv/core/wire'
import { KEEPER_PROTOCOL } from '@p2pdv/core/keys'
import { createAuditHandler } from '../audit/protocol.ts'
import { BlockIntake } from '../block-intake.ts'
import { createKeeperHandler } from '../keeper/keeper-protocol.ts'
import { dialStartPeers } from '../known-peers.ts'
import { Resource, type Component } from '../lifecycle.ts'
import type { NodeMetrics } from '../metrics.ts'
import { ProvideQueue } from '../provide-queue.ts'
import { createStoreHandler } from '../store-protocol.ts'
import type { UploadGate } from '../upload-gate.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import type { AuditRole } from './audit-role.ts'
import type { NodeDisk } from './disk.ts'
import type { KeeperRole } from './keeper-role.ts'
import type { Libp2pPlane } from './libp2p-plane.ts'

/**
 * The DHT announcement queue. It exists before libp2p does (blocks may be stored as soon as the
 * HTTP plane listens) and announces through it once it runs; stopping it drops what is queued.
 */
export function provideQueueComponent (net: Libp2pPlane, metrics: NodeMetrics, log: Logger): Resource<ProvideQueue> {
  return new Resource('provide queue', () => new ProvideQueue(async (cid: CID, signal: AbortSignal) => {
    try {
      await net.helia.routing.provide(cid, { signal })
      metrics.dhtProvides.inc({ result: 'ok' })
    } catch (err) {
      metrics.dhtProvides.inc({ result: 'failed' })
      throw err
    }
  }, log), q => { q.stop() })
}

export interface ProtocolsDeps {
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  gate: Resource<UploadGate>
  net: Libp2pPlane
  keeper: KeeperRole
  audit: AuditRole
  quotaBytes: number
  storeIdleTimeoutMs: number
  bootstrap: string[]
  /** A block was stored (it is announced, and waits for a record to claim it). */
  onStored: (cid: CID, size: number, identity: string | undefined) => void
  metrics: NodeMetrics
  log: Logger
}

export class ProtocolsComponent implements Component {
  readonly name = 'protocols'
  private readonly deps: ProtocolsDeps
  private blockIntake: BlockIntake | undefined

  constructor (deps: ProtocolsDeps) {
    this.deps = deps
  }

  /** The block intake, once libp2p runs (undefined before: uploads are refused as not ready). */
  get intake (): BlockIntake | undefined {
    return this.blockIntake
  }

  async start (): Promise<void> {
    const { log, metrics } = this.deps
    const libp2p = this.deps.net.helia.libp2p
    const gate = this.deps.gate.value
    const intake = new BlockIntake({
      peerId: this.deps.disk.value.peerId,
      privateKey: this.deps.disk.value.privateKey,
      blockstore: this.deps.blockstore.value,
      quotaBytes: this.deps.quotaBytes,
      metrics,
      log,
      onStored: this.deps.onStored
    })
    this.blockIntake = intake
    await libp2p.handle(STORE_PROTOCOL, createStoreHandler({ idleTimeoutMs: this.deps.storeIdleTimeoutMs, log, admit: async (grant, source) => await gate.admit(grant, source) }, intake), { maxInboundStreams: 32 })
    const keeper = this.deps.keeper.keeper
    if (keeper !== undefined) await libp2p.handle(KEEPER_PROTOCOL, createKeeperHandler(keeper, log), { maxInboundStreams: 64 })
    await libp2p.handle(AUDIT_PROTOCOL, createAuditHandler(this.deps.audit.responder, log), { maxInboundStreams: 16, runOnLimitedConnection: true })
    await dialStartPeers(libp2p, this.deps.bootstrap, log)
  }

  /** The handlers go with libp2p when it stops. */
  stop (): void {}
}

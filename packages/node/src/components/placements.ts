/**
 * The placement records this node keeps, and the two workers that follow them: the announcer
 * (what goes on the DHT once a record covers a block, announcer.ts) and the unclaimed collector
 * (blocks no record lists are deleted after a grace, unclaimed.ts).
 */
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { Announcer, type AnnounceStrategy } from '../announcer.ts'
import { notStarted, type Component, type Resource } from '../lifecycle.ts'
import { PlacementStore } from '../placement-store.ts'
import { UnclaimedCollector } from '../unclaimed.ts'
import type { UploadGate } from '../upload-gate.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import type { NodeDisk } from './disk.ts'

export interface PlacementsDeps {
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  gate: Resource<UploadGate>
  announce: { strategy: AnnounceStrategy, graceMs: number }
  unclaimedGraceMs: number
  /** Blocks claimed by something other than placement records (hot copies), never collected. */
  claimedElsewhere?: (cid: CID) => boolean
  /** Queues a CID for a DHT announcement (the provide queue). */
  provide: (cid: CID) => void
  log: Logger
}

interface Started { placements: PlacementStore, announcer: Announcer, unclaimed: UnclaimedCollector }

export class PlacementsComponent implements Component {
  readonly name = 'placements'
  private readonly deps: PlacementsDeps
  private started: Started | undefined

  constructor (deps: PlacementsDeps) {
    this.deps = deps
  }

  get placements (): PlacementStore { return this.get().placements }
  get announcer (): Announcer { return this.get().announcer }
  get unclaimed (): UnclaimedCollector { return this.get().unclaimed }

  async start (): Promise<void> {
    const { log } = this.deps
    const blockstore = this.deps.blockstore.value
    const gate = this.deps.gate.value
    const announcer = new Announcer({
      strategy: this.deps.announce.strategy,
      graceMs: this.deps.announce.graceMs,
      announce: this.deps.provide,
      covered: cid => placements.covers(cid),
      has: async cid => await blockstore.has(cid)
    })
    const unclaimed = new UnclaimedCollector({
      graceMs: this.deps.unclaimedGraceMs,
      claimed: cid => placements.covers(cid) || this.deps.claimedElsewhere?.(cid) === true,
      delete: async cid => { await blockstore.delete(cid) },
      onCollected: (cid, size, identity) => {
        if (identity !== undefined) gate.release(identity, size)
        log.info({ cid: cid.toString(), size }, 'collected a block no placement record claimed')
      }
    })
    const placements = new PlacementStore({
      dir: this.deps.disk.value.dir.placements,
      peerId: this.deps.disk.value.peerId,
      has: async cid => await blockstore.has(cid),
      onKept: record => { unclaimed.kept(record); announcer.kept(record).catch(err => { log.debug({ err }, 'could not announce an object') }) },
      log
    })
    await placements.open()
    this.started = { placements, announcer, unclaimed }
    // Blocks on disk that no record lists (an upload cut short before a restart) wait their grace again.
    void (async () => {
      for await (const { cid } of blockstore.getAll()) unclaimed.stored(cid, await blockstore.sizeOf(cid) ?? 0)
    })().catch(err => { log.warn({ err }, 'could not list stored blocks for unclaimed collection') })
  }

  /** Waits for a running collection, so no block is deleted once the blockstore is closed. */
  async stop (): Promise<void> {
    this.started?.announcer.stop()
    await this.started?.unclaimed.stop()
  }

  private get (): Started {
    if (this.started === undefined) throw notStarted(this.name)
    return this.started
  }
}

/**
 * Hot videos spread by themselves (issue 16): this node counts block GETs per object it keeps a
 * placement record for (hot/demand.ts); when an object's demand passes the threshold
 * (hot/policy.ts) it copies the object's blocks it holds to `copies` more nodes — chosen by the
 * same weighted rendezvous order repair uses, each copy acknowledged by a signed receipt — and
 * publishes a node-signed hot-copy record (core/placement/hot-copy.ts) that readers use as a
 * hint. It renews the record while the object stays hot; once it is cold, a `cold` version tells
 * the holders to drop the copies. It also keeps the records other nodes send it for copies held
 * here (hot/hot-copy-store.ts: bounded share, LRU eviction, expiry).
 *
 * Hot copies never count for durability: repair, GC and audits read placement records only.
 */
import type { PrivateKey } from '@libp2p/interface'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { Gauge, type Registry } from 'prom-client'
import type { CID } from 'multiformats/cid'
import { parseCid } from '@p2pdv/core'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { P2pdvError } from '@p2pdv/core/errors'
import {
  decodeHotCopyRecord, encodeHotCopyRecord, MAX_HOT_COPY_BLOCKS, MAX_HOT_COPY_BYTES, placementBlocks, signHotCopyRecord, weightedOrder,
  type BlockPlacement, type HotCopyRecord, type UnsignedHotCopyRecord
} from '@p2pdv/core/placement'
import { NodeClient, ReceiptVerifier } from '@p2pdv/node-client'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerHttp } from '../http-api.ts'
import { notStarted, type Component, type Resource } from '../lifecycle.ts'
import { PeriodicTask } from '../periodic-task.ts'
import type { PlacementStore } from '../placement-store.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import { clientKey, DemandTracker } from '../hot/demand.ts'
import { HotCopyStore } from '../hot/hot-copy-store.ts'
import { HotPolicy } from '../hot/policy.ts'
import type { NodeDisk } from './disk.ts'

/** The hot-copy settings (`--hot-*`; defaults in config.ts). */
export interface HotConfig {
  /** Spread hot objects (`--no-hot-copies` turns it off; received copies are still kept). */
  enabled: boolean
  /** Weighted block GETs per window that make an object hot. */
  threshold: number
  /** Below this (default a quarter of the threshold) for `coldAfterMs`, an object is cold again. */
  coldThreshold: number
  windowMs: number
  coldAfterMs: number
  /** Requests one client (IP, IPv6 /64) counts per object and window. */
  clientCap: number
  /** Extra nodes a hot object's blocks are copied to. */
  copies: number
  /** Bytes of other nodes' hot copies this node keeps at most. */
  shareBytes: number
  /** How often demand is checked. */
  intervalMs: number
  /** How long a record counts unless renewed (renewed at half of it). */
  ttlMs: number
  /** Objects spread at once, at most. */
  maxHotObjects: number
}

export interface HotCopiesDeps {
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  placements: () => PlacementStore
  /** This node's and its known peers' data planes, this node first. */
  peers: () => Promise<PeerHttp[]>
  grantFor: (peerId: string) => Promise<string>
  config: HotConfig
  registry: Registry
  log: Logger
}

const PUSH_TIMEOUT_MS = 10_000
/** Objects shown in the demand gauge (the most demanded). */
const DEMAND_GAUGE_OBJECTS = 8

interface Started { demand: DemandTracker, policy: HotPolicy, store: HotCopyStore, task: PeriodicTask, privateKey: PrivateKey, peerId: string }

export class HotCopiesComponent implements Component {
  readonly name = 'hot copies'
  private readonly deps: HotCopiesDeps
  private started: Started | undefined
  /** Counts of what happened, for /api/v1/status and tests. */
  readonly stats = { spread: 0, dropped: 0, renewed: 0, copiesPlaced: 0, pushFailures: 0 }

  constructor (deps: HotCopiesDeps) {
    this.deps = deps
    const demandGauge = new Gauge({
      name: 'p2pdv_hot_demand',
      help: 'Weighted block GETs per window of the most demanded objects (at most 8, by object)',
      labelNames: ['object'],
      registers: [deps.registry],
      collect: () => {
        demandGauge.reset()
        for (const t of this.started?.demand.top(DEMAND_GAUGE_OBJECTS) ?? []) demandGauge.set({ object: t.object }, Math.round(t.demand))
      }
    })
    const hotGauge = new Gauge({ name: 'p2pdv_hot_objects', help: 'Objects this node currently spreads as hot', registers: [deps.registry], collect: () => { hotGauge.set(this.started?.policy.hotObjects.length ?? 0) } })
    const heldGauge = new Gauge({ name: 'p2pdv_hot_copy_bytes_held', help: 'Bytes of other nodes\' hot copies held here', registers: [deps.registry], collect: () => { heldGauge.set(this.started?.store.stats.heldBytes ?? 0) } })
  }

  get store (): HotCopyStore { return this.get().store }

  /** Whether a held hot copy claims the block (before start: none). */
  claims (cid: CID): boolean { return this.started?.store.claims(cid) ?? false }

  /** What `/api/v1/status` shows under `hot`. */
  status (): Record<string, unknown> {
    const s = this.started
    return { enabled: this.deps.config.enabled, hotObjects: s?.policy.hotObjects ?? [], ...this.stats, held: s?.store.stats, demand: s?.demand.stats }
  }
  get demand (): DemandTracker { return this.get().demand }

  start (): void {
    const { config, log } = this.deps
    const disk = this.deps.disk.value
    const blockstore = this.deps.blockstore.value
    const demand = new DemandTracker({ windowMs: config.windowMs, perClientCap: config.clientCap })
    const policy = new HotPolicy({ hotThreshold: config.threshold, coldThreshold: config.coldThreshold, coldAfterMs: config.coldAfterMs, maxHotObjects: config.maxHotObjects })
    const store = new HotCopyStore({
      peerId: disk.peerId,
      shareBytes: config.shareBytes,
      has: async cid => await blockstore.has(cid),
      delete: async cid => { await blockstore.delete(cid) },
      durable: cid => this.deps.placements().covers(cid),
      log
    })
    const task = new PeriodicTask(async signal => { await this.pass(signal) }, { name: 'hot copies', intervalMs: config.intervalMs, onError: err => { log.warn({ err }, 'hot-copy pass failed') } })
    this.started = { demand, policy, store, task, privateKey: disk.privateKey, peerId: disk.peerId }
    task.start()
  }

  async stop (): Promise<void> {
    await this.started?.task.stop()
  }

  /** The block GET hook: counts demand for objects placed here, marks served hot copies as used. */
  served (cid: string, address: string | undefined): void {
    const s = this.started
    if (s === undefined) return
    const object = this.deps.placements().objectOf(cid)
    if (object !== undefined) s.demand.record(object, clientKey(address))
    else s.store.touch(cid)
  }

  /** One check: expiry, then objects that became hot or cold, then renewals. */
  async pass (signal: AbortSignal): Promise<void> {
    const s = this.get()
    await s.store.expire()
    if (!this.deps.config.enabled) return
    const now = Date.now()
    const { start, stop } = s.policy.step(s.demand.top(this.deps.config.maxHotObjects * 4), o => s.demand.demand(o), now)
    for (const object of stop) {
      if (signal.aborted) return
      await this.drop(object, signal)
      s.policy.markCold(object)
    }
    for (const object of start) {
      if (signal.aborted) return
      if (await this.spread(object, signal)) s.policy.markHot(object)
    }
    for (const object of s.policy.hotObjects) {
      const own = s.store.ownRecord(object)
      if (own !== undefined && now >= own.time + this.deps.config.ttlMs / 2) await this.renew(own, signal)
    }
  }

  /** Copies the object's blocks held here to new nodes and publishes the record; false if none took them. */
  private async spread (object: string, signal: AbortSignal): Promise<boolean> {
    const s = this.get()
    const record = this.deps.placements().get(object)
    if (record === undefined) return false
    const all = placementBlocks(record).map(b => b.block)
    const listed = new Set(all.flatMap(b => b.nodes))
    const mine: BlockPlacement[] = []
    let bytes = 0
    for (const b of all) {
      if (mine.length >= MAX_HOT_COPY_BLOCKS || bytes + b.size > this.deps.config.shareBytes) break
      if (b.nodes.includes(s.peerId) && await this.deps.blockstore.value.has(b.cid)) { mine.push(b); bytes += b.size }
    }
    if (mine.length === 0) return false
    // Nodes that hold nothing of the object: a copy there is new capacity, and (keeping no record
    // of the object) they never mistake it for a durable block.
    const candidates = (await this.deps.peers()).slice(1).filter(p => p.http !== '' && !listed.has(p.peerId)).map(p => ({ peerId: p.peerId, url: p.http }))
    const targets: Array<{ peerId: string, url: string }> = []
    for (const peer of weightedOrder(`hot/${object}`, candidates, bytes)) {
      if (targets.length >= this.deps.config.copies || signal.aborted) break
      try {
        const client = nodeClient(peer)
        const authorization = await this.deps.grantFor(peer.peerId)
        for (const b of mine) {
          // The receipt (peer, CID, size, signature) is checked by the client.
          await client.putBlock(b.cid, await this.deps.blockstore.value.getVerified(b.cid), { signal, authorization })
          this.stats.copiesPlaced++
        }
        targets.push(peer)
      } catch (err) {
        if (signal.aborted) return false
        this.stats.pushFailures++
        this.deps.log.info({ err, object, peer: peer.peerId }, 'a node did not take hot copies; trying the next')
      }
    }
    if (targets.length === 0) return false
    const accepted = await this.publish(object, mine.map(b => ({ cid: b.cid, size: b.size, nodes: targets.map(t => t.peerId) })), 'hot', targets, signal)
    if (accepted.length === 0) return false
    this.stats.spread++
    this.deps.log.info({ object, nodes: accepted, blocks: mine.length, bytes }, 'a hot object was copied to more nodes')
    return true
  }

  private async renew (own: HotCopyRecord, signal: AbortSignal): Promise<void> {
    const holders = [...new Set(own.blocks.flatMap(b => b.nodes))]
    const peers = await this.peerUrls(holders)
    await this.publish(own.object.toString(), own.blocks, 'hot', peers, signal)
    this.stats.renewed++
  }

  private async drop (object: string, signal: AbortSignal): Promise<void> {
    const own = this.get().store.ownRecord(object)
    if (own === undefined) return
    const peers = await this.peerUrls([...new Set(own.blocks.flatMap(b => b.nodes))])
    await this.publish(object, own.blocks, 'cold', peers, signal)
    this.stats.dropped++
    this.deps.log.info({ object }, 'a hot object is cold again: its extra copies are dropped')
  }

  /**
   * Signs the next version, sends it to `to` and keeps it as this node's record. Nodes that
   * refuse a hot record are left out of a re-signed version; returns the nodes that took it.
   */
  private async publish (object: string, blocks: HotCopyRecord['blocks'], state: 'hot' | 'cold', to: Array<{ peerId: string, url: string }>, signal: AbortSignal): Promise<string[]> {
    const s = this.get()
    let record = await this.sign(object, blocks, state)
    let bytes = encodeHotCopyRecord(record)
    const accepted: string[] = []
    await Promise.all(to.map(async peer => {
      try {
        await nodeClient(peer).putHotCopy(object, bytes, { signal, timeoutMs: PUSH_TIMEOUT_MS })
        accepted.push(peer.peerId)
      } catch (err) {
        this.stats.pushFailures++
        this.deps.log.info({ err, object, peer: peer.peerId }, 'a node refused a hot-copy record')
      }
    }))
    if (state === 'hot' && accepted.length < to.length && accepted.length > 0) {
      const kept = new Set(accepted)
      record = await this.sign(object, blocks.map(b => ({ ...b, nodes: b.nodes.filter(n => kept.has(n)) })), state)
      bytes = encodeHotCopyRecord(record)
      await Promise.all(to.filter(p => kept.has(p.peerId)).map(async peer => { await nodeClient(peer).putHotCopy(object, bytes, { signal, timeoutMs: PUSH_TIMEOUT_MS }).catch(() => {}) }))
    }
    if (state === 'cold' || accepted.length > 0) s.store.publish(record, bytes)
    return accepted
  }

  private async sign (object: string, blocks: HotCopyRecord['blocks'], state: 'hot' | 'cold'): Promise<HotCopyRecord> {
    const s = this.get()
    const now = Date.now()
    const unsigned: UnsignedHotCopyRecord = {
      v: 1,
      object: parseCid(object),
      version: (s.store.ownRecord(object)?.version ?? 0) + 1,
      time: now,
      expires: now + this.deps.config.ttlMs,
      state,
      blocks
    }
    return await signHotCopyRecord(unsigned, s.privateKey.publicKey.raw, async p => await s.privateKey.sign(p))
  }

  private async peerUrls (ids: string[]): Promise<Array<{ peerId: string, url: string }>> {
    const known = new Map((await this.deps.peers()).map(p => [p.peerId, p.http]))
    return ids.flatMap(id => { const url = known.get(id); return url === undefined || url === '' ? [] : [{ peerId: id, url }] })
  }

  /** `GET` and `PUT /api/v1/objects/<cid>/hot` (docs/openapi.yaml). */
  routes (): (app: FastifyInstance) => void {
    return app => {
      app.get<{ Params: { cid: string } }>('/api/v1/objects/:cid/hot', async (req, reply) => {
        const cid = parseCid(req.params.cid)
        return await reply.header('cache-control', 'no-cache').send({ records: this.store.recordsFor(cid.toString()).map(b => Buffer.from(b).toString('base64')) })
      })
      app.put<{ Params: { cid: string }, Body: Buffer }>('/api/v1/objects/:cid/hot', { bodyLimit: MAX_HOT_COPY_BYTES }, async (req, reply) => {
        const cid = parseCid(req.params.cid)
        const refuse = async (err: P2pdvError): Promise<unknown> => await reply.code(httpStatusOf(err.code)).type('application/json').send(err.toJSON())
        if (!Buffer.isBuffer(req.body)) return await refuse(new P2pdvError('ERR_BAD_CONTENT_TYPE', 'send the record as application/vnd.ipld.dag-cbor'))
        const body = new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength)
        if (decodeHotCopyRecord(body).object.toString() !== cid.toString()) return await refuse(new P2pdvError('ERR_PLACEMENT_WRONG_OBJECT', 'the record is for another object than the URL names'))
        const result = await this.store.put(body)
        return await reply.code(result.stored ? 201 : 200).send(result)
      })
    }
  }

  private get (): Started {
    if (this.started === undefined) throw notStarted(this.name)
    return this.started
  }
}

/** Receipts of nodes whose peer id is not an Ed25519 one are checked with the libp2p key. */
const receipts = new ReceiptVerifier({
  fallback: async peerId => {
    const key = peerIdFromString(peerId).publicKey
    return key === undefined ? null : async (payload, sig) => { try { return await key.verify(payload, sig) } catch { return false } }
  }
})

function nodeClient (peer: { peerId: string, url: string }): NodeClient {
  return new NodeClient(peer.url, { peerId: peer.peerId, receipts, timeoutMs: PUSH_TIMEOUT_MS })
}

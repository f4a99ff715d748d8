/**
 * Pushes blocks to `replicas` distinct nodes each. Every node has a lane (a bounded queue drained in
 * batches over one store-protocol stream), so a slow node only slows its own lane and writers get
 * back-pressure instead of unbounded memory. Homes come from rendezvous hashing; when a node
 * refuses or fails, its blocks move to the next node in each block's order, so the upload goes on
 * while enough nodes remain. A block is done when `replicas` nodes have returned a verified,
 * signed receipt for it.
 */
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { StoreRefusal } from '@p2pdv/core/wire'
import type { PeerInfo } from './peers.ts'
import { weightedOrder } from '@p2pdv/core/placement'

export const PutErrorCode = {
  NOT_ENOUGH_NODES: 'ERR_NOT_ENOUGH_NODES',
  /** The nodes reported too little free space for the object (checked before uploading). */
  NOT_ENOUGH_SPACE: 'ERR_NOT_ENOUGH_SPACE'
} as const

export const DEFAULT_REPLICAS = 3
export const LANE_CAPACITY = 16
export const LANE_BATCH = 8

export interface StoreReceipt {
  peer: string
  cid: string
  size: number
  time: number
}

/** Sends a batch of blocks to one node; resolves with one verified receipt per block. */
export type StoreBatch = (peer: PeerInfo, blocks: Array<{ cid: CID, bytes: Uint8Array }>, signal?: AbortSignal) => Promise<StoreReceipt[]>

/**
 * Where one block goes, when not the default (`replicas` copies in rendezvous order of its CID):
 * an erasure stripe gives each of its blocks one copy, the stripe's node order, and a shared
 * `group` of nodes already used by the stripe, so its blocks land on distinct nodes even when
 * some are rerouted after a failure.
 */
export interface BlockPlacementPlan {
  order: PeerInfo[]
  replicas: number
  group?: Set<string>
  /**
   * Called once every replica has its receipt, when no request holds the bytes any more (the
   * sealer recycles the buffer). Not called if the block fails: a failed request may still be
   * unwinding.
   */
  release?: () => void
}

interface Pending {
  cid: CID
  bytes: Uint8Array
  order: PeerInfo[]
  replicas: number
  group: Set<string> | undefined
  /** Index into `order` of the next candidate not yet asked. */
  next: number
  /** Nodes asked to hold it (each at most once). */
  asked: Set<string>
  inFlight: number
  receipts: StoreReceipt[]
  release: (() => void) | undefined
  done: () => void
  fail: (err: unknown) => void
}

class Lane {
  readonly peer: PeerInfo
  items: Pending[] = []
  dead = false
  private waiters: Array<() => void> = []
  private spaceWaiters: Array<() => void> = []

  constructor (peer: PeerInfo) { this.peer = peer }

  async push (p: Pending): Promise<void> {
    while (this.items.length >= LANE_CAPACITY && !this.dead) await new Promise<void>(resolve => this.spaceWaiters.push(resolve))
    this.items.push(p)
    this.wake()
  }

  /** Pushes without waiting for space (used for failover, which must never deadlock). */
  pushNow (p: Pending): void {
    this.items.push(p)
    this.wake()
  }

  async take (max: number, isClosed: () => boolean): Promise<Pending[]> {
    while (this.items.length === 0 && !isClosed() && !this.dead) await new Promise<void>(resolve => this.waiters.push(resolve))
    const batch = this.items.splice(0, max)
    const space = this.spaceWaiters
    this.spaceWaiters = []
    for (const w of space) w()
    return batch
  }

  wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  wakeAll (): void {
    this.wake()
    const s = this.spaceWaiters
    this.spaceWaiters = []
    for (const f of s) f()
  }
}

export interface ReplicatedWriterOptions {
  replicas?: number
  /**
   * A degraded write (`--allow-degraded`): when a block's order runs out of nodes, it goes to any
   * live node that does not hold it yet (even one its stripe already uses), and a copy no node is
   * left for is dropped as long as the block has another. Off, a block gets all its copies on
   * distinct nodes or the put fails.
   */
  degraded?: boolean
  signal?: AbortSignal
  onStored?: (bytes: number) => void
  onNodeFailed?: (peer: PeerInfo, err: unknown) => void
}

export class ReplicatedWriter {
  private readonly peers: PeerInfo[]
  private readonly lanes = new Map<string, Lane>()
  private readonly store: StoreBatch
  readonly replicas: number
  private readonly opts: ReplicatedWriterOptions
  private closed = false
  private readonly outstanding = new Set<Promise<void>>()
  private readonly workers: Array<Promise<void>> = []
  readonly receipts: StoreReceipt[] = []
  private firstError: unknown
  /** The latest node failure or refusal, named when a block runs out of nodes. */
  private lastFailure: unknown

  constructor (peers: PeerInfo[], store: StoreBatch, opts: ReplicatedWriterOptions = {}) {
    this.replicas = opts.replicas ?? DEFAULT_REPLICAS
    if (peers.length < this.replicas && (opts.degraded !== true || peers.length === 0)) {
      throw new P2pdvError(PutErrorCode.NOT_ENOUGH_NODES, `${this.replicas} replicas need ${this.replicas} nodes, but only ${peers.length} are known`, {
        hint: `Start more nodes (p2pdv devnet --nodes ${this.replicas}) or lower --replicas.`
      })
    }
    this.peers = peers
    this.store = store
    this.opts = opts
    for (const p of peers) {
      const lane = new Lane(p)
      this.lanes.set(p.peerId, lane)
      this.workers.push(this.runLane(lane), this.runLane(lane))
    }
  }

  /** Queues a block; resolves once it is queued (not stored), applying back-pressure. */
  async write (cid: CID, bytes: Uint8Array, plan?: BlockPlacementPlan): Promise<void> {
    if (this.firstError !== undefined) throw this.firstError
    let done!: () => void
    let fail!: (err: unknown) => void
    const finished = new Promise<void>((resolve, reject) => { done = resolve; fail = reject })
    const p: Pending = {
      cid,
      bytes,
      order: plan?.order ?? weightedOrder(cid.toString(), this.peers),
      replicas: plan?.replicas ?? this.replicas,
      group: plan?.group,
      next: 0,
      asked: new Set(),
      inFlight: 0,
      receipts: [],
      release: plan?.release,
      done,
      fail
    }
    const tracked = finished.then(() => { this.outstanding.delete(tracked) }, err => {
      this.outstanding.delete(tracked)
      this.firstError ??= err
    })
    this.outstanding.add(tracked)
    const homes: Lane[] = []
    while (homes.length < p.replicas) {
      const lane = this.nextLane(p)
      if (lane === undefined) break
      homes.push(lane)
    }
    if (homes.length < p.replicas) {
      if (this.opts.degraded !== true || homes.length === 0) { this.failBlock(p); return }
      // Degraded: as many copies as there are live nodes; the record says the rest are owed.
      p.replicas = homes.length
    }
    p.inFlight = homes.length
    await Promise.all(homes.map(async l => { await l.push(p) }))
  }

  /** Waits until every written block has its replicas (or throws the first failure). */
  async flush (): Promise<StoreReceipt[]> {
    while (this.outstanding.size > 0) await Promise.all([...this.outstanding])
    this.closed = true
    for (const lane of this.lanes.values()) lane.wakeAll()
    await Promise.all(this.workers)
    if (this.firstError !== undefined) throw this.firstError
    return this.receipts
  }

  private nextLane (p: Pending): Lane | undefined {
    while (p.next < p.order.length) {
      const peer = p.order[p.next++] as PeerInfo
      const lane = this.lanes.get(peer.peerId)
      if (lane === undefined || lane.dead || p.group?.has(peer.peerId) === true || p.asked.has(peer.peerId)) continue
      p.group?.add(peer.peerId)
      p.asked.add(peer.peerId)
      return lane
    }
    if (this.opts.degraded !== true) return undefined
    // Degraded: any live node not asked for this block yet, least loaded first.
    const spare = [...this.lanes.values()].filter(l => !l.dead && !p.asked.has(l.peer.peerId)).sort((a, b) => a.items.length - b.items.length)[0]
    if (spare !== undefined) { p.group?.add(spare.peer.peerId); p.asked.add(spare.peer.peerId) }
    return spare
  }

  private failBlock (p: Pending): void {
    const alive = [...this.lanes.values()].filter(l => !l.dead).length
    const last = this.lastFailure instanceof Error ? this.lastFailure : undefined
    const full = last instanceof P2pdvError && last.details?.code === StoreRefusal.QUOTA
    p.fail(new P2pdvError(PutErrorCode.NOT_ENOUGH_NODES, `could not place ${p.replicas} replica(s) of block ${p.cid.toString()}: only ${p.receipts.length} node(s) accepted it and ${alive} node(s) are still reachable${last === undefined ? '' : ` (last failure: ${last.message})`}`, {
      hint: full ? 'The nodes are full: give them more room (p2pdv node start --quota BYTES), start more nodes, or lower --replicas, then run put again.' : 'Start more nodes or lower --replicas, then run put again.',
      details: { cid: p.cid.toString(), stored: p.receipts.length, reachable: alive, ...(last instanceof P2pdvError && typeof last.details?.code === 'string' ? { lastFailure: last.details.code } : {}) }
    }))
  }

  private async runLane (lane: Lane): Promise<void> {
    while (true) {
      const batch = await lane.take(LANE_BATCH, () => this.closed)
      if (batch.length === 0) {
        if (this.closed || lane.dead) return
        continue
      }
      if (lane.dead) { for (const p of batch) this.reroute(p); continue }
      try {
        const receipts = await this.store(lane.peer, batch.map(p => ({ cid: p.cid, bytes: p.bytes })), this.opts.signal)
        batch.forEach((p, i) => {
          const r = receipts[i] as StoreReceipt
          p.receipts.push(r)
          this.receipts.push(r)
          this.opts.onStored?.(p.bytes.byteLength)
          if (--p.inFlight === 0) { p.done(); p.release?.() }
        })
      } catch (err) {
        if (this.opts.signal?.aborted === true) { for (const p of batch) p.fail(err); continue }
        this.lastFailure = err
        if (!lane.dead) {
          lane.dead = true
          this.opts.onNodeFailed?.(lane.peer, err)
          const stranded = lane.items.splice(0)
          lane.wakeAll()
          for (const p of stranded) this.reroute(p)
        }
        for (const p of batch) this.reroute(p)
      }
    }
  }

  /** Moves one replica of `p` to the next live node in its order. */
  private reroute (p: Pending): void {
    const lane = this.nextLane(p)
    if (lane !== undefined) { lane.pushNow(p); return }
    // Degraded: this copy has nowhere to go; the block is kept if another copy is stored or on its way.
    if (this.opts.degraded === true && p.replicas > 1 && p.receipts.length + p.inFlight - 1 > 0) {
      p.replicas--
      if (--p.inFlight === 0) { p.done(); p.release?.() }
      return
    }
    this.failBlock(p)
  }
}

/**
 * The repair worker. Every interval it walks the placement records this node keeps; for each
 * object it is *responsible* for — it is the first holder in the object's rendezvous order that is
 * up and keeps the record (one a push missed is handed it), so exactly one live holder acts and
 * another takes over when that one dies — it asks every listed holder of every block whether it
 * has it (HEAD on its data plane, or its own store), then lets the pure plan (`planRepair`,
 * core/placement/repair-plan.ts) decide: rebuild the blocks of a readable stripe that no holder
 * has (k blocks fetched and verified, the missing ones decoded,
 * checked against their CIDs and stored on nodes chosen by the same weighted rendezvous as
 * uploads, each with a verified signed receipt), copy replicated blocks and the manifest up to
 * their replica count, and publish the next record version only if a holder list changed; then
 * every live holder that lacks the current version is handed it. All repair traffic passes one
 * token bucket (`--repair-rate`), so repair never crowds out reads.
 *
 * Unreachable is not lost. Only a live node that is who it claims and answers 404 or the wrong
 * size is `absent`; a node that is down, refused the connection, timed out twice or cannot be
 * found is `unknown`, and it stays listed (rebuilt copies go beside it). A stripe with fewer than
 * k blocks present is left exactly as it is — no new version — and logged once as at risk, so a
 * long outage costs nothing once the nodes come back. A timed-out probe is retried once with a
 * longer timeout; a holder whose address this node cannot find counts as slow for
 * UNRESOLVED_GRACE_MS (it may have joined through another bootstrap peer), then as down: neither
 * ever removes it from a record.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import { reconstructStripe } from '@p2pdv/core/erasure'
import { httpUrlFromMultiaddr } from '@p2pdv/core'
import { NodeClient, NodeClientErrorCode, ReceiptVerifier } from '@p2pdv/node-client'
import {
  blockKey, comparePlacement, decodePlacementRecord, encodePlacementRecord, nextPlacementRecord, PlacementErrorCode, placementBlocks,
  planRepair, signPlacementRecord, targetReplicas, weightedOrder,
  type BlockPlacement, type DeferReason, type Observation, type PlacementCandidate, type PlacementRecord, type RepairAction, type RepairPlan, type UnsignedPlacementRecord
} from '@p2pdv/core/placement'
import { GarbageCollector, type GcStats } from './gc.ts'
import { FAILURES_BEFORE_RESTART } from './components/supervisor.ts'
import { PeriodicTask } from './periodic-task.ts'
import type { NodeMetrics } from './metrics.ts'
import { PlacementStoreErrorCode, type PlacementStore } from './placement-store.ts'
import { ListedPeers } from './listed-peers.ts'
import { RateLimiter } from './rate-limiter.ts'
import type { VerifiedBlockstore } from './verified-blockstore.ts'

export const REPAIR_REQUEST_TIMEOUT_MS = 10_000
const PROBE_TIMEOUT_MS = 2_000
/** The second, last try of a probe that timed out. */
export const PROBE_RETRY_TIMEOUT_MS = 15_000
/** How long a holder nobody can find an address for counts as slow before it counts as down. */
export const UNRESOLVED_GRACE_MS = 10 * 60_000

/** A node's answers to a placement record PUT that mean it will not keep the record at all. */
const WONT_KEEP = new Set<string>([PlacementStoreErrorCode.NOT_RESPONSIBLE, PlacementStoreErrorCode.NOT_A_HOLDER])

/** Whether a node is up: `slow` = its status probe timed out twice. */
type Liveness = 'up' | 'down' | 'slow'
/**
 * Whether a holder has a block: `no` only from its own store or a live node that is who it claims
 * (404, wrong size); `unknown` when it is down, unreachable, timed out twice or cannot be found.
 */
type Presence = 'yes' | 'no' | 'unknown'
/** Blocks whose holders are asked at once. */
const OBSERVE_CONCURRENCY = 8
/** How often the peer lists of other nodes are read again for placement candidates. */
export const PEER_LIST_REFRESH_MS = 60_000
/** Nodes whose peer lists are read per refresh. */
const PEER_LIST_SOURCES = 4
/** Listed peers probed as candidates per pass, at most. */
const MAX_LISTED_CANDIDATES = 64
/**
 * How long a holder's answer that it keeps a record version is believed: a node restarted on a new
 * disk between two passes keeps nothing, and is asked again at the latest this much later.
 */
const KEEPS_RECORD_RECHECK_MS = 10 * 60_000
/** How old other nodes' peer lists may be when a repair has fewer targets than blocks to place. */
const SHORT_OF_TARGETS_REFRESH_MS = 5_000

/** A copy or rebuild the plan found fewer target nodes for than it has blocks to place. */
function short (a: RepairAction): boolean {
  return (a.type === 'copy' && a.targets.length < a.count) || (a.type === 'rebuild' && a.targets.length < a.missing.length)
}

export interface RepairDeps {
  /** Runs before each pass; a throw fails the pass (the `fail-repair` test fault). */
  beforePass?: () => void
  peerId: string
  privateKey: PrivateKey
  selfUrl: () => string
  zone?: string
  blockstore: VerifiedBlockstore
  placements: PlacementStore
  libp2p: () => Libp2p | undefined
  auditor?: string
  intervalMs: number
  rateBytes: number
  /** Delete blocks assigned elsewhere for this long (gc.ts); undefined = never. */
  gcGraceMs?: number
  /** The `authorization` header (an upload grant signed by this node) for PUTs to a peer (node-grants.ts). */
  grantFor?: (peerId: string) => Promise<string>
  metrics: NodeMetrics
  log: Logger
}

export interface RepairStats {
  enabled: boolean
  passes: number
  lastPassAt?: number
  objectsChecked: number
  blocksRepaired: number
  bytesMoved: number
  /** Stripes (or replicated blocks) now known lost: every other holder said it lost them. */
  unrecoverable: number
  /** Stripes (or replicated blocks) now with fewer blocks reachable than needed, waiting for holders. */
  atRisk: number
  /** Stripes and replicated blocks left for a later pass (counted each pass). */
  deferred: number
  /** Repair actions (block copies, stripe rebuilds, deferred groups) the last full pass found. */
  backlog: number
  /** Probes that timed out the first time (each was retried once). */
  probeTimeouts: number
  /** Placement records handed to a holder that lacked the current version (`keepsRecord`). */
  recordsHandedOver: number
  /** Garbage collection of blocks repair moved away (absent when off). */
  gc?: GcStats
}

interface Peer extends PlacementCandidate { url: string }

export class RepairWorker {
  private readonly deps: RepairDeps
  private readonly limiter: RateLimiter
  /** Runs `pass` every interval, never two at once (periodic-task.ts). */
  private readonly task: PeriodicTask
  private readonly controller = new AbortController()
  readonly stats: RepairStats = { enabled: true, passes: 0, objectsChecked: 0, blocksRepaired: 0, bytesMoved: 0, unrecoverable: 0, atRisk: 0, deferred: 0, backlog: 0, probeTimeouts: 0, recordsHandedOver: 0 }

  private readonly gc: GarbageCollector | undefined
  /** Groups (`object/stripe`) the plan leaves alone, and why: logged once, not every pass. */
  private readonly atRisk = new Map<string, DeferReason>()
  /** Actions found so far in the running pass (stats.backlog once the pass ends). */
  private passBacklog = 0
  /** Holders this node could not find an address for, since when (cleared once found). */
  private readonly unresolvedSince = new Map<string, number>()
  /** Placement candidates other nodes list and the peer store lacks (listed-peers.ts). */
  private readonly listed: ListedPeers
  /** Per object: which holders keep (true) or refuse (false) the record's version (`keepsRecord`). */
  private readonly handedOver = new Map<string, { version: string, peers: Map<string, { keeps: boolean, at: number }> }>()

  constructor (deps: RepairDeps) {
    this.deps = deps
    this.limiter = new RateLimiter(deps.rateBytes)
    this.listed = new ListedPeers({
      self: deps.peerId,
      fetchList: async (p, signal) => await new NodeClient(p.url, { timeoutMs: PROBE_TIMEOUT_MS }).peers({ signal }),
      refreshMs: PEER_LIST_REFRESH_MS,
      sources: PEER_LIST_SOURCES,
      max: MAX_LISTED_CANDIDATES
    })
    this.task = new PeriodicTask(async () => { await this.pass() }, {
      name: 'repair',
      intervalMs: deps.intervalMs,
      onError: err => { this.deps.log.error({ err }, 'repair pass failed') }
    })
    if (deps.gcGraceMs !== undefined) {
      this.gc = new GarbageCollector({
        peerId: deps.peerId,
        graceMs: deps.gcGraceMs,
        records: () => deps.placements.list(),
        has: async cid => await deps.blockstore.has(cid),
        delete: async cid => { await deps.blockstore.delete(cid) }
      })
      this.stats.gc = this.gc.stats
    }
  }

  start (): void {
    this.task.start()
  }

  /** Its last FAILURES_BEFORE_RESTART scheduled passes all threw: the supervisor makes a new worker. */
  get failing (): boolean {
    return this.task.consecutiveFailures >= FAILURES_BEFORE_RESTART
  }

  /** Aborts a running pass and returns once it has ended. */
  async stop (): Promise<void> {
    this.controller.abort()
    await this.task.stop()
  }

  /** One scan of every object this node keeps a record for. */
  async pass (): Promise<void> {
    this.deps.beforePass?.()
    const signal = this.controller.signal
    const peers = await this.knownPeers(signal)
    const alive = new Map<string, Liveness>()
    const checked = new Set<string>()
    this.passBacklog = 0
    for (const record of this.deps.placements.list()) {
      if (signal.aborted) return
      try {
        if (!await this.responsible(record, peers, alive, signal)) continue
        this.stats.objectsChecked++
        checked.add(record.object.toString())
        await this.repairObject(record, peers, alive, signal)
        await this.shareRecord(record.object.toString(), peers, alive, signal)
      } catch (err) {
        if (!signal.aborted) this.deps.log.warn({ err, object: record.object.toString() }, 'repair of an object failed; retrying next pass')
      }
    }
    // Objects another holder now repairs are its to report.
    for (const key of this.atRisk.keys()) if (!checked.has(key.slice(0, key.indexOf('/')))) this.atRisk.delete(key)
    for (const object of this.handedOver.keys()) if (this.deps.placements.get(object) === undefined) this.handedOver.delete(object)
    this.stats.atRisk = [...this.atRisk.values()].filter(r => r !== 'lost').length
    this.stats.unrecoverable = [...this.atRisk.values()].filter(r => r === 'lost').length
    this.stats.backlog = this.passBacklog
    if (this.gc !== undefined && !signal.aborted) {
      const deleted = await this.gc.pass(async (block, id) => await this.holds(block, id, peers, alive, signal), signal)
      if (deleted.length > 0) this.deps.log.info({ blocks: deleted.length }, 'deleted blocks that placement records assign to other nodes, which confirmed their copies')
    }
    this.stats.passes++
    this.stats.lastPassAt = Date.now()
  }

  /** Peers with an HTTP data plane this node knows (peer store, DHT), itself included. */
  private async knownPeers (signal: AbortSignal): Promise<Map<string, Peer>> {
    const out = new Map<string, Peer>()
    out.set(this.deps.peerId, { peerId: this.deps.peerId, url: this.deps.selfUrl(), ...(this.deps.zone === undefined ? {} : { zone: this.deps.zone }) })
    const libp2p = this.deps.libp2p()
    if (libp2p !== undefined) {
      for (const p of await libp2p.peerStore.all({ signal })) {
        const url = p.addresses.map(a => httpUrlFromMultiaddr(a.multiaddr.toString())).find(u => u !== undefined)
        if (url !== undefined) out.set(p.id.toString(), { peerId: p.id.toString(), url })
      }
    }
    return out
  }

  private async resolve (peerId: string, peers: Map<string, Peer>, signal: AbortSignal): Promise<Peer | undefined> {
    const known = peers.get(peerId)
    if (known !== undefined) return known
    const libp2p = this.deps.libp2p()
    if (libp2p === undefined) return undefined
    try {
      const info = await libp2p.peerRouting.findPeer(peerIdFromString(peerId), { signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS * 2)]) })
      const url = info.multiaddrs.map(a => httpUrlFromMultiaddr(a.toString())).find(u => u !== undefined)
      if (url === undefined) return undefined
      const peer = { peerId, url }
      peers.set(peerId, peer)
      return peer
    } catch {
      return undefined
    }
  }

  /**
   * Runs a probe with PROBE_TIMEOUT_MS and, if that timed out, once more with
   * PROBE_RETRY_TIMEOUT_MS; 'timeout' only when both did.
   */
  private async twice<T> (probe: (timeout: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T | 'timeout'> {
    for (const ms of [PROBE_TIMEOUT_MS, PROBE_RETRY_TIMEOUT_MS]) {
      const timeout = AbortSignal.timeout(ms)
      try {
        return await probe(AbortSignal.any([signal, timeout]))
      } catch (err) {
        if (signal.aborted) throw err
        if (!timeout.aborted) throw err
        if (ms === PROBE_TIMEOUT_MS) this.stats.probeTimeouts++
      }
    }
    return 'timeout'
  }

  /** A holder's address and state; one without a known address is slow for a grace period, then down. */
  private async locate (peerId: string, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<{ peer?: Peer, state: Liveness }> {
    // Looked up in vain earlier this pass: a holder that stays listed while gone must not cost a
    // DHT lookup per block it is listed for.
    const missed = alive.get(peerId)
    if (!peers.has(peerId) && missed !== undefined) return { state: missed }
    const peer = await this.resolve(peerId, peers, signal)
    if (peer !== undefined) {
      this.unresolvedSince.delete(peerId)
      return { peer, state: await this.liveness(peer, alive, signal) }
    }
    const now = Date.now()
    const since = this.unresolvedSince.get(peerId) ?? now
    this.unresolvedSince.set(peerId, since)
    const state = now - since < UNRESOLVED_GRACE_MS ? 'slow' : 'down'
    alive.set(peerId, state)
    return { state }
  }

  private async liveness (peer: Peer, alive: Map<string, Liveness>, signal: AbortSignal): Promise<Liveness> {
    if (peer.peerId === this.deps.peerId) return 'up'
    const known = alive.get(peer.peerId)
    if (known !== undefined) return known
    let state: Liveness
    try {
      const r = await this.twice(async s => {
        const status = await nodeClient(peer).status({ signal: s, timeoutMs: PROBE_BACKSTOP_MS })
        if (status.zone !== undefined) peer.zone = status.zone
        if (status.freeBytes !== undefined) peer.freeBytes = status.freeBytes
        return status.peerId === peer.peerId
      }, signal)
      state = r === 'timeout' ? 'slow' : r ? 'up' : 'down'
    } catch (err) {
      if (signal.aborted) throw err
      state = 'down' // refused, reset, not our peer
    }
    alive.set(peer.peerId, state)
    return state
  }

  /** Up and answering: a node to act through, place on, or defer to. */
  private async isAlive (peer: Peer, alive: Map<string, Liveness>, signal: AbortSignal): Promise<boolean> {
    return await this.liveness(peer, alive, signal) === 'up'
  }

  /**
   * The first reachable holder in the object's rendezvous order that keeps the record repairs it.
   * A holder ahead of this node that lacks the record (a push to it failed) would otherwise be
   * deferred to for ever while it repairs nothing: it is handed this node's record first, and a
   * holder that refuses to keep it (it lost every block it is listed for) is passed over.
   */
  private async responsible (record: PlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<boolean> {
    const holders = [...new Set([record.manifest, ...record.stripes.flatMap(s => s.blocks)].flatMap(b => b.nodes))]
    const order = weightedOrder(record.object.toString(), holders.map(peerId => ({ peerId })))
    for (const h of order) {
      if (h.peerId === this.deps.peerId) return true
      const { peer, state } = await this.locate(h.peerId, peers, alive, signal)
      if (state !== 'up' || peer === undefined) {
        // It may come back without its records (a new disk): ask it again then.
        this.handedOver.get(record.object.toString())?.peers.delete(h.peerId)
        continue
      }
      if (await this.keepsRecord(record, peer, signal)) return false
    }
    return false
  }

  /**
   * Whether `peer` keeps this version of the record or a later one (which this node then keeps
   * too, if its store accepts it), handing it this node's copy when it has none or an older one.
   * Remembered per object until the version changes, the peer is seen down, or
   * KEEPS_RECORD_RECHECK_MS passes, so a settled object costs no request per pass. A peer that does
   * not answer is assumed to keep it (not remembered): two repairers at once is worse than one pass
   * of waiting.
   */
  private async keepsRecord (record: PlacementRecord, peer: Peer, signal: AbortSignal): Promise<boolean> {
    const object = record.object.toString()
    const version = `${record.version} ${Buffer.from(record.sig).toString('base64')}`
    let known = this.handedOver.get(object)
    if (known?.version !== version) this.handedOver.set(object, known = { version, peers: new Map() })
    const keptBefore = known.peers.get(peer.peerId)
    if (keptBefore !== undefined && Date.now() - keptBefore.at < KEEPS_RECORD_RECHECK_MS) return keptBefore.keeps
    const client = new NodeClient(peer.url, { peerId: peer.peerId, timeoutMs: PROBE_TIMEOUT_MS * 2 })
    let keeps: boolean
    try {
      const theirs = await this.heldBy(client, record, signal)
      const order = theirs === undefined ? -1 : comparePlacement(theirs.record, record)
      // A newer version counts only once this node's store has checked and kept it: a holder that
      // claims a version it cannot show signed would otherwise be deferred to for ever.
      keeps = order === 0 || (order > 0 ? await this.adopt(record, theirs!.bytes) : await this.handOver(client, record, signal))
    } catch (err) {
      if (signal.aborted) throw err
      return true
    }
    known.peers.set(peer.peerId, { keeps, at: Date.now() })
    return keeps
  }

  /** Keeps a newer version a peer showed, if this node's store accepts it (signature, lineage). */
  private async adopt (record: PlacementRecord, bytes: Uint8Array): Promise<boolean> {
    try {
      await this.deps.placements.put(record.object, bytes)
      return true
    } catch (err) {
      this.deps.log.warn({ err, object: record.object.toString() }, 'a holder showed a placement record this node does not accept; it is passed over for repair')
      return false
    }
  }

  /**
   * After its repair, the responsible holder makes sure every live holder keeps the current
   * version: a holder a push missed would repair from an old record, and would collect the blocks
   * no record of its own lists as unclaimed (unclaimed.ts).
   */
  private async shareRecord (object: string, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<void> {
    const record = this.deps.placements.get(object)
    if (record === undefined) return
    const holders = [...new Set(placementBlocks(record).flatMap(b => b.block.nodes))].filter(id => id !== this.deps.peerId)
    await Promise.all(holders.map(async id => {
      const { peer, state } = await this.locate(id, peers, alive, signal)
      if (peer !== undefined && state === 'up') await this.keepsRecord(record, peer, signal)
    }))
  }

  /** The version of the record a peer keeps; undefined when it keeps none (404). */
  private async heldBy (client: NodeClient, record: PlacementRecord, signal: AbortSignal): Promise<{ record: PlacementRecord, bytes: Uint8Array } | undefined> {
    try {
      const bytes = await client.placement(record.object, { signal })
      const theirs = decodePlacementRecord(bytes)
      if (!theirs.object.equals(record.object)) throw new Error('the peer answered with the record of another object')
      return { record: theirs, bytes }
    } catch (err) {
      if ((err as { code?: unknown }).code === NodeClientErrorCode.NOT_FOUND) return undefined
      throw err
    }
  }

  /**
   * Sends the record; false only when the peer will not keep it (it holds none of its blocks, or
   * does not take this node as a signer it trusts). Anything else (busy, a timeout) throws.
   */
  private async handOver (client: NodeClient, record: PlacementRecord, signal: AbortSignal): Promise<boolean> {
    try {
      await client.putPlacement(record.object, encodePlacementRecord(record), { signal })
      this.stats.recordsHandedOver++
      this.deps.log.info({ object: record.object.toString(), peer: client.peerId, version: record.version }, 'handed the placement record to the holder that repairs the object')
      return true
    } catch (err) {
      const { code, details } = err as { code?: unknown, details?: { code?: unknown } }
      if (code === NodeClientErrorCode.REFUSED && WONT_KEEP.has(String(details?.code))) return false
      throw err
    }
  }

  private async holds (block: BlockPlacement, peerId: string, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<Presence> {
    if (peerId === this.deps.peerId) return await this.deps.blockstore.has(block.cid) ? 'yes' : 'no'
    const { peer, state } = await this.locate(peerId, peers, alive, signal)
    // Down or not found is not an answer: the node may come back with the block.
    if (peer === undefined || state !== 'up') return 'unknown'
    try {
      const r = await this.twice(async s => {
        // Busy or failing (any other status) throws: no statement about the block.
        const size = await nodeClient(peer).hasBlock(block.cid, { signal: s, timeoutMs: PROBE_BACKSTOP_MS })
        return size === block.size ? 'yes' : 'no'
      }, signal)
      return r === 'timeout' ? 'unknown' : r
    } catch (err) {
      if (signal.aborted) throw err
      return 'unknown' // it went away between its status and this probe
    }
  }

  private async fetchBlock (block: BlockPlacement, holders: string[], peers: Map<string, Peer>, signal: AbortSignal): Promise<Uint8Array | undefined> {
    // Its own copy first: free, and it spares the holders.
    for (const id of [...holders].sort((a, b) => Number(b === this.deps.peerId) - Number(a === this.deps.peerId))) {
      try {
        if (id === this.deps.peerId) return await this.deps.blockstore.getVerified(block.cid)
        const peer = peers.get(id)
        if (peer === undefined) continue
        await this.limiter.take(block.size, signal)
        // Checked against the CID by the client.
        const bytes = await nodeClient(peer).getBlock(block.cid, { signal })
        if (bytes.byteLength !== block.size) continue
        this.deps.metrics.repairBytes.inc({ direction: 'in' }, bytes.byteLength)
        this.stats.bytesMoved += bytes.byteLength
        return bytes
      } catch (err) {
        if (signal.aborted) throw err
      }
    }
    return undefined
  }

  /** Stores a block on the first node of `order` that accepts it with a valid receipt. */
  private async place (cid: CID, bytes: Uint8Array, order: Peer[], signal: AbortSignal): Promise<Peer | undefined> {
    const refused: string[] = []
    while (order.length > 0) {
      const peer = order.shift()!
      try {
        if (peer.peerId === this.deps.peerId) {
          await this.deps.blockstore.put(cid, bytes)
          return peer
        }
        await this.limiter.take(bytes.byteLength, signal)
        // The receipt is checked (peer, CID, size, signature) by the client; any failure tries the next node.
        await nodeClient(peer).putBlock(cid, bytes, { signal, ...(this.deps.grantFor === undefined ? {} : { authorization: await this.deps.grantFor(peer.peerId) }) })
        this.deps.metrics.repairBytes.inc({ direction: 'out' }, bytes.byteLength)
        this.stats.bytesMoved += bytes.byteLength
        return peer
      } catch (err) {
        if (signal.aborted) throw err
        refused.push(`${peer.peerId.slice(-8)}: ${(err as { code?: string }).code ?? (err as Error).message?.slice(0, 80) ?? 'error'}`)
      }
    }
    // Said at warn: a block no target takes stays in the backlog pass after pass, and without this
    // line nothing tells an operator why.
    if (refused.length > 0) this.deps.log.warn({ block: cid.toString(), refused }, 'no target took the repaired block; trying again next pass')
    return undefined
  }

  private async candidates (peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal, listedMaxAgeMs = PEER_LIST_REFRESH_MS): Promise<Peer[]> {
    const list: Peer[] = []
    for (const p of peers.values()) if (await this.isAlive(p, alive, signal)) list.push(p)
    // Listed peers get a liveness map of their own: a listed URL's answer says nothing about the
    // peer id's real address, which observations go on probing through `alive`.
    const listedAlive = new Map<string, Liveness>()
    const live = [...peers.values()].filter(p => alive.get(p.peerId) === 'up')
    for (const p of (await this.listed.refresh(live, peers, signal, listedMaxAgeMs)).values()) {
      if (!peers.has(p.peerId) && await this.isAlive(p, listedAlive, signal)) list.push(p)
    }
    if (this.deps.auditor !== undefined) {
      try {
        const scores = await new NodeClient(this.deps.auditor, { timeoutMs: PROBE_TIMEOUT_MS }).reputation({ signal })
        for (const p of list) { const s = scores.get(p.peerId); if (s !== undefined) p.score = s }
      } catch {
        // No reputation: every node is neutral.
      }
    }
    return list
  }

  /** Copies a replicated block (or the manifest) wants, by the record's scheme. */
  private wantedReplicas (record: PlacementRecord): number {
    return targetReplicas(record.scheme)
  }

  /** What every listed holder of every block of the record says (see `Observation`). */
  private async observe (record: PlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<Map<string, Map<string, Observation>>> {
    const out = new Map<string, Map<string, Observation>>()
    const jobs = placementBlocks(record)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const { block, stripe, index } = jobs[next++]!
        const seen = new Map<string, Observation>()
        for (const id of block.nodes) {
          const p = await this.holds(block, id, peers, alive, signal)
          seen.set(id, p === 'yes' ? 'present' : p === 'no' ? 'absent' : 'unknown')
        }
        out.set(blockKey({ stripe, index }), seen)
      }
    }
    await Promise.all(Array.from({ length: Math.min(OBSERVE_CONCURRENCY, jobs.length) }, worker))
    return out
  }

  /**
   * Groups the plan left alone (fewer blocks present than needed): logged when they become so
   * and when they recover, not every pass.
   */
  private noteDeferred (object: string, plan: RepairPlan): void {
    const now = new Map<string, DeferReason>()
    for (const a of plan.actions) {
      if (a.type !== 'defer') continue
      this.stats.deferred++
      const key = `${object}/${a.stripe < 0 ? 'manifest' : a.stripe}`
      now.set(key, a.reason)
      if (this.atRisk.get(key) === a.reason) continue
      if (a.reason === 'lost') {
        this.deps.metrics.unrecoverableStripes.inc()
        this.deps.log.error({ object, stripe: a.stripe, present: a.present, need: a.need }, 'every other holder of these blocks says it lost them: the stripe cannot be read; its record is kept as it is')
      } else if (a.reason === 'at-risk') {
        this.deps.log.warn({ object, stripe: a.stripe, present: a.present, need: a.need }, 'too few blocks reachable to rebuild; holders that did not answer stay listed, repair waits for them')
      } else {
        this.deps.log.warn({ object, stripe: a.stripe }, 'a block lists as many holders as a record may; no copy added')
      }
    }
    for (const key of this.atRisk.keys()) {
      if (!key.startsWith(`${object}/`) || now.has(key)) continue
      this.atRisk.delete(key)
      this.deps.log.info({ object, group: key.slice(object.length + 1) }, 'enough blocks reachable again')
    }
    for (const [key, reason] of now) this.atRisk.set(key, reason)
  }

  /**
   * Observe, plan (core/placement/repair-plan.ts), act, then publish the record the plan gives for
   * what actually succeeded — if it changed, and if no newer version has appeared meanwhile.
   */
  private async repairObject (record: PlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<void> {
    const object = record.object.toString()
    const observations = await this.observe(record, peers, alive, signal)
    const params = { replicas: this.wantedReplicas(record), now: Date.now() }
    let plan = planRepair(record, observations, [], params)
    this.passBacklog += plan.actions.length
    this.noteDeferred(object, plan)
    if (plan.actions.some(a => a.type !== 'defer')) {
      const zones = new Map([...peers.values()].flatMap(p => p.zone === undefined ? [] : [[p.peerId, p.zone] as const]))
      plan = planRepair(record, observations, await this.candidates(peers, alive, signal), { ...params, zones })
      // Nowhere to put a block: the nodes this one knows may be too few; ask other nodes' lists now.
      if (plan.actions.some(short)) plan = planRepair(record, observations, await this.candidates(peers, alive, signal, SHORT_OF_TARGETS_REFRESH_MS), { ...params, zones })
    }
    const placed = new Map<string, string[]>()
    for (const action of plan.actions) {
      if (action.type === 'copy') await this.copy(action, peers, placed, signal)
      else if (action.type === 'rebuild') await this.rebuildStripe(record, action, peers, placed, signal)
    }
    const next = nextPlacementRecord(record, observations, placed, Date.now())
    if (next === undefined) return
    await this.publish(record, next, peers, alive, signal)
  }

  /**
   * Writes the next version, unless a newer one exists: the one this node now keeps (it arrived
   * during the pass) or one a live holder keeps, which this node adopts instead. Either way the
   * next pass plans from the newest record; two repairers never race one version forward.
   */
  private async publish (record: PlacementRecord, unsigned: UnsignedPlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<void> {
    const object = record.object.toString()
    const superseded = (): boolean => {
      const held = this.deps.placements.get(object)
      return held !== undefined && comparePlacement(held, record) !== 0
    }
    if (superseded() || await this.adoptNewer(record, peers, alive, signal)) {
      this.deps.log.debug({ object, version: record.version }, 'a newer placement record appeared while repairing; replanning from it next pass')
      return
    }
    const next = await signPlacementRecord(unsigned, this.deps.privateKey.publicKey.raw, async p => await this.deps.privateKey.sign(p))
    const bytes = encodePlacementRecord(next)
    try {
      await this.deps.placements.put(record.object, bytes)
    } catch (err) {
      if ((err as { code?: unknown }).code !== PlacementErrorCode.STALE) throw err
      this.deps.log.debug({ object, version: next.version }, 'a newer placement record arrived first; replanning from it next pass')
      return
    }
    const audience = new Set([...placementBlocks(record), ...placementBlocks(next)].flatMap(b => b.block.nodes))
    await Promise.all([...audience].filter(id => id !== this.deps.peerId).map(async id => {
      const peer = peers.get(id) ?? this.listed.get(id)
      if (peer === undefined || alive.get(id) === 'down') return
      try {
        await nodeClient(peer).putPlacement(object, bytes, { signal })
      } catch {
        // It learns the record on its next repair pass or from the next update.
      }
    }))
    this.deps.log.info({ object, version: next.version }, 'placement record updated after repair')
  }

  /** Asks the live holders for their version; keeps (and returns true for) a newer one. */
  private async adoptNewer (record: PlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<boolean> {
    const object = record.object.toString()
    const holders = [...new Set(placementBlocks(record).flatMap(b => b.block.nodes))].filter(id => id !== this.deps.peerId && alive.get(id) === 'up')
    const found = await Promise.all(holders.map(async id => {
      try {
        const bytes = await nodeClient(peers.get(id)!).placement(object, { signal, timeoutMs: PROBE_TIMEOUT_MS })
        const theirs = decodePlacementRecord(bytes)
        return theirs.object.equals(record.object) && comparePlacement(theirs, record) > 0 ? { theirs, bytes } : undefined
      } catch (err) {
        if (signal.aborted) throw err
        return undefined
      }
    }))
    const newest = found.filter(f => f !== undefined).sort((a, b) => comparePlacement(b.theirs, a.theirs))
    for (const { bytes } of newest) {
      try {
        await this.deps.placements.put(record.object, bytes)
        return true
      } catch {
        // Not acceptable here (a stranger's signature, another structure): try the next.
      }
    }
    return false
  }

  /** Copies a block from its present holders onto up to `count` of the plan's targets. */
  private async copy (action: Extract<RepairAction, { type: 'copy' }>, peers: Map<string, Peer>, placed: Map<string, string[]>, signal: AbortSignal): Promise<void> {
    const order = this.targetPeers(action.targets, peers)
    if (order.length === 0) { this.noTargets(action.block.cid, action.targets); return }
    const bytes = await this.fetchBlock(action.block, action.sources, peers, signal)
    if (bytes === undefined) { this.deps.log.warn({ block: action.block.cid.toString() }, 'no holder served the block to copy; trying again next pass'); return }
    const added: string[] = []
    while (added.length < action.count && order.length > 0) {
      const to = await this.place(action.block.cid, bytes, order, signal)
      if (to === undefined) break
      added.push(to.peerId)
      this.stats.blocksRepaired++
      this.deps.metrics.repairedBlocks.inc({ kind: 'copy' })
    }
    if (added.length > 0) placed.set(blockKey(action.at), added)
  }

  private noTargets (cid: CID, targets: readonly string[]): void {
    this.deps.log.warn({ block: cid.toString(), targets: targets.map(t => t.slice(-8)) }, 'no known address for any repair target; trying again next pass')
  }

  /** The plan's targets, from the peer store or else from other nodes' lists (see `listed`). */
  private targetPeers (targets: readonly string[], peers: Map<string, Peer>): Peer[] {
    return targets.flatMap(id => peers.get(id) ?? this.listed.get(id) ?? [])
  }

  private async rebuildStripe (record: PlacementRecord, action: Extract<RepairAction, { type: 'rebuild' }>, peers: Map<string, Peer>, placed: Map<string, string[]>, signal: AbortSignal): Promise<void> {
    if (record.scheme.type !== 'rs') return
    const { k, m } = record.scheme
    const si = action.stripe
    const { data, blocks } = record.stripes[si]!
    const order = this.targetPeers(action.targets, peers)
    if (order.length === 0) { this.noTargets(blocks[action.missing[0]!]!.cid, action.targets); return }
    // Shard i of the code: data blocks 0 … data−1, then implicit zero shards, then parity at k + j.
    const shardOf = (i: number): number => i < data ? i : k + (i - data)
    const shards: Array<Uint8Array | undefined> = Array(k + m).fill(undefined)
    // Fetch `data` surviving blocks at once (each from its present holders in turn); when one
    // cannot be read, the next survivor is tried in its place. Blocks this node holds first:
    // reading its own store costs no network traffic.
    const local = (s: { holders: string[] }): number => s.holders.includes(this.deps.peerId) ? 0 : 1
    const survivors = [...action.sources].sort((a, b) => local(a) - local(b) || a.index - b.index)
    let fetched = 0
    let cursor = 0
    const fetcher = async (): Promise<void> => {
      while (fetched < data && cursor < survivors.length) {
        const { index, holders } = survivors[cursor++]!
        const bytes = await this.fetchBlock(blocks[index]!, holders, peers, signal)
        if (bytes === undefined) continue
        if (fetched < data) { shards[shardOf(index)] = bytes; fetched++ }
      }
    }
    await Promise.all(Array.from({ length: data }, fetcher))
    if (fetched < data) {
      this.deps.log.warn({ object: record.object.toString(), stripe: si, fetched, need: data }, 'could not read enough surviving blocks to rebuild; trying again next pass')
      return
    }
    const rebuilt = reconstructStripe({ k, m }, shards, blocks.slice(0, data).map(b => b.size), action.missing.map(shardOf))
    for (const [j, i] of action.missing.entries()) {
      const bytes = rebuilt[j]!
      const b = blocks[i]!
      if (!digestMatches(b.cid, bytes)) throw new Error(`rebuilt block ${b.cid.toString()} does not match its CID`)
      const to = await this.place(b.cid, bytes, order, signal)
      if (to === undefined) continue
      placed.set(blockKey({ stripe: si, index: i }), [to.peerId])
      this.stats.blocksRepaired++
      this.deps.metrics.repairedBlocks.inc({ kind: i < data ? 'data' : 'parity' })
    }
  }
}

function digestMatches (cid: CID, bytes: Uint8Array): boolean {
  return createHash('sha256').update(bytes).digest().equals(cid.multihash.digest)
}

/** Receipts of nodes whose peer id is not an Ed25519 one are checked with the libp2p key. */
const receipts = new ReceiptVerifier({
  fallback: async peerId => {
    const key = peerIdFromString(peerId).publicKey
    return key === undefined ? null : async (payload, sig) => { try { return await key.verify(payload, sig) } catch { return false } }
  }
})

/** Probes end at `twice`'s own timeouts (a timed-out probe is retried); the client's deadline only backs them up. */
const PROBE_BACKSTOP_MS = PROBE_RETRY_TIMEOUT_MS * 2

/** The client for a peer's data plane (bounded reads, verified blocks and receipts). */
function nodeClient (peer: { peerId: string, url: string }): NodeClient {
  return new NodeClient(peer.url, { peerId: peer.peerId, receipts, timeoutMs: REPAIR_REQUEST_TIMEOUT_MS })
}

/**
 * The repair worker. Every interval it walks the placement records this node keeps; for each
 * object it is *responsible* for — it is the first reachable holder in the object's rendezvous
 * order, so exactly one live holder acts and another takes over when that one dies — it checks
 * every block's holders (HEAD on their data plane, or its own store). A stripe that has fallen to
 * the repair threshold (k + r present blocks; r = m − 1, so the first loss triggers it) is rebuilt:
 * k surviving blocks are fetched and verified, the missing blocks are decoded, checked against
 * their CIDs, and stored on healthy nodes chosen by the same weighted rendezvous as uploads
 * (outside the nodes and zones the stripe still uses), each with a verified signed receipt.
 * Replicated blocks and the manifest block are re-copied the same way. Then a new version of the
 * placement record, signed by this node, goes to every holder. All repair traffic passes one
 * token bucket (`--repair-rate`), so repair never crowds out reads.
 *
 * A probe that times out is not an answer: on a loaded machine a live node can be slow, and taking
 * its silence for a loss would rewrite the record without holders that still have the blocks. So
 * a timed-out probe is retried once with a longer timeout; a block whose holder times out twice
 * is "unknown", and the stripe (or replicated block) it belongs to is left as it is until a later
 * pass gets an answer. Only a refused connection, a wrong peer, a 404 or a wrong size drops a
 * holder. Nor is a holder whose address this node cannot find (not in its peer store, not found
 * on the DHT) taken for down at once: a node that joined through another bootstrap peer may not
 * be known here yet. For UNRESOLVED_GRACE_MS it counts as slow; after that, as down.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { reconstructStripe } from '@p2pdv/core/erasure'
import { httpUrlFromMultiaddr, parseCid } from '@p2pdv/core'
import { receiptPayload } from '@p2pdv/core/wire'
import {
  chooseStripeNodes, encodePlacementRecord, signPlacementRecord, weightedOrder,
  type BlockPlacement, type PlacementCandidate, type PlacementRecord
} from '@p2pdv/core/placement'
import { GarbageCollector, type GcStats } from './gc.ts'
import type { NodeMetrics } from './metrics.ts'
import type { PlacementStore } from './placement-store.ts'
import { RateLimiter } from './rate-limiter.ts'
import type { VerifiedBlockstore } from './verified-blockstore.ts'

export const REPAIR_REQUEST_TIMEOUT_MS = 10_000
const PROBE_TIMEOUT_MS = 2_000
/** The second, last try of a probe that timed out. */
export const PROBE_RETRY_TIMEOUT_MS = 15_000
/** How long a holder nobody can find an address for counts as slow before it counts as down. */
export const UNRESOLVED_GRACE_MS = 10 * 60_000

/** Whether a node is up: `slow` = its status probe timed out twice. */
type Liveness = 'up' | 'down' | 'slow'
/** Whether a holder has a block: `unknown` = it timed out twice. */
type Presence = 'yes' | 'no' | 'unknown'

export interface RepairDeps {
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
  unrecoverable: number
  /** Stripes and replicated blocks left for a later pass because a holder did not answer. */
  deferred: number
  /** Probes that timed out the first time (each was retried once). */
  probeTimeouts: number
  /** Garbage collection of blocks repair moved away (absent when off). */
  gc?: GcStats
}

interface Peer extends PlacementCandidate { url: string }

/** Repair as soon as a stripe has lost one block (threshold k + r with r = m − 1). */
export function repairNeeded (present: number, stored: number): boolean {
  return present < stored
}

export class RepairWorker {
  private readonly deps: RepairDeps
  private readonly limiter: RateLimiter
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private readonly controller = new AbortController()
  readonly stats: RepairStats = { enabled: true, passes: 0, objectsChecked: 0, blocksRepaired: 0, bytesMoved: 0, unrecoverable: 0, deferred: 0, probeTimeouts: 0 }

  private readonly gc: GarbageCollector | undefined
  /** Holders this node could not find an address for, since when (cleared once found). */
  private readonly unresolvedSince = new Map<string, number>()

  constructor (deps: RepairDeps) {
    this.deps = deps
    this.limiter = new RateLimiter(deps.rateBytes)
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
    const tick = (): void => {
      this.running = this.pass().catch(err => { this.deps.log.error({ err }, 'repair pass failed') }).finally(() => {
        this.running = undefined
        if (!this.controller.signal.aborted) this.timer = setTimeout(tick, this.deps.intervalMs)
      })
    }
    this.timer = setTimeout(tick, this.deps.intervalMs)
  }

  async stop (): Promise<void> {
    this.controller.abort()
    clearTimeout(this.timer)
    await this.running
  }

  /** One scan of every object this node keeps a record for. */
  async pass (): Promise<void> {
    const signal = this.controller.signal
    const peers = await this.knownPeers(signal)
    const alive = new Map<string, Liveness>()
    for (const record of this.deps.placements.list()) {
      if (signal.aborted) return
      try {
        if (!await this.responsible(record, peers, alive, signal)) continue
        this.stats.objectsChecked++
        await this.repairObject(record, peers, alive, signal)
      } catch (err) {
        if (!signal.aborted) this.deps.log.warn({ err, object: record.object.toString() }, 'repair of an object failed; retrying next pass')
      }
    }
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
    const peer = await this.resolve(peerId, peers, signal)
    if (peer !== undefined) {
      this.unresolvedSince.delete(peerId)
      return { peer, state: await this.liveness(peer, alive, signal) }
    }
    const now = Date.now()
    const since = this.unresolvedSince.get(peerId) ?? now
    this.unresolvedSince.set(peerId, since)
    return { state: now - since < UNRESOLVED_GRACE_MS ? 'slow' : 'down' }
  }

  private async liveness (peer: Peer, alive: Map<string, Liveness>, signal: AbortSignal): Promise<Liveness> {
    if (peer.peerId === this.deps.peerId) return 'up'
    const known = alive.get(peer.peerId)
    if (known !== undefined) return known
    let state: Liveness
    try {
      const r = await this.twice(async s => {
        const res = await fetch(`${peer.url}/api/v1/status`, { signal: s })
        if (!res.ok) { await res.body?.cancel(); return false }
        const body = await res.json() as { peerId?: unknown, zone?: unknown, freeBytes?: unknown }
        if (typeof body.zone === 'string') peer.zone = body.zone
        if (typeof body.freeBytes === 'number') peer.freeBytes = body.freeBytes
        return body.peerId === peer.peerId
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

  /** The first reachable holder in the object's rendezvous order repairs it. */
  private async responsible (record: PlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<boolean> {
    const holders = [...new Set([record.manifest, ...record.stripes.flatMap(s => s.blocks)].flatMap(b => b.nodes))]
    const order = weightedOrder(record.object.toString(), holders.map(peerId => ({ peerId })))
    for (const h of order) {
      if (h.peerId === this.deps.peerId) return true
      if ((await this.locate(h.peerId, peers, alive, signal)).state === 'up') return false
    }
    return false
  }

  private async holds (block: BlockPlacement, peerId: string, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<Presence> {
    if (peerId === this.deps.peerId) return await this.deps.blockstore.has(block.cid) ? 'yes' : 'no'
    const { peer, state } = await this.locate(peerId, peers, alive, signal)
    if (peer === undefined || state !== 'up') return state === 'slow' ? 'unknown' : 'no'
    try {
      const r = await this.twice(async s => {
        const res = await fetch(`${peer.url}/ipfs/${block.cid.toString()}`, { method: 'HEAD', signal: s })
        return res.ok && Number(res.headers.get('content-length')) === block.size
      }, signal)
      return r === 'timeout' ? 'unknown' : r ? 'yes' : 'no'
    } catch (err) {
      if (signal.aborted) throw err
      return 'no'
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
        const res = await fetch(`${peer.url}/ipfs/${block.cid.toString()}`, { headers: { accept: 'application/vnd.ipld.raw' }, signal: AbortSignal.any([signal, AbortSignal.timeout(REPAIR_REQUEST_TIMEOUT_MS)]) })
        if (!res.ok || Number(res.headers.get('content-length') ?? '0') > MAX_BLOCK_BYTES) { await res.body?.cancel(); continue }
        const bytes = new Uint8Array(await res.arrayBuffer())
        if (bytes.byteLength !== block.size || !digestMatches(block.cid, bytes)) continue
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
    while (order.length > 0) {
      const peer = order.shift()!
      try {
        if (peer.peerId === this.deps.peerId) {
          await this.deps.blockstore.put(cid, bytes)
          return peer
        }
        await this.limiter.take(bytes.byteLength, signal)
        const res = await fetch(`${peer.url}/ipfs/${cid.toString()}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/vnd.ipld.raw', ...(this.deps.grantFor === undefined ? {} : { authorization: await this.deps.grantFor(peer.peerId) }) },
          body: bytes as Uint8Array<ArrayBuffer>,
          signal: AbortSignal.any([signal, AbortSignal.timeout(REPAIR_REQUEST_TIMEOUT_MS)])
        })
        const body = await res.json().catch(() => ({})) as { receipt?: { peer?: unknown, cid?: unknown, size?: unknown, time?: unknown, sig?: unknown } }
        const r = body.receipt
        if (res.status !== 201 || r === undefined || r.peer !== peer.peerId || r.cid !== cid.toString() || r.size !== bytes.byteLength || typeof r.time !== 'number' || typeof r.sig !== 'string') continue
        const key = peerIdFromString(peer.peerId).publicKey
        const signed = receiptPayload({ peer: peer.peerId, cid: parseCid(r.cid), size: r.size, time: r.time })
        if (key === undefined || !await key.verify(signed, new Uint8Array(Buffer.from(r.sig, 'base64')))) continue
        this.deps.metrics.repairBytes.inc({ direction: 'out' }, bytes.byteLength)
        this.stats.bytesMoved += bytes.byteLength
        return peer
      } catch (err) {
        if (signal.aborted) throw err
      }
    }
    return undefined
  }

  private async candidates (peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<Peer[]> {
    const list: Peer[] = []
    for (const p of peers.values()) if (await this.isAlive(p, alive, signal)) list.push(p)
    if (this.deps.auditor !== undefined) {
      try {
        const res = await fetch(`${this.deps.auditor}/api/v1/reputation`, { signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) })
        const body = res.ok ? await res.json() as { scores?: Array<{ peerId?: unknown, score?: unknown }> } : {}
        const scores = new Map((body.scores ?? []).flatMap(s => typeof s.peerId === 'string' && typeof s.score === 'number' ? [[s.peerId, s.score] as const] : []))
        for (const p of list) { const s = scores.get(p.peerId); if (s !== undefined) p.score = s }
      } catch {
        // No reputation: every node is neutral.
      }
    }
    return list
  }

  private async repairObject (record: PlacementRecord, peers: Map<string, Peer>, alive: Map<string, Liveness>, signal: AbortSignal): Promise<void> {
    const object = record.object.toString()
    /** Holders that have the block, or undefined when one did not answer (decide later). */
    const present = async (b: BlockPlacement): Promise<string[] | undefined> => {
      const out: string[] = []
      let unknown = false
      for (const id of b.nodes) {
        const p = await this.holds(b, id, peers, alive, signal)
        if (p === 'yes') out.push(id)
        else if (p === 'unknown') unknown = true
      }
      return unknown ? undefined : out
    }
    const defer = (what: string): void => {
      this.stats.deferred++
      this.deps.log.warn({ object, what }, 'a holder did not answer twice; leaving this for a later repair pass')
    }
    let changed = false
    let candidates: Peer[] | undefined
    const pool = async (): Promise<Peer[]> => (candidates ??= await this.candidates(peers, alive, signal))

    /** Copies of a replicated block (or the manifest) up to `want` holders. */
    const recopy = async (b: BlockPlacement, want: number, key: string): Promise<BlockPlacement> => {
      const holders = await present(b)
      if (holders === undefined) { defer(key); return b }
      if (holders.length === b.nodes.length && holders.length >= want) return b
      changed = true
      if (holders.length === 0) { this.stats.unrecoverable++; this.deps.metrics.unrecoverableStripes.inc(); return { ...b, nodes: [] } }
      if (holders.length >= want) return { ...b, nodes: holders }
      const bytes = await this.fetchBlock(b, holders, peers, signal)
      if (bytes === undefined) return { ...b, nodes: holders }
      const taken = holders.map(h => peers.get(h) ?? { peerId: h, url: '' })
      const order = chooseStripeNodes(key, await pool(), want - holders.length, { needBytes: b.size, taken })
      const added: string[] = []
      while (added.length < want - holders.length && order.length > 0) {
        const placed = await this.place(b.cid, bytes, order, signal)
        if (placed === undefined) break
        added.push(placed.peerId)
        this.stats.blocksRepaired++
        this.deps.metrics.repairedBlocks.inc({ kind: 'copy' })
      }
      return { ...b, nodes: [...holders, ...added] }
    }

    const replicas = record.scheme.type === 'rs' ? record.scheme.m + 1 : record.scheme.replicas
    const manifest = await recopy(record.manifest, replicas, `${object}/manifest`)
    const stripes: PlacementRecord['stripes'] = []
    for (const [si, stripe] of record.stripes.entries()) {
      if (record.scheme.type === 'replicas') {
        stripes.push({ data: 1, blocks: [await recopy(stripe.blocks[0]!, replicas, `${object}/${si}`)] })
        continue
      }
      const { k, m } = record.scheme
      const found = await Promise.all(stripe.blocks.map(present))
      if (found.some(h => h === undefined)) { defer(`${object}/${si}`); stripes.push(stripe); continue }
      const holders = found as string[][]
      const have = holders.filter(h => h.length > 0).length
      if (holders.every((h, i) => h.length === stripe.blocks[i]!.nodes.length) && !repairNeeded(have, stripe.blocks.length)) { stripes.push(stripe); continue }
      changed = true
      let blocks = stripe.blocks.map((b, i) => ({ ...b, nodes: holders[i]! }))
      if (repairNeeded(have, stripe.blocks.length)) {
        if (have < stripe.data) {
          this.stats.unrecoverable++
          this.deps.metrics.unrecoverableStripes.inc()
          this.deps.log.error({ object, stripe: si, have, need: stripe.data }, 'stripe has fewer blocks than it needs to rebuild')
        } else {
          blocks = await this.rebuildStripe(object, si, { k, m }, stripe.data, blocks, peers, pool, signal)
        }
      }
      stripes.push({ data: stripe.data, blocks })
    }
    if (!changed) return
    const next = await signPlacementRecord({
      v: 1, object: record.object, version: record.version + 1, time: Date.now(), scheme: record.scheme, manifest, stripes, owner: record.owner,
      ...(record.leaf === undefined ? {} : { leaf: record.leaf })
    }, this.deps.privateKey.publicKey.raw, async p => await this.deps.privateKey.sign(p))
    const bytes = encodePlacementRecord(next)
    await this.deps.placements.put(record.object, bytes)
    const audience = new Set([...[record.manifest, ...record.stripes.flatMap(s => s.blocks)], ...[manifest, ...stripes.flatMap(s => s.blocks)]].flatMap(b => b.nodes))
    await Promise.all([...audience].filter(id => id !== this.deps.peerId).map(async id => {
      const peer = peers.get(id)
      if (peer === undefined || alive.get(id) === 'down') return
      try {
        const res = await fetch(`${peer.url}/api/v1/objects/${object}/placement`, {
          method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.dag-cbor' }, body: bytes as Uint8Array<ArrayBuffer>, signal: AbortSignal.any([signal, AbortSignal.timeout(REPAIR_REQUEST_TIMEOUT_MS)])
        })
        await res.body?.cancel()
      } catch {
        // It learns the record on its next repair pass or from the next update.
      }
    }))
    this.deps.log.info({ object, version: next.version }, 'placement record updated after repair')
  }

  private async rebuildStripe (object: string, si: number, params: { k: number, m: number }, data: number, blocks: BlockPlacement[], peers: Map<string, Peer>, pool: () => Promise<Peer[]>, signal: AbortSignal): Promise<BlockPlacement[]> {
    const { k, m } = params
    // Shard i of the code: data blocks 0 … data−1, then implicit zero shards, then parity at k + j.
    const shardOf = (i: number): number => i < data ? i : k + (i - data)
    const shards: Array<Uint8Array | undefined> = Array(k + m).fill(undefined)
    // Fetch `data` surviving blocks at once (each from its holders in turn); when one cannot be
    // read, the next survivor is tried in its place. A survivor that could not be read keeps its
    // holders: its probe said they have it, and a read can fail for passing reasons (a timeout on
    // a loaded node). Dropping them would turn a stripe that has enough blocks into one the record
    // calls lost, for good: no later pass probes holders the record no longer lists.
    // Blocks this node holds first: reading its own store costs no network traffic.
    const local = (i: number): number => blocks[i]!.nodes.includes(this.deps.peerId) ? 0 : 1
    const survivors = [...blocks.keys()].filter(i => blocks[i]!.nodes.length > 0).sort((a, b) => local(a) - local(b) || a - b)
    let fetched = 0
    let cursor = 0
    const fetcher = async (): Promise<void> => {
      while (fetched < data && cursor < survivors.length) {
        const i = survivors[cursor++]!
        const b = blocks[i]!
        const bytes = await this.fetchBlock(b, b.nodes, peers, signal)
        if (bytes === undefined) continue
        if (fetched < data) { shards[shardOf(i)] = bytes; fetched++ }
      }
    }
    await Promise.all(Array.from({ length: data }, fetcher))
    if (fetched < data) {
      this.deps.log.warn({ object, stripe: si, fetched, need: data }, 'could not read enough surviving blocks to rebuild; trying again next pass')
      return blocks
    }
    const missing = blocks.flatMap((b, i) => b.nodes.length === 0 ? [i] : [])
    const rebuilt = reconstructStripe(params, shards, blocks.slice(0, data).map(b => b.size), missing.map(shardOf))
    const taken = blocks.flatMap(b => b.nodes).map(id => peers.get(id) ?? { peerId: id, url: '' })
    const order = chooseStripeNodes(`${object}/${si}/repair`, await pool(), missing.length, { needBytes: blocks[missing[0]!]!.size, taken })
    const out = blocks.slice()
    for (const [j, i] of missing.entries()) {
      const bytes = rebuilt[j]!
      const b = blocks[i]!
      if (!digestMatches(b.cid, bytes)) throw new Error(`rebuilt block ${b.cid.toString()} does not match its CID`)
      const placed = await this.place(b.cid, bytes, order, signal)
      if (placed === undefined) continue
      out[i] = { ...b, nodes: [placed.peerId] }
      this.stats.blocksRepaired++
      this.deps.metrics.repairedBlocks.inc({ kind: i < data ? 'data' : 'parity' })
    }
    return out
  }
}

function digestMatches (cid: CID, bytes: Uint8Array): boolean {
  return createHash('sha256').update(bytes).digest().equals(cid.multihash.digest)
}

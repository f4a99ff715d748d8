/**
 * NAT traversal for nodes: what AutoNAT found out about this node's addresses, and which peers
 * are nodes (for the relay's node tier, libp2p-options.ts).
 *
 * AutoNAT (v1, `@libp2p/autonat`) asks peers to dial each of this node's *public* addresses back
 * and records the outcome in libp2p's address manager: a confirmed address is `verified` until
 * `expires`, a refuted one is unverified until `expires` (then checked again). It never tests
 * private or loopback addresses (a peer cannot tell anything about them), and it does not test
 * the operator's `--announce` addresses (libp2p takes them as given). `addressVerdicts` maps that
 * metadata to what the status route and the metrics say; the rules are unit-tested because on
 * loopback AutoNAT gives no verdict at all.
 */
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import type { AbortOptions, Libp2p, PeerInfo } from '@libp2p/interface'
import { setTimeout as sleep } from 'node:timers/promises'
import { isPrivate } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

export const REACHABILITY = ['reachable', 'unreachable', 'unknown'] as const
export type Reachability = typeof REACHABILITY[number]

/**
 * Where a verdict comes from: AutoNAT's dial-backs; the operator (`--announce`, not tested); a
 * private address (AutoNAT does not test those); a relay reservation (`/p2p-circuit`: reachable
 * through the relay while the reservation holds).
 */
export type VerdictSource = 'autonat' | 'announced' | 'private' | 'relay'

export interface AddressVerdict { multiaddr: string, verdict: Reachability, source: VerdictSource }

/** What libp2p's address manager says of one address (`getAddressesWithMetadata`). */
export interface AddressMetadata {
  multiaddr: Multiaddr
  verified: boolean
  expires: number
  lastVerified?: number
  type: string
}

/** Addresses shown at most (the status route and logs stay small whatever the address manager holds). */
export const MAX_STATUS_ADDRESSES = 32

export function isCircuit (addr: string): boolean {
  return addr.includes('/p2p-circuit')
}

function privateAddr (ma: Multiaddr): boolean {
  try {
    return isPrivate(ma)
  } catch {
    return false
  }
}

/**
 * One verdict per libp2p address (the `/http` one the node announces for its data plane is not a
 * libp2p address and is left out):
 * - `/p2p-circuit` → reachable (relay): the relay transport lists it only while a reservation holds;
 * - announced (`--announce`) → unknown (announced): libp2p does not test what the operator says;
 * - private or loopback → unknown (private): AutoNAT does not test those;
 * - otherwise AutoNAT's: verified within its time to live → reachable; refuted within its retry
 *   time → unreachable; never tested or due for a new test → unknown.
 */
export function addressVerdicts (addrs: readonly AddressMetadata[], now: number): AddressVerdict[] {
  const out = new Map<string, AddressVerdict>()
  for (const a of addrs) {
    const text = a.multiaddr.toString()
    if (text.includes('/http') || out.has(text)) continue
    let v: AddressVerdict
    if (isCircuit(text)) v = { multiaddr: text, verdict: 'reachable', source: 'relay' }
    else if (a.type === 'announce') v = { multiaddr: text, verdict: 'unknown', source: 'announced' }
    else if (privateAddr(a.multiaddr)) v = { multiaddr: text, verdict: 'unknown', source: 'private' }
    else if (a.expires > now) v = { multiaddr: text, verdict: a.verified && a.lastVerified !== undefined ? 'reachable' : a.verified ? 'unknown' : 'unreachable', source: 'autonat' }
    else v = { multiaddr: text, verdict: 'unknown', source: 'autonat' }
    out.set(text, v)
    if (out.size >= MAX_STATUS_ADDRESSES) break
  }
  return [...out.values()]
}

/**
 * The node's direct reachability (relay addresses aside): reachable when AutoNAT confirmed one
 * address; unreachable when the node listens on no address at all, or AutoNAT refuted addresses
 * and confirmed none; unknown otherwise (private addresses only, announced ones, tests pending).
 */
export function natVerdict (verdicts: readonly AddressVerdict[], listens: boolean): Reachability {
  const direct = verdicts.filter(v => v.source !== 'relay')
  if (direct.some(v => v.verdict === 'reachable')) return 'reachable'
  if (!listens) return 'unreachable'
  if (direct.some(v => v.verdict === 'unreachable')) return 'unreachable'
  return 'unknown'
}

/** How long the relay waits for a peer's identify before it decides the peer is not a node. */
export const IDENTIFY_WAIT_MS = 3_000
/** Relay decisions waiting for an identify at once, at most (more are answered "not a node"). */
export const MAX_IDENTIFY_WAITERS = 128

/** Connected non-node peers remembered at once (viewers); beyond, they wait for IDENTIFY_WAIT_MS like unknown peers. */
export const MAX_OTHER_PEERS = 8192

/** Peers this node knows most at once as nodes (one entry per connected node; a cap all the same). */
export const MAX_NODE_PEERS = 4096

/**
 * Peers that said (in identify) they run the network's DHT, which every node runs in server mode
 * and no viewer does: the relay gives these the node tier. It is the peer's own claim; a hostile
 * peer claiming it gets no more than the node tier's bounds (libp2p-options.ts). Entries leave on
 * disconnect.
 */
export class NodePeers {
  private readonly peers = new Set<string>()
  /** Connected peers that identified as something else (viewers): answered at once, without waiting. */
  private readonly others = new Set<string>()
  /** Callers of `isNode` waiting for a peer's identify (bounded by MAX_IDENTIFY_WAITERS). */
  private readonly waiting = new Map<string, Array<(node: boolean) => void>>()
  private waiters = 0

  has (peer: { toString: () => string } | string): boolean {
    return this.peers.has(peer.toString())
  }

  /**
   * Whether the peer is a node, waiting up to `waitMs` for its identify when it has not finished
   * yet (a peer that dials a relay asks for a circuit at once, while identify still runs). With
   * too many callers waiting already, it answers from what is known now.
   */
  async isNode (peer: { toString: () => string }, waitMs = IDENTIFY_WAIT_MS): Promise<boolean> {
    const id = peer.toString()
    if (this.peers.has(id)) return true
    if (this.others.has(id)) return false
    if (this.waiters >= MAX_IDENTIFY_WAITERS) return false
    this.waiters++
    try {
      return await new Promise<boolean>(resolve => {
        const timer = setTimeout(() => { done(false) }, waitMs)
        const list = this.waiting.get(id) ?? []
        const done = (node: boolean): void => {
          clearTimeout(timer)
          const rest = (this.waiting.get(id) ?? []).filter(f => f !== done)
          if (rest.length === 0) this.waiting.delete(id)
          else this.waiting.set(id, rest)
          resolve(node)
        }
        list.push(done)
        this.waiting.set(id, list)
      })
    } finally {
      this.waiters--
    }
  }

  /** From a `peer:identify` event: the peer's id and the protocols it listed. */
  identified (peer: string, protocols: readonly string[], marker: string): void {
    const node = protocols.includes(marker)
    if (node) {
      this.others.delete(peer)
      if (this.peers.has(peer) || this.peers.size < MAX_NODE_PEERS) this.peers.add(peer)
    } else {
      this.peers.delete(peer)
      if (this.others.size < MAX_OTHER_PEERS) this.others.add(peer)
    }
    for (const f of [...(this.waiting.get(peer) ?? [])]) f(this.peers.has(peer))
  }

  gone (peer: string): void {
    this.peers.delete(peer)
    this.others.delete(peer)
    for (const f of [...(this.waiting.get(peer) ?? [])]) f(false)
  }

  get size (): number {
    return this.peers.size
  }
}

/** Relays tried per reservation attempt, at most. */
export const MAX_RELAY_CANDIDATES = 8

/**
 * Where `--relay auto` may reserve: connected peers (outbound connections first, then inbound)
 * that listed the relay's hop protocol in identify, as `ADDR/p2p/PEER/p2p-circuit` listen
 * addresses. Relayed connections are not candidates (no relay over a relay).
 */
export async function relayCandidates (libp2p: Pick<Libp2p, 'getConnections' | 'peerStore'>): Promise<string[]> {
  const out: string[] = []
  const conns = [...libp2p.getConnections()].sort((a, b) => (a.direction === 'outbound' ? 0 : 1) - (b.direction === 'outbound' ? 0 : 1))
  for (const conn of conns) {
    const addr = conn.remoteAddr.toString()
    const peer = conn.remotePeer.toString()
    if (isCircuit(addr) || out.some(a => a.includes(`/p2p/${peer}/`))) continue
    const known = await libp2p.peerStore.get(conn.remotePeer).catch(() => undefined)
    if (known?.protocols.includes(RELAY_V2_HOP_CODEC) !== true) continue
    out.push(`${addr.includes(`/p2p/${peer}`) ? addr : `${addr}/p2p/${peer}`}/p2p-circuit`)
    if (out.length >= MAX_RELAY_CANDIDATES) break
  }
  return out
}

/** How often `--relay auto` looks again (besides each identify and each change of the node's addresses). */
export const AUTO_RELAY_CHECK_MS = 60_000

interface LogLike { info: (o: object, msg: string) => void, warn: (o: object, msg: string) => void }

export interface AutoRelayOptions {
  libp2p: Libp2p
  /** false: the node listens on no address, so it needs a relay from the start. */
  listens: boolean
  /** AutoNAT's verdict now (undefined: not known). */
  reachability: () => Reachability | undefined
  log: LogLike
  checkMs?: number
}

/**
 * `--relay auto`: when the node listens on no address, or AutoNAT finds its addresses
 * unreachable, and it has no relay address now, it reserves a slot on a connected peer node that
 * runs the relay service (relayCandidates), by listening on `ADDR/p2p/RELAY/p2p-circuit`; the
 * relay transport renews the slot and announces the circuit address. A node whose relay went
 * away reserves on another at the next check. One that AutoNAT later finds reachable keeps its
 * slot until it lapses (a relay address costs little).
 *
 * libp2p's own relay search (listening on a bare `/p2p-circuit`) is not used: it walks the DHT
 * at random, which on this network's small private DHT spins without end.
 */
export class AutoRelay {
  private readonly opts: AutoRelayOptions
  private timer: NodeJS.Timeout | undefined
  private busy = false
  private stopped = false
  private readonly onEvent = (): void => { this.check().catch(() => {}) }

  constructor (opts: AutoRelayOptions) {
    this.opts = opts
  }

  start (): void {
    this.opts.libp2p.addEventListener('peer:identify', this.onEvent)
    this.opts.libp2p.addEventListener('self:peer:update', this.onEvent)
    this.timer = setInterval(this.onEvent, this.opts.checkMs ?? AUTO_RELAY_CHECK_MS)
    this.timer.unref()
    this.onEvent()
  }

  stop (): void {
    this.stopped = true
    clearInterval(this.timer)
    this.opts.libp2p.removeEventListener('peer:identify', this.onEvent)
    this.opts.libp2p.removeEventListener('self:peer:update', this.onEvent)
  }

  /** Whether the node needs a relay slot now. */
  get needed (): boolean {
    return !this.opts.listens || this.opts.reachability() === 'unreachable'
  }

  /** One look; resolves with the relay address reserved on, if it reserved one now. */
  async check (): Promise<string | undefined> {
    const { libp2p, log } = this.opts
    if (this.busy || this.stopped || !this.needed || libp2p.getMultiaddrs().some(m => isCircuit(m.toString()))) return undefined
    const tm = (libp2p as unknown as { components?: { transportManager?: { listen?: (addrs: Multiaddr[]) => Promise<void> } } }).components?.transportManager
    if (tm?.listen === undefined) return undefined
    this.busy = true
    try {
      for (const addr of await relayCandidates(libp2p)) {
        if (this.stopped) return undefined
        try {
          await tm.listen([multiaddr(addr)])
          log.info({ relay: addr }, 'this node cannot be dialled directly: reserved a relay slot')
          return addr
        } catch (err) {
          log.warn({ err, relay: addr }, 'a peer node refused or failed a relay reservation; trying another')
        }
      }
      return undefined
    } finally {
      this.busy = false
    }
  }
}

/** The pause between two random DHT walks made for AutoNAT (pacedRandomWalk). */
export const WALK_PAUSE_MS = 2_000

/**
 * The random walk AutoNAT uses to find peers that can test this node's public addresses, paced.
 * libp2p's own walk repeats DHT queries back to back; on this network's private DHT, which answers
 * a query with no peers at once (`allowQueryWithZeroPeers`), that loop never yields to the event
 * loop: the node would hang, its timers (AutoNAT's own 10 s deadline among them) never firing. This
 * one waits `pauseMs` (a timer, so the event loop runs) after each query.
 */
export function pacedRandomWalk (peerRouting: { getClosestPeers: (key: Uint8Array, options?: AbortOptions) => AsyncIterable<PeerInfo> }, pauseMs = WALK_PAUSE_MS): { walk: (options?: AbortOptions) => AsyncGenerator<PeerInfo> } {
  return {
    async * walk (options?: AbortOptions): AsyncGenerator<PeerInfo> {
      const signal = options?.signal
      const aborted = (): boolean => signal?.aborted === true
      while (!aborted()) {
        try {
          for await (const peer of peerRouting.getClosestPeers(crypto.getRandomValues(new Uint8Array(32)), { ...(signal === undefined ? {} : { signal }) })) yield peer
        } catch {
          if (aborted()) return
        }
        try {
          await sleep(pauseMs, undefined, { ...(signal === undefined ? {} : { signal }), ref: false })
        } catch {
          return
        }
      }
    }
  }
}

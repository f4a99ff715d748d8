/**
 * A viewer's side of P2P delivery (isomorphic: browser and Node). It joins one video's swarm
 * through storage nodes: dials their WebSockets address, takes a circuit-relay reservation there
 * (used only to signal WebRTC), announces itself to the node's tracker (`/p2pdv/swarm/1.0.0`),
 * dials up to `maxPeers` other viewers over WebRTC, serves them blocks from its own cache and
 * fetches blocks from them (`/p2pdv/share/1.0.0`). Every fetched block is checked against its
 * CID; a peer that sends bytes failing it is banned for the session (disconnected, never dialled
 * or accepted again). See docs/architecture.md "P2P delivery between viewers".
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { WebRTC } from '@multiformats/multiaddr-matcher'
import { createLibp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { verifyBlock } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { decodeSwarmResponse, encodeSwarmAnnounce, MAX_SWARM_ADDRS, MAX_SWARM_RESPONSE_BYTES, MAX_SWARM_SAMPLE, SHARE_PROTOCOL, SWARM_PROTOCOL, type SwarmPeer } from '@p2pdv/core/wire'
import { lpStream } from '@libp2p/utils'
import { createShareHandler, requestBlock, requestHave, SHARE_MAX_INBOUND_STREAMS, type BlockSource } from './share-protocol.ts'

/** Other viewers dialled at most (each WebRTC connection costs the page a little CPU and memory). */
export const DEFAULT_MAX_PEERS = 6
/** One peer gets this long to deliver a block before the next one is asked. */
export const DEFAULT_PEER_REQUEST_TIMEOUT_MS = 4_000
/** Re-announce well inside the tracker's entry TTL (2 min). */
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 60_000
/** A failed dial to a viewer is tried once more after this long. */
export const DIAL_RETRY_MS = 1_000
/** How long joining waits for a relay reservation (the address other viewers dial). */
export const DEFAULT_JOIN_TIMEOUT_MS = 15_000
const DIAL_TIMEOUT_MS = 10_000
/** How long a join waits for its first dials to viewers before it returns (they go on after). */
const FIRST_DIALS_WAIT_MS = 5_000
/** Dials of one sampled viewer before it counts as a dial failure. */
const DIAL_ATTEMPTS = 2
/**
 * Requests in flight to one peer at most: below its inbound stream limit (4), which leaves a
 * stream for `have`. A busy peer is skipped (the caller goes to a node) rather than queued.
 */
export const MAX_IN_FLIGHT_PER_PEER = 3

export const SwarmErrorCode = {
  /** No node could be reached, or none runs the viewer relay. */
  NO_NODE: 'ERR_SWARM_NO_NODE',
  /** No relay reservation in time: other viewers could not dial this one. */
  NO_RELAY: 'ERR_SWARM_NO_RELAY',
  /** No connected peer delivered the block (none had it, all failed or were banned). */
  UNAVAILABLE: 'ERR_P2P_UNAVAILABLE',
  BAD_OPTIONS: 'ERR_SWARM_OPTIONS'
} as const

export interface ViewerSwarmOptions {
  /** The video's id (0x + 64 hex digits): the swarm to join. */
  video: string
  /** WebSockets multiaddrs of nodes that run the viewer relay and tracker, each with `/p2p/<id>`. */
  nodes: string[]
  /** What this viewer shares: its verified block cache. */
  source: BlockSource
  maxPeers?: number
  peerRequestTimeoutMs?: number
  announceIntervalMs?: number
  joinTimeoutMs?: number
  /** STUN/TURN servers for WebRTC (none by default: host candidates only). */
  rtcConfiguration?: RTCConfiguration
}

export interface ViewerSwarmStats {
  /** Verified block bytes received from other viewers. */
  bytesFromPeers: number
  blocksFromPeers: number
  /** Block bytes this viewer served to others. */
  bytesToPeers: number
  blocksToPeers: number
  /** Viewers connected over WebRTC now. */
  peers: number
  /** Peers banned this session (bytes that failed their CID). */
  banned: number
  /** Sampled viewers that could not be dialled (WebRTC failed or timed out). */
  dialFailures: number
  /** Viewers being dialled now (a WebRTC dial through a relay takes seconds on a busy host). */
  dialling: number
}

export interface FetchOptions {
  signal?: AbortSignal
  /** The largest block accepted (default MAX_BLOCK_BYTES). */
  maxBytes?: number
}

export class ViewerSwarm {
  readonly libp2p: Libp2p
  readonly video: string
  private readonly nodes: Multiaddr[]
  private readonly nodeIds: Set<string>
  private readonly maxPeers: number
  private readonly peerTimeoutMs: number
  /** Shared with the connection gater, so banned peers cannot come back. */
  private readonly banned: Set<string>
  /** What each peer said it holds, from its last `have` answer. */
  private readonly haves = new Map<string, Set<string>>()
  private readonly inFlight = new Map<string, number>()
  private dialFailures = 0
  private dialling = 0
  private readonly counters = { bytesFromPeers: 0, blocksFromPeers: 0, bytesToPeers: 0, blocksToPeers: 0 }
  private timer: ReturnType<typeof setInterval> | undefined
  private firstRefresh: Promise<void> = Promise.resolve()
  private stopped = false

  private constructor (libp2p: Libp2p, opts: ViewerSwarmOptions, nodes: Multiaddr[], banned: Set<string>) {
    this.libp2p = libp2p
    this.banned = banned
    this.video = opts.video
    this.nodes = nodes
    this.nodeIds = new Set(nodes.map(n => n.getComponents().findLast(c => c.name === 'p2p')?.value ?? ''))
    this.maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS
    this.peerTimeoutMs = opts.peerRequestTimeoutMs ?? DEFAULT_PEER_REQUEST_TIMEOUT_MS
  }

  /** Starts a libp2p host, reaches the nodes, takes a relay reservation and joins the swarm. */
  static async join (opts: ViewerSwarmOptions): Promise<ViewerSwarm> {
    let nodes: Multiaddr[]
    try {
      nodes = opts.nodes.map(a => multiaddr(a)).filter(m => m.getComponents().some(c => c.name === 'p2p'))
    } catch (cause) {
      throw new P2pdvError(SwarmErrorCode.BAD_OPTIONS, 'a node address is not a multiaddr', { cause, hint: 'Pass the nodes\' WebSockets multiaddrs, e.g. /ip4/…/tcp/…/ws/p2p/12D3KooW…' })
    }
    if (nodes.length === 0) throw new P2pdvError(SwarmErrorCode.BAD_OPTIONS, 'no node address with a /p2p/ peer id', { hint: 'Pass at least one node WebSockets multiaddr ending in /p2p/<peer id>.' })
    const banned = new Set<string>()
    const libp2p = await createLibp2p({
      // '/p2p-circuit' takes a reservation on a connected node; '/webrtc' makes this viewer
      // dialable over WebRTC through it.
      addresses: { listen: ['/p2p-circuit', '/webrtc'] },
      transports: [webSockets(), circuitRelayTransport(), webRTC(opts.rtcConfiguration === undefined ? {} : { rtcConfiguration: opts.rtcConfiguration })],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      connectionGater: {
        // Only the configured nodes and circuits through them are dialled (checked before dialling),
        // so private (LAN, loopback) node addresses are allowed; banned peers never come back.
        denyDialMultiaddr: () => false,
        denyDialPeer: (peer: PeerId) => banned.has(peer.toString()),
        denyInboundEncryptedConnection: (peer: PeerId) => banned.has(peer.toString())
      },
      services: { identify: identify() }
    })
    const swarm = new ViewerSwarm(libp2p, opts, nodes, banned)
    try {
      await libp2p.handle(SHARE_PROTOCOL, createShareHandler(opts.source, {
        served: n => { swarm.counters.bytesToPeers += n; swarm.counters.blocksToPeers++ }
      }), { maxInboundStreams: SHARE_MAX_INBOUND_STREAMS })
      const reached = await Promise.allSettled(nodes.map(async n => await libp2p.dial(n, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })))
      if (!reached.some(r => r.status === 'fulfilled')) throw new P2pdvError(SwarmErrorCode.NO_NODE, 'no node of the swarm could be reached', { hint: 'Check the nodes run with the viewer relay on (the default) and their WebSockets address is reachable.' })
      await swarm.waitForRelayAddress(opts.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS)
      // The first announce and dials go on after the join, bounded: a sampled viewer that never
      // answers (one that just left, a fake) would otherwise hold the join for its dial timeouts
      // (2 × 10 s and a retry), while the player's blocks with slack wait for the swarm. Blocks
      // go to the nodes until a viewer connects anyway.
      swarm.firstRefresh = swarm.refresh()
      swarm.firstRefresh.catch(() => {})
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([swarm.firstRefresh, new Promise(resolve => { timer = setTimeout(resolve, FIRST_DIALS_WAIT_MS) })])
      clearTimeout(timer)
    } catch (err) {
      await libp2p.stop()
      throw err
    }
    swarm.timer = setInterval(() => { swarm.refresh().catch(() => {}) }, opts.announceIntervalMs ?? DEFAULT_ANNOUNCE_INTERVAL_MS)
    return swarm
  }

  get peerId (): string { return this.libp2p.peerId.toString() }

  /** Resolves when the join's first announce and its dials (with their retry) have ended. */
  async settled (): Promise<void> { await this.firstRefresh.catch(() => {}) }

  /** This viewer's WebRTC addresses (through a node's relay): what it announces. */
  relayAddresses (): string[] {
    return this.libp2p.getMultiaddrs().filter(m => WebRTC.matches(m)).map(m => m.toString()).slice(0, MAX_SWARM_ADDRS)
  }

  private async waitForRelayAddress (timeoutMs: number): Promise<void> {
    if (this.relayAddresses().length > 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new P2pdvError(SwarmErrorCode.NO_RELAY, 'no node gave this viewer a relay reservation in time', { hint: 'The nodes\' relays may be full; P2P is skipped and blocks come from nodes.' })) }, timeoutMs)
      const onUpdate = (): void => { if (this.relayAddresses().length > 0) { done(); resolve() } }
      const done = (): void => { clearTimeout(timer); this.libp2p.removeEventListener('self:peer:update', onUpdate) }
      this.libp2p.addEventListener('self:peer:update', onUpdate)
    })
  }

  /** Announces to every connected node and dials new viewers from their samples, up to maxPeers. */
  async refresh (): Promise<void> {
    if (this.stopped) return
    const addrs = this.relayAddresses()
    const samples = await Promise.allSettled(this.nodes.map(async n => await this.announce(n, addrs)))
    const candidates = new Map<string, SwarmPeer>()
    for (const s of samples) if (s.status === 'fulfilled') for (const p of s.value) candidates.set(p.id, p)
    const want = this.maxPeers - this.viewerConnections().length
    const fresh = [...candidates.values()].filter(p => p.id !== this.peerId && !this.banned.has(p.id) && !this.connectedTo(p.id)).slice(0, Math.max(0, want))
    const dials = await Promise.allSettled(fresh.map(async p => { await this.dialViewer(p) }))
    this.dialFailures += dials.filter(d => d.status === 'rejected').length
    // A WebRTC dial through a relay fails now and then on a busy host: one more try shortly after,
    // rather than a viewer alone until the next announce (a minute).
    const failed = fresh.filter((_, i) => dials[i]!.status === 'rejected')
    if (failed.length === 0) return
    await new Promise(resolve => setTimeout(resolve, DIAL_RETRY_MS))
    if (this.stopped) return
    const again = failed.filter(p => !this.banned.has(p.id) && !this.connectedTo(p.id)).slice(0, Math.max(0, this.maxPeers - this.viewerConnections().length))
    const retried = await Promise.allSettled(again.map(async p => { await this.dialViewer(p) }))
    this.dialFailures += retried.filter(d => d.status === 'rejected').length
  }

  private async announce (node: Multiaddr, addrs: string[]): Promise<SwarmPeer[]> {
    const signal = AbortSignal.timeout(DIAL_TIMEOUT_MS)
    const stream = await this.libp2p.dialProtocol(node, SWARM_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_SWARM_RESPONSE_BYTES })
    await lp.write(encodeSwarmAnnounce({ video: this.video, addrs, max: Math.min(MAX_SWARM_SAMPLE, this.maxPeers * 2) }), { signal })
    const r = decodeSwarmResponse((await lp.read({ signal })).subarray())
    await stream.close({ signal }).catch(() => {})
    return r.ok ? r.peers : []
  }

  /**
   * Dials a sampled viewer over WebRTC. Only an address through one of this swarm's own nodes is
   * used (a tracker's answer cannot make the viewer dial anywhere else); without one, the
   * address is rebuilt through the first node.
   */
  private async dialViewer (peer: SwarmPeer): Promise<void> {
    const suffix = `/p2p-circuit/webrtc/p2p/${peer.id}`
    const trusted = this.nodes.map(n => n.toString())
    let target = peer.addrs.find(a => a.endsWith(suffix) && trusted.includes(a.slice(0, -suffix.length)))
    target ??= `${trusted[0]!}${suffix}`
    let addr: Multiaddr
    try { addr = multiaddr(target) } catch { return }
    // A first WebRTC dial between two fresh Chromium pages sometimes stalls in signalling; a
    // second one (over the relayed connection the first opened) connected in our runs.
    let conn: Connection | undefined
    this.dialling++
    try {
      for (let attempt = 1; conn === undefined; attempt++) {
        try {
          conn = await this.libp2p.dial(addr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        } catch (err) {
          if (this.stopped || this.banned.has(peer.id)) return
          if (attempt >= DIAL_ATTEMPTS) throw err
        }
      }
    } finally {
      this.dialling--
    }
    await this.refreshHave(conn).catch(() => {})
  }

  private async refreshHave (conn: Connection): Promise<void> {
    const have = await requestHave(conn, AbortSignal.timeout(this.peerTimeoutMs))
    this.haves.set(conn.remotePeer.toString(), new Set(have.map(c => c.toString())))
  }

  /** Asks every connected viewer what it holds (fetch tries the ones that have a block first). */
  async refreshHaves (): Promise<void> {
    await Promise.allSettled(this.viewerConnections().map(async c => { await this.refreshHave(c) }))
  }

  private connectedTo (peer: string): boolean {
    return this.viewerConnections().some(c => c.remotePeer.toString() === peer)
  }

  /** Direct (unlimited) connections to other viewers: relayed ones carry signalling only. */
  private viewerConnections (): Connection[] {
    const seen = new Set<string>()
    return this.libp2p.getConnections().filter(c => {
      const id = c.remotePeer.toString()
      if (c.status !== 'open' || c.limits !== undefined || this.nodeIds.has(id) || this.banned.has(id) || seen.has(id)) return false
      seen.add(id)
      return true
    })
  }

  /**
   * A block from other viewers, verified against `cid`. Peers that said they hold it are asked
   * first, one at a time, each with its own deadline; a peer whose bytes fail the CID is banned
   * and the next is asked. Throws ERR_P2P_UNAVAILABLE when no peer delivers.
   */
  async fetch (cid: CID, opts: FetchOptions = {}): Promise<Uint8Array> {
    const max = opts.maxBytes ?? MAX_BLOCK_BYTES
    const key = cid.toString()
    const conns = this.viewerConnections()
    const ordered = [...conns.filter(c => this.haves.get(c.remotePeer.toString())?.has(key) === true), ...conns.filter(c => this.haves.get(c.remotePeer.toString())?.has(key) !== true)]
    for (const conn of ordered) {
      opts.signal?.throwIfAborted()
      const peer = conn.remotePeer.toString()
      const busy = this.inFlight.get(peer) ?? 0
      if (this.banned.has(peer) || busy >= MAX_IN_FLIGHT_PER_PEER) continue
      const deadline = AbortSignal.timeout(this.peerTimeoutMs)
      let answer
      this.inFlight.set(peer, busy + 1)
      try {
        answer = await requestBlock(conn, cid, max, opts.signal === undefined ? deadline : AbortSignal.any([opts.signal, deadline]))
      } catch {
        opts.signal?.throwIfAborted()
        continue // silent, slow or malformed: the next peer, then the nodes
      } finally {
        const n = (this.inFlight.get(peer) ?? 1) - 1
        if (n <= 0) this.inFlight.delete(peer)
        else this.inFlight.set(peer, n)
      }
      if ('code' in answer) continue
      try {
        await verifyBlock(cid, answer.bytes)
      } catch {
        this.ban(peer)
        continue
      }
      this.counters.bytesFromPeers += answer.bytes.byteLength
      this.counters.blocksFromPeers++
      return answer.bytes
    }
    throw new P2pdvError(SwarmErrorCode.UNAVAILABLE, `no peer delivered ${key}`, { hint: 'Fetch the block from a node.', details: { cid: key, peers: ordered.length } })
  }

  /** Drops `peer` for the rest of the session: connections closed, never dialled or accepted again. */
  ban (peer: string): void {
    this.banned.add(peer)
    this.haves.delete(peer)
    // Abort, not close: a graceful close waits on the hostile peer's streams and leaves it a
    // half-open connection it could keep using until it notices.
    for (const c of this.libp2p.getConnections().filter(c => c.remotePeer.toString() === peer)) c.abort(new Error('peer banned: its bytes failed their CID'))
  }

  isBanned (peer: string): boolean { return this.banned.has(peer) }

  stats (): ViewerSwarmStats {
    return { ...this.counters, peers: this.viewerConnections().length, banned: this.banned.size, dialFailures: this.dialFailures, dialling: this.dialling }
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.libp2p.stop()
  }
}

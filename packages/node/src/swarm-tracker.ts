/**
 * The viewer tracker, `/p2pdv/swarm/1.0.0`: a viewer announces (video, its own relay/WebRTC
 * addresses) and gets back a random sample of other current viewers of that video, so viewers
 * can fetch ciphertext blocks from each other (sdk ViewerSwarm). The table is bounded three ways
 * so that no peer can flood it: swarms per peer, viewers per video, entries in total; and since
 * peer ids cost nothing to make, per remote IP address too: peer ids listed, and announces per
 * minute (a client minting ids can neither fill swarms nor harvest viewers' addresses). Entries
 * expire after a TTL (viewers re-announce) and are dropped when the viewer disconnects.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Logger } from 'pino'
import { isP2pdvError } from '@p2pdv/core/errors'
import {
  decodeSwarmAnnounce, encodeSwarmResponse, MAX_SWARM_REQUEST_BYTES, SWARM_PROTOCOL, SwarmCode, WireErrorCode,
  type SwarmPeer, type SwarmResponse
} from '@p2pdv/core/wire'

/** Viewers re-announce well within this; a silent one disappears from samples after it. */
export const SWARM_ENTRY_TTL_MS = 2 * 60_000
/** One peer may be listed in this many videos at once (a viewer watches one, maybe a few tabs). */
export const MAX_SWARMS_PER_PEER = 4
/** Viewers listed per video: plenty to find peers, small enough to sample cheaply. */
export const MAX_VIEWERS_PER_VIDEO = 500
/** Entries in the whole table (≈ 1.5 KiB each at most: a few MiB). */
export const MAX_SWARM_ENTRIES = 20_000
/**
 * Peer ids listed from one IP address: a household or office behind one NAT has a few viewers;
 * a client with thousands of fresh ids gets no further than this.
 */
export const MAX_PEERS_PER_IP = 16
/** Announces per IP address per minute (a viewer sends one a minute, plus one at join), and the burst. */
export const MAX_ANNOUNCES_PER_IP_PER_MINUTE = 60
/** Concurrent tracker streams per connection: an announce is one short exchange. */
export const SWARM_MAX_INBOUND_STREAMS = 2
export const SWARM_STREAM_TIMEOUT_MS = 10_000

export interface SwarmTableOptions {
  ttlMs?: number
  maxPerPeer?: number
  maxPerVideo?: number
  maxEntries?: number
  maxPeersPerIp?: number
  announcesPerIpPerMinute?: number
  now?: () => number
  /** A uniform random integer below `n` (injected by tests). */
  randomInt?: (n: number) => number
}

interface Entry { addrs: string[], expires: number }

export interface AnnounceResult {
  peers: SwarmPeer[]
  /** Why the announcer was not listed (it still gets a sample), or a refusal. */
  code?: string
}

export class SwarmTable {
  private readonly videos = new Map<string, Map<string, Entry>>()
  private readonly byPeer = new Map<string, Set<string>>()
  /** The IP address each listed peer announced from, and the listed peers of each IP. */
  private readonly peerIp = new Map<string, string>()
  private readonly byIp = new Map<string, Set<string>>()
  /** Announce budget per IP (a token bucket: tokens, last refill). */
  private readonly budgets = new Map<string, { tokens: number, last: number }>()
  private size = 0
  private readonly maxPerIp: number
  private readonly announcesPerMinute: number
  private readonly ttlMs: number
  private readonly maxPerPeer: number
  private readonly maxPerVideo: number
  private readonly maxEntries: number
  private readonly now: () => number
  private readonly randomInt: (n: number) => number

  constructor (opts: SwarmTableOptions = {}) {
    this.ttlMs = opts.ttlMs ?? SWARM_ENTRY_TTL_MS
    this.maxPerPeer = opts.maxPerPeer ?? MAX_SWARMS_PER_PEER
    this.maxPerVideo = opts.maxPerVideo ?? MAX_VIEWERS_PER_VIDEO
    this.maxEntries = opts.maxEntries ?? MAX_SWARM_ENTRIES
    this.maxPerIp = opts.maxPeersPerIp ?? MAX_PEERS_PER_IP
    this.announcesPerMinute = opts.announcesPerIpPerMinute ?? MAX_ANNOUNCES_PER_IP_PER_MINUTE
    this.now = opts.now ?? Date.now
    this.randomInt = opts.randomInt ?? (n => Math.floor(Math.random() * n))
  }

  get entries (): number { return this.size }

  /**
   * Lists (or refreshes) `peer` in `video`'s swarm and returns up to `max` other live viewers.
   * `ip`: the address the announce came from (its limits are refusals: no sample either).
   */
  announce (video: string, peer: string, addrs: string[], max: number, ip?: string): AnnounceResult {
    if (ip !== undefined && !this.takeAnnounce(ip)) return { peers: [], code: SwarmCode.IP_LIMIT }
    this.expire(video)
    const swarm = this.videos.get(video)
    if (ip !== undefined && !this.byPeer.has(peer) && (this.byIp.get(ip)?.size ?? 0) >= this.maxPerIp) {
      // Entries of this IP's other ids may have expired meanwhile: look before refusing.
      for (const other of [...this.byIp.get(ip) ?? []]) for (const v of [...this.byPeer.get(other) ?? []]) this.expire(v)
      if ((this.byIp.get(ip)?.size ?? 0) >= this.maxPerIp) return { peers: [], code: SwarmCode.IP_LIMIT }
    }
    const code = this.admit(swarm, peer)
    if (code === SwarmCode.PEER_LIMIT) return { peers: [], code }
    const peers = this.sample(swarm, peer, max)
    if (code !== undefined) return { peers, code }
    this.put(video, peer, addrs, ip)
    return { peers }
  }

  /** Spends one of `ip`'s announces (a token bucket refilled at announcesPerMinute). */
  private takeAnnounce (ip: string): boolean {
    const now = this.now()
    const cap = this.announcesPerMinute
    let b = this.budgets.get(ip)
    if (b === undefined) {
      // Bounded like the table: a full map of budgets drops the idle (refilled) ones first.
      if (this.budgets.size >= this.maxEntries) this.sweepBudgets(now)
      if (this.budgets.size >= this.maxEntries) return false
      b = { tokens: cap, last: now }
      this.budgets.set(ip, b)
    }
    b.tokens = Math.min(cap, b.tokens + (now - b.last) * cap / 60_000)
    b.last = now
    if (b.tokens < 1) return false
    b.tokens--
    return true
  }

  private sweepBudgets (now: number): void {
    const cap = this.announcesPerMinute
    for (const [ip, b] of this.budgets) if (b.tokens + (now - b.last) * cap / 60_000 >= cap) this.budgets.delete(ip)
  }

  private admit (swarm: Map<string, Entry> | undefined, peer: string): string | undefined {
    if (swarm?.has(peer) === true) return undefined // a refresh
    const mine = this.byPeer.get(peer)
    if (mine !== undefined) for (const v of mine) this.expire(v)
    if ((this.byPeer.get(peer)?.size ?? 0) >= this.maxPerPeer) return SwarmCode.PEER_LIMIT
    if ((swarm?.size ?? 0) >= this.maxPerVideo || this.size >= this.maxEntries) return SwarmCode.FULL
    return undefined
  }

  private put (video: string, peer: string, addrs: string[], ip: string | undefined): void {
    let swarm = this.videos.get(video)
    if (swarm === undefined) { swarm = new Map(); this.videos.set(video, swarm) }
    if (!swarm.has(peer)) {
      this.size++
      let mine = this.byPeer.get(peer)
      if (mine === undefined) {
        mine = new Set()
        this.byPeer.set(peer, mine)
        if (ip !== undefined) {
          this.peerIp.set(peer, ip)
          let ids = this.byIp.get(ip)
          if (ids === undefined) { ids = new Set(); this.byIp.set(ip, ids) }
          ids.add(peer)
        }
      }
      mine.add(video)
    }
    // Re-inserted at the end: a swarm's map stays ordered by expiry, so expire() stops early.
    swarm.delete(peer)
    swarm.set(peer, { addrs, expires: this.now() + this.ttlMs })
  }

  /** A uniform sample without replacement (partial Fisher–Yates over the live entries). */
  private sample (swarm: Map<string, Entry> | undefined, exclude: string, max: number): SwarmPeer[] {
    if (swarm === undefined) return []
    const all: SwarmPeer[] = []
    for (const [id, e] of swarm) if (id !== exclude) all.push({ id, addrs: e.addrs })
    const n = Math.min(max, all.length)
    for (let i = 0; i < n; i++) {
      const j = i + this.randomInt(all.length - i)
      const t = all[i] as SwarmPeer
      all[i] = all[j] as SwarmPeer
      all[j] = t
    }
    return all.slice(0, n)
  }

  private expire (video: string): void {
    const swarm = this.videos.get(video)
    if (swarm === undefined) return
    const now = this.now()
    for (const [peer, e] of swarm) {
      if (e.expires > now) break
      this.remove(video, swarm, peer)
    }
  }

  private remove (video: string, swarm: Map<string, Entry>, peer: string): void {
    if (!swarm.delete(peer)) return
    this.size--
    if (swarm.size === 0) this.videos.delete(video)
    const mine = this.byPeer.get(peer)
    mine?.delete(video)
    if (mine?.size === 0) {
      this.byPeer.delete(peer)
      const ip = this.peerIp.get(peer)
      this.peerIp.delete(peer)
      const ids = ip === undefined ? undefined : this.byIp.get(ip)
      ids?.delete(peer)
      if (ids?.size === 0) this.byIp.delete(ip!)
    }
  }

  /** Forgets a viewer everywhere (it disconnected). */
  dropPeer (peer: string): void {
    for (const video of [...this.byPeer.get(peer) ?? []]) {
      const swarm = this.videos.get(video)
      if (swarm !== undefined) this.remove(video, swarm, peer)
    }
  }

  /** Drops every expired entry (called periodically, so idle swarms do not linger). */
  sweep (): void {
    for (const video of [...this.videos.keys()]) this.expire(video)
    this.sweepBudgets(this.now())
  }
}

/** True when `addr` is an address of `peer` itself: it ends in `/p2p/<peer>`. */
function ownAddress (addr: string, peer: PeerId): boolean {
  return addr.endsWith(`/p2p/${peer.toString()}`) && addr.includes('/p2p-circuit')
}

/** The IP address of a connection's remote end (`/ip4/…` or `/ip6/…`), or undefined. */
export function remoteIp (remoteAddr: { toString: () => string } | undefined): string | undefined {
  return /^\/ip[46]\/([^/]+)/.exec(remoteAddr?.toString() ?? '')?.[1]
}

export function createSwarmHandler (table: SwarmTable, log: Logger) {
  return async (stream: Stream, connection: { remotePeer: PeerId, remoteAddr?: { toString: () => string } }): Promise<void> => {
    const lp = lpStream(stream, { maxDataLength: MAX_SWARM_REQUEST_BYTES })
    const signal = AbortSignal.timeout(SWARM_STREAM_TIMEOUT_MS)
    try {
      let response: SwarmResponse
      try {
        const announce = decodeSwarmAnnounce((await lp.read({ signal })).subarray())
        if (!announce.addrs.every(a => ownAddress(a, connection.remotePeer))) {
          response = { v: 1, ok: false, code: SwarmCode.NOT_YOUR_ADDRESS, message: 'announce only your own relay addresses, ending in /p2p/<your peer id>' }
        } else {
          const r = table.announce(announce.video, connection.remotePeer.toString(), announce.addrs, announce.max, remoteIp(connection.remoteAddr))
          response = r.code === SwarmCode.PEER_LIMIT
            ? { v: 1, ok: false, code: r.code, message: `a viewer may be in at most ${MAX_SWARMS_PER_PEER} swarms at once` }
            : r.code === SwarmCode.IP_LIMIT
              ? { v: 1, ok: false, code: r.code, message: `at most ${MAX_PEERS_PER_IP} viewers and ${MAX_ANNOUNCES_PER_IP_PER_MINUTE} announces a minute per IP address` }
              : { v: 1, ok: true, peers: r.peers, ...(r.code === undefined ? {} : { code: r.code }) }
        }
      } catch (err) {
        if (signal.aborted) throw err
        response = { v: 1, ok: false, code: isP2pdvError(err) ? err.code : WireErrorCode.MALFORMED, message: `send one length-prefixed announce of at most ${MAX_SWARM_REQUEST_BYTES} bytes` }
      }
      await lp.write(encodeSwarmResponse(response), { signal })
      await stream.close({ signal })
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'swarm stream ended with an error')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

/** Serves the tracker on `libp2p` until `stop`; entries of a viewer go when it disconnects. */
export async function startSwarmTracker (libp2p: Libp2p, log: Logger, table = new SwarmTable()): Promise<{ table: SwarmTable, stop: () => void }> {
  await libp2p.handle(SWARM_PROTOCOL, createSwarmHandler(table, log), { maxInboundStreams: SWARM_MAX_INBOUND_STREAMS })
  const onDisconnect = (evt: CustomEvent<PeerId>): void => { table.dropPeer(evt.detail.toString()) }
  libp2p.addEventListener('peer:disconnect', onDisconnect)
  const sweeper = setInterval(() => { table.sweep() }, SWARM_ENTRY_TTL_MS / 2)
  sweeper.unref?.()
  return { table, stop: () => { clearInterval(sweeper); libp2p.removeEventListener('peer:disconnect', onDisconnect) } }
}

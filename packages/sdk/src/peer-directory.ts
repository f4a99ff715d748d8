/**
 * Where the client finds nodes, the way the nodes find each other: peers are known by peer id, and
 * their addresses are learnt from any live node's peer list (`GET /api/v1/peers`), then kept in a
 * cache file (the client's home, one file per network). A URL a list names is used only after it
 * answered as the peer id listed for it (`GET /api/v1/node`): a stale list, or a port another node
 * took over, never sends a client to the wrong node. (A node that lies about its own peer id is
 * not caught here; its receipts are — they are signed with the peer id's key — and reads are
 * verified by CID.) Node-only: the cache is a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { checkedHttpOrigin, nodeInfo, peerList } from './node-status.ts'
import type { PeerInfo } from './peers.ts'

export const PeerDirectoryErrorCode = {
  /** The URL answered as another peer id than the one listed for it. */
  MISMATCH: 'ERR_PEER_ID_MISMATCH',
  UNREACHABLE: 'ERR_NODE_UNREACHABLE'
} as const

export const DIRECTORY_FORMAT = 1
/** Peers kept in the cache file, most recently seen first. */
export const MAX_CACHED_PEERS = 1024
/** A peer not seen (verified) for this long is dropped from the cache. */
export const FORGET_AFTER_MS = 7 * 24 * 3600_000
/** Refreshes closer together than this reuse the last one (many failing reads share one refresh). */
export const REFRESH_MIN_INTERVAL_MS = 2_000
/** Live nodes whose peer lists one refresh reads. */
export const REFRESH_SOURCES = 8
/** URLs one refresh checks (new peers, or known ones at a new address). */
export const MAX_VERIFICATIONS = 64

/** A peer and when it last answered as itself (ms since epoch; 0: never checked, e.g. a devnet.json entry). */
export interface CachedPeer extends PeerInfo { seen: number }

export interface RefreshReport {
  /** Nodes whose lists were read. */
  sources: number
  added: string[]
  moved: string[]
  /** Listed addresses not used, with why (ERR_PEER_ID_MISMATCH, ERR_NODE_UNREACHABLE). */
  rejected: Array<{ peerId: string, http: string, code: string }>
}

export interface PeerDirectoryOptions {
  /** The cache file (JSON, mode 0600); none: in memory only. */
  file?: string
  /** Where to start: devnet.json's nodes, `--node` URLs. An entry replaces a cached one only if seen later. */
  seeds?: Array<PeerInfo & { seen?: number }>
  /** Who answers at a URL (default: the checked `GET /api/v1/node`). */
  identify?: (http: string, signal?: AbortSignal) => Promise<PeerInfo>
  /** A node's peer list (default: the checked `GET /api/v1/peers`). */
  list?: (http: string, signal?: AbortSignal) => Promise<Array<{ peerId: string, http: string }>>
  now?: () => number
}

const MAX_ID_CHARS = 128
const MAX_ADDRS = 64
const MAX_ADDR_CHARS = 512

function checkedEntry (v: unknown): CachedPeer | undefined {
  const e = v as { peerId?: unknown, http?: unknown, multiaddrs?: unknown, seen?: unknown } | null
  const http = checkedHttpOrigin(e?.http)
  if (e === null || typeof e.peerId !== 'string' || e.peerId.length === 0 || e.peerId.length > MAX_ID_CHARS || http === undefined) return undefined
  const multiaddrs = Array.isArray(e.multiaddrs) ? e.multiaddrs.filter((a): a is string => typeof a === 'string' && a.length <= MAX_ADDR_CHARS).slice(0, MAX_ADDRS) : []
  const seen = typeof e.seen === 'number' && Number.isFinite(e.seen) && e.seen >= 0 ? e.seen : 0
  return { peerId: e.peerId, http, multiaddrs, seen }
}

export class PeerDirectory {
  private readonly entries = new Map<string, CachedPeer>()
  private readonly file: string | undefined
  private readonly identify: NonNullable<PeerDirectoryOptions['identify']>
  private readonly list: NonNullable<PeerDirectoryOptions['list']>
  private readonly now: () => number
  private refreshing: Promise<PeerInfo[]> | undefined
  private refreshedAt = -Infinity
  /** What the last refresh found (for logs and tests). */
  lastRefresh: RefreshReport | undefined

  private constructor (options: PeerDirectoryOptions) {
    this.file = options.file
    this.identify = options.identify ?? (async (http, signal) => await nodeInfo(http, signal))
    this.list = options.list ?? (async (http, signal) => await peerList(http, signal))
    this.now = options.now ?? Date.now
  }

  /** Loads the cache file (a missing or damaged one is an empty cache), then merges the seeds. */
  static async open (options: PeerDirectoryOptions = {}): Promise<PeerDirectory> {
    const d = new PeerDirectory(options)
    if (options.file !== undefined) {
      let parsed: unknown
      try { parsed = JSON.parse(await readFile(options.file, 'utf8')) } catch { parsed = undefined }
      const list = (parsed as { version?: unknown, peers?: unknown } | undefined)
      if (list?.version === DIRECTORY_FORMAT && Array.isArray(list.peers)) {
        const oldest = d.now() - FORGET_AFTER_MS
        for (const raw of list.peers.slice(0, MAX_CACHED_PEERS)) {
          const e = checkedEntry(raw)
          if (e !== undefined && (e.seen === 0 || e.seen >= oldest)) d.entries.set(e.peerId, e)
        }
      }
    }
    for (const s of options.seeds ?? []) {
      const e = checkedEntry({ ...s, seen: s.seen ?? 0 })
      const known = e === undefined ? undefined : d.entries.get(e.peerId)
      if (e !== undefined && (known === undefined || e.seen > known.seen)) d.entries.set(e.peerId, e)
    }
    return d
  }

  /** Every known peer, most recently seen first. */
  peers (): PeerInfo[] {
    return [...this.entries.values()].sort((a, b) => b.seen - a.seen).map(({ seen: _seen, ...p }) => p)
  }

  get (peerId: string): CachedPeer | undefined {
    return this.entries.get(peerId)
  }

  /**
   * Checks that `http` answers as `peerId` and remembers it there. Throws ERR_PEER_ID_MISMATCH
   * when another peer answers, ERR_NODE_UNREACHABLE when none does.
   */
  async verify (peerId: string, http: string, signal?: AbortSignal): Promise<CachedPeer> {
    let info: PeerInfo
    try {
      info = await this.identify(http, signal)
    } catch (cause) {
      if (isP2pdvError(cause, 'ERR_BAD_NODE_INFO')) throw cause
      throw new P2pdvError(PeerDirectoryErrorCode.UNREACHABLE, `no node answers at ${http}`, { hint: 'It may be down or have moved; another node\'s peer list may know where.', cause })
    }
    if (info.peerId !== peerId) {
      throw new P2pdvError(PeerDirectoryErrorCode.MISMATCH, `${http} answers as another peer than the one listed for it`, {
        hint: 'A peer list was stale or lied; that address is not used for this peer.',
        details: { expected: peerId, answered: info.peerId, http }
      })
    }
    const entry: CachedPeer = { peerId, http: info.http, multiaddrs: info.multiaddrs, seen: this.now() }
    this.entries.set(peerId, entry)
    return entry
  }

  /**
   * Reads the peer lists of up to REFRESH_SOURCES known nodes, checks every new address they
   * name (new peers, known peers no longer answering where they were) and keeps those that answer
   * as listed; then saves
   * the cache. Concurrent calls share one refresh, and one within REFRESH_MIN_INTERVAL_MS of the
   * last returns its result. Resolves with every known peer.
   */
  async refresh (signal?: AbortSignal): Promise<PeerInfo[]> {
    if (this.refreshing !== undefined) return await this.refreshing
    if (this.now() - this.refreshedAt < REFRESH_MIN_INTERVAL_MS) return this.peers()
    this.refreshing = this.refreshOnce(signal).finally(() => {
      this.refreshing = undefined
      this.refreshedAt = this.now()
    })
    return await this.refreshing
  }

  private async refreshOnce (signal?: AbortSignal): Promise<PeerInfo[]> {
    const report: RefreshReport = { sources: 0, added: [], moved: [], rejected: [] }
    const sources = [...this.entries.values()].sort((a, b) => b.seen - a.seen).slice(0, REFRESH_SOURCES)
    const claims = new Map<string, { peerId: string, http: string }>()
    await Promise.all(sources.map(async src => {
      let listed: Array<{ peerId: string, http: string }>
      try { listed = await this.list(src.http, signal) } catch { return }
      report.sources++
      for (const c of listed) {
        // The node lists itself first: another peer id there means the cached address is stale
        // (another node has the port now); the peer is found again through a list.
        if (c.http === src.http && c.peerId !== src.peerId && this.entries.get(src.peerId)?.http === src.http) this.entries.delete(src.peerId)
        if (this.entries.get(c.peerId)?.http === c.http) continue
        claims.set(`${c.peerId} ${c.http}`, c)
      }
    }))
    // A known peer listed at another address may still answer where the client has it (a second
    // address, a proxy, a list that is behind): it moves only if it no longer does.
    const stillThere = new Map<string, Promise<boolean>>()
    const answersAt = (peerId: string, http: string): Promise<boolean> => {
      let p = stillThere.get(peerId)
      if (p === undefined) {
        p = this.identify(http, signal).then(i => i.peerId === peerId, () => false)
        stillThere.set(peerId, p)
      }
      return p
    }
    await Promise.all([...claims.values()].slice(0, MAX_VERIFICATIONS).map(async c => {
      const before = this.entries.get(c.peerId)
      if (before !== undefined && await answersAt(c.peerId, before.http)) return
      try {
        await this.verify(c.peerId, c.http, signal)
        if (before === undefined) report.added.push(c.peerId)
        else if (before.http !== c.http) report.moved.push(c.peerId)
      } catch (err) {
        report.rejected.push({ peerId: c.peerId, http: c.http, code: err instanceof P2pdvError ? err.code : PeerDirectoryErrorCode.UNREACHABLE })
      }
    }))
    this.lastRefresh = report
    await this.save().catch(() => {})
    return this.peers()
  }

  /** Writes the cache file (atomically, 0600), most recently seen first, at most MAX_CACHED_PEERS. */
  async save (): Promise<void> {
    if (this.file === undefined) return
    const peers = [...this.entries.values()].sort((a, b) => b.seen - a.seen).slice(0, MAX_CACHED_PEERS)
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 })
    const tmp = `${this.file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify({ version: DIRECTORY_FORMAT, peers }, null, 1) + '\n', { mode: 0o600 })
    await rename(tmp, this.file)
  }
}

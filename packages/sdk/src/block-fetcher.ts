/**
 * Fetches ciphertext blocks by CID over the nodes' HTTP data plane (IPFS trustless gateway,
 * raw blocks). Every block is verified against its CID before it is returned; a node that times
 * out, errors, or serves bytes that do not hash to the CID is marked down and the next node is
 * tried. When no known node has a block, the nodes' delegated-routing endpoint is asked for
 * providers, and those are tried too.
 */
import { CID } from 'multiformats/cid'
import { CidErrorCode, httpUrlFromMultiaddr, verifyBlock } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { NodeClient } from '@p2pdv/node-client'
import type { PeerInfo, PeerSet } from './peers.ts'
import type { BlockCache } from './block-cache.ts'

export const FetchErrorCode = {
  NOT_FOUND: 'ERR_BLOCK_UNAVAILABLE',
  ABORTED: 'ERR_ABORTED'
} as const

export const DEFAULT_BLOCK_TIMEOUT_MS = 10_000
/** A node silent for this long gets a second node asked beside it. */
export const DEFAULT_FETCH_HEDGE_MS = 750
const PROVIDER_LOOKUP_TIMEOUT_MS = 5_000

/** A node's answer to a block GET: the body only with status 200. */
export interface BlockResponse { status: number, body?: Uint8Array }

/** GETs a URL's body of at most `limit` bytes (ERR_BLOCK_TOO_LARGE beyond). */
export type GetBlock = (url: string, limit: number, signal: AbortSignal) => Promise<BlockResponse>

export interface BlockFetcherOptions {
  timeoutMs?: number
  /** How bodies are read: fetch by default (browsers); the Node client passes node:http. */
  get?: GetBlock
  hedgeMs?: number
  /** Checked before any node: blocks kept for offline use. */
  cache?: BlockCache
  /** Called for each failed attempt, for logs and metrics (never contains key material). */
  onAttemptFailed?: (event: { cid: string, peerId: string, reason: string }) => void
  /** Called for each verified block received from a node (not the cache), for stats. */
  onFetched?: (event: { cid: string, peerId: string, bytes: number }) => void
  /**
   * Learns where peers are now (the client's PeerDirectory, into the peer set). Called when no
   * known node had a block, before giving up: a holder may have moved.
   */
  refreshPeers?: (signal?: AbortSignal) => Promise<void>
}

export interface FetchedBlock {
  bytes: Uint8Array
  peerId: string
}

export class BlockFetcher {
  private readonly peers: PeerSet
  private readonly timeoutMs: number
  private readonly hedgeMs: number
  private readonly onAttemptFailed: BlockFetcherOptions['onAttemptFailed']
  private readonly onFetched: BlockFetcherOptions['onFetched']
  private readonly cache: BlockCache | undefined
  private readonly refreshPeers: BlockFetcherOptions['refreshPeers']
  private readonly rejectListeners = new Set<(peerId: string) => void>()
  /** How bodies are read (fetch, or node:http in the Node client); other small reads use it too. */
  readonly get: GetBlock

  constructor (peers: PeerSet, options: BlockFetcherOptions = {}) {
    this.peers = peers
    this.get = options.get ?? fetchBlockBody
    this.timeoutMs = options.timeoutMs ?? DEFAULT_BLOCK_TIMEOUT_MS
    this.hedgeMs = options.hedgeMs ?? DEFAULT_FETCH_HEDGE_MS
    this.onAttemptFailed = options.onAttemptFailed
    this.onFetched = options.onFetched
    this.cache = options.cache
    this.refreshPeers = options.refreshPeers
  }

  /**
   * `prefer`: nodes known to hold the block, asked first. With `only`, no other node is asked and
   * no provider lookup is made (the erasure reader decodes from parity instead). `first`: the
   * node asked first when it is not backing off (reads spread over a hot block's holders).
   */
  async fetch (cid: CID, signal?: AbortSignal, prefer?: ReadonlySet<string>, options: { only?: boolean, first?: string } = {}): Promise<FetchedBlock> {
    const cached = await this.cache?.get(cid)
    if (cached !== undefined) return { bytes: cached, peerId: 'local-cache' }
    // By peer and address: a peer that moved is worth asking again at its new address.
    const tried = new Set<string>()
    const tryKey = (p: PeerInfo): string => `${p.peerId} ${p.http}`
    const reasons: string[] = []
    // Hedged: a node that has not answered within hedgeMs gets company (the next candidate);
    // the first verified answer wins and the others are cancelled.
    const attempt = async (candidates: PeerInfo[]): Promise<FetchedBlock | undefined> => await new Promise<FetchedBlock | undefined>((resolve, reject) => {
      const list = candidates.filter(p => !tried.has(tryKey(p)))
      const running = new Map<string, { controller: AbortController, started: number, timer: NodeJS.Timeout }>()
      let next = 0
      let done = false
      const finish = (value: FetchedBlock | undefined, err?: unknown): void => {
        if (done) return
        done = true
        signal?.removeEventListener('abort', onAbort)
        for (const r of running.values()) { clearTimeout(r.timer); r.controller.abort() }
        if (err !== undefined) reject(err)
        else resolve(value)
      }
      const onAbort = (): void => { finish(undefined, abortError(signal!)) }
      signal?.addEventListener('abort', onAbort, { once: true })
      const launch = (): void => {
        if (done) return
        if (next >= list.length) { if (running.size === 0) finish(undefined); return }
        const peer = list[next++]!
        tried.add(tryKey(peer))
        const controller = new AbortController()
        const started = performance.now()
        const timer = setTimeout(launch, this.hedgeMs)
        running.set(peer.peerId, { controller, started, timer })
        this.fetchFrom(peer, cid, signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal])).then(bytes => {
          clearTimeout(timer)
          running.delete(peer.peerId)
          if (done) return
          this.peers.recordSuccess(peer.peerId, performance.now() - started)
          // Nodes asked earlier and still silent were slower than this one: let them back off.
          for (const [id, r] of running) if (r.started < started) this.peers.recordFailure(id)
          this.onFetched?.({ cid: cid.toString(), peerId: peer.peerId, bytes: bytes.byteLength })
          finish({ bytes, peerId: peer.peerId })
        }, err => {
          clearTimeout(timer)
          running.delete(peer.peerId)
          if (done) return
          const reason = err instanceof P2pdvError ? err.code : (err as Error).name
          reasons.push(`${peer.peerId.slice(-8)}: ${reason}`)
          // 404 is an honest "I don't have it", not a fault of the node.
          if (reason !== 'ERR_NOT_FOUND') this.peers.recordFailure(peer.peerId)
          this.onAttemptFailed?.({ cid: cid.toString(), peerId: peer.peerId, reason })
          if (reason === CidErrorCode.HASH_MISMATCH) for (const fn of this.rejectListeners) fn(peer.peerId)
          launch()
        })
      }
      if (signal?.aborted === true) { finish(undefined, abortError(signal)); return }
      launch()
    })

    const ranked = this.peers.ranked(prefer)
    const lead = options.first === undefined || this.peers.isBackingOff(options.first) ? -1 : ranked.findIndex(p => p.peerId === options.first)
    if (lead > 0) ranked.unshift(...ranked.splice(lead, 1))
    const eligible = (peers: PeerInfo[]): PeerInfo[] => options.only === true && prefer !== undefined ? peers.filter(p => prefer.has(p.peerId)) : peers
    const found = await attempt(eligible(ranked))
    if (found !== undefined) return found
    // A holder may have moved (a restart on new ports) or be one this client never knew.
    if (this.refreshPeers !== undefined && signal?.aborted !== true) {
      await this.refreshPeers(signal).catch(() => {})
      const moved = await attempt(eligible(this.peers.ranked(prefer)))
      if (moved !== undefined) return moved
    }
    // Known nodes were all asked above; only new ones are worth a second round.
    const providers = options.only === true ? [] : (await this.providers(cid, signal)).filter(p => !tried.has(tryKey(p)))
    for (const p of providers) this.peers.add(p)
    const late = await attempt(providers)
    if (late !== undefined) return late
    throw new P2pdvError(FetchErrorCode.NOT_FOUND, `block ${cid.toString()} could not be fetched from any of ${tried.size} node(s)`, {
      hint: 'Too many nodes holding this data are down or corrupt. Start more nodes (or wait for them to come back) and retry.',
      details: { cid: cid.toString(), attempts: reasons }
    })
  }

  /** Hears of every node whose bytes failed their CID (the reader drops it as a hot copy). */
  onRejected (fn: (peerId: string) => void): void { this.rejectListeners.add(fn) }

  private async fetchFrom (peer: PeerInfo, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const res = await this.get(`${peer.http}/ipfs/${cid.toString()}?format=raw`, MAX_BLOCK_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
    if (res.status === 404) throw new P2pdvError('ERR_NOT_FOUND', 'not found')
    if (res.status !== 200 || res.body === undefined) throw new P2pdvError(`ERR_HTTP_${res.status}`, `HTTP ${res.status}`)
    const bytes = res.body
    // Throws ERR_BLOCK_HASH_MISMATCH: the copy is dropped and the next node is asked.
    await verifyBlock(cid, bytes)
    return bytes
  }

  /**
   * Asks the best three nodes' delegated routing endpoints who provides the CID (a node answers
   * from its own store, the placement records it keeps and the DHT). Nodes already known come
   * back as known; new ones are not added to the peer set here.
   */
  async providers (cid: CID, signal?: AbortSignal): Promise<PeerInfo[]> {
    const found = new Map<string, PeerInfo>()
    await Promise.all(this.peers.ranked().slice(0, 3).map(async peer => {
      try {
        const listed = await new NodeClient(peer.http, { peerId: peer.peerId }).providers(cid, { timeoutMs: PROVIDER_LOOKUP_TIMEOUT_MS, ...(signal === undefined ? {} : { signal }) })
        for (const p of listed) {
          if (found.has(p.peerId)) continue
          const known = this.peers.get(p.peerId)
          if (known !== undefined) { found.set(p.peerId, known); continue }
          const http = p.addrs.map(httpUrlFromMultiaddr).find(u => u !== undefined)
          if (http === undefined) continue
          found.set(p.peerId, { peerId: p.peerId, multiaddrs: p.addrs.filter(a => !a.endsWith('/http')), http })
        }
      } catch {
        // A node that cannot answer a routing query is just skipped; the read fails over anyway.
      }
    }))
    return [...found.values()]
  }
}

/** The default GetBlock, over fetch. */
export async function fetchBlockBody (url: string, limit: number, signal: AbortSignal): Promise<BlockResponse> {
  const res = await fetch(url, { headers: { accept: 'application/vnd.ipld.raw' }, signal })
  if (res.status !== 200) {
    await res.body?.cancel()
    return { status: res.status }
  }
  return { status: 200, body: await readLimited(res, limit) }
}

async function readLimited (res: Response, limit: number): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0)
  const declared = Number(res.headers.get('content-length') ?? NaN)
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity'
  if (!encoded && Number.isSafeInteger(declared) && declared >= 0) {
    // The usual case: one buffer of the announced size, filled as parts arrive (no list of parts
    // and no second copy). A body longer than announced is refused; a shorter one is returned as
    // is and fails its hash.
    if (declared > limit) { await res.body.cancel(); throw new P2pdvError('ERR_BLOCK_TOO_LARGE', 'block larger than the protocol maximum') }
    const out = new Uint8Array(declared)
    let off = 0
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (off + part.byteLength > declared) throw new P2pdvError('ERR_BLOCK_TOO_LARGE', 'the node sent more bytes than it announced')
      out.set(part, off)
      off += part.byteLength
    }
    return off === declared ? out : out.subarray(0, off)
  }
  const parts: Uint8Array[] = []
  let size = 0
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += part.byteLength
    if (size > limit) throw new P2pdvError('ERR_BLOCK_TOO_LARGE', 'block larger than the protocol maximum')
    parts.push(part)
  }
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(size)
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.byteLength }
  return out
}

export { httpUrlFromMultiaddr }

function abortError (signal: AbortSignal): P2pdvError {
  return new P2pdvError(FetchErrorCode.ABORTED, 'the read was cancelled', { cause: signal.reason })
}

export { CID }

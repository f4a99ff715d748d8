/**
 * Fetches ciphertext blocks by CID over the nodes' HTTP data plane (IPFS trustless gateway,
 * raw blocks). Every block is verified against its CID before it is returned; a node that times
 * out, errors, or serves bytes that do not hash to the CID is marked down and the next node is
 * tried. When no known node has a block, the nodes' delegated-routing endpoint is asked for
 * providers, and those are tried too.
 */
import { CID } from 'multiformats/cid'
import { httpUrlFromMultiaddr, verifyBlock } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import type { PeerInfo, PeerSet } from './peers.ts'
import type { BlockCache } from './block-cache.ts'

export const FetchErrorCode = {
  NOT_FOUND: 'ERR_BLOCK_UNAVAILABLE',
  ABORTED: 'ERR_ABORTED'
} as const

export const DEFAULT_BLOCK_TIMEOUT_MS = 10_000
const PROVIDER_LOOKUP_TIMEOUT_MS = 5_000

export interface BlockFetcherOptions {
  timeoutMs?: number
  /** Checked before any node: blocks kept for offline use. */
  cache?: BlockCache
  /** Called for each failed attempt, for logs and metrics (never contains key material). */
  onAttemptFailed?: (event: { cid: string, peerId: string, reason: string }) => void
}

export interface FetchedBlock {
  bytes: Uint8Array
  peerId: string
}

export class BlockFetcher {
  private readonly peers: PeerSet
  private readonly timeoutMs: number
  private readonly onAttemptFailed: BlockFetcherOptions['onAttemptFailed']
  private readonly cache: BlockCache | undefined

  constructor (peers: PeerSet, options: BlockFetcherOptions = {}) {
    this.peers = peers
    this.timeoutMs = options.timeoutMs ?? DEFAULT_BLOCK_TIMEOUT_MS
    this.onAttemptFailed = options.onAttemptFailed
    this.cache = options.cache
  }

  async fetch (cid: CID, signal?: AbortSignal, prefer?: ReadonlySet<string>): Promise<FetchedBlock> {
    const cached = await this.cache?.get(cid)
    if (cached !== undefined) return { bytes: cached, peerId: 'local-cache' }
    const tried = new Set<string>()
    const reasons: string[] = []
    const attempt = async (candidates: PeerInfo[]): Promise<FetchedBlock | undefined> => {
      for (const peer of candidates) {
        if (tried.has(peer.peerId)) continue
        tried.add(peer.peerId)
        if (signal?.aborted === true) throw abortError(signal)
        const started = performance.now()
        try {
          const bytes = await this.fetchFrom(peer, cid, signal)
          this.peers.recordSuccess(peer.peerId, performance.now() - started)
          return { bytes, peerId: peer.peerId }
        } catch (err) {
          if (isAborted(signal)) throw abortError(signal!)
          const reason = err instanceof P2pdvError ? err.code : (err as Error).name
          reasons.push(`${peer.peerId.slice(-8)}: ${reason}`)
          // 404 is an honest "I don't have it", not a fault of the node.
          if (reason !== 'ERR_NOT_FOUND') this.peers.recordFailure(peer.peerId)
          this.onAttemptFailed?.({ cid: cid.toString(), peerId: peer.peerId, reason })
        }
      }
      return undefined
    }

    const found = await attempt(this.peers.ranked(prefer))
    if (found !== undefined) return found
    const providers = await this.findProviders(cid, signal)
    for (const p of providers) this.peers.add(p)
    const late = await attempt(providers)
    if (late !== undefined) return late
    throw new P2pdvError(FetchErrorCode.NOT_FOUND, `block ${cid.toString()} could not be fetched from any of ${tried.size} node(s)`, {
      hint: 'Too many nodes holding this data are down or corrupt. Start more nodes (or wait for them to come back) and retry.',
      details: { cid: cid.toString(), attempts: reasons }
    })
  }

  private async fetchFrom (peer: PeerInfo, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const res = await fetch(`${peer.http}/ipfs/${cid.toString()}?format=raw`, {
      headers: { accept: 'application/vnd.ipld.raw' },
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    })
    if (res.status === 404) {
      await res.body?.cancel()
      throw new P2pdvError('ERR_NOT_FOUND', 'not found')
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw new P2pdvError(`ERR_HTTP_${res.status}`, `HTTP ${res.status}`)
    }
    const declared = Number(res.headers.get('content-length') ?? '0')
    if (declared > MAX_BLOCK_BYTES) {
      await res.body?.cancel()
      throw new P2pdvError('ERR_BLOCK_TOO_LARGE', 'block larger than the protocol maximum')
    }
    const bytes = await readLimited(res, MAX_BLOCK_BYTES)
    // Throws ERR_BLOCK_HASH_MISMATCH: the copy is dropped and the next node is asked.
    await verifyBlock(cid, bytes)
    return bytes
  }

  /** Asks each reachable node's delegated routing endpoint who provides the CID. */
  private async findProviders (cid: CID, signal?: AbortSignal): Promise<PeerInfo[]> {
    const found = new Map<string, PeerInfo>()
    await Promise.all(this.peers.ranked().slice(0, 3).map(async peer => {
      try {
        const timeout = AbortSignal.timeout(PROVIDER_LOOKUP_TIMEOUT_MS)
        const res = await fetch(`${peer.http}/routing/v1/providers/${cid.toString()}`, {
          headers: { accept: 'application/json' },
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout])
        })
        if (!res.ok) { await res.body?.cancel(); return }
        const body = await res.json() as { Providers?: Array<{ ID?: unknown, Addrs?: unknown }> }
        for (const p of body.Providers ?? []) {
          if (typeof p.ID !== 'string' || found.has(p.ID) || this.peers.get(p.ID) !== undefined) continue
          const addrs = Array.isArray(p.Addrs) ? p.Addrs.filter((a): a is string => typeof a === 'string') : []
          const http = addrs.map(httpUrlFromMultiaddr).find(u => u !== undefined)
          if (http === undefined) continue
          found.set(p.ID, { peerId: p.ID, multiaddrs: addrs.filter(a => !a.endsWith('/http')), http })
        }
      } catch {
        // A node that cannot answer a routing query is just skipped; the read fails over anyway.
      }
    }))
    return [...found.values()]
  }
}

async function readLimited (res: Response, limit: number): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0)
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

function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

function abortError (signal: AbortSignal): P2pdvError {
  return new P2pdvError(FetchErrorCode.ABORTED, 'the read was cancelled', { cause: signal.reason })
}

export { CID }

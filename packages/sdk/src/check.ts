/**
 * `check`: how healthy an object's redundancy is, stripe by stripe. Holders come from the
 * placement record (every node when there is none). The cheap check asks each holder whether it
 * has the block (HEAD, and the size must match); `verify` downloads every copy and hashes it
 * against its CID, which also catches nodes that answer HEAD but have lost or damaged the data.
 *
 * A holder that does not answer in time is not counted as missing: on a loaded machine or network
 * a live node can be slow, and calling its block lost would make `check` (and anything that acts
 * on it) cry wolf. Such a probe is retried once with a longer timeout; a holder that times out
 * twice is reported as `timedOut`, and a stripe whose verdict depends on those holders is
 * `unknown` rather than `lost` or `degraded`. A refused connection or a 404 is a real answer.
 */
import { objectBlocks, type CID, type Manifest } from '@p2pdv/core'
import { isP2pdvError } from '@p2pdv/core/errors'
import { NodeClient, NodeClientErrorCode } from '@p2pdv/node-client'
import { stripeSpread, type PlacementDegraded, type PlacementRecord } from '@p2pdv/core/placement'
import type { ObjectReader } from './object-reader.ts'
import { matchesManifest } from './object-reader.ts'
import type { PeerInfo, PeerSet } from './peers.ts'

export const CHECK_CONCURRENCY = 16
export const CHECK_TIMEOUT_MS = 10_000
/** The second, last try of a holder whose first probe timed out. */
export const CHECK_RETRY_TIMEOUT_MS = 30_000

export interface CheckOptions {
  /** Download and hash every copy instead of asking (HEAD). */
  verify?: boolean
  signal?: AbortSignal
  /** Per-probe timeouts (defaults CHECK_TIMEOUT_MS, then CHECK_RETRY_TIMEOUT_MS). */
  timeouts?: ProbeTimeouts
}

export interface BlockHealth {
  cid: string
  size: number
  kind: 'manifest' | 'data' | 'parity' | 'block'
  /** Nodes the placement record lists (or every node, without a record). */
  holders: string[]
  /** Holders that have it (verified bytes with `verify`). */
  ok: string[]
  /** Holders that did not answer, twice (neither counted as having it nor as missing it). */
  timedOut: string[]
}

/**
 * `unknown`: some holders timed out and the verdict depends on them (with their blocks the stripe
 * would be better off than without). `under-replicated`: nothing it was given is missing, but it
 * was never given its scheme: an erasure stripe whose blocks share nodes (a node down takes
 * several), or a block written with fewer copies than the scheme by a degraded write
 * (`--allow-degraded`, which the placement record says).
 */
export type StripeStatus = 'healthy' | 'under-replicated' | 'degraded' | 'at-risk' | 'lost' | 'unknown'

export interface StripeHealth {
  index: number
  /** Blocks stored for the stripe (data + parity, or copies of a replicated block). */
  blocks: number
  /** Of them, available on at least one node. */
  available: number
  /** Blocks needed to read the stripe. */
  needed: number
  /** available − needed: how many more losses the stripe survives. */
  margin: number
  /** Blocks no holder confirmed but some holder timed out on (counted in neither way). */
  timedOut: number
  status: StripeStatus
  missing: string[]
  /** Erasure stripes: the most of its available blocks that sit on distinct nodes. */
  nodes?: number
}

export interface CheckReport {
  object: string
  scheme: 'rs' | 'replicas'
  k?: number
  m?: number
  replicas?: number
  verified: boolean
  /** Version of the placement record used (absent: no record found; every node was asked). */
  placementVersion?: number
  manifest: StripeHealth
  stripes: StripeHealth[]
  blocks: BlockHealth[]
  /** Every stripe complete. */
  healthy: boolean
  degraded: number
  /** Stripes known to be unreadable. */
  lost: number
  /** Stripes whose verdict waits on holders that timed out. */
  unknown: number
  /** Stripes (and the manifest) short of their scheme though nothing given to them is missing. */
  underReplicated: number
  /** Set when the placement record says the object was written degraded: nodes needed and found then. */
  degradedWrite?: PlacementDegraded
  /** Probes that timed out the first time (each was retried once). */
  timeouts: number
}

function status (available: number, blocks: number, needed: number): StripeStatus {
  if (available < needed) return 'lost'
  // More copies than wanted: repair lists new copies beside holders that were unreachable.
  if (available >= blocks) return 'healthy'
  return available === needed ? 'at-risk' : 'degraded'
}

/** The status, unless the blocks that timed out could change it. */
export function stripeStatus (available: number, timedOut: number, blocks: number, needed: number): StripeStatus {
  const seen = status(available, blocks, needed)
  return timedOut > 0 && status(Math.min(blocks, available + timedOut), blocks, needed) !== seen ? 'unknown' : seen
}

export type ProbeResult = 'ok' | 'missing' | 'timeout'

/**
 * One holder, one block: `size` NaN means any size will do (the manifest without a record). A
 * timeout is the only failure that is not an answer.
 */
async function probeOnce (peer: PeerInfo, cid: CID, size: number, verify: boolean, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const node = new NodeClient(peer.http, { peerId: peer.peerId, timeoutMs })
  const options = signal === undefined ? {} : { signal }
  try {
    if (!verify) {
      const found = await node.hasBlock(cid, options)
      return found !== undefined && (Number.isNaN(size) || found === size) ? 'ok' : 'missing'
    }
    // Bounded and hashed against the CID by the client: an endless or wrong body is `missing`.
    const bytes = await node.getBlock(cid, options)
    return Number.isNaN(size) || bytes.byteLength === size ? 'ok' : 'missing'
  } catch (err) {
    if (signal?.aborted === true) throw signal.reason
    return isP2pdvError(err, NodeClientErrorCode.TIMEOUT) ? 'timeout' : 'missing'
  }
}

export interface ProbeTimeouts { first: number, retry: number }

/** Probes a holder, once more with the longer timeout if the first try timed out. */
export async function probeHolder (peer: PeerInfo, cid: CID, size: number, verify: boolean, timeouts: ProbeTimeouts, signal?: AbortSignal, onTimeout?: () => void): Promise<ProbeResult> {
  const first = await probeOnce(peer, cid, size, verify, timeouts.first, signal)
  if (first !== 'timeout') return first
  onTimeout?.()
  return await probeOnce(peer, cid, size, verify, timeouts.retry, signal)
}

export async function checkObject (peers: PeerSet, reader: ObjectReader, manifestCid: CID, manifest: Manifest, options: CheckOptions = {}): Promise<CheckReport> {
  const verify = options.verify === true
  const found = await reader.placementRecord(manifestCid, options.signal)
  const record: PlacementRecord | undefined = found !== undefined && matchesManifest(found, manifest) ? found : undefined
  const everyone = peers.peers.map(p => p.peerId)
  const data = objectBlocks(manifest)
  const e = manifest.erasure
  // The object's blocks, grouped the way they fail together.
  const groups: Array<{ blocks: Array<{ cid: CID, size: number, kind: BlockHealth['kind'], holders: string[] }>, needed: number, copies: boolean }> = []
  const manifestSize = record?.manifest.size
  groups.push({ blocks: [{ cid: manifestCid, size: manifestSize ?? -1, kind: 'manifest', holders: record?.manifest.nodes ?? everyone }], needed: 1, copies: true })
  if (e !== undefined) {
    e.stripes.forEach((s, i) => {
      const ds = data.slice(i * e.k, (i + 1) * e.k)
      const shard = Math.max(16, Math.ceil(Math.max(...ds.map(d => d.size)) / 16) * 16)
      const listed = record?.stripes[i]?.blocks
      groups.push({
        blocks: [
          ...ds.map((d, j) => ({ cid: d.cid, size: d.size, kind: 'data' as const, holders: listed?.[j]?.nodes ?? everyone })),
          ...s.parity.map((cid, j) => ({ cid, size: shard, kind: 'parity' as const, holders: listed?.[ds.length + j]?.nodes ?? everyone }))
        ],
        needed: ds.length,
        copies: false
      })
    })
  } else {
    data.forEach((d, i) => { groups.push({ blocks: [{ cid: d.cid, size: d.size, kind: 'block', holders: record?.stripes[i]?.blocks[0]?.nodes ?? everyone }], needed: 1, copies: true }) })
  }
  const copiesWanted = record === undefined ? 0 : record.scheme.type === 'rs' ? record.scheme.m + 1 : record.scheme.replicas
  const results: BlockHealth[] = groups.flatMap(g => g.blocks.map(b => ({ cid: b.cid.toString(), size: b.size, kind: b.kind, holders: b.holders, ok: [] as string[], timedOut: [] as string[] })))
  const jobs = groups.flatMap(g => g.blocks).flatMap((b, i) => b.holders.map(h => ({ b, i, h })))
  const timeouts = options.timeouts ?? { first: CHECK_TIMEOUT_MS, retry: CHECK_RETRY_TIMEOUT_MS }
  let timeoutCount = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { b, i, h } = jobs[next++]!
      const peer = peers.get(h)
      if (peer === undefined) continue
      // The manifest's size is known from the record only; without it, presence is enough.
      const size = b.size >= 0 ? b.size : NaN
      const r = await probeHolder(peer, b.cid, size, verify, timeouts, options.signal, () => { timeoutCount++ })
      if (r === 'ok') results[i]!.ok.push(h)
      else if (r === 'timeout') results[i]!.timedOut.push(h)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, Math.max(1, jobs.length)) }, worker))
  let offset = 0
  const health = groups.map((g, gi): StripeHealth => {
    const rs = results.slice(offset, offset + g.blocks.length)
    offset += g.blocks.length
    // A replicated block counts its copies; a stripe counts blocks with at least one copy.
    const available = g.copies ? rs[0]!.ok.length : rs.filter(r => r.ok.length > 0).length
    const timedOut = g.copies ? rs[0]!.timedOut.length : rs.filter(r => r.ok.length === 0 && r.timedOut.length > 0).length
    // A replicated block should have as many copies as the record's scheme says (the manifest of
    // an erasure-coded object m + 1), not as many as it lists: repair keeps unreachable holders
    // listed beside the copies it adds. Without a record nobody says how many there should be:
    // those found are all there is.
    const blocks = g.copies ? Math.max(record === undefined ? available + timedOut : copiesWanted, 1) : rs.length
    let st = stripeStatus(available, timedOut, blocks, g.needed)
    const spread = g.copies ? undefined : stripeSpread(rs.map(r => r.ok)).have
    // Written short on purpose: every copy listed is there, the scheme's others were never made.
    const writtenShort = g.copies && record?.degraded !== undefined && timedOut === 0 && available === rs[0]!.holders.length && available < blocks
    if ((st === 'healthy' && spread !== undefined && spread < rs.length) || ((st === 'at-risk' || st === 'degraded') && writtenShort)) st = 'under-replicated'
    return {
      index: gi - 1,
      blocks,
      available,
      needed: g.needed,
      margin: available - g.needed,
      timedOut,
      status: st,
      missing: rs.filter(r => r.ok.length + r.timedOut.length < (g.copies ? r.holders.length : 1)).map(r => r.cid),
      ...(spread === undefined ? {} : { nodes: spread })
    }
  })
  const stripes = health.slice(1)
  const scheme = e !== undefined ? 'rs' as const : 'replicas' as const
  return {
    object: manifestCid.toString(),
    scheme,
    ...(e !== undefined ? { k: e.k, m: e.m } : record?.scheme.type === 'replicas' ? { replicas: record.scheme.replicas } : {}),
    verified: verify,
    ...(record === undefined ? {} : { placementVersion: record.version }),
    manifest: health[0]!,
    stripes,
    blocks: results,
    healthy: health.every(h => h.status === 'healthy'),
    degraded: health.filter(h => h.status === 'degraded' || h.status === 'at-risk').length,
    lost: health.filter(h => h.status === 'lost').length,
    unknown: health.filter(h => h.status === 'unknown').length,
    underReplicated: health.filter(h => h.status === 'under-replicated').length,
    ...(record?.degraded === undefined ? {} : { degradedWrite: record.degraded }),
    timeouts: timeoutCount
  }
}

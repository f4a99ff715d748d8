/**
 * Checks of what a node's JSON API answers (status, identity, peers, reputation, placement
 * listing): every field the client hands on has its type and a bounded length, so a node gone
 * wrong cannot feed a caller junk or huge strings.
 */

/** Longest peer id and multiaddr a node's `/api/v1/node` answer may carry, and how many addresses. */
export const MAX_ID_CHARS = 128
export const MAX_ADDR_CHARS = 512
export const MAX_ADDRS = 64
/** A node lists at most this many peers (node/src/http-api.ts MAX_LISTED_PEERS); a longer list is refused. */
export const MAX_LISTED_PEERS = 64
const MAX_URL_CHARS = 256

export interface NodeIdentity { peerId: string, multiaddrs: string[], http: string }
export interface NodeStatus { peerId: string, freeBytes?: number, zone?: string, repair?: RepairCounters }

/** What a node's repair worker counted since it started (`repair` in its status). */
export interface RepairCounters {
  passes: number
  blocksRepaired: number
  bytesMoved: number
  /** Stripes now known lost. */
  unrecoverable: number
  /** Stripes now with fewer blocks reachable than needed. */
  atRisk: number
  backlog: number
}

const REPAIR_COUNTERS = ['passes', 'blocksRepaired', 'bytesMoved', 'unrecoverable', 'atRisk', 'backlog'] as const

/** The repair counters of a status, or undefined when absent or malformed (repair off, an older node). */
export function parseRepairCounters (v: unknown): RepairCounters | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const r = v as Record<string, unknown>
  if (!REPAIR_COUNTERS.every(k => Number.isSafeInteger(r[k]) && (r[k] as number) >= 0)) return undefined
  return Object.fromEntries(REPAIR_COUNTERS.map(k => [k, r[k]])) as unknown as RepairCounters
}
export interface ListedPeer { peerId: string, http: string }
export interface ListedPlacement { object: string, version: number, sig: Uint8Array }

/** An http(s) origin with nothing else in it (no credentials, path, query or fragment), or undefined. */
export function checkedHttpOrigin (v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > MAX_URL_CHARS) return undefined
  let u: URL
  try { u = new URL(v) } catch { return undefined }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '' || u.pathname !== '/' || u.search !== '' || u.hash !== '') return undefined
  return u.origin
}

/** Keeps only well-formed entries of a `/api/v1/peers` answer: a base58/base32 peer id and a bare http(s) origin, deduplicated. */
export function parsePeerList (body: unknown, max = MAX_LISTED_PEERS): ListedPeer[] {
  const list = (body as { peers?: unknown } | null)?.peers
  if (!Array.isArray(list)) return []
  const out: ListedPeer[] = []
  const seen = new Set<string>()
  for (const entry of list.slice(0, max)) {
    const { peerId, http } = (entry ?? {}) as Record<string, unknown>
    if (typeof peerId !== 'string' || !/^[1-9A-Za-z]{20,100}$/.test(peerId) || seen.has(peerId)) continue
    const origin = checkedHttpOrigin(http)
    if (origin === undefined) continue
    seen.add(peerId)
    out.push({ peerId, http: origin })
  }
  return out
}

/** Reputation scores (peer id → 0 … 1) from `{ scores: [{ peerId, score }] }`; malformed entries are skipped. */
export function parseReputation (body: unknown): Map<string, number> {
  const out = new Map<string, number>()
  const scores = (body as { scores?: unknown } | null)?.scores
  if (!Array.isArray(scores)) return out
  for (const s of scores as Array<{ peerId?: unknown, score?: unknown } | null>) {
    if (typeof s?.peerId === 'string' && s.peerId.length <= MAX_ID_CHARS && typeof s.score === 'number' && s.score >= 0 && s.score <= 1) out.set(s.peerId, s.score)
  }
  return out
}

/** Entries of `GET /api/v1/placements`; a peer that lists no signature (an older node) gets an empty one. */
export function parsePlacementListing (body: unknown): ListedPlacement[] {
  const objects = (body as { objects?: unknown } | null)?.objects
  if (!Array.isArray(objects)) return []
  return objects.flatMap((o: { object?: unknown, version?: unknown, sig?: unknown } | null) => {
    if (typeof o?.object !== 'string' || typeof o.version !== 'number' || o.object.length > 128) return []
    const sig = typeof o.sig === 'string' && o.sig.length <= 256 ? base64Bytes(o.sig) : new Uint8Array(0)
    return [{ object: o.object, version: o.version, sig }]
  })
}

export function base64Bytes (text: string): Uint8Array {
  try {
    const bin = atob(text)
    const out = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
    return out
  } catch {
    return new Uint8Array(0)
  }
}

/** `GET /api/v1/metrics/latency`: a node's block-GET (2xx) latency histogram over a window. */
export interface LatencyWindow {
  since: number
  /** What the counts cover: from `from` to `until` (from ≤ since when `complete`). */
  from: number
  until: number
  /** Whether the node's history reaches back to `since`. */
  complete: boolean
  /** Upper bounds in seconds, ascending, the last Infinity. */
  bounds: number[]
  /** Cumulative counts per bound. */
  counts: number[]
  count: number
}

/** Buckets a latency window may have, at most. */
export const MAX_LATENCY_BUCKETS = 64

/** A checked latency window (bounds ascending ending in +Inf, counts cumulative), or undefined. */
export function parseLatencyWindow (v: unknown): LatencyWindow | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const w = v as Record<string, unknown>
  const time = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0
  if (!time(w.since) || !time(w.from) || !time(w.until) || typeof w.complete !== 'boolean' || w.from > w.until) return undefined
  if (!Array.isArray(w.bounds) || !Array.isArray(w.counts) || w.bounds.length === 0 || w.bounds.length > MAX_LATENCY_BUCKETS || w.counts.length !== w.bounds.length) return undefined
  const bounds = w.bounds.map(b => b === '+Inf' ? Infinity : b)
  if (bounds.at(-1) !== Infinity || !bounds.every((b, i) => typeof b === 'number' && b > 0 && (i === 0 || b > (bounds[i - 1] as number)))) return undefined
  const counts = w.counts
  if (!counts.every((c, i) => Number.isSafeInteger(c) && c >= 0 && (i === 0 || c >= counts[i - 1]))) return undefined
  if (w.count !== counts.at(-1)) return undefined
  return { since: w.since, from: w.from, until: w.until, complete: w.complete, bounds: bounds as number[], counts: counts as number[], count: w.count as number }
}

/**
 * What the `/node` dashboard reads: the serving node's own public endpoints (node, status, peers,
 * keeper, and the auditor's scores and results when it runs the auditor) and, when the node shares
 * its chain, its NodeRegistry entry (stake, on-chain reputation, keeper flag). Every answer is
 * bounded and checked for shape before it is shown; a part that fails is shown as unavailable,
 * never as a made-up number.
 */
import { P2pdvError } from '@p2pdv/core/errors'

const MAX_JSON_BYTES = 2 * 1024 * 1024
const TIMEOUT_MS = 8_000

export interface NodeSnapshot {
  peerId: string
  version: string
  http: string
  multiaddrs: string[]
  auditor: boolean
  blocks: number
  usedBytes: number
  quotaBytes: number
  freeBytes: number
  placements: number
  connectedPeers: number
  zone?: string
  repair: RepairState
  knownNodes: Array<{ peerId: string, http: string }>
  keeper?: { address: string, shares: number, logLength: number }
}

export interface RepairState {
  enabled: boolean
  passes?: number
  lastPassAt?: number
  blocksRepaired?: number
  bytesMoved?: number
  backlog?: number
  atRisk?: number
  unrecoverable?: number
}

export interface AuditView {
  /** This node's own score as its auditor computes it (audit × availability × serving). */
  peers: Array<{ peerId: string, score: number, eligible: boolean, passes: number, failures: number }>
  recent: Array<{ peer: string, cid: string, kind: string, outcome: string, code?: string, issued: number }>
}

export interface StakeView {
  operator: string
  stake: bigint
  active: boolean
  keeper: boolean
  /** Basis points of 10,000, as the auditor published it on chain. */
  reputation: number
}

async function getJson (path: string, signal: AbortSignal): Promise<unknown | undefined> {
  const res = await fetch(path, { signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]), headers: { accept: 'application/json' } })
  if (res.status === 404) return undefined
  if (!res.ok) throw new P2pdvError('ERR_NODE_API', `${path} answered HTTP ${res.status}`, { hint: 'The node may be starting or overloaded; the page retries on its own.' })
  const text = await res.text()
  if (text.length > MAX_JSON_BYTES) throw new P2pdvError('ERR_NODE_API', `${path} sent more than ${MAX_JSON_BYTES} bytes`)
  return JSON.parse(text)
}

const num = (v: unknown): number => typeof v === 'number' && Number.isFinite(v) ? v : 0
const str = (v: unknown, max = 512): string => typeof v === 'string' ? v.slice(0, max) : ''
const obj = (v: unknown): Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {}
const list = (v: unknown, max: number): unknown[] => Array.isArray(v) ? v.slice(0, max) : []

export async function loadNode (signal: AbortSignal): Promise<NodeSnapshot> {
  const [info, status, peers, keeper] = await Promise.all([
    getJson('/api/v1/node', signal), getJson('/api/v1/status', signal), getJson('/api/v1/peers', signal), getJson('/api/v1/keeper', signal).catch(() => undefined)
  ])
  if (info === undefined || status === undefined) throw new P2pdvError('ERR_NODE_API', 'this server does not answer the node API', { hint: 'Open /node on a P2PDEVIDEO node.' })
  const i = obj(info)
  const s = obj(status)
  const r = obj(s.repair)
  const k = keeper === undefined ? undefined : obj(keeper)
  return {
    peerId: str(i.peerId),
    version: str(i.version, 64),
    http: str(i.http),
    multiaddrs: list(i.multiaddrs, 16).map(a => str(a)),
    auditor: i.auditor === true,
    blocks: num(s.blocks),
    usedBytes: num(s.usedBytes),
    quotaBytes: num(s.quotaBytes),
    freeBytes: num(s.freeBytes),
    placements: num(s.placements),
    connectedPeers: num(s.connectedPeers),
    ...(typeof s.zone === 'string' ? { zone: str(s.zone, 64) } : {}),
    repair: r.enabled === false
      ? { enabled: false }
      : { enabled: true, passes: num(r.passes), lastPassAt: num(r.lastPassAt), blocksRepaired: num(r.blocksRepaired), bytesMoved: num(r.bytesMoved), backlog: num(r.backlog), atRisk: num(r.atRisk), unrecoverable: num(r.unrecoverable) },
    knownNodes: list(obj(peers).peers, 256).map(p => ({ peerId: str(obj(p).peerId), http: str(obj(p).http) })).filter(p => p.peerId !== ''),
    ...(k === undefined ? {} : { keeper: { address: str(k.address, 64), shares: num(k.shares), logLength: num(obj(k.log).length) } })
  }
}

/** The auditor's view, when this node is an auditor (404 otherwise). */
export async function loadAudits (peerId: string, signal: AbortSignal): Promise<AuditView | undefined> {
  const [rep, results] = await Promise.all([getJson('/api/v1/reputation', signal), getJson('/api/v1/audit/results?limit=12', signal)])
  if (rep === undefined) return undefined
  const counts = (p: Record<string, unknown>): { passes: number, failures: number } => {
    const c = Object.values(obj(p.counts)).map(obj)
    return { passes: c.reduce((a, x) => a + num(x.passes), 0), failures: c.reduce((a, x) => a + num(x.failures), 0) }
  }
  const peers = list(obj(rep).peers, 256).map(obj).map(p => ({ peerId: str(p.peerId), score: num(p.score), eligible: p.eligible === true, ...counts(p) }))
  // This node first, then the lowest scores: the ones that need attention.
  peers.sort((a, b) => Number(b.peerId === peerId) - Number(a.peerId === peerId) || a.score - b.score)
  const recent = list(obj(results).results, 12).map(obj).map(x => ({
    peer: str(x.peer), cid: str(x.cid, 128), kind: str(x.kind, 32), outcome: str(x.outcome, 32), ...(typeof x.code === 'string' ? { code: str(x.code, 64) } : {}), issued: num(x.issued)
  }))
  return { peers, recent }
}

/** This node's NodeRegistry entry, when the node shares its chain (`/api/v1/chain`). */
export async function loadStake (peerId: string, signal: AbortSignal): Promise<StakeView | undefined> {
  const chainJson = await getJson('/api/v1/chain', signal)
  if (chainJson === undefined) return undefined
  // viem and the contract ABIs load only here (a chunk of their own).
  const { connectChain, parseChainConfig, listNodes } = await import('@p2pdv/chain')
  const ctx = await connectChain(parseChainConfig(chainJson, 'this node\'s /api/v1/chain'), { timeoutMs: TIMEOUT_MS, retryCount: 0 })
  const mine = (await listNodes(ctx)).find(n => n.peerId === peerId)
  return mine === undefined ? undefined : { operator: mine.operator, stake: mine.stake, active: mine.active, keeper: mine.keeper, reputation: mine.reputation }
}

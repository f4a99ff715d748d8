/**
 * The SLA report from what the network already records: the auditor's results (did each node
 * answer its challenges, and correctly), each node's repair counters, and each node's block GET
 * latency histogram. Pure: the command (commands/sla.ts) fetches, this counts.
 *
 * - Availability of a node: challenges it answered (pass or fail) over challenges issued in the
 *   window. A node that answered wrongly was up; it shows under integrity instead.
 * - Integrity: passes over answered challenges; a failed proof or read means bytes it should hold
 *   are gone or damaged (a durability event the repair worker then fixes).
 * - Latency: block GETs answered 2xx in the window, p50 and p99 by Prometheus's
 *   histogram_quantile, from each node's latency history (`GET /api/v1/metrics/latency?since=`,
 *   kept in 10-minute slices: the window may start up to one slice before `--since`, or later
 *   where a node's history begins later). A node too old to keep a history is read from its
 *   cumulative /metrics histogram instead, which counts since it started: the report marks which
 *   nodes that is (`latencyScope`) and what the latency covers (`network.latency`).
 */
import type { AuditResult, RepairCounters } from '@p2pdv/node-client'
import { quantile, sumHistograms, type Histogram } from './prom-histogram.ts'

export interface SlaTargets {
  /** Fraction of audit challenges answered, per node and network (0.999 = 99.9 %). */
  availability: number
  /** Block GET p99, milliseconds. */
  p99Ms: number
}

export const DEFAULT_SLA_TARGETS: SlaTargets = { availability: 0.999, p99Ms: 200 }

/** What was learnt from one node asked (its status and metrics), or why nothing was. */
export interface NodeObservation {
  url: string
  peerId?: string
  repair?: RepairCounters
  latency?: Histogram
  /**
   * What `latency` covers: the window (`from` … `until`, `complete` when the node's history
   * reaches back to --since), or `since-start` (a node without a latency history: its cumulative
   * histogram).
   */
  latencyScope?: { from: number, until: number, complete: boolean } | 'since-start'
  /** The node did not answer (code and message). */
  error?: { code: string, message: string }
}

export interface AuditCounts { audits: number, passed: number, failed: number, timeouts: number, unreachable: number }

export interface NodeSla extends AuditCounts {
  peerId?: string
  url?: string
  /** Undefined without audits in the window. */
  availability?: number
  integrity?: number
  requests: number
  p50Ms?: number
  p99Ms?: number
  /** What the latency figures cover (NodeObservation.latencyScope). */
  latencyScope?: NodeObservation['latencyScope']
  repair?: RepairCounters
  error?: { code: string, message: string }
  met: boolean
}

/** What the network's latency figures cover. */
export interface LatencyCoverage {
  /** The earliest start of the nodes' windows (undefined: no node had a window). */
  from?: number
  /** Every node's history reaches back to --since. */
  complete: boolean
  /** Nodes whose figures count since they started (no latency history), by URL. */
  sinceStart: string[]
}

export interface SlaReport {
  since: number
  until: number
  auditor: string
  targets: SlaTargets
  network: AuditCounts & { availability?: number, integrity?: number, requests: number, p50Ms?: number, p99Ms?: number, nodesAudited: number, latency: LatencyCoverage }
  nodes: NodeSla[]
  durability: {
    /** Distinct blocks some node failed an audit of in the window. */
    blocksFailedAudit: number
    /** Blocks the nodes asked rebuilt or re-copied since they started. */
    blocksRepaired: number
    /** Stripes the nodes asked now know lost, and now hold too few blocks of to rebuild. */
    unrecoverableStripes: number
    atRiskStripes: number
  }
  /**
   * Every target met by the network and by every node with audits (latency only where measured),
   * and availability known: with no audit result in the window nothing can be claimed met.
   */
  met: boolean
  /** met; missed (a target measured and missed, or a node that did not answer); unknown (no audit in the window). */
  verdict: 'met' | 'missed' | 'unknown'
}

function counts (rows: readonly AuditResult[]): AuditCounts {
  const c = { audits: rows.length, passed: 0, failed: 0, timeouts: 0, unreachable: 0 }
  for (const r of rows) {
    if (r.outcome === 'pass') c.passed++
    else if (r.outcome === 'fail') c.failed++
    else if (r.outcome === 'timeout') c.timeouts++
    else c.unreachable++
  }
  return c
}

function ratios (c: AuditCounts): { availability?: number, integrity?: number } {
  const answered = c.passed + c.failed
  return {
    ...(c.audits === 0 ? {} : { availability: answered / c.audits }),
    ...(answered === 0 ? {} : { integrity: c.passed / answered })
  }
}

function latencyOf (h: Histogram | undefined): { requests: number, p50Ms?: number, p99Ms?: number } {
  if (h === undefined) return { requests: 0 }
  const p50 = quantile(h, 0.5)
  const p99 = quantile(h, 0.99)
  return { requests: h.count, ...(p50 === undefined ? {} : { p50Ms: p50 * 1000 }), ...(p99 === undefined ? {} : { p99Ms: p99 * 1000 }) }
}

/** What the network's latency covers, from the nodes' scopes. */
export function latencyCoverage (nodes: readonly NodeObservation[]): LatencyCoverage {
  const windows = nodes.flatMap(n => n.latency === undefined || n.latencyScope === undefined || n.latencyScope === 'since-start' ? [] : [n.latencyScope])
  const sinceStart = nodes.filter(n => n.latency !== undefined && (n.latencyScope === 'since-start' || n.latencyScope === undefined)).map(n => n.url)
  return {
    ...(windows.length === 0 ? {} : { from: Math.min(...windows.map(w => w.from)) }),
    complete: sinceStart.length === 0 && windows.every(w => w.complete),
    sinceStart
  }
}

function meets (s: { availability?: number, p99Ms?: number }, t: SlaTargets): boolean {
  return (s.availability === undefined || s.availability >= t.availability) && (s.p99Ms === undefined || s.p99Ms <= t.p99Ms)
}

export function slaReport (o: { since: number, until: number, auditor: string, results: readonly AuditResult[], nodes: readonly NodeObservation[], targets?: SlaTargets }): SlaReport {
  const targets = o.targets ?? DEFAULT_SLA_TARGETS
  const window = o.results.filter(r => r.issued >= o.since && r.issued <= o.until)
  const byPeer = new Map<string, AuditResult[]>()
  for (const r of window) {
    let list = byPeer.get(r.peer)
    if (list === undefined) byPeer.set(r.peer, list = [])
    list.push(r)
  }
  const asked = new Map(o.nodes.flatMap(n => n.peerId === undefined ? [] : [[n.peerId, n] as const]))
  const nodes: NodeSla[] = []
  // Every node the auditor audited, with what it said of itself when it was asked too.
  for (const [peerId, rows] of [...byPeer].sort(([a], [b]) => a.localeCompare(b))) {
    const n = asked.get(peerId)
    const c = counts(rows)
    const s = { peerId, ...(n === undefined ? {} : { url: n.url }), ...c, ...ratios(c), ...latencyOf(n?.latency), ...(n?.latencyScope === undefined ? {} : { latencyScope: n.latencyScope }), ...(n?.repair === undefined ? {} : { repair: n.repair }) }
    nodes.push({ ...s, met: meets(s, targets) })
  }
  // Nodes asked that the auditor never audited (or that did not answer at all).
  for (const n of o.nodes) {
    if (n.peerId !== undefined && byPeer.has(n.peerId)) continue
    const s = { ...(n.peerId === undefined ? {} : { peerId: n.peerId }), url: n.url, ...counts([]), ...latencyOf(n.latency), ...(n.latencyScope === undefined ? {} : { latencyScope: n.latencyScope }), ...(n.repair === undefined ? {} : { repair: n.repair }), ...(n.error === undefined ? {} : { error: n.error }) }
    nodes.push({ ...s, met: n.error === undefined && meets(s, targets) })
  }
  const total = counts(window)
  const network = { ...total, ...ratios(total), ...latencyOf(sumHistograms(o.nodes.flatMap(n => n.latency === undefined ? [] : [n.latency]))), nodesAudited: byPeer.size, latency: latencyCoverage(o.nodes) }
  const sum = (f: (r: RepairCounters) => number): number => o.nodes.reduce((a, n) => a + (n.repair === undefined ? 0 : f(n.repair)), 0)
  const verdict = !(meets(network, targets) && nodes.every(n => n.met)) ? 'missed' : network.audits === 0 ? 'unknown' : 'met'
  return {
    since: o.since,
    until: o.until,
    auditor: o.auditor,
    targets,
    network,
    nodes,
    durability: {
      blocksFailedAudit: new Set(window.filter(r => r.outcome === 'fail').map(r => r.cid)).size,
      blocksRepaired: sum(r => r.blocksRepaired),
      unrecoverableStripes: sum(r => r.unrecoverable),
      atRiskStripes: sum(r => r.atRisk)
    },
    met: verdict === 'met',
    verdict
  }
}

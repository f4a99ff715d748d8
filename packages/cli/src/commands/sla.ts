/**
 * `p2pdv sla`: the service a network gave over a window, from what it already records — the
 * auditor's results (availability and integrity per node), each node's repair counters
 * (durability events) and block GET latency histograms (p50, p99 against the target). Text or
 * `--json`; exit 1 when a target is missed or availability is unknown (no audit in the window:
 * nothing is claimed met on latency alone), so a cron job or CI can act on it.
 *
 * Every answer is checked (NodeClient parses and bounds it); a node that does not answer is
 * listed with its error rather than failing the report, and the auditor is asked page by page,
 * newest first, back to the window's start or MAX_RESULTS results.
 */
import { parseDuration } from '@p2pdv/chain'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { MAX_AUDIT_RESULTS_PER_PAGE, NodeClient, type AuditResult } from '@p2pdv/node-client'
import { listOpt, stringOpt, type Command } from '../command.ts'
import { readDevnetState } from '../devnet-state.ts'
import { histogramFrom, type Histogram } from '../sla/prom-histogram.ts'
import { DEFAULT_SLA_TARGETS, slaReport, type NodeObservation, type NodeSla, type SlaReport } from '../sla/sla-report.ts'

/** Audit results read at most (the auditor keeps a bounded history anyway). */
export const MAX_RESULTS = 200_000
/** Nodes asked at most. */
const MAX_NODES = 256
const CALL_TIMEOUT_MS = 10_000
const BLOCK_ROUTE = '/ipfs/:cid'

function httpOrigin (url: string, flag: string): string {
  let u: URL | undefined
  try { u = new URL(url) } catch {}
  if (u === undefined || !['http:', 'https:'].includes(u.protocol)) throw new P2pdvError('ERR_USAGE', `${flag} "${url.slice(0, 80)}" is not an http(s) URL`, { hint: `e.g. ${flag} http://127.0.0.1:8080` })
  return u.origin
}

function percent (flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const v = Number(text)
  if (!Number.isFinite(v) || v <= 0 || v > 100) throw new P2pdvError('ERR_USAGE', `${flag} must be a percentage above 0 and at most 100`, { hint: `e.g. ${flag} 99.9` })
  return v / 100
}

function millis (flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const v = Number(text)
  if (!Number.isFinite(v) || v <= 0 || v > 3_600_000) throw new P2pdvError('ERR_USAGE', `${flag} must be milliseconds above 0`, { hint: `e.g. ${flag} 200` })
  return v
}

/** The auditor's results issued since `since`, newest first, up to MAX_RESULTS (paging back by id). */
async function auditResults (auditor: NodeClient, since: number): Promise<{ results: AuditResult[], truncated: boolean }> {
  const results: AuditResult[] = []
  let before: number | undefined
  for (;;) {
    const page = await auditor.auditResults({ limit: MAX_AUDIT_RESULTS_PER_PAGE, ...(before === undefined ? {} : { before }) }, { timeoutMs: CALL_TIMEOUT_MS })
    let older = false
    for (const r of page) {
      if (before !== undefined && r.id >= before) throw new P2pdvError('ERR_BAD_NODE_RESPONSE', `the auditor ${auditor.base} listed result ${r.id} when asked for ids before ${before}`, { hint: 'The auditor is faulty; ask another with --auditor URL.' })
      before = r.id
      if (r.issued >= since) results.push(r)
      else older = true
    }
    // Ids follow issue times (closely: audits of one round finish out of order), so a page that
    // reached past the window's start is the last one needed.
    if (older || page.length < MAX_AUDIT_RESULTS_PER_PAGE) return { results, truncated: false }
    if (results.length >= MAX_RESULTS) return { results: results.slice(0, MAX_RESULTS), truncated: true }
  }
}

/**
 * The node's block-GET latency over the window from its latency history; from a node without one
 * (an older version: NOT_FOUND), its cumulative /metrics histogram, marked `since-start`.
 */
async function latencyOf (client: NodeClient, since: number): Promise<Pick<NodeObservation, 'latency' | 'latencyScope'>> {
  try {
    const w = await client.latencyWindow(since)
    const latency: Histogram = { bounds: w.bounds, counts: w.counts, count: w.count }
    return { latency, latencyScope: { from: w.from, until: w.until, complete: w.complete } }
  } catch (err) {
    if (!isP2pdvError(err, 'ERR_NODE_NOT_FOUND')) throw err
  }
  const metrics = await client.metricsText()
  const latency = histogramFrom(metrics, 'p2pdv_http_request_duration_seconds', l => l.route === BLOCK_ROUTE && l.method === 'GET' && /^2\d\d$/.test(l.status ?? ''))
  return { latency, latencyScope: 'since-start' }
}

async function observe (url: string, since: number): Promise<NodeObservation> {
  const client = new NodeClient(url, { timeoutMs: CALL_TIMEOUT_MS })
  try {
    const [status, latency] = await Promise.all([client.status(), latencyOf(client, since)])
    return { url, peerId: status.peerId, ...(status.repair === undefined ? {} : { repair: status.repair }), ...latency }
  } catch (err) {
    const e = isP2pdvError(err) ? err : new P2pdvError('ERR_NODE_UNREACHABLE', (err as Error).message)
    return { url, error: { code: e.code, message: e.message } }
  }
}

const pct = (v: number | undefined): string => v === undefined ? '—' : `${(v * 100).toFixed(v === 1 ? 0 : 2)} %`
const ms = (v: number | undefined): string => v === undefined ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`

function nodeLine (n: NodeSla): string {
  const who = (n.peerId === undefined ? n.url ?? '?' : `…${n.peerId.slice(-8)}`).padEnd(12)
  if (n.error !== undefined) return `  ${who} did not answer: ${n.error.code} (${n.error.message})`
  const audits = n.audits === 0 ? 'not audited in the window' : `${n.audits} audits: ${n.passed} passed, ${n.failed} failed, ${n.timeouts} timed out, ${n.unreachable} unreachable`
  const lat = n.requests === 0 ? '' : `; p99 ${ms(n.p99Ms)} over ${n.requests} GETs${n.latencyScope === 'since-start' ? ' since it started' : ''}`
  return `  ${who} ${n.met ? 'ok  ' : 'MISS'} availability ${pct(n.availability)}, integrity ${pct(n.integrity)} (${audits})${lat}`
}

/** A window's length as people say it: 45 min, 6 h, 30 days. */
export function windowLength (ms: number): string {
  const min = ms / 60_000
  if (min < 90) return `${Math.round(min)} min`
  const h = min / 60
  if (h < 48) return `${Number(h.toFixed(1))} h`
  return `${Number((h / 24).toFixed(1))} days`
}

/** What the latency figures cover, in words. */
export function coverageText (r: SlaReport): string {
  const c = r.network.latency
  const parts: string[] = []
  if (c.from !== undefined) parts.push(c.complete ? `in the window (from ${new Date(c.from).toISOString()}, 10-minute slices)` : `from ${new Date(c.from).toISOString()} (some node's latency history begins after --since)`)
  if (c.sinceStart.length > 0) parts.push(`since start for ${c.sinceStart.length} node(s) without a latency history (${c.sinceStart.slice(0, 3).join(', ')}${c.sinceStart.length > 3 ? ', …' : ''})`)
  return parts.length === 0 ? 'in the window' : parts.join('; ')
}

const VERDICT_TEXT: Record<SlaReport['verdict'], string> = {
  met: 'every target met',
  missed: 'TARGET MISSED: see the nodes marked MISS (and the network figures above)',
  unknown: 'availability UNKNOWN: the auditor has no result in this window (it reads its targets every 5 minutes and audits after that); run again later or widen --since'
}

function text (r: SlaReport, truncated: boolean): string {
  const net = r.network
  return [
    `SLA ${new Date(r.since).toISOString()} → ${new Date(r.until).toISOString()} (${windowLength(r.until - r.since)}), auditor ${r.auditor}${truncated ? ` (first ${MAX_RESULTS} results only)` : ''}`,
    `availability: ${pct(net.availability)} of ${net.audits} audit challenges answered across ${net.nodesAudited} node(s) (target ${pct(r.targets.availability)}); integrity ${pct(net.integrity)}`,
    `latency: block GET p50 ${ms(net.p50Ms)}, p99 ${ms(net.p99Ms)} over ${net.requests} requests ${coverageText(r)} (target p99 ≤ ${r.targets.p99Ms} ms)`,
    `durability: ${r.durability.blocksFailedAudit} block(s) failed an audit in the window; ${r.durability.blocksRepaired} block(s) rebuilt or copied by repair; ${r.durability.unrecoverableStripes} stripe(s) lost, ${r.durability.atRiskStripes} at risk now`,
    'nodes:',
    ...r.nodes.map(nodeLine),
    VERDICT_TEXT[r.verdict]
  ].join('\n')
}

export const sla: Command = {
  name: 'sla',
  summary: 'service report over a window: availability and integrity per node from the auditor\'s results, repairs and losses, block GET p50/p99 against the target; exit 1 if a target is missed or availability is unknown (no audit in the window)',
  usage: 'sla [--since 30d] [--auditor URL] [--node URL …] [--availability 99.9] [--p99 200] [--json]',
  options: { since: { type: 'string' }, auditor: { type: 'string' }, node: { type: 'string', multiple: true }, availability: { type: 'string' }, p99: { type: 'string' } },
  async run (args, out) {
    const until = Date.now()
    const since = until - Number(parseDuration(stringOpt(args, 'since') ?? '30d')) * 1000
    const targets = { availability: percent('--availability', stringOpt(args, 'availability'), DEFAULT_SLA_TARGETS.availability), p99Ms: millis('--p99', stringOpt(args, 'p99'), DEFAULT_SLA_TARGETS.p99Ms) }
    let urls = listOpt(args, 'node').map(u => httpOrigin(u, '--node'))
    let auditorUrl = stringOpt(args, 'auditor')
    if (urls.length === 0 || auditorUrl === undefined) {
      let state: Awaited<ReturnType<typeof readDevnetState>> | undefined
      try {
        state = await readDevnetState()
      } catch (err) {
        if (!isP2pdvError(err, 'ERR_NO_DEVNET')) throw err
      }
      if (urls.length === 0) urls = state?.nodes.map(n => n.http) ?? []
      auditorUrl ??= state?.auditor
    }
    if (auditorUrl === undefined) throw new P2pdvError('ERR_USAGE', 'which auditor? pass --auditor URL', { hint: 'The report counts the results of the node that runs with --audit; on the devnet that is node-0.' })
    const auditor = new NodeClient(httpOrigin(auditorUrl, '--auditor'), { timeoutMs: CALL_TIMEOUT_MS })
    if (urls.length > MAX_NODES) throw new P2pdvError('ERR_USAGE', `at most ${MAX_NODES} nodes per report`, { hint: 'Name fewer --node URLs.' })
    let fetched: Awaited<ReturnType<typeof auditResults>>
    try {
      fetched = await auditResults(auditor, since)
    } catch (err) {
      if (isP2pdvError(err, 'ERR_NODE_NOT_FOUND')) throw new P2pdvError('ERR_NOT_AUDITOR', `${auditor.base} runs no auditor`, { hint: 'Pass the URL of the node started with --audit (on the devnet, node-0).' })
      throw err
    }
    const nodes = await Promise.all([...new Set(urls)].map(async u => await observe(u, since)))
    const report = slaReport({ since, until, auditor: auditor.base, results: fetched.results, nodes, targets })
    out.result({ ...report, truncated: fetched.truncated }, () => text(report, fetched.truncated))
    return report.met ? 0 : 1
  }
}

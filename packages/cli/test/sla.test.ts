import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseAuditResults, parseLatencyWindow, type AuditResult } from '@p2pdv/node-client'
import { histogramFrom, quantile, sumHistograms } from '../src/sla/prom-histogram.ts'
import { latencyCoverage, slaReport } from '../src/sla/sla-report.ts'
import { coverageText, windowLength } from '../src/commands/sla.ts'

const NAME = 'p2pdv_http_request_duration_seconds'
const bucket = (le: string, n: number, route = '/ipfs/:cid', status = '200'): string => `${NAME}_bucket{le="${le}",route="${route}",method="GET",status="${status}"} ${n}`
const exposition = (lines: string[]): string => ['# HELP x y', '# TYPE p2pdv_http_request_duration_seconds histogram', ...lines, `${NAME}_count{route="/ipfs/:cid",method="GET",status="200"} 0`].join('\n')
const isBlockGet = (l: Record<string, string>): boolean => l.route === '/ipfs/:cid' && l.status === '200'

describe('Prometheus histograms', () => {
  it('sums the accepted series and takes quantiles as histogram_quantile does', () => {
    const h = histogramFrom(exposition([
      bucket('0.1', 6), bucket('0.2', 12), bucket('+Inf', 12),
      bucket('0.1', 4), bucket('0.2', 8), bucket('+Inf', 8),
      bucket('0.1', 100, '/api/v1/status'), bucket('0.2', 100, '/api/v1/status'), bucket('+Inf', 100, '/api/v1/status'),
      bucket('0.1', 50, '/ipfs/:cid', '404'), bucket('0.2', 50, '/ipfs/:cid', '404'), bucket('+Inf', 50, '/ipfs/:cid', '404')
    ]), NAME, isBlockGet)
    assert.deepEqual(h, { bounds: [0.1, 0.2, Infinity], counts: [10, 20, 20], count: 20 })
    assert.equal(quantile(h, 0.5), 0.1)
    assert.ok(Math.abs(quantile(h, 0.75)! - 0.15) < 1e-12)
    // In the +Inf bucket: the highest finite bound, as Prometheus answers.
    assert.equal(quantile({ bounds: [0.1, 0.2, Infinity], counts: [5, 8, 10], count: 10 }, 0.99), 0.2)
    assert.equal(quantile({ bounds: [0.1, Infinity], counts: [0, 0], count: 0 }, 0.99), undefined)
    assert.deepEqual(sumHistograms([h, h]).counts, [20, 40, 40])
  })

  it('reads label values with escaped quotes, and no series as an empty histogram', () => {
    const h = histogramFrom(`${NAME}_bucket{le="+Inf",route="/ipfs/:cid",method="GET",status="200",x="a\\"b}"} 3`, NAME, isBlockGet)
    assert.equal(h.count, 3)
    assert.deepEqual(histogramFrom('# nothing here', NAME, () => true), { bounds: [], counts: [], count: 0 })
  })

  it('refuses malformed, non-cumulative, negative or oversized pages with ERR_BAD_METRICS', () => {
    const refuses = (text: string): void => { assert.throws(() => histogramFrom(text, NAME, () => true), (err: { code?: string }) => err.code === 'ERR_BAD_METRICS') }
    refuses(exposition([bucket('0.1', 5), bucket('0.2', 3), bucket('+Inf', 3)]))
    refuses(exposition([bucket('0.1', -1), bucket('+Inf', 1)]))
    refuses(exposition([bucket('0.1', Number.NaN), bucket('+Inf', 1)]))
    refuses(exposition([bucket('abc', 1), bucket('+Inf', 1)]))
    refuses(exposition([bucket('0.1', 1)]))
    refuses(`${NAME}_bucket{le="+Inf" 1`)
    refuses(`${NAME}_bucket{le="+Inf",x="${'a'.repeat(20_000)}"} 1`)
  })
})

const row = (id: number, peer: string, outcome: AuditResult['outcome'], issued: number, cid = `bafy${id}`): AuditResult => ({ id, peer, cid, kind: 'proof', outcome, code: outcome === 'pass' ? null : 'ERR_X', counted: true, issued })

describe('the SLA report', () => {
  const h = { bounds: [0.01, 0.2, 0.5, Infinity], counts: [90, 99, 100, 100], count: 100 }
  it('counts availability (answered) and integrity (passed) per node and network, in the window only', () => {
    const results = [
      ...Array.from({ length: 9 }, (_, i) => row(i, 'A', 'pass', 1000 + i)),
      row(9, 'A', 'unreachable', 1009),
      row(10, 'B', 'pass', 1010), row(11, 'B', 'fail', 1011, 'bafyLost'), row(12, 'B', 'timeout', 1012),
      row(13, 'B', 'unreachable', 10) // before the window
    ]
    const r = slaReport({
      since: 1000,
      until: 2000,
      auditor: 'http://127.0.0.1:1',
      results,
      nodes: [
        { url: 'http://a', peerId: 'A', latency: h, repair: { passes: 3, blocksRepaired: 2, bytesMoved: 10, unrecoverable: 0, atRisk: 1, backlog: 0 } },
        { url: 'http://c', error: { code: 'ERR_NODE_UNREACHABLE', message: 'refused' } }
      ],
      targets: { availability: 0.95, p99Ms: 250 }
    })
    const a = r.nodes.find(n => n.peerId === 'A')!
    const b = r.nodes.find(n => n.peerId === 'B')!
    assert.deepEqual([a.audits, a.passed, a.unreachable, a.availability, a.integrity], [10, 9, 1, 0.9, 1])
    assert.deepEqual([b.audits, b.availability, b.integrity], [3, 2 / 3, 0.5])
    assert.equal(a.met, false, 'A answered 90 % against 95 %')
    assert.equal(a.p99Ms, 200)
    assert.equal(a.url, 'http://a')
    assert.equal(r.nodes.find(n => n.url === 'http://c')!.met, false, 'a node that did not answer misses')
    assert.deepEqual([r.network.audits, r.network.availability, r.network.nodesAudited], [13, 11 / 13, 2])
    assert.deepEqual(r.durability, { blocksFailedAudit: 1, blocksRepaired: 2, unrecoverableStripes: 0, atRiskStripes: 1 })
    assert.equal(r.met, false)
  })

  it('meets the targets when every node answers and p99 is under the target', () => {
    const r = slaReport({ since: 0, until: 10, auditor: 'x', results: [row(1, 'A', 'pass', 5)], nodes: [{ url: 'http://a', peerId: 'A', latency: h }] })
    assert.equal(r.met, true)
    assert.equal(r.network.p99Ms, 200)
    const slow = slaReport({ since: 0, until: 10, auditor: 'x', results: [row(1, 'A', 'pass', 5)], nodes: [{ url: 'http://a', peerId: 'A', latency: h }], targets: { availability: 0.9, p99Ms: 100 } })
    assert.equal(slow.met, false, 'p99 200 ms against 100 ms')
    assert.equal(slow.verdict, 'missed')
    assert.equal(r.verdict, 'met')
  })

  it('claims nothing met with no audit result in the window (a fresh network): availability is unknown', () => {
    const r = slaReport({ since: 0, until: 10, auditor: 'x', results: [row(20, 'A', 'pass', 50)], nodes: [{ url: 'http://a', peerId: 'A', latency: h }] })
    assert.equal(r.network.audits, 0)
    assert.equal(r.verdict, 'unknown')
    assert.equal(r.met, false, 'latency alone does not make the report "met"')
    // A measured miss is still a miss, audits or not.
    const slow = slaReport({ since: 0, until: 10, auditor: 'x', results: [], nodes: [{ url: 'http://a', peerId: 'A', latency: h }], targets: { availability: 0.9, p99Ms: 100 } })
    assert.equal(slow.verdict, 'missed')
  })

  it('latency over the window: a node\'s windowed histogram gives the window\'s p99, not the cumulative one, and the report says what it covers', () => {
    // Since start the node served 1000 fast GETs (under 10 ms) then, in the last hour, 100 of
    // which 10 took over 200 ms: cumulative p99 is in the fast bucket, the window's is not.
    const cumulative = { bounds: [0.01, 0.2, 0.5, Infinity], counts: [1090, 1090, 1100, 1100], count: 1100 }
    const wire = { since: 3_600_000, from: 3_000_000, until: 7_200_000, complete: true, bounds: [0.01, 0.2, 0.5, '+Inf'], counts: [90, 90, 100, 100], count: 100 }
    const w = parseLatencyWindow(wire)!
    assert.ok(quantile(cumulative, 0.99)! < 0.2)
    const r = slaReport({ since: 3_600_000, until: 7_200_000, auditor: 'x', results: [row(1, 'A', 'pass', 4_000_000)], nodes: [{ url: 'http://a', peerId: 'A', latency: w, latencyScope: { from: w.from, until: w.until, complete: true } }] })
    assert.ok(r.network.p99Ms! > 200 && r.network.p99Ms! <= 500, `window p99 ${r.network.p99Ms}`)
    assert.equal(r.met, false, 'the last hour missed p99 200 ms')
    assert.deepEqual(r.network.latency, { from: 3_000_000, complete: true, sinceStart: [] })
    assert.match(coverageText(r), /in the window \(from 1970-01-01T00:50:00.000Z/)
    // An old node without a history counts since it started, and the report says which.
    const mixed = latencyCoverage([
      { url: 'http://a', latency: w, latencyScope: { from: 3_000_000, until: 7_200_000, complete: true } },
      { url: 'http://b', latency: cumulative, latencyScope: 'since-start' },
      { url: 'http://c', latencyScope: { from: 5_000_000, until: 7_200_000, complete: false } } // no latency: not counted
    ])
    assert.deepEqual(mixed, { from: 3_000_000, complete: false, sinceStart: ['http://b'] })
  })

  it('refuses a malformed latency window from a node', () => {
    const good = { since: 1, from: 0, until: 2, complete: true, bounds: [0.01, '+Inf'], counts: [1, 2], count: 2 }
    assert.ok(parseLatencyWindow(good) !== undefined)
    for (const bad of [
      { ...good, counts: [2, 1], count: 1 }, // not cumulative
      { ...good, bounds: [0.01, 5] }, // no +Inf
      { ...good, bounds: [0.5, 0.01, '+Inf'], counts: [1, 1, 2] }, // not ascending
      { ...good, count: 3 }, // count disagrees
      { ...good, counts: [-1, 2] },
      { ...good, from: 5 }, // from after until
      { ...good, bounds: Array.from({ length: 100 }, (_, i) => i + 1).concat(['+Inf'] as never), counts: Array.from({ length: 101 }, () => 0), count: 0 },
      null, 'x'
    ]) assert.equal(parseLatencyWindow(bad), undefined, JSON.stringify(bad)?.slice(0, 80))
  })

  it('says the window as people do', () => {
    assert.deepEqual([windowLength(3_600_000), windowLength(45 * 60_000), windowLength(6 * 3_600_000), windowLength(30 * 86_400_000)], ['60 min', '45 min', '6 h', '30 days'])
  })
})

describe('audit results from an auditor', () => {
  it('takes well-formed pages and refuses a page with any malformed entry', () => {
    const good = { id: 1, peer: '12D3KooWA', cid: 'bafy', kind: 'proof', outcome: 'pass', code: null, counted: true, issued: 5, record: 'AAAA' }
    assert.equal(parseAuditResults({ results: [good] })?.length, 1)
    for (const bad of [{ ...good, outcome: 'great' }, { ...good, id: -1 }, { ...good, peer: 'x'.repeat(500) }, { ...good, issued: '5' }, { ...good, kind: 'x' }, { ...good, code: 7 }, null]) {
      assert.equal(parseAuditResults({ results: [good, bad] }), undefined, JSON.stringify(bad))
    }
    assert.equal(parseAuditResults({ results: Array(1001).fill(good) }), undefined, 'longer than a page')
    assert.equal(parseAuditResults({}), undefined)
  })
})

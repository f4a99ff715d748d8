// `p2pdv devnet --monitoring` runs a real Prometheus that scrapes every node, and every panel of the
// Grafana dashboards (deploy/grafana/dashboards) is a query that Prometheus answers.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { blockCid } from '@p2pdv/core'
import { DEPLOY_DIR } from '../src/monitoring.ts'
import { startDevnet, type RunningDevnet } from './fixtures/cli.ts'

interface Target { expr: string, refId: string }
interface Panel { title: string, targets: Target[] }

/**
 * Panels that have no series on a fresh devnet without a chain, no uploads and no viewers: their
 * metrics are labelled counters or histograms that get a series at their first event (no audits
 * yet, no repair work, no keeper role without a chain). Their queries must still be valid.
 */
const EMPTY_ON_A_FRESH_DEVNET = new Set([
  'Bytes served', 'Blocks served and stored over the store protocol', 'libp2p connections and DHT provides',
  'Audit pass rate', 'Audits by kind and outcome', 'Audit challenges answered', 'Repair traffic', 'Blocks repaired',
  'Releases (1h)', 'Refusals (1h)', 'Release p99 (1h)', 'Key requests by result', 'Key release latency (p50, p99)',
  'Keeper HTTP requests by route and status'
])

async function query (prometheus: string, expr: string): Promise<{ status: string, data?: { result: unknown[] }, error?: string }> {
  const r = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`)
  return await r.json() as { status: string, data?: { result: unknown[] }, error?: string }
}

/** Grafana's variables as a query sees them for "all nodes". */
function resolve (expr: string): string {
  return expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m')
}

describe('devnet --monitoring', () => {
  let devnet: RunningDevnet
  let prometheus: string

  before(async () => {
    devnet = await startDevnet(2, undefined, ['--no-chain', '--monitoring'])
    prometheus = (devnet.state as { monitoring?: { prometheus: string } }).monitoring?.prometheus ?? ''
    assert.match(prometheus, /^http:\/\/127\.0\.0\.1:\d+$/)
  })
  after(async () => { await devnet?.stop() })

  it('scrapes every node', async () => {
    const nodes = devnet.state.nodes.map(n => new URL(n.http).host).sort()
    for (;;) {
      const r = await query(prometheus, 'up{job="p2pdv-node"} == 1')
      const up = (r.data?.result ?? []).map(s => (s as { metric: { instance: string } }).metric.instance).sort()
      if (JSON.stringify(up) === JSON.stringify(nodes)) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  })

  it('answers every dashboard panel\'s query (with data, except the panels that wait for their first event)', async () => {
    // Traffic for the request and latency panels: block GETs (404: nothing uploaded) and API calls,
    // sent until rates see it (a series' first scrape only starts it: it takes a second one).
    for (;;) {
      for (const n of devnet.state.nodes) {
        await (await fetch(`${n.http}/ipfs/${(await blockCid(randomBytes(16))).toString()}`)).arrayBuffer()
        await (await fetch(`${n.http}/api/v1/status`)).arrayBuffer()
      }
      const r = await query(prometheus, 'min(sum by (instance) (increase(p2pdv_http_request_duration_seconds_count{route="/ipfs/:cid"}[1m]))) > 0')
      if ((r.data?.result.length ?? 0) > 0) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    const dir = join(DEPLOY_DIR, 'grafana', 'dashboards')
    const files = (await readdir(dir)).filter(f => f.endsWith('.json')).sort()
    assert.deepEqual(files, ['durability.json', 'keepers.json', 'network-overview.json', 'node.json'])
    const empty: string[] = []
    let checked = 0
    for (const file of files) {
      const dashboard = JSON.parse(await readFile(join(dir, file), 'utf8')) as { uid: string, panels: Panel[] }
      assert.ok(dashboard.panels.length > 0)
      for (const panel of dashboard.panels) {
        let withData = false
        for (const t of panel.targets) {
          const r = await query(prometheus, resolve(t.expr))
          assert.equal(r.status, 'success', `${file} "${panel.title}" ${t.refId}: ${r.error ?? ''}`)
          checked++
          if ((r.data?.result.length ?? 0) > 0) withData = true
        }
        if (!withData) empty.push(panel.title)
      }
    }
    assert.ok(checked >= 40)
    assert.deepEqual(empty.filter(t => !EMPTY_ON_A_FRESH_DEVNET.has(t)), [], 'panels without data')
  })
})

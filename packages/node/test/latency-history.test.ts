// Windowed block-GET latency (latency-history.ts): slices are differences of cumulative readings
// within one process, a window sums the slices after `since` plus the unsliced rest, a restart
// (histogram reset) never shows as negative counts, the file survives a restart and is bounded,
// and a real prom-client histogram is read by route, method and status.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { Histogram, Registry } from 'prom-client'
import { cumulate, LATENCY_HISTORY_FILE, LatencyHistory, latencyWindowJson, perBucket, readBlockGetBuckets, subtract, windowOf } from '../src/latency-history.ts'

const log = pino({ level: 'silent' })
const BOUNDS = [0.01, 0.1, 1]
const MIN = 60_000

describe('latency window arithmetic', () => {
  it('per-bucket and cumulative counts invert each other; a reset counts the new reading whole', () => {
    assert.deepEqual(perBucket([2, 5, 5, 9]), [2, 3, 0, 4])
    assert.deepEqual(cumulate([2, 3, 0, 4]), [2, 5, 5, 9])
    assert.deepEqual(subtract([4, 9, 9, 12], [2, 5, 5, 9]), [2, 4, 4, 3])
    assert.deepEqual(subtract([1, 1, 1, 1], [2, 5, 5, 9]), [1, 1, 1, 1], 'the histogram restarted from zero')
    assert.deepEqual(subtract([1, 2], undefined), [1, 2])
  })

  it('sums the slices that end after since, plus the pending counts; reports from where it counts and whether the history reaches back', () => {
    const bounds = [...BOUNDS, Infinity]
    const slices = [
      { start: 0, end: 10 * MIN, counts: [100, 0, 0, 0] }, // before the window: left out
      { start: 10 * MIN, end: 20 * MIN, counts: [1, 2, 0, 0] }, // straddles since = 15 min: in, from 10 min
      { start: 20 * MIN, end: 30 * MIN, counts: [0, 0, 3, 1] }
    ]
    const w = windowOf({ since: 15 * MIN, until: 35 * MIN, bounds, begins: 0, slices, pending: [0, 0, 0, 5], pendingFrom: 30 * MIN })
    assert.deepEqual(w.counts, [1, 3, 6, 12])
    assert.equal(w.count, 12)
    assert.equal(w.from, 10 * MIN)
    assert.equal(w.complete, true)
    // A history that began after since: it says so, and counts from its beginning.
    const late = windowOf({ since: 0, until: 35 * MIN, bounds, begins: 12 * MIN, slices: slices.slice(1), pending: [0, 0, 0, 0], pendingFrom: 30 * MIN })
    assert.equal(late.complete, false)
    assert.equal(late.from, 12 * MIN)
    assert.equal(late.count, 7)
    // Nothing in the window: zero counts (no quantile), covering from since.
    const quiet = windowOf({ since: 31 * MIN, until: 35 * MIN, bounds, begins: 0, slices, pending: [0, 0, 0, 0], pendingFrom: 30 * MIN })
    assert.equal(quiet.count, 0)
    assert.equal(quiet.from, 30 * MIN, 'the pending counts start at the last slice')
    assert.deepEqual(latencyWindowJson(quiet).bounds, [0.01, 0.1, 1, '+Inf'])
  })
})

describe('latency history', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pdv-latency-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('keeps slices across a restart: a window over the last hour excludes older requests, and a histogram reset is not negative', async () => {
    let now = 1_000 * MIN
    let cumulative = [0, 0, 0, 0]
    const deps = { dataDir: dir, read: async () => ({ bounds: [...BOUNDS, Infinity], counts: cumulative }), bounds: BOUNDS, log, now: () => now, sliceMs: 10 * MIN }
    const h1 = new LatencyHistory(deps)
    await h1.start()
    // Two hours ago: 50 slow requests (over 1 s).
    cumulative = [0, 0, 0, 50]
    now += 10 * MIN
    await h1.slice()
    // Then 100 minutes with nothing, then 10 fast ones (under 10 ms).
    now += 100 * MIN
    cumulative = [10, 10, 10, 60]
    await h1.slice()
    await h1.stop()
    const file = JSON.parse(await readFile(join(dir, LATENCY_HISTORY_FILE), 'utf8')) as { slices: unknown[], bounds: unknown[] }
    assert.equal(file.slices.length, 2, 'empty slices are not kept')
    assert.equal(file.bounds.at(-1), '+Inf')

    // The node restarts: its histogram starts from zero again.
    now += 5 * MIN
    cumulative = [0, 0, 0, 0]
    const h2 = new LatencyHistory(deps)
    await h2.start()
    cumulative = [3, 3, 3, 3] // 3 fast requests since the restart (not sliced yet)
    const hour = await h2.window(now - 60 * MIN)
    assert.deepEqual(hour.counts, [13, 13, 13, 13], 'the 10 fast ones before the restart and the 3 after; not the 50 slow ones')
    assert.equal(hour.complete, true)
    const all = await h2.window(0)
    assert.equal(all.count, 63)
    assert.equal(all.complete, false, 'the history began after 0')
    assert.equal(all.from, 1_000 * MIN)
    await h2.stop()
  })

  it('starts a new history when the file is malformed or has other buckets', async () => {
    const other = await mkdtemp(join(tmpdir(), 'p2pdv-latency-bad-'))
    try {
      for (const bad of ['{not json', JSON.stringify({ v: 1, bounds: [1, 2], begins: 0, slices: [] }), JSON.stringify({ v: 1, bounds: [0.01, 0.1, 1, '+Inf'], begins: 0, slices: [{ start: 0, end: 1, counts: [-1, 0, 0, 0] }] })]) {
        await writeFile(join(other, LATENCY_HISTORY_FILE), bad)
        const h = new LatencyHistory({ dataDir: other, read: async () => ({ bounds: [], counts: [] }), bounds: BOUNDS, log, now: () => 5 * MIN })
        await h.start()
        const w = await h.window(0)
        assert.equal(w.count, 0)
        assert.equal(w.from, 5 * MIN)
        await h.stop()
      }
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('reads only 2xx block GETs from a real prom-client histogram', async () => {
    const registry = new Registry()
    const hist = new Histogram({ name: 'p2pdv_http_request_duration_seconds', help: 'h', labelNames: ['route', 'method', 'status'] as const, buckets: BOUNDS, registers: [registry] })
    hist.observe({ route: '/ipfs/:cid', method: 'GET', status: '200' }, 0.005)
    hist.observe({ route: '/ipfs/:cid', method: 'GET', status: '206' }, 0.5)
    hist.observe({ route: '/ipfs/:cid', method: 'GET', status: '404' }, 0.005)
    hist.observe({ route: '/ipfs/:cid', method: 'PUT', status: '200' }, 0.005)
    hist.observe({ route: '/api/v1/status', method: 'GET', status: '200' }, 0.005)
    const r = await readBlockGetBuckets(hist)
    assert.deepEqual(r.bounds, [...BOUNDS, Infinity])
    assert.deepEqual(r.counts, [1, 1, 2, 2])
  })
})

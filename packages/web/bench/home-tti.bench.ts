// The home page's time to interactive in Chromium on loopback: navigation start → the "Latest
// videos" grid shows its cards (the app bundle loaded and run, the node's index asked, posters
// requested) and the main thread has had no long task since, beside the same cards as plain
// server-written HTML from a bare node:http server (no script at all: the floor for this content).
// The page before issue 18 (a link box) no longer exists; this is the honest baseline left.
// Each load uses a fresh browser context (empty cache); runs alternate.
import { rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { NodeClient, type ListedVideo } from '@p2pdv/node-client'
import { printTable, quantile } from '../../../scripts/bench-util.ts'
import { runCli, startDevnet } from '../../cli/test/fixtures/cli.ts'
import { CHROMIUM, CHROMIUM_ARGS } from '../test/fixtures/chromium.ts'
import { makeTestVideo } from '../test/fixtures/video.ts'

const RUNS = Math.max(10, Number(process.env.BENCH_RUNS ?? 10))
const VIDEOS = 3
/** A long task (≥ 50 ms) within this long after the cards resets the clock (TTI's quiet window, shortened). */
const QUIET_MS = 500
/** P2PDV_BENCH_DETAIL=1: each load's timeline on stderr. */
const DETAIL = process.env.P2PDV_BENCH_DETAIL === '1'

const escape = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

function staticHome (videos: ListedVideo[]): string {
  const cards = videos.map(v => `<li><a data-video="${escape(v.id)}" href="/watch/video/${escape(v.id)}"><div class="cover"></div><h3 class="card-title">${escape(v.title)}</h3><p>${v.durationSeconds} s</p></a></li>`).join('')
  return `<!doctype html><meta charset="utf-8"><title>Home</title><body><header><form action="/search"><input name="q" aria-label="Search videos"></form></header><section aria-label="Latest videos"><ul>${cards}</ul></section></body>`
}

/** One cold load: navigation start → cards shown and QUIET_MS without a long task, in ms. */
async function tti (browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  try {
    const page = await context.newPage()
    await page.addInitScript(() => {
      const w = window as unknown as { cards?: number, lastLong?: number, longMs?: number }
      new PerformanceObserver(list => { for (const e of list.getEntries()) { w.lastLong = e.startTime + e.duration; w.longMs = (w.longMs ?? 0) + e.duration } }).observe({ type: 'longtask', buffered: true })
      const seen = (): boolean => document.querySelector('[aria-label="Latest videos"] a[data-video]') !== null
      new MutationObserver(() => { if (w.cards === undefined && seen()) w.cards = performance.now() }).observe(document, { subtree: true, childList: true })
    })
    await page.goto(url)
    const handle = await page.waitForFunction(quiet => {
      const w = window as unknown as { cards?: number, lastLong?: number }
      if (w.cards === undefined) return undefined
      const since = Math.max(w.cards, w.lastLong ?? 0)
      return performance.now() - since >= quiet ? since : undefined
    }, QUIET_MS, { timeout: 60_000, polling: 20 })
    const at = await handle.jsonValue() as number
    if (DETAIL) {
      // Where the time went: the document, the app's script running, the index answering, long tasks.
      const d = await page.evaluate(() => {
        const w = window as unknown as { cards?: number, longMs?: number }
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
        const api = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find(r => r.name.includes('/api/v1/videos'))
        const script = performance.getEntriesByName('p2pdv:script')[0]?.startTime
        const js = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter(r => r.name.endsWith('.js')).reduce((n, r) => n + r.encodedBodySize, 0)
        return { html: nav?.responseEnd, script, apiStart: api?.startTime, apiEnd: api?.responseEnd, cards: w.cards, longMs: w.longMs ?? 0, jsKiB: js / 1024 }
      })
      process.stderr.write(`${url} ${Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'number' ? v.toFixed(0) : String(v)}`).join(' ')} tti=${at.toFixed(0)}\n`)
    }
    return at
  } finally {
    await context.close()
  }
}


const devnet = await startDevnet(2)
let browser: Browser | undefined
let baseline: Server | undefined
try {
  const env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'bench passphrase' }
  for (let i = 0; i < VIDEOS; i++) {
    const clip = join(devnet.dir, `clip-${i}.mp4`)
    await makeTestVideo(clip, 2 + i)
    const up = await runCli(['upload', clip, '--replicas', '2', '--title', `Bench video ${i + 1}`, '--tags', 'bench', '--json'], env, 300_000)
    if (up.code !== 0) throw new Error(`upload failed: ${up.stdout}${up.stderr}`)
  }
  const web = devnet.state.nodes[0]!.http
  const node = new NodeClient(web)
  let listed: ListedVideo[] = []
  for (let i = 0; i < 240 && listed.length < VIDEOS; i++) {
    listed = (await node.videos({}).catch(() => ({ videos: [] }))).videos
    if (listed.length < VIDEOS) await new Promise(resolve => setTimeout(resolve, 500))
  }
  if (listed.length < VIDEOS) throw new Error(`the node indexed ${listed.length} of ${VIDEOS} videos`)
  const html = staticHome(listed)
  baseline = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html) })
  await new Promise<void>(resolve => baseline!.listen(0, '127.0.0.1', resolve))
  const plain = `http://127.0.0.1:${(baseline.address() as { port: number }).port}/`
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })

  // Warm-up: the node builds the app bundle on its first page.
  await tti(browser, `${web}/`)
  await tti(browser, plain)
  const ours: number[] = []
  const base: number[] = []
  for (let i = 0; i < RUNS; i++) {
    ours.push(await tti(browser, `${web}/`))
    base.push(await tti(browser, plain))
  }
  printTable(`home page time to interactive (cards shown, then ${QUIET_MS} ms without a long task), Chromium on loopback, ${VIDEOS} listed videos, ${RUNS} cold loads each`, [
    { name: 'TTI median', value: quantile(ours, 0.5), baselineName: 'same cards as static HTML', baseline: quantile(base, 0.5), unit: 'ms', better: 'lower' },
    { name: 'TTI p95', value: quantile(ours, 0.95), baselineName: 'same cards as static HTML', baseline: quantile(base, 0.95), unit: 'ms', better: 'lower' }
  ])
} finally {
  await browser?.close()
  baseline?.close()
  await devnet.stop()
  await rm(devnet.dir, { recursive: true, force: true })
}

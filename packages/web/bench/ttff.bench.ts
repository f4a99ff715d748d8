// Time to first frame in Chromium on loopback: page load → the first `playing` event, for the
// watch page (peer list, sealed manifest, blocks verified and decrypted in the page) beside the
// same stream decrypted ahead of time and served as static files by a bare node:http server to a
// page with plain hls.js. Each run uses a fresh browser context (empty cache); runs alternate.
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { parseCapability } from '@p2pdv/core'
import { fetchPeerDirectory, PeerSet, VideoSource } from '@p2pdv/sdk/browser'
import { printTable, quantile } from '../../../scripts/bench-util.ts'
import { runCli, startDevnet } from '../../cli/test/fixtures/cli.ts'
import { CHROMIUM, CHROMIUM_ARGS } from '../test/fixtures/chromium.ts'
import { makeTestVideo } from '../test/fixtures/video.ts'

const RUNS = Math.max(10, Number(process.env.BENCH_RUNS ?? 10))
const HLS_JS = fileURLToPath(new URL('../../../node_modules/hls.js/dist/hls.min.js', import.meta.url))
const TYPES: Record<string, string> = { '.m3u8': 'application/vnd.apple.mpegurl', '.mp4': 'video/mp4', '.m4s': 'video/mp4', '.js': 'text/javascript', '.html': 'text/html' }

const BASELINE_PAGE = '<!doctype html><meta charset="utf-8"><body style="margin:0;background:#000"><video id="v" style="width:100%" playsinline></video><script src="/hls.min.js"></script><script src="/baseline.js"></script>'
const BASELINE_JS = "const v = document.getElementById('v'); const hls = new Hls(); hls.attachMedia(v); hls.loadSource('/v/master.m3u8'); hls.on(Hls.Events.MANIFEST_PARSED, () => { v.play().catch(() => {}) })"

/** Writes every path of the video's layout as plaintext files: the unencrypted twin of the stream. */
async function writePlainCopy (source: VideoSource, dir: string): Promise<void> {
  const paths = ['master.m3u8', ...source.video.renditions.flatMap(r => [`${r.id}/index.m3u8`, `${r.id}/init.mp4`, ...r.segments.map((_, i) => `${r.id}/${i}.m4s`)])]
  for (const p of paths) {
    const read = await source.read(p)
    await mkdir(dirname(join(dir, p)), { recursive: true })
    await writeFile(join(dir, p), read.kind === 'text' ? read.body : read.bytes)
  }
}

async function staticServer (root: string): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/' || path === '/index.html') { res.writeHead(200, { 'content-type': TYPES['.html']! }).end(BASELINE_PAGE); return }
    if (path === '/baseline.js') { res.writeHead(200, { 'content-type': TYPES['.js']! }).end(BASELINE_JS); return }
    const file = path === '/hls.min.js' ? HLS_JS : join(root, normalize(path.replace(/^\/v\//, '/')).replace(/^(\.\.[/\\])+/, ''))
    const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream'
    const stream = createReadStream(file)
    stream.once('error', () => { res.writeHead(404).end() })
    stream.once('open', () => { res.writeHead(200, { 'content-type': type }); stream.pipe(res) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }
}

/** One cold load: a fresh context, navigation start → first `playing`, in ms. */
async function ttff (browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } })
  try {
    const page = await context.newPage()
    await page.addInitScript(() => {
      document.addEventListener('playing', () => { (window as unknown as { ttff?: number }).ttff ??= performance.now() }, true)
    })
    await page.goto(url)
    return await page.waitForFunction(() => (window as unknown as { ttff?: number }).ttff, undefined, { timeout: 60_000, polling: 20 }).then(async h => await h.jsonValue() as number)
  } finally {
    await context.close()
  }
}


const devnet = await startDevnet(3)
const work = await mkdtemp(join(tmpdir(), 'p2pdv-ttff-'))
let browser: Browser | undefined
let baseline: Server | undefined
try {
  const video = join(work, 'clip.mp4')
  await makeTestVideo(video, 20)
  const up = await runCli(['upload', video, '--replicas', '3', '--title', 'TTFF', '--json'], devnet.env, 300_000)
  if (up.code !== 0) throw new Error(`upload failed: ${up.stdout}${up.stderr}`)
  const cap = parseCapability(up.json.capability)
  const source = await VideoSource.open({ peers: new PeerSet(await fetchPeerDirectory(devnet.state.nodes[0]!.http)), manifest: cap.manifest, key: cap.key })
  await writePlainCopy(source, join(work, 'plain'))
  source.close()
  const plain = await staticServer(join(work, 'plain'))
  baseline = plain.server
  // Sound without a click for both pages, so neither falls back to a muted start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'] })

  // Warm-up (the node builds the app bundle on its first page; both servers and Chromium warm up).
  await ttff(browser, up.json.watchUrl)
  await ttff(browser, plain.url)
  const ours: number[] = []
  const base: number[] = []
  for (let i = 0; i < RUNS; i++) {
    ours.push(await ttff(browser, up.json.watchUrl))
    base.push(await ttff(browser, plain.url))
  }
  printTable(`time to first frame, Chromium on loopback, 20 s 480p/360p video, ${RUNS} cold loads each`, [
    { name: 'TTFF median', value: quantile(ours, 0.5), baselineName: 'static HLS + hls.js', baseline: quantile(base, 0.5), unit: 'ms', better: 'lower', target: '≤ 1.3×, ≤ 500 ms' },
    { name: 'TTFF p95', value: quantile(ours, 0.95), baselineName: 'static HLS + hls.js', baseline: quantile(base, 0.95), unit: 'ms', better: 'lower', target: '≤ 1.3×' }
  ])
} finally {
  await browser?.close()
  baseline?.close()
  await devnet.stop()
  await rm(work, { recursive: true, force: true })
  await rm(devnet.dir, { recursive: true, force: true })
}

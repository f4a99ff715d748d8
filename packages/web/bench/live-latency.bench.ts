// Glass-to-glass latency of a live stream on loopback, measured at the Chromium player: a `-re`
// lavfi source (media time follows wall time from the moment its ffmpeg starts) is played, and
// every 250 ms the page samples wall clock − (source start + video.currentTime). Ours: ffmpeg
// pushes over SRT to `p2pdv live start` (encode, seal under the epoch key, store, announce), the
// watch page follows the SSE, fetches blocks by CID and decrypts. Baseline, in the same run:
// ffmpeg's own HLS muxer on the same source with the same encoder settings and 1 s fMP4 segments,
// unencrypted, static files from a bare node:http server, hls.js with the page's live settings in
// low-latency mode. Also: stalls while crossing epoch rotations (each `waiting` → `playing`), and
// segment complete at the creator → announcement received by a viewer over SSE.
import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { createSocket } from 'node:dgram'
import { tmpdir } from 'node:os'
import { join, normalize } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { parseLiveLink } from '@p2pdv/core/live'
import { runLiveFeed } from '@p2pdv/sdk/player'
import { median, printTable, quantile } from '../../../scripts/bench-util.ts'
import { CLI, CLI_NODE_FLAGS } from '../../cli/test/fixtures/cli.ts'
import { spawnNode } from '../../node/test/fixtures/spawn-node.ts'
import { launchChromium } from '../test/fixtures/chromium.ts'

/** Seconds of playback sampled per pipeline, after it plays past WARMUP_S. */
const SAMPLE_S = Math.max(10, Number(process.env.BENCH_LIVE_SECONDS ?? 30))
const WARMUP_S = 3
const EPOCH_S = 5
const SOURCE = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']
/** The live encoder's settings for a 360p rung (media/live-encoder.ts), for the baseline. */
const ENCODE_360P = ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-b:v', '800k', '-maxrate', '800k', '-bufsize', '800k',
  '-force_key_frames', 'expr:gte(t,n_forced*1)', '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '128k', '-ac', '2']
const HLS_JS = fileURLToPath(new URL('../../../node_modules/hls.js/dist/hls.min.js', import.meta.url))
const TYPES: Record<string, string> = { '.m3u8': 'application/vnd.apple.mpegurl', '.mp4': 'video/mp4', '.m4s': 'video/mp4', '.js': 'text/javascript' }
// The watch page's live settings (web/src/app/watch/controller.ts), in low-latency mode.
const BASELINE_PAGE = '<!doctype html><meta charset="utf-8"><body style="margin:0;background:#000"><video style="width:100%" muted playsinline></video><script src="/hls.min.js"></script><script>' +
  "const v = document.querySelector('video'); const hls = new Hls({ lowLatencyMode: true, enableWorker: false, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 6, maxLiveSyncPlaybackRate: 1.1 });" +
  "hls.attachMedia(v); hls.loadSource('/v/index.m3u8'); hls.on(Hls.Events.MANIFEST_PARSED, () => { v.play().catch(() => {}) })</script>"

async function freeUdpPort (): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

async function staticServer (root: string): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }).end(BASELINE_PAGE); return }
    const file = path === '/hls.min.js' ? HLS_JS : join(root, normalize(path.replace(/^\/v\//, '/')).replace(/^(\.\.[/\\])+/, ''))
    const stream = createReadStream(file)
    stream.once('error', () => { res.writeHead(404).end() })
    stream.once('open', () => { res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'no-store' }); stream.pipe(res) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }
}

interface Sampled { latencies: number[], stalls: number, stalledMs: number }

/**
 * Opens `url`, waits until it plays past WARMUP_S, then samples wall − (start + currentTime) every
 * 250 ms for SAMPLE_S, counting stalls (`waiting` while not seeking) and the time spent in them.
 */
async function sample (page: Page, url: string, startMs: number): Promise<Sampled> {
  await page.goto(url)
  await page.waitForFunction(t => { const v = document.querySelector('video'); return v !== null && !v.paused && v.currentTime > t }, WARMUP_S, { timeout: 60_000, polling: 100 })
  return await page.evaluate(async ({ startMs, seconds }) => {
    const v = document.querySelector('video')!
    let stalls = 0
    let stalledMs = 0
    let since: number | undefined
    v.addEventListener('waiting', () => { if (!v.seeking) { stalls++; since ??= performance.now() } })
    v.addEventListener('playing', () => { if (since !== undefined) { stalledMs += performance.now() - since; since = undefined } })
    const latencies: number[] = []
    for (let i = 0; i < seconds * 4; i++) {
      await new Promise(resolve => setTimeout(resolve, 250))
      if (!v.paused && v.readyState >= 3) latencies.push(Date.now() - (startMs + v.currentTime * 1000))
    }
    if (since !== undefined) stalledMs += performance.now() - since
    return { latencies, stalls, stalledMs }
  }, { startMs, seconds: SAMPLE_S })
}

function stop (p: ChildProcess | undefined, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>(resolve => p.once('exit', () => { resolve() }))
  p.kill(sig)
  return exited
}

const node = await spawnNode({ main: fileURLToPath(new URL('../../cli/src/node-main.ts', import.meta.url)) })
const work = await mkdtemp(join(tmpdir(), 'p2pdv-live-bench-'))
const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required'])
const children: ChildProcess[] = []
let baselineServer: Server | undefined
const abortFeed = new AbortController()
try {
  // --- ours: SRT push → p2pdv live start → node → watch page ---
  const port = await freeUdpPort()
  const live = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'live', 'start', '--json', '--title', 'latency bench', '--srt', `127.0.0.1:${port}`,
    '--ladder', '360p', '--epoch', `${EPOCH_S}s`, '--node', node.info.http], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(live)
  const started = await new Promise<any>((resolve, reject) => {
    live.once('exit', c => { reject(new Error(`live start exited ${String(c)}`)) })
    createInterface({ input: live.stdout! }).on('line', line => { try { const e = JSON.parse(line); if (e.event === 'started') resolve(e) } catch {} })
  })
  const { stream } = parseLiveLink(started.link)
  // Segment complete at the creator (announcement `time`) → announcement received here over SSE.
  // Source media end of the segment → segment complete at the creator (pusher, SRT, encoder).
  const announceMs: number[] = []
  const encodeMs: number[] = []
  let mediaEndMs = 0
  void runLiveFeed({
    nodes: () => [node.info.http], stream, signal: abortFeed.signal,
    onAnnouncement: json => {
      const a = json as { time: number, duration: number, rendition: number }
      announceMs.push(Date.now() - a.time)
      if (a.rendition !== 0) return
      mediaEndMs += a.duration
      encodeMs.push(a.time - (ourStart + mediaEndMs))
    }
  })
  // The listener may take a moment to bind: the pusher is restarted until the node has the stream.
  // Its media time 0 is when the pusher that connected started.
  let pusher: ChildProcess | undefined
  let ourStart = 0
  for (let i = 0; i < 240; i++) {
    if (pusher === undefined || pusher.exitCode !== null) {
      ourStart = Date.now()
      pusher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', ...SOURCE, '-t', '600', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-c:a', 'aac', '-f', 'mpegts', `srt://127.0.0.1:${port}?mode=caller`], { stdio: 'ignore' })
      children.push(pusher)
    }
    await new Promise(resolve => setTimeout(resolve, 250))
    if ((await fetch(`${node.info.http}/api/v1/live/${stream}`).catch(() => undefined))?.ok === true) break
  }
  const ourPage = await browser.context.newPage()
  const ours = await sample(ourPage, `${node.info.http}/watch/live/${stream}#${started.link.split('#')[1]!}`, ourStart)
  const epochKeys = await ourPage.evaluate(() => window.p2pdvLive?.stats().epochs ?? 0)
  await ourPage.close()
  abortFeed.abort()
  await stop(pusher)
  await stop(live, 'SIGTERM')

  // --- baseline: ffmpeg's HLS muxer → static files → hls.js ---
  const dir = join(work, 'plain')
  await mkdir(dir, { recursive: true })
  const baseStart = Date.now()
  const muxer = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', ...SOURCE, '-t', '600', ...ENCODE_360P,
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', join(dir, 'seg_%d.m4s'), join(dir, 'index.m3u8')], { stdio: 'ignore' })
  children.push(muxer)
  const plain = await staticServer(dir)
  baselineServer = plain.server
  for (let i = 0; i < 240 && (await fetch(new URL('v/index.m3u8', plain.url))).status !== 200; i++) await new Promise(resolve => setTimeout(resolve, 100))
  const basePage = await browser.context.newPage()
  const base = await sample(basePage, plain.url, baseStart)
  await basePage.close()
  await stop(muxer)

  printTable(`live glass-to-glass latency, Chromium on loopback, 360p, 1 s fMP4 segments, ${SAMPLE_S} s sampled every 250 ms each`, [
    { name: 'latency median', value: median(ours.latencies) / 1000, baselineName: 'ffmpeg HLS muxer + hls.js', baseline: median(base.latencies) / 1000, unit: 's', better: 'lower', target: '≤ 1.3×, ≤ 3 s' },
    { name: 'latency p95', value: quantile(ours.latencies, 0.95) / 1000, baselineName: 'ffmpeg HLS muxer + hls.js', baseline: quantile(base.latencies, 0.95) / 1000, unit: 's', better: 'lower', target: '≤ 1.3×' }
  ])
  process.stdout.write([
    `stalls while playing (p2pdv: ${epochKeys} epoch keys of ${EPOCH_S} s used): p2pdv ${ours.stalls} (${Math.round(ours.stalledMs)} ms), baseline ${base.stalls} (${Math.round(base.stalledMs)} ms); target 0`,
    `segment's last frame at the source → segment complete at the creator (ffmpeg push over SRT, live encoder), ${encodeMs.length} segments: median ${Math.round(median(encodeMs))} ms, p95 ${Math.round(quantile(encodeMs, 0.95))} ms`,
    `segment complete at the creator → announcement at a viewer (sealed, stored, announced, SSE), ${announceMs.length} segments: median ${Math.round(median(announceMs))} ms, p95 ${Math.round(quantile(announceMs, 0.95))} ms`,
    ''
  ].join('\n'))
} finally {
  abortFeed.abort()
  for (const c of children) await stop(c)
  baselineServer?.close()
  await browser.close()
  await node.stop()
  await rm(work, { recursive: true, force: true })
}

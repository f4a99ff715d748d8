// P2P offload (issue 16): N viewers watch one video at playback pace with staggered starts, each
// a player model in this process (the watch page's policy: sequential segments of the top
// rendition, a 30 s forward buffer, PeerDelivery with the page's ~2 s urgency) over a real devnet,
// with ViewerSwarm over WebRTC (node-datachannel) between them. The same viewers with P2P off, in
// the same run, are the baseline: every byte from the nodes. Prints the share of bytes from
// peers (target >= 60 %, theoretical (n-1)/n), node egress with P2P beside without, TTFF and
// stall time beside P2P off.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseCapability, type CID } from '@p2pdv/core'
import { fetchPeerDirectory, PeerDelivery, PeerSet, VideoSource, type PeerInfo } from '@p2pdv/sdk/player'
import { joinVideoSwarm, type ViewerSwarm } from '@p2pdv/sdk/swarm'
import { median, printTable } from '../../../scripts/bench-util.ts'
import { runCli, startDevnet } from '../../cli/test/fixtures/cli.ts'
import { makeTestVideo } from '../test/fixtures/video.ts'

const VIEWERS = Math.max(2, Number(process.env.BENCH_P2P_VIEWERS ?? 8))
const SECONDS = Math.max(10, Number(process.env.BENCH_P2P_SECONDS ?? 40))
const STAGGER_MS = Number(process.env.BENCH_P2P_STAGGER_MS ?? 3000)
/** The watch page's forward buffer (controller.ts MAX_BUFFER_SECONDS). */
const MAX_BUFFER_SECONDS = 30

interface ViewerResult { nodeBytes: number, peerBytes: number, ttffMs: number, stallMs: number, peers: number, startupLagMs: number }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** One viewer: opens the video, plays the top rendition at 1× with a 30 s buffer, P2P on or off. */
async function watch (origin: string, directory: PeerInfo[], manifest: CID, key: Uint8Array, p2p: boolean): Promise<ViewerResult> {
  const t0 = performance.now()
  // Event-loop delay before the first frame: how much other work (the other viewers sharing this
  // process, and their peer serving with P2P on) held this viewer's start-up.
  const lag = monitorEventLoopDelay({ resolution: 1 })
  lag.enable()
  let playStart = 0
  let stalledMs = 0
  let bufferedEnd = 0
  const playhead = (now: number): number => playStart === 0 ? 0 : Math.min(bufferedEnd, (now - playStart - stalledMs) / 1000)
  const delivery = p2p ? new PeerDelivery({ bufferAhead: () => playStart === 0 ? 0 : bufferedEnd - playhead(performance.now()) }) : undefined
  const source = await VideoSource.open({ peers: new PeerSet(directory), manifest, key: key.slice(), delivery })
  let swarm: ViewerSwarm | undefined
  try {
    const r = source.video.renditions.filter(x => x.kind === 'video').sort((a, b) => (b.height ?? 0) - (a.height ?? 0))[0]!
    await source.read(`${r.id}/init.mp4`)
    for (let i = 0; i < r.segments.length; i++) {
      while (playStart !== 0 && bufferedEnd - playhead(performance.now()) > MAX_BUFFER_SECONDS) await sleep(100)
      await readWithRetries(source, `${r.id}/${i}.m4s`)
      const now = performance.now()
      if (playStart === 0) {
        playStart = now
        lag.disable()
        // As the page does: the swarm after the first frame, blocks with slack wait for it.
        if (delivery !== undefined) {
          const joining = joinVideoSwarm({ origin, manifest, source: delivery.held })
          delivery.expectSwarm(joining)
          joining.then(s => { swarm = s; delivery.attach(s) }, () => {})
        }
      } else {
        const late = (now - playStart - stalledMs) / 1000 - bufferedEnd
        if (late > 0) stalledMs += late * 1000
      }
      bufferedEnd += r.segments[i]!.duration
    }
    // Keep sharing until this viewer's playback ends.
    await sleep(Math.max(0, (bufferedEnd - playhead(performance.now())) * 1000))
    const s = delivery?.stats()
    return { nodeBytes: source.stats.bytes, peerBytes: s?.peerBytes ?? 0, ttffMs: playStart - t0, stallMs: stalledMs, peers: s?.peers ?? 0, startupLagMs: lag.max / 1e6 }
  } finally {
    source.close()
    // Bounded: a stop after WebRTC sessions once hung in CI (viewer-swarm.int.test.ts).
    if (swarm !== undefined) await Promise.race([swarm.stop().catch(() => {}), sleep(10_000)])
  }
}

/** As hls.js does for a fragment that failed to load (its default policy retries a few times). */
async function readWithRetries (source: VideoSource, path: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try { await source.read(path); return } catch (err) { if (attempt >= 4) throw err; retries++ }
  }
}
let retries = 0

async function run (origin: string, directory: PeerInfo[], manifest: CID, key: Uint8Array, p2p: boolean): Promise<ViewerResult[]> {
  return await Promise.all(Array.from({ length: VIEWERS }, async (_, i) => {
    await sleep(i * STAGGER_MS)
    return await watch(origin, directory, manifest, key, p2p)
  }))
}

const devnet = await startDevnet(2)
try {
  const video = join(devnet.dir, 'clip.mp4')
  await makeTestVideo(video, SECONDS)
  const up = await runCli(['upload', video, '--replicas', '2', '--title', 'P2P offload', '--json'], { ...devnet.env, P2PDV_PASSPHRASE: 'bench passphrase' }, 600_000)
  if (up.code !== 0) throw new Error(up.stdout + up.stderr)
  const cap = parseCapability(up.json.capability)
  const origin = devnet.state.nodes[0]!.http
  const directory = await fetchPeerDirectory(origin)
  // Baseline first: nothing of the P2P run is cached anywhere it could help.
  const off = await run(origin, directory, cap.manifest, cap.key, false)
  const on = await run(origin, directory, cap.manifest, cap.key, true)
  const sum = (xs: ViewerResult[], f: (r: ViewerResult) => number): number => xs.reduce((n, r) => n + f(r), 0)
  const peerShare = sum(on, r => r.peerBytes) / sum(on, r => r.peerBytes + r.nodeBytes)
  const mb = (n: number): number => n / 1e6
  printTable(`P2P offload: ${VIEWERS} viewers (Node ViewerSwarm over WebRTC on loopback), ${SECONDS} s video, starts ${STAGGER_MS / 1000} s apart, 2 nodes`, [
    { name: 'bytes from peers (share)', value: 100 * peerShare, baselineName: 'theoretical (n-1)/n', baseline: 100 * (VIEWERS - 1) / VIEWERS, unit: '%', better: 'higher', target: '>= 60 %' },
    { name: 'node egress, P2P on', value: mb(sum(on, r => r.nodeBytes)), baselineName: 'P2P off', baseline: mb(sum(off, r => r.nodeBytes)), unit: 'MB', better: 'lower' },
    { name: 'node egress per viewer, P2P on', value: mb(sum(on, r => r.nodeBytes)) / VIEWERS, baselineName: 'P2P off', baseline: mb(sum(off, r => r.nodeBytes)) / VIEWERS, unit: 'MB', better: 'lower' },
    { name: 'TTFF (median), P2P on', value: median(on.map(r => r.ttffMs)), baselineName: 'P2P off', baseline: median(off.map(r => r.ttffMs)), unit: 'ms', better: 'lower', target: '<= 1.1×' },
    { name: 'stall time (all viewers), P2P on', value: sum(on, r => r.stallMs) + 1, baselineName: 'P2P off', baseline: sum(off, r => r.stallMs) + 1, unit: 'ms (+1)', better: 'lower', target: '<= 1.1×' }
  ])
  const list = (xs: ViewerResult[], f: (r: ViewerResult) => number): string => xs.map(r => f(r).toFixed(1)).join(' ')
  process.stdout.write(`TTFF per viewer (ms), P2P off: ${list(off, r => r.ttffMs)}\n                     P2P on:  ${list(on, r => r.ttffMs)}\n`)
  process.stdout.write(`max event-loop delay before the first frame (ms), P2P off: ${list(off, r => r.startupLagMs)}\n                                                  P2P on:  ${list(on, r => r.startupLagMs)}\n`)
  process.stdout.write(`segment reads retried (both runs): ${retries}\n`)
  process.stdout.write(`per viewer, P2P on (MB from peers / from nodes): ${on.map(r => `${mb(r.peerBytes).toFixed(1)}/${mb(r.nodeBytes).toFixed(1)}`).join('  ')}\n\n`)
} finally {
  await devnet.stop()
  await rm(devnet.dir, { recursive: true, force: true })
  // node-datachannel's native threads can outlive every closed connection: end them.
  const { cleanup } = await import('node-datachannel')
  cleanup()
}

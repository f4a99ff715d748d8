// P2P offload (issue 16): N viewers watch one video at playback pace with staggered starts, each
// in its own process (p2p-viewer.ts: the watch page's policy over a real devnet, ViewerSwarm over
// WebRTC via node-datachannel between them), so no viewer's peer traffic runs on another's event
// loop. The same viewers with P2P off, in the same run, are the baseline: every byte from the
// nodes. Prints the share of bytes from peers (target >= 60 %, theoretical (n-1)/n), node egress
// with P2P beside without, TTFF and stall time beside P2P off, and each viewer's start-up profile.
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCapability } from '@p2pdv/core'
import { fetchPeerDirectory, type PeerInfo } from '@p2pdv/sdk/player'
import { median, printTable } from '../../../scripts/bench-util.ts'
import { runCli, startDevnet } from '../../cli/test/fixtures/cli.ts'
import { makeTestVideo } from '../test/fixtures/video.ts'
import type { ViewerArgs, ViewerResult } from './p2p-viewer.ts'

const VIEWERS = Math.max(2, Number(process.env.BENCH_P2P_VIEWERS ?? 6))
const SECONDS = Math.max(10, Number(process.env.BENCH_P2P_SECONDS ?? 60))
const STAGGER_MS = Number(process.env.BENCH_P2P_STAGGER_MS ?? 3000)
const VIEWER = fileURLToPath(new URL('./p2p-viewer.ts', import.meta.url))
/** A viewer plays SECONDS at 1×; anything far beyond is a hang. */
const VIEWER_TIMEOUT_MS = (SECONDS + 120) * 1000

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** One viewer process; its last stdout line is its result. */
async function viewer (args: ViewerArgs): Promise<ViewerResult> {
  const proc = spawn(process.execPath, [VIEWER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', d => { stdout += String(d) })
  proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-4000) })
  const timer = setTimeout(() => proc.kill('SIGKILL'), VIEWER_TIMEOUT_MS)
  const code = await new Promise<number | null>(resolve => proc.on('exit', c => resolve(c)))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`viewer exited with ${String(code)}: ${stderr}`)
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ViewerResult
}

async function run (base: Omit<ViewerArgs, 'p2p'>, p2p: boolean): Promise<ViewerResult[]> {
  return await Promise.all(Array.from({ length: VIEWERS }, async (_, i) => {
    await sleep(i * STAGGER_MS)
    return await viewer({ ...base, p2p })
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
  const directory: PeerInfo[] = await fetchPeerDirectory(origin)
  const base = { origin, directory, manifest: cap.manifest.toString(), key: Buffer.from(cap.key).toString('hex') }
  // Baseline first: nothing of the P2P run is cached anywhere it could help.
  const off = await run(base, false)
  const on = await run(base, true)
  const sum = (xs: ViewerResult[], f: (r: ViewerResult) => number): number => xs.reduce((n, r) => n + f(r), 0)
  const peerShare = sum(on, r => r.peerBytes) / sum(on, r => r.peerBytes + r.nodeBytes)
  const mb = (n: number): number => n / 1e6
  printTable(`P2P offload: ${VIEWERS} viewers, one process each (ViewerSwarm over WebRTC on loopback), ${SECONDS} s video, starts ${STAGGER_MS / 1000} s apart, 2 nodes`, [
    { name: 'bytes from peers (share)', value: 100 * peerShare, baselineName: 'theoretical (n-1)/n', baseline: 100 * (VIEWERS - 1) / VIEWERS, unit: '%', better: 'higher', target: '>= 60 %' },
    { name: 'node egress, P2P on', value: mb(sum(on, r => r.nodeBytes)), baselineName: 'P2P off', baseline: mb(sum(off, r => r.nodeBytes)), unit: 'MB', better: 'lower' },
    { name: 'node egress per viewer, P2P on', value: mb(sum(on, r => r.nodeBytes)) / VIEWERS, baselineName: 'P2P off', baseline: mb(sum(off, r => r.nodeBytes)) / VIEWERS, unit: 'MB', better: 'lower' },
    { name: 'TTFF (median), P2P on', value: median(on.map(r => r.ttffMs)), baselineName: 'P2P off', baseline: median(off.map(r => r.ttffMs)), unit: 'ms', better: 'lower', target: '<= 1.1×' },
    { name: 'stall time (all viewers), P2P on', value: sum(on, r => r.stallMs) + 1, baselineName: 'P2P off', baseline: sum(off, r => r.stallMs) + 1, unit: 'ms (+1)', better: 'lower', target: '<= 1.1×' }
  ])
  const list = (xs: ViewerResult[], f: (r: ViewerResult) => number): string => xs.map(r => f(r).toFixed(1)).join(' ')
  const profile: Array<[string, (r: ViewerResult) => number]> = [
    ['TTFF (ms)', r => r.ttffMs],
    ['manifest opened (ms)', r => r.openMs],
    ['init read (ms)', r => r.initMs],
    ['CPU before the first frame (ms)', r => r.startupCpuMs],
    ['max event-loop delay before the first frame (ms)', r => r.startupLagMs],
    ['stall (ms)', r => r.stallMs]
  ]
  for (const [name, f] of profile) process.stdout.write(`${name}, per viewer, P2P off: ${list(off, f)}\n${' '.repeat(name.length)}                 P2P on:  ${list(on, f)}\n`)
  process.stdout.write(`swarm started before the first frame (P2P on): ${on.filter(r => r.swarmBeforeFirstFrame).length} of ${VIEWERS}; swarm joined after the first frame in (ms): ${list(on, r => r.joinMs)}\n`)
  process.stdout.write(`segment reads retried: P2P off ${sum(off, r => r.retries)}, on ${sum(on, r => r.retries)}\n`)
  process.stdout.write(`per viewer, P2P on (MB from peers / from nodes): ${on.map(r => `${mb(r.peerBytes).toFixed(1)}/${mb(r.nodeBytes).toFixed(1)}`).join('  ')}\n\n`)
} finally {
  await devnet.stop()
  await rm(devnet.dir, { recursive: true, force: true })
}

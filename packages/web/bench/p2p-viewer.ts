// One viewer of the P2P offload bench, run as its own process (issue 16: viewers must not share
// one event loop, as pages in separate browsers do not). It plays the top rendition of a video at
// 1× with the watch page's policy (sequential segments, a 30 s forward buffer, PeerDelivery with
// the page's ~2 s urgency, the swarm joined only after the first frame) and prints one JSON line:
// bytes from peers and nodes, time to first frame, stall time and a profile of its start-up.
//
//   node p2p-viewer.ts '{"origin":…,"directory":[…],"manifest":"bafk…","key":"<hex>","p2p":true}'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { CID } from 'multiformats/cid'
import { PeerDelivery, PeerSet, VideoSource, type PeerInfo } from '@p2pdv/sdk/player'
import type { ViewerSwarm } from '@p2pdv/sdk/swarm'

/** The watch page's forward buffer (controller.ts MAX_BUFFER_SECONDS). */
const MAX_BUFFER_SECONDS = 30
/** A read that fails is retried, as hls.js does for a fragment (its default policy). */
const READ_ATTEMPTS = 4

export interface ViewerArgs { origin: string, directory: PeerInfo[], manifest: string, key: string, p2p: boolean }

export interface ViewerResult {
  nodeBytes: number
  peerBytes: number
  /** Open (peer list given) → the first media segment decrypted. */
  ttffMs: number
  stallMs: number
  peers: number
  retries: number
  /** Start-up profile: manifest opened, init read, first segment read (ms from start). */
  openMs: number
  initMs: number
  /** Max event-loop delay and CPU time of this process before the first frame. */
  startupLagMs: number
  startupCpuMs: number
  /** Blocks PeerDelivery sent to the nodes as urgent, and the swarm's state at the first frame. */
  urgentBlocks: number
  swarmBeforeFirstFrame: boolean
  joinMs: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export async function watch (args: ViewerArgs): Promise<ViewerResult> {
  const manifest = CID.parse(args.manifest)
  const key = Uint8Array.from(Buffer.from(args.key, 'hex'))
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const lag = monitorEventLoopDelay({ resolution: 1 })
  lag.enable()
  let playStart = 0
  let stalledMs = 0
  let bufferedEnd = 0
  let retries = 0
  let joinMs = -1
  let swarm: ViewerSwarm | undefined
  let swarmStarted = false
  const playhead = (now: number): number => playStart === 0 ? 0 : Math.min(bufferedEnd, (now - playStart - stalledMs) / 1000)
  const delivery = args.p2p ? new PeerDelivery({ bufferAhead: () => playStart === 0 ? 0 : bufferedEnd - playhead(performance.now()) }) : undefined
  const source = await VideoSource.open({ peers: new PeerSet(args.directory), manifest, key, delivery })
  const openMs = performance.now() - t0
  let initMs = 0
  let startupCpuMs = 0
  let swarmBeforeFirstFrame = false
  const read = async (path: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try { await source.read(path); return } catch (err) { if (attempt >= READ_ATTEMPTS) throw err; retries++ }
    }
  }
  try {
    const r = source.video.renditions.filter(x => x.kind === 'video').sort((a, b) => (b.height ?? 0) - (a.height ?? 0))[0]!
    await read(`${r.id}/init.mp4`)
    initMs = performance.now() - t0
    for (let i = 0; i < r.segments.length; i++) {
      while (playStart !== 0 && bufferedEnd - playhead(performance.now()) > MAX_BUFFER_SECONDS) await sleep(100)
      await read(`${r.id}/${i}.m4s`)
      const now = performance.now()
      if (playStart === 0) {
        playStart = now
        lag.disable()
        startupCpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000
        swarmBeforeFirstFrame = swarmStarted
        // As the page does: the swarm code and the swarm only after the first frame.
        if (delivery !== undefined) {
          swarmStarted = true
          const joining = import('@p2pdv/sdk/swarm-node').then(async l => await l.importSwarm()).then(async m => await m.joinVideoSwarm({ nodes: args.directory, manifest, source: delivery.held }))
          delivery.expectSwarm(joining)
          joining.then(s => { swarm = s; joinMs = performance.now() - now; delivery.attach(s) }, () => {})
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
    return {
      nodeBytes: source.stats.bytes,
      peerBytes: s?.peerBytes ?? 0,
      ttffMs: playStart - t0,
      stallMs: stalledMs,
      peers: s?.peers ?? 0,
      retries,
      openMs,
      initMs,
      startupLagMs: lag.max / 1e6,
      startupCpuMs,
      urgentBlocks: s?.urgentBlocks ?? 0,
      swarmBeforeFirstFrame,
      joinMs
    }
  } finally {
    source.close()
    // Bounded: a stop after WebRTC sessions once hung in CI (viewer-swarm.int.test.ts).
    if (swarm !== undefined) await Promise.race([swarm.stop().catch(() => {}), sleep(10_000)])
  }
}

if (import.meta.main) {
  const args = JSON.parse(process.argv[2] ?? '{}') as ViewerArgs
  const result = await watch(args)
  process.stdout.write(JSON.stringify(result) + '\n')
  // node-datachannel's native threads can outlive every closed connection: end them.
  if (args.p2p) (await import('node-datachannel')).cleanup()
  process.exit(0)
}

/**
 * P2P delivery for the local HLS gateway (`p2pdv watch`, issue 16): the gateway takes part in the
 * video's viewer swarm as a page does. An external player (mpv, VLC, ffmpeg) only asks for
 * segments; it says nothing of its playhead, so the gateway keeps a playback clock of its own
 * (1× from the first media segment served; a request far from it is a seek and resets it) and
 * fetches ahead of it:
 *
 * - a segment the player asks for is served from what was fetched ahead, or fetched now (due
 *   soon: the nodes, as PeerDelivery decides);
 * - ahead of the clock (up to `prefetchSeconds`), each rendition the player reads is fetched
 *   segment by segment through PeerDelivery with each block's own time to play: peers when there
 *   is time, nodes otherwise. Every block is verified and held, so other viewers get it from here.
 *
 * The swarm code (libp2p, WebRTC) is loaded and joined only after the first segment is served,
 * so it is never on the start-up path. It meets at the video's home node (rankSwarmHomes), as
 * pages do, so `p2pdv watch` and browsers served by any node share one swarm.
 */
import type { StreamRef, VideoManifest } from '@p2pdv/core'
import type { CID } from 'multiformats/cid'
import { PeerDelivery, type PeerDeliveryStats } from './player/peer-delivery.ts'
import type { SwarmNode } from './swarm/swarm-home.ts'
import { importSwarm } from './swarm-loader.ts'

/** Fetched ahead of the playback clock (the watch page keeps 30 s; a local player buffers too). */
export const DEFAULT_PREFETCH_SECONDS = 20
/** A request this far beyond the clock (or behind it) is a seek: the clock restarts there. */
const SEEK_SLACK_SECONDS = 10
const PREFETCH_POLL_MS = 500
const SWARM_STOP_TIMEOUT_MS = 10_000

export interface GatewayP2pOptions {
  /** The nodes this viewer knows: the swarm meets at its home among them (rankSwarmHomes). */
  nodes: SwarmNode[]
  prefetchSeconds?: number
  /** Bytes of verified blocks held for other viewers (PeerDelivery's default otherwise). */
  heldBytes?: number
  /** Hears why the swarm could not be joined (blocks keep coming from the nodes). */
  onJoinError?: (err: unknown) => void
}

export interface GatewayP2pStats extends PeerDeliveryStats {
  /** Blocks the player's requests found already fetched ahead. */
  prefetchHits: number
}

/** What the gateway needs to read a block from the nodes (verified). */
export type NodeBlockReader = (cid: CID, signal?: AbortSignal) => Promise<Uint8Array>

interface SwarmHandle { stop: () => Promise<void> }

export class GatewayP2p {
  readonly delivery: PeerDelivery
  private readonly video: VideoManifest
  private readonly manifest: CID
  private readonly fromNodes: NodeBlockReader
  private readonly opts: GatewayP2pOptions
  private readonly prefetchSeconds: number
  /** Start time (seconds into the video) of each rendition's segments. */
  private readonly starts = new Map<string, number[]>()
  /** Playback clock: media time `clockMedia` at wall time `clockWall` (ms); undefined before the first segment. */
  private clockWall: number | undefined
  private clockMedia = 0
  /** Next segment to fetch ahead, per rendition the player reads. */
  private readonly cursors = new Map<string, number>()
  private prefetching = false
  private prefetchHits = 0
  private swarm: Promise<SwarmHandle | undefined> | undefined
  private readonly stopping = new AbortController()

  constructor (video: VideoManifest, manifest: CID, fromNodes: NodeBlockReader, opts: GatewayP2pOptions) {
    this.video = video
    this.manifest = manifest
    this.fromNodes = fromNodes
    this.opts = opts
    this.prefetchSeconds = opts.prefetchSeconds ?? DEFAULT_PREFETCH_SECONDS
    this.delivery = new PeerDelivery(opts.heldBytes === undefined ? {} : { heldBytes: opts.heldBytes })
    for (const r of video.renditions) {
      let t = 0
      this.starts.set(r.id, r.segments.map(s => { const start = t; t += s.duration; return start }))
    }
  }

  /** Seconds into the video the player is at, by the clock (0 before the first segment). */
  playhead (): number {
    return this.clockWall === undefined ? 0 : this.clockMedia + (performance.now() - this.clockWall) / 1000
  }

  /**
   * A block for the player's read of media segment `index` of `rendition` (or of an init segment,
   * index undefined: due now). A copy: the caller may hand the buffer on (to a crypto worker).
   */
  async block (cid: CID, rendition: string | undefined, index: number | undefined, signal?: AbortSignal): Promise<Uint8Array> {
    const held = this.delivery.held.get(cid)
    if (held !== undefined) { this.prefetchHits++; return held.slice() }
    const start = rendition === undefined || index === undefined ? undefined : this.starts.get(rendition)?.[index]
    const ahead = start === undefined ? 0 : start - this.playhead()
    return (await this.delivery.fetch(cid, signal, async s => await this.fromNodes(cid, s), undefined, ahead)).slice()
  }

  /** The player asked for media segment `index` of `rendition`: moves the clock and the prefetch. */
  segmentRequested (rendition: string, index: number): void {
    const start = this.starts.get(rendition)?.[index]
    if (start === undefined || this.stopping.signal.aborted) return
    const at = this.playhead()
    if (this.clockWall === undefined || start < at - SEEK_SLACK_SECONDS || start > at + this.prefetchSeconds + SEEK_SLACK_SECONDS) {
      this.clockWall = performance.now()
      this.clockMedia = start
    }
    const cursor = this.cursors.get(rendition)
    if (cursor === undefined || index + 1 > cursor || start < at - SEEK_SLACK_SECONDS) this.cursors.set(rendition, index + 1)
  }

  /**
   * A media segment went to the player. After the first, the swarm is joined and fetching ahead
   * starts (never before: start-up goes to the nodes alone).
   */
  segmentServed (): void {
    if (this.stopping.signal.aborted) return
    this.swarm ??= this.joinLater()
    void this.prefetch()
  }

  /** Joins after the first segment is on its way (never before: start-up goes to the nodes only). */
  private async joinLater (): Promise<SwarmHandle | undefined> {
    await new Promise(resolve => setImmediate(resolve))
    const joining = (async () => {
      const { joinVideoSwarm } = await importSwarm()
      return await joinVideoSwarm({ nodes: this.opts.nodes, manifest: this.manifest, source: this.delivery.held, signal: this.stopping.signal })
    })()
    this.delivery.expectSwarm(joining)
    try {
      const swarm = await joining
      if (this.stopping.signal.aborted) { await swarm.stop(); return undefined }
      this.delivery.attach(swarm)
      return swarm
    } catch (err) {
      if (!this.stopping.signal.aborted) this.opts.onJoinError?.(err)
      return undefined
    }
  }

  /** One loop fetches ahead for every rendition the player reads, segment by segment. */
  private async prefetch (): Promise<void> {
    if (this.prefetching) return
    this.prefetching = true
    try {
      while (!this.stopping.signal.aborted) {
        const due = this.nextDue()
        if (due === undefined) {
          if ([...this.cursors].every(([id, i]) => i >= (this.starts.get(id)?.length ?? 0))) return
          await sleep(PREFETCH_POLL_MS, this.stopping.signal)
          continue
        }
        const { rendition, index, ref } = due
        this.cursors.set(rendition, index + 1)
        await Promise.all(ref.chunks.map(async c => {
          if (this.delivery.held.get(c.cid) !== undefined) return
          const ahead = (this.starts.get(rendition)?.[index] ?? 0) - this.playhead()
          await this.delivery.fetch(c.cid, this.stopping.signal, async s => await this.fromNodes(c.cid, s), undefined, ahead)
        })).catch(() => {}) // a failed prefetch is fetched again when the player asks
      }
    } finally {
      this.prefetching = false
    }
  }

  /** The earliest segment not yet fetched ahead that is within the prefetch window. */
  private nextDue (): { rendition: string, index: number, ref: StreamRef } | undefined {
    const horizon = this.playhead() + this.prefetchSeconds
    let best: { rendition: string, index: number, ref: StreamRef, start: number } | undefined
    for (const [id, index] of this.cursors) {
      const start = this.starts.get(id)?.[index]
      const r = this.video.renditions.find(x => x.id === id)
      if (start === undefined || r === undefined || start > horizon) continue
      if (best === undefined || start < best.start) best = { rendition: id, index, ref: r.segments[index]!.stream, start }
    }
    return best
  }

  stats (): GatewayP2pStats {
    return { ...this.delivery.stats(), prefetchHits: this.prefetchHits }
  }

  /** Stops fetching ahead and leaves the swarm (bounded: a WebRTC stop once hung in CI). */
  async stop (): Promise<void> {
    this.stopping.abort()
    this.delivery.detach()
    const swarm = await Promise.race([this.swarm, sleep(SWARM_STOP_TIMEOUT_MS)])
    if (swarm !== undefined) await Promise.race([swarm.stop().catch(() => {}), sleep(SWARM_STOP_TIMEOUT_MS)])
  }
}

/**
 * Ends node-datachannel's native threads (WebRTC in Node), which can outlive every closed
 * connection and keep the process from exiting. Call once, when every swarm of the process has
 * stopped. A no-op where node-datachannel is not installed.
 */
export async function endWebRtcThreads (): Promise<void> {
  try {
    const { cleanup } = await import('node-datachannel')
    cleanup()
  } catch {}
}

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    function done (): void { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
    signal?.addEventListener('abort', done, { once: true })
  })
}

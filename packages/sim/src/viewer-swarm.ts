/**
 * A model of P2P delivery at scale (issue 16): viewers arriving over time watch videos placed on
 * storage nodes; with P2P on they also fetch from other viewers of the same video, with the
 * player's policy (PeerDelivery): the first segment and anything due within URGENT_SECONDS from
 * the nodes, the rest of a 30 s forward buffer from connected viewers that hold it, the nodes when
 * none does. A fluid, time-stepped model, not a packet simulation: see docs/architecture.md
 * ("P2P delivery at scale: the model") for its assumptions.
 */
import { Rng } from './rng.ts'

/** The player's policy, as in @p2pdv/sdk (peer-delivery.ts, viewer-swarm.ts) and the watch page. */
export const PLAYER_POLICY = {
  /** Blocks due within this many seconds go to the nodes (URGENT_SECONDS). */
  urgentSeconds: 2,
  /** Forward buffer kept by the player (the watch page's MAX_BUFFER_SECONDS). */
  bufferSeconds: 30,
  /** Viewers a viewer dials (DEFAULT_MAX_PEERS). */
  maxPeers: 6,
  /** Re-announce and dial new viewers this often (DEFAULT_ANNOUNCE_INTERVAL_MS / 1000). */
  announceSeconds: 60,
  /** Bytes held for others (DEFAULT_HELD_BYTES). */
  heldBytes: 64 * 1024 * 1024
} as const

export interface SwarmSimParams {
  viewers: number
  nodes: number
  videos: number
  /** Zipf exponent of video popularity (1 ≈ video sites). */
  zipf: number
  replicas: number
  videoSeconds: number
  segmentSeconds: number
  bitrateMbps: number
  nodeUplinkMbps: number
  viewerDownlinkMbps: number
  /** Upload a viewer gives the swarm (0 = P2P off). */
  viewerUplinkMbps: number
  /** Arrivals are uniform at random over this window. */
  arrivalSeconds: number
  /** Joining the swarm after the first frame takes this long (WebSocket, reservation, WebRTC). */
  joinSeconds: number
  /** Time step. */
  dt: number
  p2p: boolean
  seed: number
}

export const DEFAULT_SWARM_SIM: SwarmSimParams = {
  viewers: 10_000,
  nodes: 100,
  videos: 100,
  zipf: 1,
  replicas: 3,
  videoSeconds: 300,
  segmentSeconds: 4,
  bitrateMbps: 3,
  nodeUplinkMbps: 200,
  viewerDownlinkMbps: 25,
  viewerUplinkMbps: 5,
  arrivalSeconds: 1800,
  joinSeconds: 2,
  dt: 0.25,
  p2p: true,
  seed: 1
}

export interface SwarmSimResult {
  viewers: number
  p2p: boolean
  /** Bytes all nodes sent, and per viewer. */
  nodeBytes: number
  nodeBytesPerViewer: number
  /** Highest total node egress over one step, in Gb/s. */
  peakNodeGbps: number
  /** Share of media bytes viewers got from other viewers. */
  peerShare: number
  /** Arrival to first segment received, seconds. */
  startupMedian: number
  startupP95: number
  /** Playback stalled after start, mean seconds per viewer. */
  stallMean: number
}

interface Viewer {
  video: number
  node: number
  arrive: number
  /** Media seconds received (contiguous from 0) and played. */
  buffered: number
  played: number
  started: number
  joined: number
  done: boolean
  peers: number[]
  nextAnnounce: number
  stall: number
  /** Upload left in this step, media seconds. */
  upLeft: number
}

export function simulateSwarm (p: SwarmSimParams): SwarmSimResult {
  const rng = new Rng(p.seed)
  const mediaBytesPerSecond = p.bitrateMbps * 1e6 / 8
  const heldSeconds = PLAYER_POLICY.heldBytes / mediaBytesPerSecond
  // Popularity (Zipf) and placement: each video on `replicas` distinct nodes at random.
  const weights = Array.from({ length: p.videos }, (_, i) => 1 / (i + 1) ** p.zipf)
  const total = weights.reduce((a, b) => a + b, 0)
  const cumulative: number[] = []
  let acc = 0
  for (const w of weights) { acc += w / total; cumulative.push(acc) }
  const holders = Array.from({ length: p.videos }, () => {
    const set = new Set<number>()
    while (set.size < Math.min(p.replicas, p.nodes)) set.add(Math.floor(rng.next() * p.nodes))
    return [...set]
  })
  const viewers: Viewer[] = Array.from({ length: p.viewers }, () => {
    const u = rng.next()
    const video = Math.min(p.videos - 1, cumulative.findIndex(c => c >= u))
    const hs = holders[video]!
    return { video, node: hs[Math.floor(rng.next() * hs.length)]!, arrive: rng.next() * p.arrivalSeconds, buffered: 0, played: 0, started: -1, joined: Infinity, done: false, peers: [], nextAnnounce: 0, stall: 0, upLeft: 0 }
  }).sort((a, b) => a.arrive - b.arrive)

  const swarms: number[][] = Array.from({ length: p.videos }, () => [])
  const nodeDemand = new Float64Array(p.nodes)
  const nodeScale = new Float64Array(p.nodes)
  const nodeCapacity = p.nodeUplinkMbps * 1e6 / 8 / mediaBytesPerSecond * p.dt // media seconds per step
  const downCap = p.viewerDownlinkMbps / p.bitrateMbps * p.dt
  const upCap = p.viewerUplinkMbps / p.bitrateMbps * p.dt
  const wantNode = new Float64Array(p.viewers)
  let nodeMedia = 0
  let peerMedia = 0
  let peak = 0
  let arrived = 0
  const active: number[] = []
  let t = 0

  const connect = (i: number): void => {
    const v = viewers[i]!
    const members = swarms[v.video]!
    // The tracker's random sample (up to 2 × maxPeers), dialled up to maxPeers connections.
    for (let tries = 0; tries < PLAYER_POLICY.maxPeers * 2 && v.peers.length < PLAYER_POLICY.maxPeers && members.length > 1; tries++) {
      const j = members[Math.floor(rng.next() * members.length)]!
      if (j === i || v.peers.includes(j)) continue
      v.peers.push(j)
      viewers[j]!.peers.push(i)
    }
  }

  while (arrived < p.viewers || active.length > 0) {
    while (arrived < p.viewers && viewers[arrived]!.arrive <= t) active.push(arrived++)
    nodeDemand.fill(0)
    // Pass 1: what each viewer takes from peers, and asks of its node.
    for (const i of active) viewers[i]!.upLeft = upCap
    for (const i of active) {
      const v = viewers[i]!
      wantNode[i] = 0
      if (p.p2p && v.started >= 0 && t >= v.joined && t >= v.nextAnnounce) {
        v.nextAnnounce = t + PLAYER_POLICY.announceSeconds
        connect(i)
      }
      const ahead = v.buffered - v.played
      let want = Math.min(downCap, Math.max(0, Math.min(p.videoSeconds, v.played + PLAYER_POLICY.bufferSeconds) - v.buffered))
      if (v.started < 0) want = Math.min(want, p.segmentSeconds - v.buffered) // the first segment alone, from the nodes
      if (want <= 0) continue
      // Due within urgentSeconds (and the first segment): the nodes.
      const urgent = v.started < 0 ? want : Math.min(want, Math.max(0, PLAYER_POLICY.urgentSeconds - ahead))
      let fromPeers = 0
      if (p.p2p && t >= v.joined && want > urgent) {
        let rest = want - urgent
        for (const j of v.peers) {
          const peer = viewers[j]!
          // What the peer holds beyond this viewer's buffer (it keeps heldSeconds behind its own).
          if (peer.done || peer.upLeft <= 0 || peer.buffered <= v.buffered || peer.buffered - heldSeconds > v.buffered) continue
          const take = Math.min(rest, peer.upLeft, peer.buffered - v.buffered)
          peer.upLeft -= take
          fromPeers += take
          rest -= take
          if (rest <= 0) break
        }
      }
      v.buffered += fromPeers
      peerMedia += fromPeers
      wantNode[i] = want - fromPeers
      nodeDemand[v.node]! += wantNode[i]!
    }
    // Pass 2: a node over its uplink shares it among its requests.
    let stepNode = 0
    for (let n = 0; n < p.nodes; n++) nodeScale[n] = nodeDemand[n]! > nodeCapacity ? nodeCapacity / nodeDemand[n]! : 1
    for (let k = active.length - 1; k >= 0; k--) {
      const i = active[k]!
      const v = viewers[i]!
      const got = wantNode[i]! * nodeScale[v.node]!
      v.buffered += got
      stepNode += got
      if (v.started < 0) {
        if (v.buffered >= p.segmentSeconds - 1e-9) {
          v.started = t + p.dt - v.arrive
          v.joined = t + p.dt + p.joinSeconds
          if (p.p2p) swarms[v.video]!.push(i)
        }
        continue
      }
      // Playback at 1× when media is there, a stall otherwise.
      const playable = Math.min(p.dt, v.buffered - v.played)
      v.played += playable
      if (v.played < p.videoSeconds - 1e-9 && playable < p.dt - 1e-9) v.stall += p.dt - playable
      if (v.played >= p.videoSeconds - 1e-9) {
        v.done = true
        active.splice(k, 1)
        const members = swarms[v.video]!
        const at = members.indexOf(i)
        if (at >= 0) members.splice(at, 1)
      }
    }
    nodeMedia += stepNode
    peak = Math.max(peak, stepNode * mediaBytesPerSecond * 8 / p.dt / 1e9)
    t += p.dt
  }

  const startups = viewers.map(v => v.started).sort((a, b) => a - b)
  const q = (f: number): number => startups[Math.min(startups.length - 1, Math.floor(f * startups.length))]!
  const nodeBytes = nodeMedia * mediaBytesPerSecond
  return {
    viewers: p.viewers,
    p2p: p.p2p,
    nodeBytes,
    nodeBytesPerViewer: nodeBytes / p.viewers,
    peakNodeGbps: peak,
    peerShare: peerMedia / Math.max(1e-9, peerMedia + nodeMedia),
    startupMedian: q(0.5),
    startupP95: q(0.95),
    stallMean: viewers.reduce((s, v) => s + v.stall, 0) / p.viewers
  }
}

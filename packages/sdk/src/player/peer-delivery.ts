/**
 * The player's block scheduler between the viewer swarm and the nodes (issue 16). One policy,
 * per block of a segment the player asks for:
 *
 * - no swarm joined, or no viewer connected → the nodes;
 * - urgent (the block is needed within URGENT_SECONDS: before the first frame, after a seek, a
 *   nearly empty buffer) → the nodes, so P2P never makes start-up or seeking slower;
 * - a swarm still joining (nothing can come from it yet), or joined with no viewer connected but
 *   dials to viewers under way → waited for only with the buffer beyond JOINING_FLOOR_SECONDS,
 *   then the nodes: a join takes seconds (50 s on a loaded 2-core box), a relayed WebRTC dial
 *   often more than the join's own 5 s wait for it, and waiting down to the urgency margin left
 *   playback ~2 s of buffer all that time;
 * - otherwise (prefetch ahead of the playhead) → the swarm, with a deadline of the time left
 *   before the block becomes urgent (at most PEER_BUDGET_MS); a peer that is slow, busy, lacks
 *   the block or sends bytes failing their CID costs only that deadline, then the nodes.
 *
 * Every block from a peer is checked against its CID here (as a node's is in the BlockFetcher),
 * whatever the swarm did. Every verified block, from peers or nodes, is held for sharing.
 */
import { verifyBlock } from '@p2pdv/core'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { MemoryBlockSource } from '../swarm/memory-source.ts'

/** A block needed within this many seconds of playback goes to the nodes. */
export const URGENT_SECONDS = 2
/**
 * While a swarm is still joining, the nodes keep at least this much buffered: URGENT_SECONDS plus
 * one node timeout (PLAYER_BLOCK_TIMEOUT_MS, 5 s) and a second to fail over.
 */
export const JOINING_FLOOR_SECONDS = 8
/** The longest one block may wait on peers before it goes to the nodes. */
export const PEER_BUDGET_MS = 4_000
/** Verified blocks kept for other viewers (about a minute of 1080p around the playhead). */
export const DEFAULT_HELD_BYTES = 64 * 1024 * 1024

/** What the scheduler needs of a swarm (ViewerSwarm from `@p2pdv/sdk/swarm` fits). */
export interface SwarmLike {
  fetch: (cid: CID, opts: { signal?: AbortSignal, maxBytes?: number }) => Promise<Uint8Array>
  /** `dialling`: viewers being dialled now (absent: none). */
  stats: () => { peers: number, banned: number, bytesToPeers: number, dialling?: number }
}

/** How often a block waiting on dials under way looks whether a viewer connected. */
const DIALLING_POLL_MS = 100

export interface PeerDeliveryOptions {
  /** Seconds of media buffered ahead of the playhead (0 before playback starts). */
  bufferAhead?: () => number
  urgentSeconds?: number
  peerBudgetMs?: number
  joiningFloorSeconds?: number
  heldBytes?: number
}

export interface PeerDeliveryStats {
  /** Verified block bytes and blocks from other viewers. */
  peerBytes: number
  peerBlocks: number
  /** Verified block bytes and blocks from the nodes (through this scheduler). */
  nodeBytes: number
  nodeBlocks: number
  /** Blocks sent straight to the nodes because they were urgent. */
  urgentBlocks: number
  /** Blocks tried on peers that ended at the nodes (no peer had it in time). */
  peerMisses: number
  /** Peer bytes that failed their CID here (the swarm bans such peers before they get here). */
  rejectedPeerBlocks: number
  /** Viewers connected, banned, and bytes served to them (0 when no swarm is joined). */
  peers: number
  bannedPeers: number
  bytesToPeers: number
  /** A swarm is joined. */
  joined: boolean
}

export class PeerDelivery {
  /** What this viewer shares: every block it verified, newest kept. */
  readonly held: MemoryBlockSource
  private swarm: SwarmLike | undefined
  /** A swarm being joined: blocks with time to spare wait for it (within their slack). */
  private joining: Promise<unknown> | undefined
  private bufferAhead: () => number
  private readonly urgentSeconds: number
  private readonly peerBudgetMs: number
  private readonly joiningFloorSeconds: number
  private readonly counters = { peerBytes: 0, peerBlocks: 0, nodeBytes: 0, nodeBlocks: 0, urgentBlocks: 0, peerMisses: 0, rejectedPeerBlocks: 0 }

  constructor (opts: PeerDeliveryOptions = {}) {
    this.bufferAhead = opts.bufferAhead ?? (() => 0)
    this.urgentSeconds = opts.urgentSeconds ?? URGENT_SECONDS
    this.peerBudgetMs = opts.peerBudgetMs ?? PEER_BUDGET_MS
    this.joiningFloorSeconds = opts.joiningFloorSeconds ?? JOINING_FLOOR_SECONDS
    this.held = new MemoryBlockSource(opts.heldBytes ?? DEFAULT_HELD_BYTES)
  }

  /** Where the playhead is, relative to the buffer (the player knows; set when it exists). */
  setBufferAhead (fn: () => number): void { this.bufferAhead = fn }

  /**
   * A swarm is on its way (settles when joined or failed): until then a block with time to spare
   * waits for it, at most its slack beyond JOINING_FLOOR_SECONDS, instead of going to the nodes. Without this a fast node
   * fills the whole forward buffer while the swarm is still joining, and peers never get a turn.
   */
  expectSwarm (joining: Promise<unknown>): void {
    const p: Promise<unknown> = joining.then(() => {}, () => {}).finally(() => { if (this.joining === p) this.joining = undefined })
    this.joining = p
  }

  /** Starts asking `swarm` for blocks (it should serve `held`). */
  attach (swarm: SwarmLike): void { this.swarm = swarm; this.joining = undefined }

  /** Stops asking the swarm; the caller stops it. */
  detach (): void { this.swarm = undefined; this.joining = undefined }

  /**
   * One verified block: from the swarm when there is time, otherwise (or when no peer delivers
   * in time) from `fromNodes`, which must return verified bytes. `aheadSeconds` is how long until
   * this block is played, for a caller that fetches ahead of its buffer (the CLI gateway's
   * prefetch); by default the buffer ahead of the playhead.
   */
  async fetch (cid: CID, signal: AbortSignal | undefined, fromNodes: (signal: AbortSignal | undefined) => Promise<Uint8Array>, maxBytes?: number, aheadSeconds?: number): Promise<Uint8Array> {
    const fromPeer = await this.tryPeers(cid, signal, maxBytes, aheadSeconds ?? this.bufferAhead())
    if (fromPeer !== undefined) return fromPeer
    const bytes = await fromNodes(signal)
    this.counters.nodeBytes += bytes.byteLength
    this.counters.nodeBlocks++
    this.held.put(cid, bytes)
    return bytes
  }

  private async tryPeers (cid: CID, signal: AbortSignal | undefined, maxBytes: number | undefined, ahead: number): Promise<Uint8Array | undefined> {
    if (this.swarm === undefined && this.joining === undefined) return undefined
    const slack = ahead - this.urgentSeconds
    if (!(slack > 0)) { this.counters.urgentBlocks++; return undefined }
    const deadline = AbortSignal.timeout(Math.max(1, Math.round(Math.min(this.peerBudgetMs, slack * 1000))))
    const linked = signal === undefined ? deadline : AbortSignal.any([signal, deadline])
    if (this.swarm === undefined && this.joining !== undefined) {
      const joinSlack = ahead - Math.max(this.urgentSeconds, this.joiningFloorSeconds)
      if (!(joinSlack > 0)) return undefined
      await untilSettledOrAborted(this.joining, AbortSignal.any([linked, AbortSignal.timeout(Math.max(1, Math.round(joinSlack * 1000)))]))
    }
    signal?.throwIfAborted()
    const swarm = this.swarm
    if (swarm !== undefined && swarm.stats().peers === 0 && (swarm.stats().dialling ?? 0) > 0) {
      const joinSlack = ahead - Math.max(this.urgentSeconds, this.joiningFloorSeconds)
      if (joinSlack > 0) await untilConnectedOrIdle(swarm, AbortSignal.any([linked, AbortSignal.timeout(Math.max(1, Math.round(joinSlack * 1000)))]))
      signal?.throwIfAborted()
    }
    if (swarm === undefined || swarm.stats().peers === 0 || deadline.aborted) return undefined
    let bytes: Uint8Array
    try {
      bytes = await swarm.fetch(cid, { signal: linked, ...(maxBytes === undefined ? {} : { maxBytes }) })
    } catch {
      signal?.throwIfAborted()
      this.counters.peerMisses++
      return undefined
    }
    try {
      await verifyBlock(cid, bytes)
    } catch {
      this.counters.rejectedPeerBlocks++
      this.counters.peerMisses++
      return undefined
    }
    this.counters.peerBytes += bytes.byteLength
    this.counters.peerBlocks++
    this.held.put(cid, bytes)
    return bytes
  }

  stats (): PeerDeliveryStats {
    const s = this.swarm?.stats()
    return { ...this.counters, peers: s?.peers ?? 0, bannedPeers: s?.banned ?? 0, bytesToPeers: s?.bytesToPeers ?? 0, joined: s !== undefined }
  }
}

async function untilSettledOrAborted (p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  let onAbort: () => void = () => {}
  await Promise.race([p, new Promise<void>(resolve => { onAbort = resolve; signal.addEventListener('abort', onAbort, { once: true }) })])
  signal.removeEventListener('abort', onAbort)
}

/** Until `swarm` has a viewer connected, has no dial left under way, or `signal` aborts. */
async function untilConnectedOrIdle (swarm: SwarmLike, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const s = swarm.stats()
    if (s.peers > 0 || (s.dialling ?? 0) === 0) return
    await untilSettledOrAborted(new Promise(resolve => setTimeout(resolve, DIALLING_POLL_MS)), signal)
  }
}

const SWARM_ID_DOMAIN = new TextEncoder().encode('p2pdv/swarm/v1:')

/**
 * The swarm id (a tracker's `video`, 0x + 64 hex digits) of a video, from its manifest CID: every
 * viewer of the same manifest meets in one swarm, whether it came by a capability or a video
 * link. A hash, so the tracker learns no more than the node serving the blocks already does.
 */
export async function swarmIdOf (manifest: CID): Promise<string> {
  const input = new Uint8Array(SWARM_ID_DOMAIN.length + manifest.bytes.length)
  input.set(SWARM_ID_DOMAIN)
  input.set(manifest.bytes, SWARM_ID_DOMAIN.length)
  const digest = (await sha256.digest(input)).digest
  return '0x' + Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')
}

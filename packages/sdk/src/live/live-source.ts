/**
 * A live stream opened in a player (docs/protocol.md "Live streams"): the viewer's side of the
 * LivePublisher. It keeps a sliding window of announcements, each checked before it is kept
 * (well formed, this stream, signed by the stream key), renders HLS playlists from it and answers
 * the hls.js loader (hls-loader.ts) like a VideoSource does:
 *
 *   master.m3u8            one variant per rendition (bandwidth measured over the window)
 *   r<i>/index.m3u8        the rendition's newest run of consecutive segments, a live playlist
 *                          (no ENDLIST) with an EXT-X-MAP per epoch and a PROGRAM-DATE-TIME each
 *   r<i>/init-<epoch>.mp4  the rendition's init segment sealed under that epoch's key
 *   r<i>/<seq>.m4s         a media segment
 *
 * Segment blocks are fetched by CID (verified by hash; a bad copy is dropped and fetched from
 * another node) and opened under the epoch key unwrapped from the announcement with the link
 * secret. Epoch keys are unwrapped as soon as an announcement of a new epoch arrives, before the
 * player asks for its segments: a rotation costs no wait.
 *
 * A stream registered on chain (announcements with `key.kind = 'keeper'`) opens with `keeper`
 * instead of a link: its epoch keys come from a LiveEpochKeyProvider (the keepers, asked with the
 * viewer's identity; `LiveEpochKeys`), asked as soon as an epoch's first announcement arrives, and
 * each key is checked against the fingerprint the creator signed into that announcement before any
 * segment is opened with it. A refusal (ERR_ACCESS_DENIED: access ended) stops playback when the
 * player reaches the first segment of the refused epoch; nothing of that epoch is ever decrypted.
 */
import { CidErrorCode, equalBytes, keyFingerprint, type CID } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import {
  announcementFromJson, LiveErrorCode, openSegment, parseLiveLink, unwrapEpochKey, verifyAnnouncement,
  type LiveAnnouncement, type LiveLink, type SegmentKind, type StreamId
} from '@p2pdv/core/live'
import { BlockFetcher } from '../block-fetcher.ts'
import type { PeerSet } from '../peers.ts'
import type { PeerDelivery } from '../player/peer-delivery.ts'
import { PLAYER_BLOCK_TIMEOUT_MS, type SourceCounters, type VideoRead, type VideoSourceStats } from '../player/video-source.ts'
import { runLiveFeed } from './live-feed.ts'

/** Announcements kept per rendition (the node keeps 120: two minutes of DVR). */
export const LIVE_SOURCE_WINDOW = 180
/** How long the first playlist waits for a first announcement before ERR_LIVE_NOT_FOUND. */
export const LIVE_FIRST_SEGMENT_MS = 20_000
/** No new segment for this long while the player waits at the edge: the stream has ended. */
export const LIVE_ENDED_AFTER_MS = 12_000

export const LiveSourceErrorCode = {
  /** The creator announced the end, or no new segment for a while (stopped, or lost every node). */
  ENDED: 'ERR_LIVE_ENDED'
} as const

export interface LiveSourceStats extends VideoSourceStats {
  /** Announcements kept (verified), and refused (malformed, other stream, bad signature). */
  announcements: number
  refusedAnnouncements: number
  /** The node whose event stream feeds the window now. */
  feedNode: string | undefined
  /** Epoch keys unwrapped so far. */
  epochs: number
}

/** Where a keeper-gated stream's epoch keys come from (`LiveEpochKeys` in epoch-keys.ts). */
export interface LiveEpochKeyProvider {
  /** Sees each verified announcement (learns fingerprints and links; may prefetch the next key). */
  observe: (a: LiveAnnouncement) => void
  /** The key of `epoch`; the source checks it against the announcement before use. */
  keyFor: (epoch: number) => Promise<Uint8Array>
}

/** Key errors of a keeper-gated stream worth asking again at the epoch's next announcement. */
const RETRY_KEY_CODES: ReadonlySet<string> = new Set([LiveErrorCode.EPOCH_NOT_YET, LiveErrorCode.EPOCH_GONE, 'ERR_KEEPERS_UNAVAILABLE', 'ERR_PEERS_UNAVAILABLE'])

export interface OpenLiveOptions {
  /** `p2pdv://live/<stream>#<secret>`, or already parsed (its secret is copied). Or `keeper`. */
  link?: string | LiveLink
  /** A stream registered on chain: no link; its epoch keys come from `keys`. */
  keeper?: { stream: StreamId, keys: LiveEpochKeyProvider }
  peers: PeerSet
  signal?: AbortSignal
  delivery?: PeerDelivery | undefined
  timeoutMs?: number
  now?: () => number
  fetch?: typeof globalThis.fetch
}

interface Rendition { index: number, name: string, segments: LiveAnnouncement[] }

export class LiveSource {
  /** The loader's virtual path segment (a live stream has no manifest CID). */
  readonly manifestCid: string
  readonly stream: string
  readonly peers: PeerSet
  readonly stats: LiveSourceStats
  readonly delivery: PeerDelivery | undefined
  private readonly link: LiveLink | undefined
  private readonly keeper: LiveEpochKeyProvider | undefined
  private readonly fetcher: BlockFetcher
  private readonly now: () => number
  private readonly renditions = new Map<number, Rendition>()
  private readonly keys = new Map<number, Promise<Uint8Array>>()
  private readonly stop = new AbortController()
  private waiters: Array<() => void> = []
  private notFound: P2pdvError | undefined
  /** An epoch key that did not unwrap: a wrong link (ERR_LIVE_KEY). */
  private keyError: P2pdvError | undefined
  /** The keepers' last passing failure (too few good answers), shown only if the player runs dry. */
  private keyTrouble: P2pdvError | undefined
  private lastArrival = 0
  private chain: Promise<void> = Promise.resolve()

  private constructor (opts: OpenLiveOptions, stream: StreamId, link: LiveLink | undefined) {
    this.link = link
    this.keeper = link === undefined ? opts.keeper?.keys : undefined
    this.stream = stream
    this.manifestCid = `live-${stream}`
    this.peers = opts.peers
    this.delivery = opts.delivery
    this.now = opts.now ?? Date.now
    this.stats = { blocks: 0, bytes: 0, rejectedBlocks: 0, failedAttempts: 0, rebuiltBlocks: 0, hotCopyBytes: 0, bySource: {}, announcements: 0, refusedAnnouncements: 0, feedNode: undefined, epochs: 0 }
    const counters = (peerId: string): SourceCounters => (this.stats.bySource[peerId] ??= { blocks: 0, bytes: 0, failures: 0 })
    this.fetcher = new BlockFetcher(opts.peers, {
      timeoutMs: opts.timeoutMs ?? PLAYER_BLOCK_TIMEOUT_MS,
      onFetched: e => { this.stats.blocks++; this.stats.bytes += e.bytes; const c = counters(e.peerId); c.blocks++; c.bytes += e.bytes },
      onAttemptFailed: e => {
        this.stats.failedAttempts++
        counters(e.peerId).failures++
        if (e.reason === CidErrorCode.HASH_MISMATCH) this.stats.rejectedBlocks++
      }
    })
    opts.signal?.addEventListener('abort', () => { this.close() }, { once: true })
  }

  /** Parses the link and starts following the stream on the peers' nodes (returns at once). */
  static open (opts: OpenLiveOptions): LiveSource {
    let source: LiveSource
    if (opts.link !== undefined) {
      const parsed = typeof opts.link === 'string' ? parseLiveLink(opts.link) : opts.link
      source = new LiveSource(opts, parsed.stream, { stream: parsed.stream, secret: parsed.secret.slice() })
    } else if (opts.keeper !== undefined) {
      source = new LiveSource(opts, opts.keeper.stream, undefined)
    } else {
      throw new P2pdvError(LiveErrorCode.BAD_LINK, 'a live stream opens with its link or its keepers', { hint: 'Pass `link` (p2pdv://live/…#…) or `keeper`.' })
    }
    void runLiveFeed({
      nodes: () => opts.peers.ranked().map(p => p.http),
      stream: source.stream,
      signal: source.stop.signal,
      ...(opts.fetch === undefined ? {} : { fetch: opts.fetch }),
      onAnnouncement: json => { source.add(json) },
      onConnected: node => { source.stats.feedNode = node },
      onNotFound: err => { source.notFound = err; source.wake() }
    })
    return source
  }

  /**
   * Checks and keeps one announcement (JSON as the node sends it). Kept in arrival order: a
   * signature check never lets a later announcement overtake an earlier one.
   */
  add (json: unknown): Promise<void> {
    this.chain = this.chain.then(async () => { await this.addNow(json) })
    return this.chain
  }

  private async addNow (json: unknown): Promise<void> {
    let a: LiveAnnouncement
    try {
      a = announcementFromJson(json)
      if (a.stream !== this.stream || !await verifyAnnouncement(a)) throw new Error('refused')
      // A keeper-gated stream's announcements name keepers; a link-mode one would never open.
      if ((this.keeper !== undefined) !== (a.key.kind === 'keeper')) throw new Error('refused')
    } catch {
      this.stats.refusedAnnouncements++
      return
    }
    let r = this.renditions.get(a.rendition)
    if (r === undefined) this.renditions.set(a.rendition, r = { index: a.rendition, name: a.name, segments: [] })
    const i = r.segments.findIndex(s => s.seq >= a.seq)
    if (i >= 0 && r.segments[i]!.seq === a.seq) return // seen (a reconnect replays the window)
    if (i < 0) r.segments.push(a)
    else r.segments.splice(i, 0, a)
    if (r.segments.length > LIVE_SOURCE_WINDOW) r.segments.splice(0, r.segments.length - LIVE_SOURCE_WINDOW)
    this.stats.announcements++
    this.lastArrival = this.now()
    this.notFound = undefined
    this.keeper?.observe(a)
    // The key of a new epoch is unwrapped now, before the player needs it (no stall at rotation).
    void this.epochKey(a).catch(() => {})
    this.wake()
  }

  /** The key of `a`'s epoch: started once per epoch; a passing keeper failure is asked again later. */
  private async epochKey (a: LiveAnnouncement): Promise<Uint8Array> {
    const known = this.keys.get(a.epoch)
    if (known !== undefined) return await known
    const key = this.keeper === undefined ? unwrapEpochKey(this.link!, a.epoch, a.key) : this.keeperKey(this.keeper, a)
    this.keys.set(a.epoch, key)
    key.then(() => { this.stats.epochs++; this.keyTrouble = undefined }, (err: unknown) => {
      if (this.keeper !== undefined && err instanceof P2pdvError && RETRY_KEY_CODES.has(err.code)) {
        if (this.keys.get(a.epoch) === key) this.keys.delete(a.epoch)
        if (err.code === 'ERR_KEEPERS_UNAVAILABLE') this.keyTrouble = err
      } else {
        this.keyError ??= err instanceof P2pdvError ? err : new P2pdvError(LiveErrorCode.KEY, 'the epoch key could not be obtained', { cause: err })
      }
      this.wake()
    })
    return await key
  }

  /** A key from the keepers, used only if it is the one the creator signed into the announcement. */
  private async keeperKey (keeper: LiveEpochKeyProvider, a: LiveAnnouncement): Promise<Uint8Array> {
    const key = await keeper.keyFor(a.epoch)
    if (a.key.kind !== 'keeper' || key.byteLength !== 32 || !equalBytes(keyFingerprint(key), a.key.check)) {
      throw new P2pdvError(LiveErrorCode.KEY, `the key released for epoch ${a.epoch} is not the one the creator announced`, {
        hint: 'Some keepers answered with a wrong key; nothing was decrypted with it. Reload to ask again.'
      })
    }
    // A copy: the provider keeps (and may zero) its own.
    return key.slice()
  }

  private wake (): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** The renditions seen, by index. */
  renditionList (): Array<{ index: number, name: string, segments: number }> {
    return [...this.renditions.values()].sort((a, b) => a.index - b.index).map(r => ({ index: r.index, name: r.name, segments: r.segments.length }))
  }

  /**
   * A kept announcement (verified): `seq` of `rendition`, or the rendition's newest without `seq`.
   * For status lines (live edge, epoch, latency); undefined when not (or no longer) in the window.
   */
  announcement (rendition: number, seq?: number): LiveAnnouncement | undefined {
    const segs = this.renditions.get(rendition)?.segments
    return seq === undefined ? segs?.at(-1) : segs?.find(s => s.seq === seq)
  }

  /** The newest epoch announced (what chat messages are written under), undefined before any. */
  currentEpoch (): number | undefined {
    let newest: number | undefined
    for (const r of this.renditions.values()) {
      const e = r.segments.at(-1)?.epoch
      if (e !== undefined && (newest === undefined || e > newest)) newest = e
    }
    return newest
  }

  /**
   * The key of an epoch still in the window (the chat's key is derived from it): the one the
   * segments are opened with, from the link or the keepers. ERR_LIVE_KEY for an epoch not held.
   */
  async keyOfEpoch (epoch: number): Promise<Uint8Array> {
    for (const r of this.renditions.values()) {
      const a = r.segments.find(s => s.epoch === epoch)
      if (a !== undefined) return await this.epochKey(a)
    }
    throw new P2pdvError(LiveErrorCode.KEY, `epoch ${epoch} is not in this viewer's window`, { hint: 'Messages of epochs this viewer never saw cannot be read.' })
  }

  /** The HTTP bases of the nodes this source reads from, best first (the chat's too). */
  nodes (): string[] {
    return this.peers.ranked().map(p => p.http)
  }

  /** Ms since the newest announcement arrived (Infinity before the first). */
  sinceLastSegment (): number {
    return this.lastArrival === 0 ? Infinity : this.now() - this.lastArrival
  }

  /**
   * The creator ended the stream: every rendition's newest segment is announced as its last
   * (signed, so no node can end a stream early). Streams that stopped without a clean end
   * (a crash, a lost connection) end by silence instead (LIVE_ENDED_AFTER_MS).
   */
  endAnnounced (): boolean {
    if (this.renditions.size === 0) return false
    for (const r of this.renditions.values()) if (r.segments.at(-1)?.last !== true) return false
    return true
  }

  /** The error to show when the player waits at the live edge: a wrong key, ended, or never found. */
  edgeError (): P2pdvError | undefined {
    if (this.keyError !== undefined) return this.keyError
    if (this.keyTrouble !== undefined) return this.keyTrouble
    if (this.lastArrival === 0) return this.notFound
    if (this.endAnnounced()) {
      return new P2pdvError(LiveSourceErrorCode.ENDED, 'the creator ended the live stream', {
        hint: 'It may be watched again as a video if the creator published its recording.'
      })
    }
    if (this.sinceLastSegment() < LIVE_ENDED_AFTER_MS) return undefined
    return new P2pdvError(LiveSourceErrorCode.ENDED, 'the live stream has ended (no new segment for a while)', {
      hint: 'The creator stopped streaming or lost their connection. Reload the page to watch again if they come back.'
    })
  }

  /** Waits until at least one segment is known, or throws ERR_LIVE_NOT_FOUND. */
  private async firstSegment (signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + LIVE_FIRST_SEGMENT_MS
    while (this.renditions.size === 0) {
      signal?.throwIfAborted()
      if (this.notFound !== undefined && this.now() >= deadline - LIVE_FIRST_SEGMENT_MS / 2) throw this.notFound
      if (this.now() >= deadline) {
        throw this.notFound ?? new P2pdvError(LiveErrorCode.NOT_FOUND, 'no node sent announcements of this live stream', {
          hint: 'The stream has not started yet, or the nodes are unreachable. Check the link and try again in a moment.'
        })
      }
      await new Promise<void>(resolve => {
        const t = setTimeout(done, 500)
        function done (): void { clearTimeout(t); resolve() }
        this.waiters.push(done)
      })
    }
  }

  async read (path: string, signal?: AbortSignal, onBytes?: (cipherBytes: number) => void): Promise<VideoRead> {
    if (path === 'master.m3u8') {
      await this.firstSegment(signal)
      return { kind: 'text', type: 'application/vnd.apple.mpegurl', body: this.masterPlaylist() }
    }
    const m = /^r(\d{1,2})\/(index\.m3u8|init-(\d{1,10})\.mp4|(\d{1,13})\.m4s)$/.exec(path)
    const r = m === null ? undefined : this.renditions.get(Number(m[1]))
    if (m === null || r === undefined) throw noPath(path)
    if (m[2] === 'index.m3u8') return { kind: 'text', type: 'application/vnd.apple.mpegurl', body: mediaPlaylist(r) }
    const seg: SegmentKind = m[3] !== undefined ? { kind: 'init', epoch: Number(m[3]) } : { kind: 'media', seq: Number(m[4]) }
    const a = seg.kind === 'init' ? r.segments.find(s => s.epoch === seg.epoch) : r.segments.find(s => s.seq === seg.seq)
    if (a === undefined) throw noPath(path)
    const cid = seg.kind === 'init' ? a.init : a.cid
    const key = this.epochKey(a)
    key.catch(() => {}) // awaited below, after the block; an early rejection is not unhandled
    const sealed = await this.fetchBlock(cid, signal)
    onBytes?.(sealed.byteLength)
    const bytes = await openSegment(await key, this.stream, r.index, seg, sealed)
    return { kind: 'bytes', type: 'video/mp4', bytes, cipherBytes: sealed.byteLength }
  }

  private async fetchBlock (cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const fromNodes = async (s: AbortSignal | undefined): Promise<Uint8Array> => (await this.fetcher.fetch(cid, s ?? signal)).bytes
    return this.delivery === undefined ? await fromNodes(signal) : await this.delivery.fetch(cid, signal, fromNodes)
  }

  masterPlaylist (): string {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']
    for (const r of [...this.renditions.values()].sort((a, b) => a.index - b.index)) {
      const height = /^(\d{3,4})p$/.exec(r.name)?.[1]
      // Ladder rungs are 16:9 landscape (media/live-encoder.ts scales to the height, width even).
      const res = height === undefined ? '' : `,RESOLUTION=${Math.round(Number(height) * 16 / 9 / 2) * 2}x${height}`
      lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth(r)}${res},NAME="${r.name}"`, `r${r.index}/index.m3u8`)
    }
    return lines.join('\n') + '\n'
  }

  /** Stops following the stream and forgets the keys (best effort). */
  close (): void {
    this.stop.abort()
    this.link?.secret.fill(0)
    for (const k of this.keys.values()) void k.then(key => { key.fill(0) }, () => {})
    this.keys.clear()
    this.wake()
  }
}

function noPath (path: string): P2pdvError {
  return new P2pdvError('ERR_VIDEO_PATH', `this live stream has no ${path.slice(0, 80)} (it left the window)`, {
    hint: 'Press "go live" to jump back to the live edge.'
  })
}

/** Peak bits per second over the window (hls.js's ABR compares it with the measured bandwidth). */
function bandwidth (r: Rendition): number {
  let peak = 0
  for (const s of r.segments) peak = Math.max(peak, Math.round(s.size * 8 / (s.duration / 1000)))
  return Math.max(1, peak)
}

/**
 * The rendition's newest run of consecutive sequence numbers (HLS numbers segments implicitly,
 * so a gap cannot be listed), as a live playlist.
 */
export function mediaPlaylist (r: { segments: LiveAnnouncement[] }): string {
  const all = r.segments
  let start = all.length - 1
  while (start > 0 && all[start - 1]!.seq === all[start]!.seq - 1) start--
  const run = all.slice(Math.max(0, start))
  const target = Math.max(1, Math.ceil(Math.max(...run.map(s => s.duration), 1000) / 1000))
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${run[0]?.seq ?? 0}`]
  let epoch = -1
  for (const s of run) {
    if (s.epoch !== epoch) {
      epoch = s.epoch
      lines.push(`#EXT-X-MAP:URI="init-${s.epoch}.mp4"`)
    }
    // `time` is when the creator had the segment complete: its media began ~duration earlier.
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.time - s.duration).toISOString()}`, `#EXTINF:${(s.duration / 1000).toFixed(3)},`, `${s.seq}.m4s`)
  }
  return lines.join('\n') + '\n'
}

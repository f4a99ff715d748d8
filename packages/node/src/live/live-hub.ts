/**
 * Live announcements on one node (docs/protocol.md "Live streams"): accepts the signed
 * announcements a creator posts, keeps a sliding window per stream, and hands them to watchers
 * (the SSE route). Every announcement is checked before it is kept:
 *
 *   per-source budget → well formed → signed by the stream key → room for the stream →
 *   per-stream budget → sequence above the last one of its rendition → segment and init block
 *   stored here with the announced sizes
 *
 * The per-source budget is charged first, for every request, so a flood of forged announcements
 * costs its sender, not the stream it names; the per-stream budget is charged only once the
 * signature holds, so nobody but the creator can use it up.
 */
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { announcementFromJson, LiveErrorCode, verifyAnnouncement, type LiveAnnouncement, type StreamId } from '@p2pdv/core/live'

/** Segments kept per rendition: two minutes of ~1 s segments (the DVR window). */
export const DEFAULT_LIVE_WINDOW = 120
/** Streams followed at once; more are refused (ERR_LIVE_FULL) until idle ones are dropped. */
export const DEFAULT_MAX_LIVE_STREAMS = 64
/** A stream with no announcement for this long is dropped. */
export const DEFAULT_LIVE_IDLE_MS = 5 * 60_000
/** Per stream: a ladder of up to 16 renditions with ~1 s segments, with room for catch-up bursts. */
export const DEFAULT_STREAM_RATE = { perSecond: 20, burst: 60 }
/** Per source address, all requests (forged ones too). */
export const DEFAULT_SOURCE_RATE = { perSecond: 50, burst: 150 }
/** Source addresses tracked; the least recently seen are forgotten beyond this. */
const MAX_SOURCES = 4096
/** Watchers (open event streams) per stream. */
export const DEFAULT_MAX_WATCHERS = 256

export interface LiveHubOptions {
  /** The stored block's size, or undefined when this node does not hold it. */
  sizeOf: (cid: CID) => Promise<number | undefined>
  window?: number
  maxStreams?: number
  idleMs?: number
  streamRate?: { perSecond: number, burst: number }
  sourceRate?: { perSecond: number, burst: number }
  maxWatchers?: number
  now?: () => number
}

export interface Watcher {
  push: (a: LiveAnnouncement) => void
  /** The stream was dropped (idle): no more announcements will come. */
  end: () => void
}

/** A token bucket over counts, refilled by elapsed time. */
export class Bucket {
  private readonly rate: { perSecond: number, burst: number }
  private tokens: number
  private last: number
  constructor (rate: { perSecond: number, burst: number }, now: number) {
    this.rate = rate
    this.tokens = rate.burst
    this.last = now
  }

  /** Takes one token; returns 0 when it could, else the seconds until one is there. */
  take (now: number): number {
    this.tokens = Math.min(this.rate.burst, this.tokens + (now - this.last) / 1000 * this.rate.perSecond)
    this.last = now
    if (this.tokens >= 1) { this.tokens -= 1; return 0 }
    return Math.ceil((1 - this.tokens) / this.rate.perSecond)
  }
}

interface StreamState {
  lastSeq: Map<number, number>
  /** Oldest first, all renditions. */
  window: LiveAnnouncement[]
  bucket: Bucket
  lastActivity: number
  watchers: Set<Watcher>
}

export interface LiveStreamSummary { stream: StreamId, segments: number, watchers: number, lastSeq: Record<string, number>, lastActivity: number }

function rateError (retryAfterSeconds: number, what: string): P2pdvError {
  return new P2pdvError(LiveErrorCode.RATE, `too many live announcements ${what}`, { details: { retryAfterSeconds } })
}

export class LiveHub {
  private readonly opts: Required<Omit<LiveHubOptions, 'sizeOf' | 'now'>>
  private readonly sizeOf: LiveHubOptions['sizeOf']
  private readonly now: () => number
  private readonly streams = new Map<StreamId, StreamState>()
  private readonly sources = new Map<string, Bucket>()
  readonly stats = { accepted: 0, refused: 0 }

  constructor (o: LiveHubOptions) {
    this.sizeOf = o.sizeOf
    this.now = o.now ?? Date.now
    this.opts = {
      window: o.window ?? DEFAULT_LIVE_WINDOW,
      maxStreams: o.maxStreams ?? DEFAULT_MAX_LIVE_STREAMS,
      idleMs: o.idleMs ?? DEFAULT_LIVE_IDLE_MS,
      streamRate: o.streamRate ?? DEFAULT_STREAM_RATE,
      sourceRate: o.sourceRate ?? DEFAULT_SOURCE_RATE,
      maxWatchers: o.maxWatchers ?? DEFAULT_MAX_WATCHERS
    }
  }

  /** Checks and keeps one announcement for `stream` (the URL's), from `source` (an address). */
  async announce (stream: string, body: unknown, source: string): Promise<LiveAnnouncement> {
    try {
      return await this.check(stream, body, source)
    } catch (err) {
      this.stats.refused++
      throw err
    }
  }

  private async check (stream: string, body: unknown, source: string): Promise<LiveAnnouncement> {
    const now = this.now()
    const wait = this.sourceBucket(source, now).take(now)
    if (wait > 0) throw rateError(wait, 'from this address')
    const a = announcementFromJson(body)
    if (a.stream !== stream) throw new P2pdvError(LiveErrorCode.MALFORMED, 'malformed live announcement: it names another stream than the URL')
    if (!await verifyAnnouncement(a)) {
      throw new P2pdvError(LiveErrorCode.SIGNATURE, 'the announcement is not signed by the stream key')
    }
    let s = this.streams.get(stream)
    if (s === undefined) {
      this.evictIdle(now)
      if (this.streams.size >= this.opts.maxStreams) throw new P2pdvError(LiveErrorCode.FULL, `this node follows ${this.opts.maxStreams} live streams already`)
      s = { lastSeq: new Map(), window: [], bucket: new Bucket(this.opts.streamRate, now), lastActivity: now, watchers: new Set() }
      this.streams.set(stream, s)
    }
    const streamWait = s.bucket.take(now)
    if (streamWait > 0) throw rateError(streamWait, 'for this stream')
    this.checkSequence(s, a)
    const [size, initSize] = await Promise.all([this.sizeOf(a.cid), this.sizeOf(a.init)])
    if (size !== a.size || initSize !== a.initSize) {
      throw new P2pdvError(LiveErrorCode.BLOCK_MISSING, `the ${size !== a.size ? 'segment' : 'init'} block is not stored here with the announced size`, {
        details: { cid: (size !== a.size ? a.cid : a.init).toString() }
      })
    }
    // Another announcement of this sequence may have been accepted while the blocks were looked up.
    this.checkSequence(s, a)
    s.lastSeq.set(a.rendition, a.seq)
    s.window.push(a)
    this.trim(s)
    s.lastActivity = now
    this.stats.accepted++
    for (const w of s.watchers) w.push(a)
    return a
  }

  private checkSequence (s: StreamState, a: LiveAnnouncement): void {
    const last = s.lastSeq.get(a.rendition)
    if (last !== undefined && a.seq <= last) {
      throw new P2pdvError(LiveErrorCode.REPLAY, `sequence ${a.seq} of rendition ${a.rendition} is not above the last accepted (${last})`, { details: { last } })
    }
  }

  private trim (s: StreamState): void {
    const renditions = new Set(s.window.map(a => a.rendition)).size
    const max = this.opts.window * Math.max(1, renditions)
    if (s.window.length > max) s.window.splice(0, s.window.length - max)
  }

  private sourceBucket (source: string, now: number): Bucket {
    let b = this.sources.get(source)
    if (b === undefined) {
      if (this.sources.size >= MAX_SOURCES) this.sources.delete(this.sources.keys().next().value as string)
      b = new Bucket(this.opts.sourceRate, now)
    } else {
      this.sources.delete(source)
    }
    this.sources.set(source, b) // most recently seen last
    return b
  }

  /** The window of a stream, oldest first; throws ERR_LIVE_NOT_FOUND when this node has none. */
  window (stream: string): LiveAnnouncement[] {
    const s = this.streams.get(stream)
    if (s === undefined || s.window.length === 0) throw notFound()
    return [...s.window]
  }

  /** Calls `w` for every announcement accepted from now on; returns the unsubscribe. */
  watch (stream: string, w: Watcher): () => void {
    const s = this.streams.get(stream)
    if (s === undefined) throw notFound()
    if (s.watchers.size >= this.opts.maxWatchers) throw new P2pdvError('ERR_BUSY', 'this stream has as many watchers on this node as it allows', { hint: 'Watch through another node, or retry later.' })
    s.watchers.add(w)
    return () => { s.watchers.delete(w) }
  }

  /** The first and last epoch of a stream's window (what chat may be encrypted under), or undefined. */
  epochs (stream: string): { first: number, last: number } | undefined {
    const w = this.streams.get(stream)?.window
    if (w === undefined || w.length === 0) return undefined
    let first = w[0]!.epoch
    let last = first
    for (const a of w) { if (a.epoch < first) first = a.epoch; if (a.epoch > last) last = a.epoch }
    return { first, last }
  }

  summary (stream: string): LiveStreamSummary {
    const s = this.streams.get(stream)
    if (s === undefined) throw notFound()
    return { stream, segments: s.window.length, watchers: s.watchers.size, lastSeq: Object.fromEntries([...s.lastSeq].map(([r, q]) => [String(r), q])), lastActivity: s.lastActivity }
  }

  get streamCount (): number {
    return this.streams.size
  }

  /** Drops streams idle for longer than `idleMs`, ending their watchers. */
  evictIdle (now = this.now()): void {
    for (const [id, s] of this.streams) {
      if (now - s.lastActivity <= this.opts.idleMs) continue
      this.streams.delete(id)
      for (const w of s.watchers) w.end()
    }
  }
}

function notFound (): P2pdvError {
  return new P2pdvError(LiveErrorCode.NOT_FOUND, 'this node has no recent announcement of this live stream')
}

/**
 * Live chat on one node (docs/protocol.md "Live chat"): relays end-to-end encrypted messages it
 * cannot read, keeps a bounded history per stream, and holds the creator's signed moderation list.
 * Every message is checked before it is kept:
 *
 *   per-source budget → well formed (≤ 2 KiB box) → a stream this node carries, in an epoch of
 *   its window → signed by its sender → sender not muted → per-sender and per-stream budgets →
 *   time within MAX_SKEW of this node's clock, above the sender's last, id never seen
 *
 * As in live-hub.ts the per-source budget is charged first, for every request, so a flood of
 * junk costs its sender; the per-sender budget only once the signature holds, so nobody can spend
 * someone else's. A node cannot tell whether a sender had the epoch key (the box is opaque to it):
 * a key-less sender's messages are relayed and dropped by every client (ERR_LIVE_CHAT_KEY).
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { LiveErrorCode } from '@p2pdv/core/live'
import {
  chatMessageFromJson, chatMessageId, LiveChatErrorCode, moderationFromJson, verifyChatMessage, verifyModeration,
  type ChatMessage, type ModerationList
} from '@p2pdv/core/live-chat'
import { Bucket } from './live-hub.ts'

/** Messages kept per stream: what a viewer who joins sees. */
export const DEFAULT_CHAT_HISTORY = 200
/** Per sender key: a message a second, bursts of 5. */
export const DEFAULT_CHAT_SENDER_RATE = { perSecond: 1, burst: 5 }
/** Per source address, every request (forged and malformed ones too). */
export const DEFAULT_CHAT_SOURCE_RATE = { perSecond: 5, burst: 20 }
/** Per stream, all senders together. */
export const DEFAULT_CHAT_STREAM_RATE = { perSecond: 20, burst: 60 }
/** A message's time may be this far from the node's clock; older ones are replays. */
export const MAX_CHAT_SKEW_MS = 60_000
/** Streams with chat state at once (a node follows at most 64 live streams by default). */
export const DEFAULT_MAX_CHAT_STREAMS = 64
export const DEFAULT_MAX_CHAT_WATCHERS = 256
/** Senders remembered per stream (their last time); the least recently seen are forgotten. */
const MAX_SENDERS = 4096
/** Source addresses tracked. */
const MAX_SOURCES = 4096

export interface ChatHubOptions {
  /** The epochs of the stream's window on this node, or undefined when it carries no such stream. */
  epochsOf: (stream: string) => { first: number, last: number } | undefined
  history?: number
  senderRate?: { perSecond: number, burst: number }
  sourceRate?: { perSecond: number, burst: number }
  streamRate?: { perSecond: number, burst: number }
  maxStreams?: number
  maxWatchers?: number
  now?: () => number
}

export interface KeptMessage { id: string, message: ChatMessage }

export interface ChatWatcher {
  message: (m: KeptMessage) => void
  moderation: (l: ModerationList) => void
  /** The stream is gone from this node: nothing more will come. */
  end: () => void
}

interface ChatState {
  history: KeptMessage[]
  /** Ids of messages whose time is within the skew window: a repeat is refused. */
  seen: Map<string, number>
  /** Sender → the time of its last message and its budget (least recently seen first). */
  senders: Map<string, { last: number, bucket: Bucket }>
  bucket: Bucket
  moderation: ModerationList | undefined
  hidden: Set<string>
  muted: Set<string>
  watchers: Set<ChatWatcher>
}

function rate (retryAfterSeconds: number, what: string): P2pdvError {
  return new P2pdvError(LiveChatErrorCode.RATE, `too many chat messages ${what}`, { details: { retryAfterSeconds } })
}

function replay (why: string): P2pdvError {
  return new P2pdvError(LiveChatErrorCode.REPLAY, `chat message refused: ${why}`)
}

function notLive (): P2pdvError {
  return new P2pdvError(LiveErrorCode.NOT_FOUND, 'this node carries no live stream of this id, so it relays no chat for it')
}

export class ChatHub {
  private readonly opts: Required<Omit<ChatHubOptions, 'epochsOf' | 'now'>>
  private readonly epochsOf: ChatHubOptions['epochsOf']
  private readonly now: () => number
  private readonly streams = new Map<string, ChatState>()
  private readonly sources = new Map<string, Bucket>()
  readonly stats = { accepted: 0, refused: 0 }

  constructor (o: ChatHubOptions) {
    this.epochsOf = o.epochsOf
    this.now = o.now ?? Date.now
    this.opts = {
      history: o.history ?? DEFAULT_CHAT_HISTORY,
      senderRate: o.senderRate ?? DEFAULT_CHAT_SENDER_RATE,
      sourceRate: o.sourceRate ?? DEFAULT_CHAT_SOURCE_RATE,
      streamRate: o.streamRate ?? DEFAULT_CHAT_STREAM_RATE,
      maxStreams: o.maxStreams ?? DEFAULT_MAX_CHAT_STREAMS,
      maxWatchers: o.maxWatchers ?? DEFAULT_MAX_CHAT_WATCHERS
    }
  }

  /** Checks and relays one message posted for `stream` (the URL's) from `source` (an address). */
  async post (stream: string, body: unknown, source: string): Promise<KeptMessage> {
    try {
      return await this.check(stream, body, source)
    } catch (err) {
      this.stats.refused++
      throw err
    }
  }

  private async check (stream: string, body: unknown, source: string): Promise<KeptMessage> {
    const now = this.now()
    this.chargeSource(source, now)
    const m = chatMessageFromJson(body)
    if (m.stream !== stream) throw new P2pdvError(LiveChatErrorCode.MALFORMED, 'malformed live chat message: it names another stream than the URL')
    const epochs = this.epochsOf(stream)
    if (epochs === undefined) throw notLive()
    if (m.epoch < epochs.first || m.epoch > epochs.last) {
      throw new P2pdvError(LiveChatErrorCode.EPOCH, `epoch ${m.epoch} is not in this stream's window (epochs ${epochs.first} to ${epochs.last})`, { details: { first: epochs.first, last: epochs.last } })
    }
    if (!await verifyChatMessage(m)) throw new P2pdvError(LiveChatErrorCode.SIGNATURE, 'the chat message is not signed by its sender')
    const s = this.state(stream)
    if (s.muted.has(m.from)) throw new P2pdvError(LiveChatErrorCode.MUTED, 'the stream\'s creator muted this sender')
    // Replays are refused before the sender's budget is charged: replaying someone's messages
    // must not use up their budget.
    if (Math.abs(m.time - now) > MAX_CHAT_SKEW_MS) throw replay(`its time is more than ${MAX_CHAT_SKEW_MS / 1000} s from this node's clock`)
    const sender = this.sender(s, m.from, now)
    if (m.time <= sender.last) throw replay('its time is not above the sender\'s last message')
    const id = chatMessageId(m)
    if (s.seen.has(id)) throw replay('it was relayed already')
    const wait = sender.bucket.take(now)
    if (wait > 0) throw rate(wait, 'from this sender')
    const streamWait = s.bucket.take(now)
    if (streamWait > 0) throw rate(streamWait, 'to this stream')
    for (const [old, time] of s.seen) {
      if (time >= now - MAX_CHAT_SKEW_MS) break
      s.seen.delete(old)
    }
    s.seen.set(id, m.time)
    sender.last = m.time
    const kept = { id, message: m }
    s.history.push(kept)
    if (s.history.length > this.opts.history) s.history.splice(0, s.history.length - this.opts.history)
    this.stats.accepted++
    for (const w of s.watchers) w.message(kept)
    return kept
  }

  /** Takes the creator's new moderation list: signed by the stream key, a higher version. */
  async moderate (stream: string, body: unknown, source: string): Promise<ModerationList> {
    this.chargeSource(source, this.now())
    const l = moderationFromJson(body)
    if (l.stream !== stream) throw new P2pdvError(LiveChatErrorCode.MALFORMED, 'malformed live chat moderation list: it names another stream than the URL')
    if (this.epochsOf(stream) === undefined) throw notLive()
    if (!await verifyModeration(l)) throw new P2pdvError(LiveChatErrorCode.SIGNATURE, 'the moderation list is not signed by the stream key')
    const s = this.state(stream)
    if (s.moderation !== undefined && l.version <= s.moderation.version) {
      throw new P2pdvError(LiveChatErrorCode.MODERATION_STALE, `version ${l.version} is not above the list held (${s.moderation.version})`, { details: { version: s.moderation.version } })
    }
    s.moderation = l
    s.hidden = new Set(l.hidden)
    s.muted = new Set(l.muted)
    s.history = s.history.filter(k => !s.hidden.has(k.id) && !s.muted.has(k.message.from))
    for (const w of s.watchers) w.moderation(l)
    return l
  }

  /** The history (oldest first) and the moderation list; ERR_LIVE_NOT_FOUND for a stream not carried. */
  snapshot (stream: string): { messages: KeptMessage[], moderation: ModerationList | undefined } {
    if (this.epochsOf(stream) === undefined) throw notLive()
    const s = this.streams.get(stream)
    return { messages: [...s?.history ?? []], moderation: s?.moderation }
  }

  /** Calls `w` for each message and list from now on; returns the unsubscribe. */
  watch (stream: string, w: ChatWatcher): () => void {
    if (this.epochsOf(stream) === undefined) throw notLive()
    const s = this.state(stream)
    if (s.watchers.size >= this.opts.maxWatchers) throw new P2pdvError('ERR_BUSY', 'this stream\'s chat has as many watchers on this node as it allows', { hint: 'Watch through another node, or retry later.' })
    s.watchers.add(w)
    return () => { s.watchers.delete(w) }
  }

  /** Drops the chat of streams this node no longer carries, ending their watchers. */
  evictGone (): void {
    for (const [id, s] of this.streams) {
      if (this.epochsOf(id) !== undefined) continue
      this.streams.delete(id)
      for (const w of s.watchers) w.end()
    }
  }

  private state (stream: string): ChatState {
    let s = this.streams.get(stream)
    if (s === undefined) {
      if (this.streams.size >= this.opts.maxStreams) this.evictGone()
      if (this.streams.size >= this.opts.maxStreams) throw new P2pdvError(LiveErrorCode.FULL, `this node relays the chat of ${this.opts.maxStreams} live streams already`)
      s = { history: [], seen: new Map(), senders: new Map(), bucket: new Bucket(this.opts.streamRate, this.now()), moderation: undefined, hidden: new Set(), muted: new Set(), watchers: new Set() }
      this.streams.set(stream, s)
    }
    return s
  }

  private sender (s: ChatState, from: string, now: number): { last: number, bucket: Bucket } {
    let v = s.senders.get(from)
    if (v === undefined) {
      if (s.senders.size >= MAX_SENDERS) s.senders.delete(s.senders.keys().next().value as string)
      v = { last: 0, bucket: new Bucket(this.opts.senderRate, now) }
    } else {
      s.senders.delete(from)
    }
    s.senders.set(from, v)
    return v
  }

  private chargeSource (source: string, now: number): void {
    let b = this.sources.get(source)
    if (b === undefined) {
      if (this.sources.size >= MAX_SOURCES) this.sources.delete(this.sources.keys().next().value as string)
      b = new Bucket(this.opts.sourceRate, now)
    } else {
      this.sources.delete(source)
    }
    this.sources.set(source, b)
    const wait = b.take(now)
    if (wait > 0) throw rate(wait, 'from this address')
  }
}

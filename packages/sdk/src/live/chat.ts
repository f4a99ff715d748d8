/**
 * A live stream's chat on the client (docs/protocol.md "Live chat"): reads the node's chat events
 * (with failover, as the announcement feed does), keeps the messages that verify and open under
 * their epoch's key, applies the newest moderation list the stream key signed, and sends messages
 * encrypted under the current epoch's key to every node that carries the stream.
 *
 * What a node hands over is never trusted: a message whose signature fails or whose box does not
 * open (a sender without the key, or a node altering it) is counted in `stats.dropped` and not
 * shown; a moderation list counts only when the stream key signed it and its version is higher.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { generateContentKey } from '@p2pdv/core'
import { ed25519Signer } from '@p2pdv/core/grants'
import { P2pdvError } from '@p2pdv/core/errors'
import {
  chatMessageFromJson, chatMessageId, chatMessageToJson, moderationFromJson, moderationToJson, openChatMessage, sealChatMessage,
  shortSenderId, signModeration, verifyModeration, MAX_MODERATION_JSON_BYTES, type ChatSigner, type ModerationList
} from '@p2pdv/core/live-chat'
import { NodeClient } from '@p2pdv/node-client'
import { runLiveFeed } from './live-feed.ts'

/** Messages kept on the client (the node keeps 200). */
export const CHAT_CLIENT_HISTORY = 500

export interface ChatEntry {
  id: string
  /** The sender's key (64 hex digits) and its first 8 digits, for people. */
  from: string
  short: string
  time: number
  epoch: number
  text: string
  /** Sent by this client's identity. */
  own: boolean
  /** Sent by the stream key: the creator. */
  creator: boolean
}

/** A chat identity: an Ed25519 key. A fresh, throw-away one unless a seed is given (keep it to stay the same sender). */
export async function chatIdentity (seed: Uint8Array = generateContentKey()): Promise<ChatSigner> {
  const signer = await ed25519Signer(seed)
  return { publicKey: signer.publicKey, sign: signer.sign }
}

export interface LiveChatOptions {
  stream: string
  /** HTTP bases of the nodes that carry the stream: read from in turn, sent to all. */
  nodes: () => string[]
  /** The key of an epoch (link mode: unwrapped from an announcement; keeper mode: fetched). */
  epochKey: (epoch: number) => Promise<Uint8Array>
  /** The epoch messages are written under: the stream's newest. */
  currentEpoch: () => number | undefined
  identity: ChatSigner
  /** Called after each change to what is shown. */
  onChange?: (entries: ChatEntry[]) => void
  /** A message was not shown: not well formed, not its sender's, or not opening under the key (ERR_LIVE_CHAT_KEY). */
  onDropped?: (err: unknown) => void
  signal: AbortSignal
  fetch?: typeof globalThis.fetch
  now?: () => number
}

export class LiveChat {
  readonly stream: string
  readonly self: string
  readonly stats = { shown: 0, dropped: 0 }
  private readonly opts: LiveChatOptions
  private readonly received = new Map<string, ChatEntry>()
  private moderation: ModerationList | undefined
  private lastTime = 0

  constructor (opts: LiveChatOptions) {
    this.opts = opts
    this.stream = opts.stream
    this.self = bytesToHex(opts.identity.publicKey)
  }

  /** Reads the chat until the signal aborts (never throws). */
  async run (): Promise<void> {
    await runLiveFeed({
      nodes: this.opts.nodes,
      stream: this.stream,
      path: 'chat/events',
      maxEventChars: 2 * MAX_MODERATION_JSON_BYTES,
      onAnnouncement: () => {},
      onEvent: (event, json) => {
        if (event === 'chat') void this.receive(json)
        else if (event === 'moderation') void this.moderate(json)
      },
      signal: this.opts.signal,
      ...(this.opts.fetch === undefined ? {} : { fetch: this.opts.fetch })
    })
  }

  /** What is shown: oldest first, hidden and muted messages left out. */
  entries (): ChatEntry[] {
    const l = this.moderation
    const out = [...this.received.values()].filter(e => l === undefined || (!l.hidden.includes(e.id) && !l.muted.includes(e.from)))
    return out.sort((a, b) => a.time - b.time)
  }

  /** The moderation list in force (verified), if any. */
  get list (): ModerationList | undefined {
    return this.moderation
  }

  /** Takes one message as a node sent it: kept when it verifies and opens, dropped otherwise. */
  async receive (json: unknown): Promise<ChatEntry | undefined> {
    try {
      const m = chatMessageFromJson(json)
      if (m.stream !== this.stream) throw new P2pdvError('ERR_LIVE_CHAT_MALFORMED', 'a message of another stream')
      const id = chatMessageId(m)
      const known = this.received.get(id)
      if (known !== undefined) return known
      const text = await openChatMessage(m, await this.opts.epochKey(m.epoch))
      const e: ChatEntry = { id, from: m.from, short: shortSenderId(m.from), time: m.time, epoch: m.epoch, text, own: m.from === this.self, creator: m.from === this.stream }
      this.received.set(id, e)
      if (this.received.size > CHAT_CLIENT_HISTORY) this.received.delete(this.received.keys().next().value as string)
      this.stats.shown++
      this.changed()
      return e
    } catch (err) {
      this.stats.dropped++
      this.opts.onDropped?.(err)
      return undefined
    }
  }

  /** Takes a moderation list as a node sent it: in force when the stream key signed it and it is newer. */
  async moderate (json: unknown): Promise<boolean> {
    try {
      const l = moderationFromJson(json)
      if (l.stream !== this.stream || !await verifyModeration(l)) return false
      if (this.moderation !== undefined && l.version <= this.moderation.version) return false
      this.moderation = l
      this.changed()
      return true
    } catch {
      return false
    }
  }

  /**
   * Encrypts `text` under the current epoch's key and sends it to every node; resolves with its id
   * once one node relayed it, or throws the first node's refusal (ERR_LIVE_CHAT_RATE, _MUTED, …).
   */
  async send (text: string): Promise<ChatEntry> {
    const epoch = this.opts.currentEpoch()
    if (epoch === undefined) throw new P2pdvError('ERR_LIVE_NOT_FOUND', 'the stream has no segment yet, so there is no key to write under', { hint: 'Wait until the stream plays, then send again.' })
    const time = Math.max(this.lastTime + 1, (this.opts.now ?? Date.now)())
    const m = await sealChatMessage({ stream: this.stream, epoch, epochKey: await this.opts.epochKey(epoch), text, time, signer: this.opts.identity })
    this.lastTime = time
    const json = chatMessageToJson(m)
    const id = await firstAccepted(this.opts.nodes(), async node => await new NodeClient(node).postLiveChat(this.stream, json, { signal: this.opts.signal }))
    const e: ChatEntry = { id, from: this.self, short: shortSenderId(this.self), time, epoch, text, own: true, creator: this.self === this.stream }
    if (!this.received.has(id)) { this.received.set(id, e); this.changed() }
    return e
  }

  private changed (): void {
    this.opts.onChange?.(this.entries())
  }
}

/** Resolves with the first success of `send` over `nodes` (all are tried), or throws the first error. */
async function firstAccepted<T> (nodes: string[], send: (node: string) => Promise<T>): Promise<T> {
  if (nodes.length === 0) throw new P2pdvError('ERR_LIVE_NOT_FOUND', 'no node carries this stream', { hint: 'Wait until the stream plays, then send again.' })
  const results = await Promise.allSettled(nodes.map(send))
  const ok = results.find(r => r.status === 'fulfilled')
  if (ok !== undefined) return (ok as PromiseFulfilledResult<T>).value
  throw (results[0] as PromiseRejectedResult).reason
}

export interface ModerationChange {
  hide?: string[]
  mute?: string[]
  unmute?: string[]
}

/**
 * The creator's side: builds the next moderation list on top of the newest any node holds, signs
 * it with the stream key and publishes it to every node. Resolves with the list once one node took it.
 */
export async function publishModeration (opts: { stream: string, streamSigner: ChatSigner, nodes: string[], change: ModerationChange, now?: () => number, signal?: AbortSignal }): Promise<ModerationList> {
  const call = opts.signal === undefined ? {} : { signal: opts.signal }
  let held: ModerationList | undefined
  for (const node of opts.nodes) {
    try {
      const { moderation } = await new NodeClient(node).liveChat(opts.stream, call)
      if (moderation === null) continue
      const l = moderationFromJson(moderation)
      if (l.stream === opts.stream && await verifyModeration(l) && (held === undefined || l.version > held.version)) held = l
    } catch {
      // A node that is down or holds junk: the others tell.
    }
  }
  const unmute = new Set(opts.change.unmute ?? [])
  const list = await signModeration({
    stream: opts.stream,
    version: Math.max((held?.version ?? 0) + 1, (opts.now ?? Date.now)()),
    hidden: [...held?.hidden ?? [], ...opts.change.hide ?? []],
    muted: [...held?.muted ?? [], ...opts.change.mute ?? []].filter(k => !unmute.has(k))
  }, opts.streamSigner)
  const json = moderationToJson(list)
  await firstAccepted(opts.nodes, async node => { await new NodeClient(node).putLiveModeration(opts.stream, json, call) })
  return list
}

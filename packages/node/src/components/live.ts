/**
 * Live streams on a node (live/live-hub.ts does the checking), over HTTP (docs/openapi.yaml):
 *
 *   POST /api/v1/live/:stream/announcements   a signed segment announcement (the creator's client)
 *   GET  /api/v1/live/:stream                 the sliding window, oldest first (JSON)
 *   GET  /api/v1/live/:stream/events          the window, then each new announcement (SSE)
 *   … /api/v1/live/:stream/chat…               the stream's encrypted chat (live-chat-routes.ts)
 *
 * The creator's client posts every announcement to each node that stored the segment (HTTP
 * fan-out, no relaying between nodes: see docs/architecture.md "Live streams"). Reads are open to
 * any origin: announcements are signed, public and carry no key a link holder does not have.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import { announcementToJson, isStreamId, LiveErrorCode, MAX_ANNOUNCEMENT_BYTES, type LiveAnnouncement } from '@p2pdv/core/live'
import { LiveHub, type LiveHubOptions } from '../live/live-hub.ts'
import { ChatHub, type ChatHubOptions } from '../live/chat-hub.ts'
import { chatRoutes } from './live-chat-routes.ts'
import { notStarted, type Component, type Resource } from '../lifecycle.ts'
import { PeriodicTask } from '../periodic-task.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'

/** An event stream sends a comment this often so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000
/** A watcher that lets this much pile up unread is cut (it reconnects and gets the window). */
const MAX_UNREAD_BYTES = 1024 * 1024
const EVICT_INTERVAL_MS = 30_000

export interface LiveComponentDeps {
  blockstore: Resource<VerifiedBlockstore>
  log: Logger
  /** Limits (tests lower them); defaults in live-hub.ts. */
  hub?: Omit<LiveHubOptions, 'sizeOf'>
  /** Chat limits (tests lower them); defaults in live/chat-hub.ts. */
  chat?: Omit<ChatHubOptions, 'epochsOf'>
}

const OPEN_READ = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' }

function badStream (): P2pdvError {
  return new P2pdvError('ERR_BAD_REQUEST', 'a live stream id is 64 lowercase hex digits (the creator\'s Ed25519 key)')
}

function sseEvent (a: LiveAnnouncement): string {
  return `event: announcement\nid: ${a.rendition}.${a.seq}\ndata: ${JSON.stringify(announcementToJson(a))}\n\n`
}

export class LiveComponent implements Component {
  readonly name = 'live'
  private readonly deps: LiveComponentDeps
  private current: LiveHub | undefined
  private currentChat: ChatHub | undefined
  private evictor: PeriodicTask | undefined
  private readonly open = new Set<() => void>()

  constructor (deps: LiveComponentDeps) {
    this.deps = deps
  }

  get hub (): LiveHub {
    if (this.current === undefined) throw notStarted(this.name)
    return this.current
  }

  get chat (): ChatHub {
    if (this.currentChat === undefined) throw notStarted(this.name)
    return this.currentChat
  }

  start (): void {
    const blockstore = this.deps.blockstore.value
    const hub = new LiveHub({ ...this.deps.hub, sizeOf: async cid => await blockstore.sizeOf(cid) })
    this.current = hub
    const chat = new ChatHub({ ...this.deps.chat, epochsOf: stream => hub.epochs(stream) })
    this.currentChat = chat
    this.evictor = new PeriodicTask(() => { hub.evictIdle(); chat.evictGone() }, { name: 'live eviction', intervalMs: EVICT_INTERVAL_MS, onError: err => { this.deps.log.warn({ err }, 'live eviction failed') } })
    this.evictor.start()
  }

  async stop (): Promise<void> {
    await this.evictor?.stop()
    for (const close of [...this.open]) close()
    this.current = undefined
    this.currentChat = undefined
  }

  /** The HTTP routes; registered by the HTTP plane, which starts after this component. */
  routes () {
    const chat = chatRoutes({ hub: () => this.chat, open: this.open })
    return (app: FastifyInstance): void => {
      chat(app)
      app.post<{ Params: { stream: string } }>('/api/v1/live/:stream/announcements', { bodyLimit: MAX_ANNOUNCEMENT_BYTES }, async (req, reply) => {
        if (!isStreamId(req.params.stream)) throw badStream()
        if (req.body === undefined) throw new P2pdvError('ERR_BAD_CONTENT_TYPE', 'send the announcement as application/json')
        try {
          const a = await this.hub.announce(req.params.stream, req.body, `ip:${req.ip}`)
          return await reply.code(201).header('cache-control', 'no-store').send({ ok: true, rendition: a.rendition, seq: a.seq })
        } catch (err) {
          if (err instanceof P2pdvError && err.code === LiveErrorCode.RATE) reply.header('retry-after', String(err.details?.retryAfterSeconds ?? 1))
          throw err
        }
      })

      app.get<{ Params: { stream: string } }>('/api/v1/live/:stream', async (req, reply) => {
        reply.headers(OPEN_READ)
        if (!isStreamId(req.params.stream)) throw badStream()
        const hub = this.hub
        const segments = hub.window(req.params.stream).map(announcementToJson)
        return await reply.send({ ...hub.summary(req.params.stream), segments })
      })

      app.get<{ Params: { stream: string } }>('/api/v1/live/:stream/events', async (req, reply) => {
        reply.headers(OPEN_READ)
        if (!isStreamId(req.params.stream)) throw badStream()
        this.events(req.params.stream, reply)
      })
    }
  }

  /** Streams the window, then every new announcement, until the viewer or the node goes. */
  private events (stream: string, reply: FastifyReply): void {
    const hub = this.hub
    const backlog = hub.window(stream) // throws ERR_LIVE_NOT_FOUND before anything is sent
    const res = reply.raw
    let stop = (): void => {}
    const close = (): void => {
      stop()
      clearInterval(heartbeat)
      this.open.delete(close)
      if (!res.writableEnded) res.end()
    }
    const send = (text: string): void => {
      if (res.writableEnded) return
      res.write(text)
      if (res.writableLength > MAX_UNREAD_BYTES) close()
    }
    stop = hub.watch(stream, { push: a => { send(sseEvent(a)) }, end: close })
    reply.hijack()
    res.writeHead(200, { ...reply.getHeaders() as Record<string, string>, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' })
    const heartbeat = setInterval(() => { send(': keep-alive\n\n') }, HEARTBEAT_MS)
    this.open.add(close)
    res.on('close', close)
    send(`retry: 1000\n\n${backlog.map(sseEvent).join('')}`)
  }
}

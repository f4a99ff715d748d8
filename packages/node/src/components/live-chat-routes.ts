/**
 * Live chat over HTTP (docs/openapi.yaml), served beside the stream's announcements:
 *
 *   POST /api/v1/live/:stream/chat              a signed, encrypted message (any viewer's client)
 *   GET  /api/v1/live/:stream/chat              the history (oldest first) and the moderation list
 *   GET  /api/v1/live/:stream/chat/events       the list, the history, then each new message or list (SSE)
 *   PUT  /api/v1/live/:stream/chat/moderation   the creator's signed moderation list
 *
 * Reads are open to any origin, and so are posts: messages are signed and opaque, and the page
 * that posts them is served by any node. The chat hub (live/chat-hub.ts) does every check.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { P2pdvError } from '@p2pdv/core/errors'
import { isStreamId } from '@p2pdv/core/live'
import { chatMessageToJson, LiveChatErrorCode, MAX_CHAT_MESSAGE_JSON_BYTES, MAX_MODERATION_JSON_BYTES, moderationToJson, type ModerationList } from '@p2pdv/core/live-chat'
import type { ChatHub, KeptMessage } from '../live/chat-hub.ts'

const HEARTBEAT_MS = 15_000
/** A watcher that lets this much pile up unread is cut (it reconnects and gets the history). */
const MAX_UNREAD_BYTES = 1024 * 1024
const OPEN = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' }

function badStream (): P2pdvError {
  return new P2pdvError('ERR_BAD_REQUEST', 'a live stream id is 64 lowercase hex digits (the creator\'s Ed25519 key)')
}

function messageJson (k: KeptMessage): Record<string, unknown> {
  return { id: k.id, ...chatMessageToJson(k.message) }
}

function sse (event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export interface ChatRoutesDeps {
  hub: () => ChatHub
  /** Closers of open event streams, ended when the node stops. */
  open: Set<() => void>
}

async function guarded<T> (reply: FastifyReply, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof P2pdvError && err.code === LiveChatErrorCode.RATE) reply.header('retry-after', String(err.details?.retryAfterSeconds ?? 1))
    throw err
  }
}

export function chatRoutes (deps: ChatRoutesDeps) {
  return (app: FastifyInstance): void => {
    app.options('/api/v1/live/:stream/chat', async (_req, reply) => {
      return await reply.code(204).headers({ ...OPEN, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' }).send()
    })

    app.post<{ Params: { stream: string } }>('/api/v1/live/:stream/chat', { bodyLimit: MAX_CHAT_MESSAGE_JSON_BYTES }, async (req, reply) => {
      reply.headers(OPEN)
      if (!isStreamId(req.params.stream)) throw badStream()
      if (req.body === undefined) throw new P2pdvError('ERR_BAD_CONTENT_TYPE', 'send the chat message as application/json')
      const kept = await guarded(reply, async () => await deps.hub().post(req.params.stream, req.body, `ip:${req.ip}`))
      return await reply.code(201).send({ ok: true, id: kept.id })
    })

    app.get<{ Params: { stream: string } }>('/api/v1/live/:stream/chat', async (req, reply) => {
      reply.headers(OPEN)
      if (!isStreamId(req.params.stream)) throw badStream()
      const { messages, moderation } = deps.hub().snapshot(req.params.stream)
      return await reply.send({ messages: messages.map(messageJson), moderation: moderation === undefined ? null : moderationToJson(moderation) })
    })

    app.put<{ Params: { stream: string } }>('/api/v1/live/:stream/chat/moderation', { bodyLimit: MAX_MODERATION_JSON_BYTES }, async (req, reply) => {
      if (!isStreamId(req.params.stream)) throw badStream()
      if (req.body === undefined) throw new P2pdvError('ERR_BAD_CONTENT_TYPE', 'send the moderation list as application/json')
      const l = await guarded(reply, async () => await deps.hub().moderate(req.params.stream, req.body, `ip:${req.ip}`))
      return await reply.header('cache-control', 'no-store').send({ ok: true, version: l.version })
    })

    app.get<{ Params: { stream: string } }>('/api/v1/live/:stream/chat/events', async (req, reply) => {
      reply.headers(OPEN)
      if (!isStreamId(req.params.stream)) throw badStream()
      const hub = deps.hub()
      const { messages, moderation } = hub.snapshot(req.params.stream) // ERR_LIVE_NOT_FOUND before anything is sent
      const res = reply.raw
      let stop = (): void => {}
      const close = (): void => {
        stop()
        clearInterval(heartbeat)
        deps.open.delete(close)
        if (!res.writableEnded) res.end()
      }
      const send = (text: string): void => {
        if (res.writableEnded) return
        res.write(text)
        if (res.writableLength > MAX_UNREAD_BYTES) close()
      }
      stop = hub.watch(req.params.stream, {
        message: k => { send(sse('chat', messageJson(k))) },
        moderation: (l: ModerationList) => { send(sse('moderation', moderationToJson(l))) },
        end: close
      })
      reply.hijack()
      res.writeHead(200, { ...reply.getHeaders() as Record<string, string>, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' })
      const heartbeat = setInterval(() => { send(': keep-alive\n\n') }, HEARTBEAT_MS)
      deps.open.add(close)
      res.on('close', close)
      send(`retry: 1000\n\n${moderation === undefined ? '' : sse('moderation', moderationToJson(moderation))}${messages.map(k => sse('chat', messageJson(k))).join('')}`)
    })
  }
}

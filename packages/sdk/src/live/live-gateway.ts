/**
 * A local HLS gateway for a live stream (`p2pdv watch p2pdv://live/…`): serves a LiveSource's
 * sliding playlists and its segments, fetched by CID (hash-checked, a bad copy is refused and
 * fetched elsewhere) and opened under the epoch key in this process, as plain HLS on 127.0.0.1
 * for ffplay, VLC, mpv or hls.js. As the VOD gateway does, the URL carries a random token,
 * compared in constant time, so other local users cannot read the stream by guessing the port.
 *
 * When the stream ends (no new segment for LIVE_ENDED_AFTER_MS) each media playlist gets
 * EXT-X-ENDLIST: players play out what they hold and stop instead of waiting at the edge.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { LiveSourceErrorCode, type LiveSource } from './live-source.ts'

/** Longer request paths are not the gateway's (token + `r<i>/<seq>.m4s` is < 70 characters). */
const MAX_PATH_CHARS = 256

export interface LiveGatewayOptions {
  host?: string
  port?: number
  now?: () => number
}

/** The newest media segment a player fetched through the gateway. */
export interface ServedSegment {
  rendition: number
  seq: number
  epoch: number
  /** Wall clock at serving minus the wall clock at which the segment's media began (creator's clock). */
  behindLiveMs: number
}

export interface LiveGateway {
  /** The master playlist URL to give a player. */
  url: string
  /** Ms since the last request from a player (Infinity before the first). */
  idleMs: () => number
  /** The newest media segment served, if any. */
  lastServed: () => ServedSegment | undefined
  /** Segments refused: no verified copy could be fetched or opened (never served). */
  failedSegments: () => number
  /** True once the stream ended and the playlists carry EXT-X-ENDLIST. */
  ended: () => boolean
  close: () => Promise<void>
}

export async function startLiveGateway (source: LiveSource, options: LiveGatewayOptions = {}): Promise<LiveGateway> {
  const now = options.now ?? Date.now
  const token = randomBytes(16).toString('hex')
  const tokenBytes = Buffer.from(token)
  let lastRequest = 0
  let lastServed: ServedSegment | undefined
  let failed = 0
  const ended = (): boolean => source.edgeError()?.code === LiveSourceErrorCode.ENDED

  const route = async (path: string, signal: AbortSignal): Promise<{ type: string, body: Buffer | string }> => {
    const read = await source.read(path, signal)
    if (read.kind === 'text') {
      const endList = path !== 'master.m3u8' && ended()
      return { type: read.type, body: endList ? `${read.body}#EXT-X-ENDLIST\n` : read.body }
    }
    const m = /^r(\d+)\/(\d+)\.m4s$/.exec(path)
    const a = m === null ? undefined : source.announcement(Number(m[1]), Number(m[2]))
    if (a !== undefined && (lastServed === undefined || a.rendition !== lastServed.rendition || a.seq > lastServed.seq)) {
      lastServed = { rendition: a.rendition, seq: a.seq, epoch: a.epoch, behindLiveMs: now() - (a.time - a.duration) }
    }
    return { type: read.type, body: Buffer.from(read.bytes.buffer, read.bytes.byteOffset, read.bytes.byteLength) }
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      lastRequest = now()
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return }
      const raw = req.url ?? '/'
      if (raw.length > MAX_PATH_CHARS) { res.writeHead(414).end(); return }
      const url = new URL(raw, 'http://localhost')
      const [, given = '', ...rest] = url.pathname.split('/')
      const givenBytes = Buffer.from(given)
      if (givenBytes.length !== tokenBytes.length || !timingSafeEqual(givenBytes, tokenBytes)) { res.writeHead(403).end(); return }
      const abort = new AbortController()
      res.once('close', () => { abort.abort() })
      const path = rest.join('/')
      try {
        const found = await route(path, abort.signal)
        res.writeHead(200, { 'content-type': found.type, 'content-length': Buffer.byteLength(found.body), 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : found.body)
      } catch (err) {
        const code = err instanceof P2pdvError ? err.code : 'ERR_INTERNAL'
        if (!abort.signal.aborted && /\.(m4s|mp4)$/.test(path)) failed++
        if (!res.headersSent) res.writeHead(httpStatusOf(code), { 'content-type': 'application/json' })
        res.end(JSON.stringify({ code }))
      }
    })()
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(options.port ?? 0, host, resolve) })
  const port = (server.address() as { port: number }).port
  return {
    url: `http://${host}:${port}/${token}/master.m3u8`,
    idleMs: () => lastRequest === 0 ? Infinity : now() - lastRequest,
    lastServed: () => lastServed,
    failedSegments: () => failed,
    ended,
    close: async () => {
      await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
    }
  }
}

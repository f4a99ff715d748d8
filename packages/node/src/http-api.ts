/**
 * HTTP data plane: raw blocks the IPFS trustless-gateway way, delegated routing for providers,
 * health, node info and metrics. Blocks are ciphertext addressed by hash: immutable, cacheable,
 * verifiable by the reader; every read is verified here too (no bad bytes leave the node).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { parseCid, type CID } from '@p2pdv/core'
import { methodLabel, statusLabel, type NodeMetrics } from './metrics.ts'
import type { Outcome } from './block-intake.ts'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { StoreRefusal } from '@p2pdv/core/wire'
import type { VerifiedBlockstore } from './verified-blockstore.ts'
import { registerAuditRoutes, type AuditRoutesDeps } from './audit/http-routes.ts'
import { encodePlacementRecord } from '@p2pdv/core/placement'
import { PlacementStoreErrorCode, type PlacementStore } from './placement-store.ts'

import type { UploadSession } from './upload-gate.ts'
import { blockRoutes, commonHeaders, DAG_CBOR_CONTENT_TYPE, IMMUTABLE } from './block-routes.ts'

export { RAW_CONTENT_TYPE, DAG_CBOR_CONTENT_TYPE } from './block-routes.ts'

export interface ProviderRecord { ID: string, Addrs: string[] }

/** A peer's HTTP data plane, as `GET /api/v1/peers` lists it. */
export interface PeerHttp { peerId: string, http: string }

/** One file of a web app the node serves (built by whoever provides the app). */
export interface WebAsset { body: Uint8Array, type: string }

/**
 * A web app for the node to serve at `/` and `/watch/<id>` (the page) and `/assets/<name>`.
 * The node knows nothing about its content; the CLI passes `@p2pdv/web`'s.
 */
export interface WebApp {
  /** The page for an app route's path. */
  page: (path?: string) => Promise<WebAsset>
  asset: (name: string) => Promise<WebAsset | undefined>
}

/** At most this many peers are listed (and allowed as page connect sources). */
export const MAX_LISTED_PEERS = 64

export interface HttpApiDeps {
  blockstore: VerifiedBlockstore
  metrics: NodeMetrics
  log: Logger
  info: () => Record<string, unknown>
  /** Capacity and failure domain, for placement. */
  status: () => Record<string, unknown>
  placements: PlacementStore
  /** `/readyz`: every check must hold (started, the block store, the chain RPC when used). */
  ready: () => { ok: boolean, checks: Record<string, boolean> }
  findProviders: (cid: CID, signal: AbortSignal) => Promise<ProviderRecord[]>
  /** Accepts an uploaded block (PUT), as the store protocol does; `hashMatches` as BlockIntake.accept. */
  accept: (cid: CID, body: Uint8Array, hashMatches: boolean, session: UploadSession) => Promise<Outcome>
  /** Admits an upload by its grant (UploadGate.admit) before its body is read. */
  admit: (authorization: string | undefined, source: string) => Promise<UploadSession>
  providerLookupTimeoutMs: number
  /** More routes (the keeper role, sign-in), registered after the built-in ones. */
  routes?: Array<(app: FastifyInstance) => void>
  /** More origins the page may connect to (the chain's RPC endpoint, keepers, viewer relays). */
  pageConnectOrigins?: () => Promise<string[]>
  /** P2P for viewers who have not chosen (`--p2p-default`): 'off' is told to the page in a meta tag. */
  p2pDefault?: 'on' | 'off'
  /** This node's and its known peers' data planes, this node first, at most MAX_LISTED_PEERS. */
  peers: () => Promise<PeerHttp[]>
  webApp?: WebApp
  /** Answers an audit challenge (every node). */
  audit: AuditRoutesDeps['answer']
  /** The auditor role, on auditor nodes. */
  auditor?: AuditRoutesDeps['auditor']
  /** Called for every block read or written over HTTP (background work waits for quiet). */
  onBlockTraffic?: () => void
  /** A block was served over HTTP (hot-copy demand tracking). */
  onBlockServed?: (cid: string, address: string | undefined) => void
  /** Test fault: GET serves the block with one byte flipped (see faults.ts). */
  serveGarbage?: boolean
  /** An upload body's idle grace (`--upload-grace`). */
  uploadGraceMs?: number
}

/** Public, read-only routes any origin may read (IPFS trustless gateways allow `*`). */
const CORS_OPEN = /^\/(ipfs|routing\/v1\/providers)\/|^\/api\/v1\/(peers|node|status|placements|reputation|chain|keeper|videos)$|^\/api\/v1\/videos\/0x[0-9a-fA-F]{64}$|^\/api\/v1\/objects\/[^/]+\/(placement|hot)$|^\/healthz$/

/**
 * The page's policy: code, styles and images from this node only (no inline script, no third
 * party), media from MSE blob URLs, and network reads from this node and the data planes it
 * listed to the page (the page fetches blocks from them directly).
 */
export function pageCsp (peerOrigins: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    `connect-src 'self' ${peerOrigins.join(' ')}`.trimEnd(),
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'"
  ].join('; ')
}

/** Origins beyond the listed data planes a page may connect to: RPC, keepers, viewer relays. */
const MAX_EXTRA_PAGE_ORIGINS = 160
/** The page reads the operator's P2P default from this meta tag (web: watch/p2p.ts). */
export const P2P_DEFAULT_META = 'p2pdv-p2p-default'

/**
 * The page with `<meta name=… content=…>` added at the end of its head. `name` and `content` are
 * this node's constants, never request input; the page is the web app's own HTML.
 */
export function withPageMeta (html: Uint8Array, name: string, content: string): Uint8Array {
  const text = new TextDecoder().decode(html)
  const at = text.indexOf('</head>')
  if (at < 0) return html
  return new TextEncoder().encode(`${text.slice(0, at)}<meta name="${name}" content="${content}">\n${text.slice(at)}`)
}

/** JSON bodies (keeper messages, sign-in) are small; nothing larger is parsed. */
export const MAX_JSON_BODY_BYTES = 4096

function sendError (reply: FastifyReply, status: number, err: P2pdvError): FastifyReply {
  return reply.code(status).type('application/json').send(err.toJSON())
}

/**
 * Node's defaults let a client hold a connection for 60 s with half a request head and 300 s with
 * half a body, and only look every 30 s. A head must arrive within 10 s (slowloris); a whole
 * request within 60 s, above the 37 s a 1 MiB block takes at the minimum upload rate (block bodies
 * also have their own, closer deadline: upload-deadlines.ts); checked every second.
 */
export const SERVER_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 1_000 } as const

/** Errors before a request exists (timeouts, bad heads) get the API's JSON error body, with a code. */
function clientErrorHandler (err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, reason, error] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'Request Timeout', new P2pdvError('ERR_REQUEST_TIMEOUT', 'the request did not arrive in time', { hint: 'Send the request head within 10 s and the whole request within 60 s.' })]
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', new P2pdvError('ERR_HEADERS_TOO_LARGE', 'the request head is too large')]
      : [400, 'Bad Request', new P2pdvError('ERR_BAD_REQUEST', 'not a valid HTTP request')]
  const body = JSON.stringify(error.toJSON())
  if (!socket.writable) { socket.destroy(); return }
  // Destroyed once the answer is flushed: a client that never closes its side must not keep the socket.
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => { socket.destroy() })
}

export async function createHttpApi (deps: HttpApiDeps) {
  // Block reads and writes are answered on node:http directly (block-routes.ts); fastify the rest.
  const blocks = blockRoutes({
    blockstore: deps.blockstore,
    metrics: deps.metrics,
    log: deps.log,
    accept: deps.accept,
    admit: deps.admit,
    ...(deps.onBlockTraffic === undefined ? {} : { onBlockTraffic: deps.onBlockTraffic }),
    ...(deps.onBlockServed === undefined ? {} : { onBlockServed: deps.onBlockServed }),
    ...(deps.serveGarbage === undefined ? {} : { serveGarbage: deps.serveGarbage }),
    ...(deps.uploadGraceMs === undefined ? {} : { uploadGraceMs: deps.uploadGraceMs })
  })
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    clientErrorHandler,
    serverFactory: handler => createServer(SERVER_TIMEOUTS, (req: IncomingMessage, res: ServerResponse) => { if (!blocks(req, res)) handler(req, res) })
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_JSON_BODY_BYTES }, (_req, body, done) => {
    try { done(null, JSON.parse(body as string)) } catch { done(new P2pdvError('ERR_BAD_REQUEST', 'the body is not valid JSON'), undefined) }
  })

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(commonHeaders(req.method, CORS_OPEN.test(req.url.split('?')[0] ?? '')))
  })
  app.addHook('onResponse', async (req, reply) => {
    // The route template, never the raw path: unmatched paths share one series.
    deps.metrics.httpRequestSeconds.observe({ route: req.routeOptions.url ?? 'unmatched', method: methodLabel(req.method), status: statusLabel(reply.statusCode) }, reply.elapsedTime / 1000)
  })
  app.setNotFoundHandler(async (req, reply) => sendError(reply, 404, new P2pdvError('ERR_NO_ROUTE', `no route ${req.method} ${req.url.slice(0, 100)}`)))
  app.setErrorHandler(async (err, req, reply) => {
    if (err instanceof P2pdvError) return sendError(reply, httpStatusOf(err.code), err)
    const status = (err as { statusCode?: number }).statusCode ?? 500
    if (status === 413 && req.url.startsWith('/api/')) return sendError(reply, 413, new P2pdvError('ERR_BODY_TOO_LARGE', 'the request body is too large for this endpoint'))
    if (status === 413) return sendError(reply, 413, new P2pdvError(StoreRefusal.TOO_LARGE, `blocks are at most ${MAX_BLOCK_BYTES} bytes`))
    if (status >= 500) deps.log.error({ err }, 'HTTP request failed')
    return sendError(reply, status, new P2pdvError(status >= 500 ? 'ERR_INTERNAL' : 'ERR_BAD_REQUEST', status >= 500 ? 'internal error' : (err as Error).message))
  })

  app.get<{ Params: { cid: string } }>('/routing/v1/providers/:cid', async (req, reply) => {
    const cid = parseCid(req.params.cid)
    const signal = AbortSignal.timeout(deps.providerLookupTimeoutMs)
    const providers = await deps.findProviders(cid, signal)
    return reply.type('application/json').send({
      Providers: providers.map(p => ({ Schema: 'peer', ID: p.ID, Addrs: p.Addrs, Protocols: ['transport-ipfs-gateway-http', 'transport-bitswap'] }))
    })
  })

  // Placement records arrive as DAG-CBOR bodies.
  app.addContentTypeParser(DAG_CBOR_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_BLOCK_BYTES }, (_req, body, done) => { done(null, body) })

  app.get('/api/v1/peers', async (_req, reply) => {
    return reply.type('application/json').header('cache-control', 'no-store').send({ peers: (await deps.peers()).slice(0, MAX_LISTED_PEERS) })
  })

  const webApp = deps.webApp
  // The page with the operator's P2P default, made once per build of the page (not per request).
  const withOff = new WeakMap<Uint8Array, Uint8Array>()
  const offPage = (body: Uint8Array): Uint8Array => {
    let out = withOff.get(body)
    if (out === undefined) withOff.set(body, out = withPageMeta(body, P2P_DEFAULT_META, 'off'))
    return out
  }
  if (webApp !== undefined) {
    const page = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      // The path picks which of the route's chunks the page preloads (nothing else differs).
      const [html, peers, extra] = await Promise.all([webApp.page(req.url.split('?')[0]), deps.peers(), deps.pageConnectOrigins?.().catch(() => []) ?? []])
      const origins = [...new Set([...peers.slice(0, MAX_LISTED_PEERS).map(p => new URL(p.http).origin), ...extra.slice(0, MAX_EXTRA_PAGE_ORIGINS)])]
      const body = deps.p2pDefault === 'off' ? offPage(html.body) : html.body
      return reply.type(html.type)
        .header('cache-control', 'no-store')
        .header('content-security-policy', pageCsp(origins))
        .header('cross-origin-opener-policy', 'same-origin')
        .header('x-frame-options', 'DENY')
        .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()')
        .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    }
    app.get('/', page)
    app.get('/search', page)
    app.get('/node', page)
    app.get('/library', page)
    app.get('/settings', page)
    app.get<{ Params: { address: string } }>('/channel/:address', page)
    app.get<{ Params: { id: string } }>('/watch/:id', page)
    // Video links (no key in them): `/watch/video/<video id>`; the page asks the keepers.
    app.get<{ Params: { id: string } }>('/watch/video/:id', page)
    // Live streams: `/watch/live/<stream id>#<link secret>`.
    app.get<{ Params: { id: string } }>('/watch/live/:id', page)
    app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
      const found = /^[\w.-]{1,100}$/.test(req.params.name) ? await webApp.asset(req.params.name) : undefined
      if (found === undefined) return sendError(reply, 404, new P2pdvError('ERR_NO_ROUTE', 'no such asset'))
      // Asset names carry a content hash: they never change.
      return reply.type(found.type).header('cache-control', IMMUTABLE).send(Buffer.from(found.body.buffer, found.body.byteOffset, found.body.byteLength))
    })
  }

  registerAuditRoutes(app, { answer: deps.audit, ...(deps.auditor === undefined ? {} : { auditor: deps.auditor }), sendError })
  // Placement records: public, signed, versioned (docs/protocol.md). Auditors, repair workers and
  // readers fetch them here; uploaders and repair workers send new versions.
  app.get('/api/v1/placements', async () => ({
    // `sig` lets a follower tell two records of one version apart (comparePlacement breaks the tie).
    objects: deps.placements.list().map(r => ({ object: r.object.toString(), version: r.version, time: r.time, sig: Buffer.from(r.sig).toString('base64') }))
  }))
  app.get<{ Params: { cid: string } }>('/api/v1/objects/:cid/placement', async (req, reply) => {
    const cid = parseCid(req.params.cid)
    const record = deps.placements.get(cid.toString())
    if (record === undefined) return sendError(reply, 404, new P2pdvError(PlacementStoreErrorCode.NOT_FOUND, 'no placement record for this object here'))
    const body = encodePlacementRecord(record)
    return reply.type(DAG_CBOR_CONTENT_TYPE).header('cache-control', 'no-cache').send(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
  })
  app.put<{ Params: { cid: string }, Body: Buffer }>('/api/v1/objects/:cid/placement', { bodyLimit: MAX_BLOCK_BYTES }, async (req, reply) => {
    const cid = parseCid(req.params.cid)
    if (!Buffer.isBuffer(req.body)) return sendError(reply, 415, new P2pdvError('ERR_BAD_CONTENT_TYPE', `send the record as ${DAG_CBOR_CONTENT_TYPE}`))
    const result = await deps.placements.put(cid, new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength))
    return reply.code(result.stored ? 201 : 200).send(result)
  })
  app.get('/api/v1/status', async () => deps.status())

  for (const r of deps.routes ?? []) r(app)

  app.get('/healthz', async () => ({ ok: true }))
  app.get('/readyz', async (_req, reply) => {
    const r = deps.ready()
    return reply.code(r.ok ? 200 : 503).header('cache-control', 'no-store').send(r)
  })
  app.get('/api/v1/node', async () => deps.info())
  app.get('/metrics', async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()))
  return app
}

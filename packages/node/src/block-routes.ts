/**
 * The block data plane (`GET`/`HEAD`/`PUT /ipfs/<cid>`), answered on node:http ahead of fastify.
 * These requests are nearly all of a node's traffic and each moves up to a block of bytes: here a
 * PUT body is hashed as it arrives and copied once into a reused block buffer, and a GET writes
 * the verified block straight to the socket. Through fastify (body parser, hooks, reply pipeline)
 * the node spent about twice the CPU per block it spends now (`npm run bench -- node`,
 * data-plane.bench.ts, compares it with a bare node:http server doing the same disk and hash
 * work). Every other route stays on fastify. Headers, error bodies and status codes are the same
 * as the rest of the API's.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { parseCid } from '@p2pdv/core'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { StoreRefusal } from '@p2pdv/core/wire'
import { GrantErrorCode } from '@p2pdv/core/grants'
import type { Outcome } from './block-intake.ts'
import { statusLabel, type NodeMetrics } from './metrics.ts'
import type { UploadSession } from './upload-gate.ts'
import { HotBlocks } from './hot-blocks.ts'
import { MIN_UPLOAD_BYTES_PER_SECOND, UPLOAD_GRACE_MS, UploadDeadlines } from './upload-deadlines.ts'
import { BlockstoreErrorCode, type VerifiedBlockstore } from './verified-blockstore.ts'

export const RAW_CONTENT_TYPE = 'application/vnd.ipld.raw'
export const DAG_CBOR_CONTENT_TYPE = 'application/vnd.ipld.dag-cbor'
/** Content types a block may be uploaded as (bytes are bytes; the CID says what they are). */
const UPLOAD_TYPES = new Set([RAW_CONTENT_TYPE, 'application/octet-stream', DAG_CBOR_CONTENT_TYPE])
export const IMMUTABLE = 'public, max-age=29030400, immutable'
/** Everything the node answers that is not the app page: nothing may run or be framed. */
export const LOCKED_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const ROUTE = '/ipfs/:cid'
interface Observer { observe: (seconds: number) => void }
/**
 * Uploads whose bodies are read at once. Each holds a block-sized buffer from its first byte, so
 * slow or stalled uploads must not be able to pile up: beyond this a PUT is refused with 503.
 */
export const MAX_CONCURRENT_UPLOADS = 64
/** At the cap, an admitted upload takes the slot of a body idle this long (upload-deadlines.ts). */
export const EVICT_IDLE_MS = 2_000
/** An upload body that stopped or trickled below the minimum rate (upload-deadlines.ts): 408. */
export const UPLOAD_STALLED = 'ERR_UPLOAD_STALLED'
const PATH = /^\/ipfs\/([^/?#]{1,200})(?:\?.*)?$/

export interface BlockRoutesDeps {
  blockstore: VerifiedBlockstore
  metrics: NodeMetrics
  log: Logger
  /** The node's intake (BlockIntake.accept); the body was hashed on arrival, `hashMatches` says how it compared. */
  accept: (cid: CID, body: Uint8Array, hashMatches: boolean, session: UploadSession) => Promise<Outcome>
  /**
   * Admits an upload from its `authorization` header (UploadGate.admit), before its body is
   * read; throws a P2pdvError (ERR_GRANT_…) to refuse it. `source`: the remote address.
   */
  admit: (authorization: string | undefined, source: string) => Promise<UploadSession>
  onBlockTraffic?: () => void
  /** A block was served (200 or 206) to `address`: demand tracking for hot copies (hot/demand.ts). */
  onBlockServed?: (cid: string, address: string | undefined) => void
  serveGarbage?: boolean
  /** Bytes of hot blocks kept in memory (default DEFAULT_HOT_BLOCK_BYTES). */
  hotBlockBytes?: number
  /** An upload body's idle grace (`--upload-grace`; default UPLOAD_GRACE_MS). */
  uploadGraceMs?: number
}

interface Served { bytes: Uint8Array, etag: string, headers: Record<string, string>, full: string[] }

function blockHeaders (cid: string, etag: string): Record<string, string> {
  return {
    'content-type': RAW_CONTENT_TYPE,
    etag,
    'cache-control': IMMUTABLE,
    'accept-ranges': 'bytes',
    'x-ipfs-roots': cid,
    'content-disposition': `attachment; filename="${cid}.bin"`
  }
}

/** Headers every answer of the node carries (the same as fastify's onRequest hook sets). */
export function commonHeaders (method: string, openCors: boolean): Record<string, string> {
  return {
    ...(openCors && (method === 'GET' || method === 'HEAD') ? { 'access-control-allow-origin': '*' } : {}),
    'x-content-type-options': 'nosniff',
    // Watch links carry the key in the fragment, which is never sent; send no referrer anyway.
    'referrer-policy': 'no-referrer',
    'content-security-policy': LOCKED_CSP
  }
}

/** Parses a single `bytes=a-b` range (multi-range is not offered). */
export function parseRange (header: string, size: number): { start: number, end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null) return undefined
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return undefined
  let start: number, end: number
  if (a === '') { const n = Number(b); start = Math.max(0, size - n); end = size - 1 } else { start = Number(a); end = b === '' ? size - 1 : Math.min(Number(b), size - 1) }
  if (start >= size || start > end || size === 0) return 'unsatisfiable'
  return { start, end }
}

/**
 * Returns a request listener that answers block requests and returns false for anything else
 * (the caller hands those to fastify).
 */
export function blockRoutes (deps: BlockRoutesDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const pool = new BodyPool()
  let uploads = 0
  const deadlines = new UploadDeadlines(deps.uploadGraceMs === undefined ? {} : { graceMs: deps.uploadGraceMs })
  // Metric children bound once: looking labels up on every request showed in the GET profile.
  // Only GET, HEAD and PUT reach here (the dispatcher below), each with its own children.
  const latency = { GET: new Map<number, Observer>(), HEAD: new Map<number, Observer>(), PUT: new Map<number, Observer>() }
  const observe = (method: string | undefined, status: number, started: number): void => {
    const byStatus = method === 'PUT' ? latency.PUT : method === 'HEAD' ? latency.HEAD : latency.GET
    let child = byStatus.get(status)
    if (child === undefined) byStatus.set(status, child = deps.metrics.httpRequestSeconds.labels({ route: ROUTE, method: method === 'PUT' || method === 'HEAD' ? method : 'GET', status: statusLabel(status) }))
    child.observe((performance.now() - started) / 1000)
  }
  const servedCounters = { blocks: deps.metrics.blocksServed.labels({ plane: 'http' }), bytes: deps.metrics.bytesServed.labels({ plane: 'http' }) }
  const send = (req: IncomingMessage, res: ServerResponse, started: number, status: number, headers: Record<string, string | number>, body?: Uint8Array): void => {
    res.writeHead(status, { ...commonHeaders(req.method ?? '', true), ...(body === undefined ? {} : { 'content-length': body.byteLength }), ...headers })
    res.end(body === undefined || req.method === 'HEAD' ? undefined : body)
    observe(req.method, status, started)
  }
  const fail = (req: IncomingMessage, res: ServerResponse, started: number, status: number, err: P2pdvError): void => {
    // A refused upload may still be streaming its body: close the connection rather than read it.
    if (req.method === 'PUT' && !req.complete) res.shouldKeepAlive = false
    send(req, res, started, status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(err.toJSON())))
  }

  /** A block as it is served: verified bytes and the headers of a full answer, built once. */
  const served = (cid: CID, bytes: Uint8Array): Served => {
    const key = cid.toString()
    const etag = `"${key}.raw"`
    const headers = blockHeaders(key, etag)
    const full: string[] = []
    for (const [k, v] of Object.entries({ ...commonHeaders('GET', true), ...headers, 'content-length': String(bytes.byteLength) })) full.push(k, v)
    return { bytes, etag, headers, full }
  }
  const hot = new HotBlocks<Served>(deps.hotBlockBytes)
  deps.blockstore.onRemove(cid => { hot.delete(cid.toString()) })

  /** Answers a GET from a verified block (synchronously: the hot path). */
  const serve = (req: IncomingMessage, res: ServerResponse, cid: string, block: Served, started: number): void => {
    deps.onBlockTraffic?.()
    if (req.headers['if-none-match'] === block.etag) { send(req, res, started, 304, { etag: block.etag, 'cache-control': IMMUTABLE }); return }
    const total = block.bytes.byteLength
    const range = typeof req.headers.range === 'string' ? parseRange(req.headers.range, total) : undefined
    if (range === 'unsatisfiable') { send(req, res, started, 416, { ...block.headers, 'content-range': `bytes */${total}` }); return }
    deps.onBlockServed?.(cid, req.socket.remoteAddress)
    servedCounters.blocks.inc()
    if (range === undefined) {
      servedCounters.bytes.inc(total)
      res.writeHead(200, block.full)
      res.end(block.bytes)
      observe('GET', 200, started)
      return
    }
    const body = block.bytes.subarray(range.start, range.end + 1)
    servedCounters.bytes.inc(body.byteLength)
    send(req, res, started, 206, { ...block.headers, 'content-range': `bytes ${range.start}-${range.end}/${total}` }, body)
  }

  const get = async (req: IncomingMessage, res: ServerResponse, cid: CID, started: number): Promise<void> => {
    if (req.method === 'GET' && deps.serveGarbage !== true) {
      // Hot blocks come from memory; a miss reads and verifies the file once for all who wait on it.
      serve(req, res, cid.toString(), await hot.load(cid.toString(), async () => served(cid, await deps.blockstore.getVerified(cid))), started)
      return
    }
    deps.onBlockTraffic?.()
    const etag = `"${cid.toString()}.raw"`
    if (req.headers['if-none-match'] === etag) { send(req, res, started, 304, { etag, 'cache-control': IMMUTABLE }); return }
    // HEAD answers from the file's size: a presence probe must not cost a read and a hash.
    const head = req.method === 'HEAD'
    let bytes = head ? undefined : await deps.blockstore.getVerified(cid)
    const total = bytes?.byteLength ?? await deps.blockstore.sizeOf(cid)
    if (total === undefined) throw new P2pdvError(BlockstoreErrorCode.NOT_FOUND, `block ${cid.toString()} is not stored here`)
    if (deps.serveGarbage === true && bytes !== undefined && bytes.byteLength > 0) {
      bytes = bytes.slice()
      bytes[bytes.byteLength >> 1]! ^= 0xff
    }
    const headers: Record<string, string | number> = blockHeaders(cid.toString(), etag)
    const range = typeof req.headers.range === 'string' ? parseRange(req.headers.range, total) : undefined
    if (range === 'unsatisfiable') { send(req, res, started, 416, { ...headers, 'content-range': `bytes */${total}` }); return }
    if (range !== undefined) headers['content-range'] = `bytes ${range.start}-${range.end}/${total}`
    headers['content-length'] = range === undefined ? total : range.end - range.start + 1
    if (bytes === undefined) { send(req, res, started, range === undefined ? 200 : 206, headers); return }
    const body = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1)
    servedCounters.blocks.inc()
    servedCounters.bytes.inc(body.byteLength)
    send(req, res, started, range === undefined ? 200 : 206, headers, body)
  }

  const put = async (req: IncomingMessage, res: ServerResponse, cid: CID, started: number): Promise<void> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!UPLOAD_TYPES.has(type)) { fail(req, res, started, 415, new P2pdvError('ERR_BAD_CONTENT_TYPE', `send the block as ${RAW_CONTENT_TYPE}`)); return }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
    if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) { fail(req, res, started, 400, new P2pdvError('ERR_BAD_REQUEST', 'Content-Length is not a byte count')); return }
    if ((declared ?? 0) > MAX_BLOCK_BYTES) { fail(req, res, started, 413, new P2pdvError(StoreRefusal.TOO_LARGE, `blocks are at most ${MAX_BLOCK_BYTES} bytes`)); return }
    const busy = (): void => {
      res.setHeader('retry-after', '1')
      fail(req, res, started, 503, new P2pdvError('ERR_BUSY', `this node is reading ${MAX_CONCURRENT_UPLOADS} uploads already`, { hint: 'Retry in a moment, or send the block to another node.' }))
    }
    // Full: refused at once, unless a body has gone idle (its slot goes to an admitted upload below).
    if (uploads >= MAX_CONCURRENT_UPLOADS && !deadlines.hasIdle(EVICT_IDLE_MS)) { busy(); return }
    // Refused before a byte of the body is read: an upload must name who it is charged to.
    let session: UploadSession
    try {
      session = await deps.admit(req.headers.authorization, req.socket.remoteAddress ?? '')
    } catch (err) {
      const e = isP2pdvError(err) ? err : new P2pdvError(GrantErrorCode.MALFORMED, 'unreadable upload grant')
      if (e.code === GrantErrorCode.RATE) res.setHeader('retry-after', '60')
      fail(req, res, started, httpStatusOf(e.code), e)
      return
    }
    if (uploads >= MAX_CONCURRENT_UPLOADS && !deadlines.evictIdlest(EVICT_IDLE_MS)) { busy(); return }
    // Counted until the block is written and its buffer back in the pool. (After an eviction the
    // count may pass the cap until the evicted body's handler returns: by one per eviction.)
    uploads++
    let outcome: Outcome
    try {
      const body = await readBody(req, declared, pool, deadlines)
      if (body === 'stalled') { fail(req, res, started, 408, new P2pdvError(UPLOAD_STALLED, `the body sent less than ${MIN_UPLOAD_BYTES_PER_SECOND / 1024} KiB/s or stopped for ${UPLOAD_GRACE_MS / 1000} s`, { hint: 'Check the connection and retry the upload, or send the block to another node.' })); return }
      if (body === 'too-large') { fail(req, res, started, 413, new P2pdvError(StoreRefusal.TOO_LARGE, `blocks are at most ${MAX_BLOCK_BYTES} bytes`)); return }
      if (body === 'short') { fail(req, res, started, 400, new P2pdvError('ERR_BAD_REQUEST', 'the body is shorter than its Content-Length')); return }
      try {
        outcome = await deps.accept(cid, body.bytes, body.digest.equals(cid.multihash.digest), session)
      } finally {
        body.release()
      }
    } finally {
      uploads--
    }
    const { response } = outcome
    if (response.ok) {
      const r = response.receipt
      send(req, res, started, 201, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ receipt: { peer: r.peer, cid: r.cid.toString(), size: r.size, time: r.time, sig: Buffer.from(r.sig).toString('base64') } })))
      return
    }
    fail(req, res, started, httpStatusOf(response.code), new P2pdvError(response.code, response.message, outcome.hint === undefined ? {} : { hint: outcome.hint }))
  }

  return (req, res) => {
    const m = req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT' ? PATH.exec(req.url ?? '') : null
    if (m === null) return false
    const started = performance.now()
    // A hot block asked for by its canonical CID string is answered before any parsing.
    const hit = req.method === 'GET' && deps.serveGarbage !== true ? hot.get(m[1]!) : undefined
    if (hit !== undefined) { serve(req, res, m[1]!, hit, started); return true }
    void (async () => {
      let cid: CID
      try {
        cid = parseCid(decodeURIComponent(m[1]!))
      } catch (err) {
        fail(req, res, started, 400, isP2pdvError(err) ? err : new P2pdvError('ERR_BAD_CID', 'not a CID'))
        return
      }
      try {
        if (req.method === 'PUT') await put(req, res, cid, started)
        else await get(req, res, cid, started)
      } catch (err) {
        if (res.headersSent) { res.destroy(); return }
        if (isP2pdvError(err) && err.code === BlockstoreErrorCode.NOT_FOUND) { fail(req, res, started, 404, err); return }
        if (isP2pdvError(err) && err.code === BlockstoreErrorCode.CORRUPT) { fail(req, res, started, 502, err); return }
        deps.log.error({ err }, 'block request failed')
        fail(req, res, started, 500, new P2pdvError('ERR_INTERNAL', 'internal error'))
      }
    })()
    return true
  }
}

/**
 * Upload bodies land in reused buffers of MAX_BLOCK_BYTES: a fresh megabyte per block is external
 * memory to V8, and every 64 MiB of it forced a full garbage collection of the node's heap, which
 * was most of the node's CPU for an upload.
 */
class BodyPool {
  private readonly free: Buffer[] = []
  static readonly KEEP = 16

  take (): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(MAX_BLOCK_BYTES)
  }

  give (b: Buffer): void {
    if (this.free.length < BodyPool.KEEP) this.free.push(b)
  }
}

type Body = { bytes: Uint8Array, digest: Buffer, release: () => void } | 'too-large' | 'short' | 'stalled'

/**
 * Reads a request body of at most MAX_BLOCK_BYTES, hashing it on the way: into one pooled buffer,
 * or (chunked uploads, no length announced) collected and joined once at the end. A body that
 * falls behind its deadline (upload-deadlines.ts) is left unread: 'stalled'.
 */
async function readBody (req: IncomingMessage, declared: number | undefined, pool: BodyPool, deadlines: UploadDeadlines): Promise<Body> {
  const hash = createHash('sha256')
  const into = declared === undefined ? undefined : pool.take()
  const parts: Buffer[] = []
  let size = 0
  return await new Promise<Body>(resolve => {
    const finish = (result: Body): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onGone)
      req.off('close', onGone)
      watch.done()
      // Nothing writes into the buffer once the listeners are off: it may go back to the pool.
      if (typeof result === 'string' && into !== undefined) pool.give(into)
      resolve(result)
    }
    const onData = (chunk: Buffer): void => {
      if (size + chunk.byteLength > (declared ?? MAX_BLOCK_BYTES)) {
        req.destroy()
        finish('too-large')
        return
      }
      hash.update(chunk)
      if (into !== undefined) into.set(chunk, size)
      else parts.push(chunk)
      size += chunk.byteLength
      watch.progress(size)
    }
    const onEnd = (): void => {
      if (into !== undefined && size < declared!) { finish('short'); return }
      const bytes = into ?? Buffer.concat(parts, size)
      finish({ bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, size), digest: hash.digest(), release: () => { if (into !== undefined) pool.give(into) } })
    }
    // The client went away mid-body: what arrived is not a block.
    const onGone = (): void => { finish('short') }
    const watch = deadlines.watch(() => {
      req.pause()
      finish('stalled')
    })
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onGone)
    req.once('close', onGone)
  })
}

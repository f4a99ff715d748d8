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
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { StoreRefusal } from '@p2pdv/core/wire'
import { GrantErrorCode } from '@p2pdv/core/grants'
import type { Outcome } from './block-intake.ts'
import type { NodeMetrics } from './metrics.ts'
import type { UploadSession } from './upload-gate.ts'
import { BlockstoreErrorCode, type VerifiedBlockstore } from './verified-blockstore.ts'

export const RAW_CONTENT_TYPE = 'application/vnd.ipld.raw'
export const DAG_CBOR_CONTENT_TYPE = 'application/vnd.ipld.dag-cbor'
/** Content types a block may be uploaded as (bytes are bytes; the CID says what they are). */
const UPLOAD_TYPES = new Set([RAW_CONTENT_TYPE, 'application/octet-stream', DAG_CBOR_CONTENT_TYPE])
export const IMMUTABLE = 'public, max-age=29030400, immutable'
/** Everything the node answers that is not the app page: nothing may run or be framed. */
export const LOCKED_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const ROUTE = '/ipfs/:cid'
/**
 * Uploads whose bodies are read at once. Each holds a block-sized buffer from its first byte, so
 * slow or stalled uploads must not be able to pile up: beyond this a PUT is refused with 503.
 */
export const MAX_CONCURRENT_UPLOADS = 64
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
  serveGarbage?: boolean
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
  const send = (req: IncomingMessage, res: ServerResponse, started: number, status: number, headers: Record<string, string | number>, body?: Uint8Array): void => {
    res.writeHead(status, { ...commonHeaders(req.method ?? '', true), ...(body === undefined ? {} : { 'content-length': body.byteLength }), ...headers })
    res.end(body === undefined || req.method === 'HEAD' ? undefined : body)
    deps.metrics.httpRequestSeconds.observe({ route: ROUTE, status: String(status) }, (performance.now() - started) / 1000)
  }
  const fail = (req: IncomingMessage, res: ServerResponse, started: number, status: number, err: P2pdvError): void => {
    // A refused upload may still be streaming its body: close the connection rather than read it.
    if (req.method === 'PUT' && !req.complete) res.shouldKeepAlive = false
    send(req, res, started, status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(err.toJSON())))
  }

  const get = async (req: IncomingMessage, res: ServerResponse, cid: CID, started: number): Promise<void> => {
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
    const headers: Record<string, string | number> = {
      'content-type': RAW_CONTENT_TYPE,
      etag,
      'cache-control': IMMUTABLE,
      'accept-ranges': 'bytes',
      'x-ipfs-roots': cid.toString(),
      'content-disposition': `attachment; filename="${cid.toString()}.bin"`
    }
    const range = typeof req.headers.range === 'string' ? parseRange(req.headers.range, total) : undefined
    if (range === 'unsatisfiable') { send(req, res, started, 416, { ...headers, 'content-range': `bytes */${total}` }); return }
    if (range !== undefined) headers['content-range'] = `bytes ${range.start}-${range.end}/${total}`
    headers['content-length'] = range === undefined ? total : range.end - range.start + 1
    if (bytes === undefined) { send(req, res, started, range === undefined ? 200 : 206, headers); return }
    const body = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1)
    deps.metrics.blocksServed.inc({ plane: 'http' })
    deps.metrics.bytesServed.inc({ plane: 'http' }, body.byteLength)
    send(req, res, started, range === undefined ? 200 : 206, headers, body)
  }

  const put = async (req: IncomingMessage, res: ServerResponse, cid: CID, started: number): Promise<void> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!UPLOAD_TYPES.has(type)) { fail(req, res, started, 415, new P2pdvError('ERR_BAD_CONTENT_TYPE', `send the block as ${RAW_CONTENT_TYPE}`)); return }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
    if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) { fail(req, res, started, 400, new P2pdvError('ERR_BAD_REQUEST', 'Content-Length is not a byte count')); return }
    if ((declared ?? 0) > MAX_BLOCK_BYTES) { fail(req, res, started, 413, new P2pdvError(StoreRefusal.TOO_LARGE, `blocks are at most ${MAX_BLOCK_BYTES} bytes`)); return }
    if (uploads >= MAX_CONCURRENT_UPLOADS) {
      res.setHeader('retry-after', '1')
      fail(req, res, started, 503, new P2pdvError('ERR_BUSY', `this node is reading ${MAX_CONCURRENT_UPLOADS} uploads already`, { hint: 'Retry in a moment, or send the block to another node.' }))
      return
    }
    // Refused before a byte of the body is read: an upload must name who it is charged to.
    let session: UploadSession
    try {
      session = await deps.admit(req.headers.authorization, req.socket.remoteAddress ?? '')
    } catch (err) {
      const e = isP2pdvError(err) ? err : new P2pdvError(GrantErrorCode.MALFORMED, 'unreadable upload grant')
      if (e.code === GrantErrorCode.RATE) res.setHeader('retry-after', '60')
      fail(req, res, started, grantStatus(e.code), e)
      return
    }
    // Counted until the block is written and its buffer back in the pool.
    uploads++
    let outcome: Outcome
    try {
      const body = await readBody(req, declared, pool)
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
    const status = response.code === StoreRefusal.QUOTA ? 507 : response.code === StoreRefusal.INTERNAL ? 500 : response.code.startsWith('ERR_GRANT_') || response.code === GrantErrorCode.IDENTITY_QUOTA ? grantStatus(response.code) : 400
    fail(req, res, started, status, new P2pdvError(response.code, response.message, outcome.hint === undefined ? {} : { hint: outcome.hint }))
  }

  return (req, res) => {
    const m = req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT' ? PATH.exec(req.url ?? '') : null
    if (m === null) return false
    const started = performance.now()
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

/** HTTP status of a refused upload grant: 401 none, 400 malformed, 429 rate, 403 otherwise. */
export function grantStatus (code: string): number {
  if (code === GrantErrorCode.MISSING) return 401
  if (code === GrantErrorCode.MALFORMED) return 400
  if (code === GrantErrorCode.RATE) return 429
  if (code === 'ERR_BUSY') return 503
  return 403
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

type Body = { bytes: Uint8Array, digest: Buffer, release: () => void } | 'too-large' | 'short'

/**
 * Reads a request body of at most MAX_BLOCK_BYTES, hashing it on the way: into one pooled buffer,
 * or (chunked uploads, no length announced) collected and joined once at the end.
 */
async function readBody (req: IncomingMessage, declared: number | undefined, pool: BodyPool): Promise<Body> {
  const hash = createHash('sha256')
  const into = declared === undefined ? undefined : pool.take()
  const parts: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (size + chunk.byteLength > (declared ?? MAX_BLOCK_BYTES)) {
        req.destroy()
        if (into !== undefined) pool.give(into)
        return 'too-large'
      }
      hash.update(chunk)
      if (into !== undefined) into.set(chunk, size)
      else parts.push(chunk)
      size += chunk.byteLength
    }
  } catch {
    // The client went away mid-body: what arrived is not a block.
    if (into !== undefined) pool.give(into)
    return 'short'
  }
  if (into !== undefined && size < declared!) { pool.give(into); return 'short' }
  const bytes = into ?? Buffer.concat(parts, size)
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, size), digest: hash.digest(), release: () => { if (into !== undefined) pool.give(into) } }
}

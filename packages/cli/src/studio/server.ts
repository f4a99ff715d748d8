/**
 * The studio's HTTP server: 127.0.0.1 only, the studio pages (public code, no secrets in them)
 * and a small JSON API behind the guard (guard.ts). Uploaded source files are streamed to a
 * private temp dir with a size bound, never held in memory, and deleted once their upload ends.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import { P2pdvError } from '@p2pdv/core/errors'
import { hintOf, httpStatusOf } from '@p2pdv/core/error-catalog'
import { toP2pdvError } from '../output.ts'
import { studioGuard, type StudioGuard } from './guard.ts'
import { MAX_PROFILE_AVATAR_BYTES } from '@p2pdv/core'
import { checkAvatar, parseChannelRequest, type ChannelRequest } from './channel-form.ts'
import { parseConditionRequest, parseEditRequest, parseRefundWindowRequest, parseUploadRequest, UploadJob, type ConditionRequest, type EditRequest, type StudioEvent, type UploadRequest } from './upload-job.ts'

/** JSON bodies are forms of a few fields: 16 KiB is far more than the longest valid one. */
export const MAX_JSON_BODY = 16 * 1024
/** Source files waiting for their form (a page sends the file, then the form). */
const MAX_PENDING_FILES = 2
const MAX_JOBS_KEPT = 50

type FileKind = 'source' | 'avatar'

export interface StudioAsset { body: Uint8Array, type: string }

export interface StudioDeps {
  /** The studio pages (from @p2pdv/web). */
  app: { page: () => Promise<StudioAsset>, asset: (name: string) => Promise<StudioAsset | undefined> }
  /** Starts an upload of a received file; the job reports through its events. */
  startUpload: (req: UploadRequest, path: string, job: UploadJob) => Promise<void>
  /** This creator's earlier uploads on this network. */
  videos: () => Array<{ title: string, manifestCid: string, listingCid?: string, uploadedAt: number }>
  session: () => Record<string, unknown>
  maxUploadBytes: number
  /** Managing videos on chain; absent when the studio runs without a chain. */
  manage?: StudioManage
}

/** A video id on chain, or a viewer given as an address or a wallet name. */
export type VideoIdText = `0x${string}`

/** What the studio does to videos on chain, each a `p2pdv` command's --json result. */
export interface StudioManage {
  /** `ls --mine`: this creator's videos on chain. */
  mine: () => Promise<unknown>
  /** `viewers VIDEO`: named viewers, sales, revenue. */
  audience: (video: VideoIdText) => Promise<unknown>
  /** `edit VIDEO`: a new signed listing (and price). */
  edit: (video: VideoIdText, form: EditRequest) => Promise<unknown>
  grant: (video: VideoIdText, viewer: string) => Promise<unknown>
  revoke: (video: VideoIdText, viewer: string) => Promise<unknown>
  /** `keys audit VIDEO`: every keeper's verified log of key releases. */
  audit: (video: VideoIdText) => Promise<unknown>
  /** `balance`: what this creator holds and is owed. */
  earnings: () => Promise<unknown>
  withdraw: () => Promise<unknown>
  /** `require VIDEO SPEC … [--any]`: sets (replaces) the access condition. */
  setCondition: (video: VideoIdText, condition: ConditionRequest) => Promise<unknown>
  /** `require VIDEO --clear`. */
  clearCondition: (video: VideoIdText) => Promise<unknown>
  /** `refund-window VIDEO WINDOW`. */
  setRefundWindow: (video: VideoIdText, window: string) => Promise<unknown>
  /** `channel --json`: this creator's channel (profile and videos), and its public page's URL. */
  channel: () => Promise<unknown>
  /** `channel set …`: signs and publishes the profile; `avatarPath` is a received image, checked. */
  setChannel: (form: ChannelRequest, avatarPath: string | undefined) => Promise<unknown>
  /**
   * The published avatar of this channel: its block from a node, checked against its CID and
   * sniffed as JPEG or PNG; undefined when the profile has none. The page cannot load it from the
   * node itself: the studio's CSP keeps every request on the studio's own origin.
   */
  avatar: () => Promise<{ bytes: Uint8Array, type: 'image/jpeg' | 'image/png' } | undefined>
}

const VIDEO_ID = /^0x[0-9a-fA-F]{64}$/
/** The studio page of one video on chain. */
const VIDEO_PAGE = /^\/videos\/0x[0-9a-fA-F]{64}$/
/** An address, or a name from the local wallet (`p2pdv keys ls`). */
const VIEWER = /^(0x[0-9a-fA-F]{40}|[A-Za-z][A-Za-z0-9_-]{0,63})$/

/** The viewer of a grant form: `{ "viewer": "0x…" | "carol" }` and nothing else. */
export function parseViewerRequest (body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new P2pdvError('ERR_BAD_REQUEST', 'the body must be a JSON object')
  const b = body as Record<string, unknown>
  const extra = Object.keys(b).find(k => k !== 'viewer')
  if (extra !== undefined) throw new P2pdvError('ERR_BAD_REQUEST', `unknown field "${extra.slice(0, 40)}"`)
  const viewer = typeof b.viewer === 'string' ? b.viewer.trim() : undefined
  if (viewer === undefined || !VIEWER.test(viewer)) {
    throw new P2pdvError('ERR_BAD_REQUEST', 'viewer must be an address (0x and 40 hex digits) or a wallet name', { hint: 'paste the viewer\'s address, e.g. 0x70997970C51812dc3A010C7d01b50e0d17dc79C8' })
  }
  return viewer
}

export interface StudioServer {
  url: string
  port: number
  token: string
  close: () => Promise<void>
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store'
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function sendError (res: ServerResponse, err: unknown): void {
  const e = toP2pdvError(err)
  const hint = e.hint ?? hintOf(e.code)
  if (!res.headersSent) {
    send(res, httpStatusOf(e.code), { error: { code: e.code, message: e.message, ...(hint === undefined ? {} : { hint }) } })
  } else {
    res.destroy()
  }
}

function tooLarge (max: number): P2pdvError {
  return new P2pdvError('ERR_BODY_TOO_LARGE', `the body is larger than the ${max} bytes this call takes`)
}

function declaredLength (req: IncomingMessage, max: number): void {
  const len = req.headers['content-length']
  if (len !== undefined && Number(len) > max) throw tooLarge(max)
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new P2pdvError('ERR_BAD_REQUEST', 'the body must be application/json')
  }
  declaredLength(req, MAX_JSON_BODY)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_JSON_BODY) throw tooLarge(MAX_JSON_BODY)
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new P2pdvError('ERR_BAD_REQUEST', 'the body is not valid JSON')
  }
}

/** Counts bytes through and fails the stream past `max`. */
function limit (max: number): Transform {
  let size = 0
  return new Transform({
    transform (chunk: Buffer, _enc, cb) {
      size += chunk.length
      if (size > max) cb(tooLarge(max))
      else cb(null, chunk)
    }
  })
}

/** What a refused body may still send is read and dropped (so the client sees the answer, not
 * a broken pipe), up to a bound past which the connection is cut. */
const MAX_DRAIN = 64 * 1024 * 1024

function drainRefused (req: IncomingMessage): void {
  let drained = 0
  req.unpipe()
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length
    if (drained > MAX_DRAIN) req.destroy()
  })
  req.resume()
}

export async function startStudioServer (deps: StudioDeps, options: { port: number, token: string }): Promise<StudioServer> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-studio-'))
  /** Received files waiting for their form: video sources, and channel avatars (each kind its own bound). */
  const files = new Map<string, { path: string, bytes: number, kind: FileKind }>()
  const jobs = new Map<string, UploadJob>()
  const receiving: Record<FileKind, number> = { source: 0, avatar: 0 }
  const pending = (kind: FileKind): number => [...files.values()].filter(f => f.kind === kind).length + receiving[kind]
  let server: Server | undefined
  const guard: StudioGuard = studioGuard(options.token, () => (server?.address() as AddressInfo).port)

  const receiveFile = async (req: IncomingMessage, kind: FileKind = 'source'): Promise<{ file: string, bytes: number }> => {
    const max = kind === 'avatar' ? MAX_PROFILE_AVATAR_BYTES : deps.maxUploadBytes
    declaredLength(req, max)
    // A page that picks another image drops the one it picked before (it never sends its form).
    if (kind === 'avatar') {
      for (const [old, f] of [...files].filter(([, f]) => f.kind === 'avatar')) { files.delete(old); await rm(f.path, { force: true }) }
    }
    if (pending(kind) >= MAX_PENDING_FILES) {
      throw new P2pdvError('ERR_STUDIO_BUSY', `${kind === 'avatar' ? 'images' : 'files'} are already waiting for their form`)
    }
    const id = randomBytes(12).toString('base64url')
    const path = join(dir, `${id}.${kind === 'avatar' ? 'img' : 'src'}`)
    receiving[kind]++
    try {
      let bytes = 0
      let head = new Uint8Array(0)
      const count = new Transform({
        transform (chunk: Buffer, _e, cb) {
          if (head.length < 16) head = new Uint8Array([...head, ...chunk.subarray(0, 16 - head.length)])
          bytes += chunk.length
          cb(null, chunk)
        }
      })
      // Piped, not in the pipeline: a refused body must not destroy the request, or the 413
      // could not be answered; what the client still sends is drained (drainRefused).
      const limiter = limit(max)
      const sink = pipeline(limiter, count, createWriteStream(path, { mode: 0o600 }))
      req.once('error', err => { limiter.destroy(err) })
      req.once('aborted', () => { limiter.destroy(new P2pdvError('ERR_ABORTED', 'the page stopped sending the file')) })
      req.pipe(limiter)
      await sink
      if (bytes === 0) throw new P2pdvError('ERR_BAD_REQUEST', 'the file is empty')
      if (kind === 'avatar') checkAvatar(head, bytes)
      files.set(id, { path, bytes, kind })
      return { file: id, bytes }
    } catch (err) {
      await rm(path, { force: true })
      throw err
    } finally {
      receiving[kind]--
    }
  }

  const startUpload = async (body: unknown): Promise<{ job: string }> => {
    const form = parseUploadRequest(body)
    const file = files.get(form.file)
    if (file === undefined || file.kind !== 'source') throw new P2pdvError('ERR_NOT_FOUND', 'no received file has this id', { hint: 'send the file again, then the form' })
    // One transcode at a time: it takes every core this machine has.
    if ([...jobs.values()].some(j => j.status === 'running')) throw new P2pdvError('ERR_STUDIO_BUSY', 'an upload is already running')
    files.delete(form.file)
    const job = new UploadJob(form.title)
    jobs.set(job.id, job)
    for (const old of [...jobs.values()].filter(j => j.status !== 'running').slice(0, Math.max(0, jobs.size - MAX_JOBS_KEPT))) jobs.delete(old.id)
    void deps.startUpload(form, file.path, job).finally(() => { void rm(file.path, { force: true }) })
    return { job: job.id }
  }

  const streamEvents = (req: IncomingMessage, res: ServerResponse, job: UploadJob): void => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' })
    const write = (e: StudioEvent): void => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
      if (e.type === 'done' || e.type === 'error') res.end()
    }
    const unsubscribe = job.subscribe(write)
    req.on('close', unsubscribe)
    res.on('close', unsubscribe)
  }

  // Chain writes one at a time: two at once from one account would race for its nonce.
  let writing: Promise<unknown> = Promise.resolve()
  const oneWrite = async <T>(write: () => Promise<T>): Promise<T> => {
    const run = writing.then(write, write)
    writing = run.catch(() => {})
    return await run
  }

  const manageCall = async (req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> => {
    const manage = deps.manage
    if (manage === undefined) throw new P2pdvError('ERR_NO_CHAIN', 'this studio runs without a chain (--no-chain)', { hint: 'start `p2pdv studio` with a chain (the devnet\'s, or --rpc and --chain) to manage viewers and earnings' })
    if (method === 'GET' && path === '/api/mine') return send(res, 200, await manage.mine())
    if (method === 'GET' && path === '/api/earnings') return send(res, 200, await manage.earnings())
    if (method === 'POST' && path === '/api/withdraw') return send(res, 200, await oneWrite(async () => await manage.withdraw()))
    if (method === 'GET' && path === '/api/channel') return send(res, 200, await manage.channel())
    if (method === 'PUT' && path === '/api/channel/avatar') return send(res, 201, await receiveFile(req, 'avatar'))
    if (method === 'GET' && path === '/api/channel/avatar') {
      const image = await manage.avatar()
      if (image === undefined) throw new P2pdvError('ERR_NOT_FOUND', 'this channel has no avatar yet', { hint: 'drop an image on the avatar, then save' })
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': image.type, 'content-length': image.bytes.byteLength, 'cache-control': 'no-store' })
      res.end(image.bytes)
      return
    }
    if (method === 'POST' && path === '/api/channel') {
      const form = parseChannelRequest(await readJson(req))
      const avatar = form.avatar === undefined ? undefined : files.get(form.avatar)
      if (form.avatar !== undefined && avatar?.kind !== 'avatar') throw new P2pdvError('ERR_NOT_FOUND', 'no received image has this id', { hint: 'pick the image again, then save' })
      if (form.avatar !== undefined) files.delete(form.avatar)
      let result: unknown
      try {
        result = await oneWrite(async () => await manage.setChannel(form, avatar?.path))
      } finally {
        // Used once, whatever came of it: a new save sends the image again.
        if (avatar !== undefined) await rm(avatar.path, { force: true })
      }
      return send(res, 200, result)
    }
    const m = /^\/api\/chain\/videos\/([^/]{1,80})(\/grants(?:\/([^/]{1,80}))?|\/audit|\/listing|\/condition|\/refund-window)?$/.exec(path)
    if (m === null) throw new P2pdvError('ERR_NOT_FOUND', `no studio call ${method} ${path.slice(0, 80)}`)
    const video = m[1]!
    if (!VIDEO_ID.test(video)) throw new P2pdvError('ERR_BAD_VIDEO_ID', 'a video id is 0x and 64 hex digits')
    const id = video as VideoIdText
    if (method === 'GET' && m[2] === undefined) return send(res, 200, await manage.audience(id))
    if (method === 'GET' && m[2] === '/audit') return send(res, 200, await manage.audit(id))
    if (method === 'POST' && m[2] === '/listing') {
      const form = parseEditRequest(await readJson(req))
      return send(res, 200, await oneWrite(async () => await manage.edit(id, form)))
    }
    if (method === 'POST' && m[2] === '/condition') {
      const condition = parseConditionRequest(await readJson(req))
      return send(res, 200, await oneWrite(async () => await manage.setCondition(id, condition)))
    }
    if (method === 'DELETE' && m[2] === '/condition') return send(res, 200, await oneWrite(async () => await manage.clearCondition(id)))
    if (method === 'POST' && m[2] === '/refund-window') {
      const window = parseRefundWindowRequest(await readJson(req))
      return send(res, 200, await oneWrite(async () => await manage.setRefundWindow(id, window)))
    }
    if (method === 'POST' && m[2] === '/grants') {
      const viewer = parseViewerRequest(await readJson(req))
      return send(res, 200, await oneWrite(async () => await manage.grant(id, viewer)))
    }
    if (method === 'DELETE' && m[3] !== undefined) {
      let given: string
      try { given = decodeURIComponent(m[3]) } catch { throw new P2pdvError('ERR_BAD_REQUEST', 'the viewer in the path is not valid percent-encoding') }
      const viewer = parseViewerRequest({ viewer: given })
      return send(res, 200, await oneWrite(async () => await manage.revoke(id, viewer)))
    }
    throw new P2pdvError('ERR_NOT_FOUND', `no studio call ${method} ${path.slice(0, 80)}`)
  }

  const api = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    guard.checkOrigin(req)
    guard.checkToken(req)
    const method = req.method ?? 'GET'
    if (method === 'GET' && path === '/api/session') return send(res, 200, deps.session())
    if (method === 'GET' && path === '/api/videos') {
      return send(res, 200, {
        videos: deps.videos(),
        uploads: [...jobs.values()].reverse().map(j => ({ id: j.id, title: j.title, status: j.status, startedAt: j.startedAt, ...(j.outcome === undefined ? {} : { result: j.outcome }), ...(j.failure === undefined ? {} : { error: j.failure }) }))
      })
    }
    if (method === 'PUT' && path === '/api/files') return send(res, 201, await receiveFile(req))
    if (method === 'POST' && path === '/api/uploads') return send(res, 202, await startUpload(await readJson(req)))
    if (path === '/api/mine' || path === '/api/earnings' || path === '/api/withdraw' || path === '/api/channel' || path.startsWith('/api/channel/') || path.startsWith('/api/chain/')) return await manageCall(req, res, method, path)
    const m = /^\/api\/uploads\/([A-Za-z0-9_-]{1,20})\/events$/.exec(path)
    if (method === 'GET' && m !== null) {
      const job = jobs.get(m[1]!)
      if (job === undefined) throw new P2pdvError('ERR_NOT_FOUND', 'no upload has this id', { hint: 'reload My videos' })
      return streamEvents(req, res, job)
    }
    throw new P2pdvError('ERR_NOT_FOUND', `no studio call ${method} ${path.slice(0, 80)}`)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!
    if (path.startsWith('/api/')) return await api(req, res, path)
    guard.checkOrigin(req)
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new P2pdvError('ERR_NOT_FOUND', 'pages are read with GET')
    const asset = path.startsWith('/assets/') ? await deps.app.asset(path.slice('/assets/'.length)) : path === '/' || path === '/upload' || path === '/earnings' || path === '/channel' || VIDEO_PAGE.test(path) ? await deps.app.page() : undefined
    if (asset === undefined) throw new P2pdvError('ERR_NOT_FOUND', `no studio page ${path.slice(0, 80)}`)
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.byteLength })
    res.end(req.method === 'HEAD' ? undefined : asset.body)
  }

  server = createServer({ requestTimeout: 0, headersTimeout: 30_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(req, res).catch(err => {
      sendError(res, err)
      if (!req.complete) drainRefused(req)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject)
    server!.listen(options.port, '127.0.0.1', () => { server!.off('error', reject); resolve() })
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    token: options.token,
    url: `http://127.0.0.1:${port}/#token=${options.token}`,
    close: async () => {
      server!.closeAllConnections()
      await new Promise<void>(resolve => server!.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/**
 * HTTP to nodes over node:http(s) with keep-alive (the browser build uses fetch.ts instead, by the
 * `#transport` import condition). `fetch` (undici) copies a Uint8Array body twice before it
 * reaches the socket (a WebIDL copy and a stream clone); on the upload path that was a third of
 * the client's CPU for 3 replicas. Here a PUT body goes to the socket as is, and a body lands in
 * one uninitialised buffer of the announced length (fetch's web-stream parts, a zero-filled buffer
 * and the copies between them were the largest item of `get`'s main thread).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { P2pdvError } from '@p2pdv/core/errors'
import { NodeClientErrorCode } from '../errors.ts'
import type { BodyBuffers, HttpRequest, HttpResponse } from './types.ts'
import { httpUrl } from './url.ts'

export * from './types.ts'

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true })
}

/** One request; every body read is bounded by `r.limit` (see HttpRequest). */
export async function request (r: HttpRequest): Promise<HttpResponse> {
  const u = httpUrl(r.url)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise<HttpResponse>((resolve, reject) => {
    let settled = false
    const finish = (err: unknown, value?: HttpResponse): void => {
      if (settled) return
      settled = true
      if (err === undefined) resolve(value!)
      else reject(err)
    }
    const headers: Record<string, string | number> = { ...r.headers }
    if (r.body !== undefined) headers['content-length'] = r.body.byteLength
    const req = send(u, { method: r.method, agent: agents[u.protocol as 'http:' | 'https:'], headers, signal: r.signal }, (res: IncomingMessage) => {
      res.on('error', finish)
      const status = res.statusCode ?? 0
      const declared = Number(res.headers['content-length'])
      const known = res.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0 && (res.headers['content-encoding'] ?? 'identity') === 'identity'
      const contentType = res.headers['content-type']
      const answer = (body: Uint8Array): HttpResponse => ({ status, contentType, contentLength: known ? declared : undefined, body })
      if (r.method === 'HEAD') { res.resume(); res.once('end', () => { finish(undefined, answer(new Uint8Array(0))) }); return }
      // Refusing a body: answer at once and drop the connection (it may still be sending).
      const refuse = (message: string): void => { finish(new P2pdvError(NodeClientErrorCode.TOO_LARGE, message, { hint: 'The node sent more than it may; it is skipped.' })); res.destroy() }
      if (known && declared > r.limit) { refuse(`an answer of ${declared} bytes is over the ${r.limit}-byte limit`); return }
      readInto(res, known ? declared : undefined, r.limit, status === 200 ? r.buffers : undefined, refuse, body => { finish(undefined, answer(body)) })
    })
    req.on('error', finish)
    req.end(r.body)
  })
}

function readInto (res: IncomingMessage, declared: number | undefined, limit: number, buffers: BodyBuffers | undefined, refuse: (message: string) => void, done: (body: Uint8Array) => void): void {
  // A body of announced length goes into a recycled block buffer if there is one.
  const reused = declared === undefined ? undefined : buffers?.take(declared)
  let body = reused === undefined ? Buffer.allocUnsafeSlow(declared ?? Math.min(limit, 64 * 1024)) : Buffer.from(reused)
  let size = 0
  let refused = false
  res.on('data', (chunk: Buffer) => {
    if (refused) return
    if (size + chunk.byteLength > (declared ?? limit)) {
      refused = true
      refuse(declared === undefined ? `an answer over the ${limit}-byte limit` : 'the node sent more bytes than it announced')
      return
    }
    if (size + chunk.byteLength > body.byteLength) {
      const grown = Buffer.allocUnsafeSlow(Math.min(limit, Math.max(body.byteLength * 2, size + chunk.byteLength)))
      body.copy(grown, 0, 0, size)
      body = grown
    }
    chunk.copy(body, size)
    size += chunk.byteLength
  })
  res.once('end', () => { if (!refused) done(new Uint8Array(body.buffer, body.byteOffset, size)) })
}

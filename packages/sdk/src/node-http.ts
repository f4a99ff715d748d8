/**
 * Block transfers over node:http(s) with keep-alive, for the Node client (the browser uses fetch).
 * `fetch` (undici) copies a Uint8Array body twice before it reaches the socket (a WebIDL copy and
 * a stream clone); on the upload path that was a third of the client's CPU for 3 replicas. Here a
 * PUT body goes to the socket as is, and a GET body lands in one uninitialised buffer of the
 * announced length (fetch's web-stream parts, a zero-filled buffer and the copies between them
 * were the largest item of `get`'s main thread).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { P2pdvError } from '@p2pdv/core/errors'
import type { BlockResponse } from './block-fetcher.ts'

/** A node answers a PUT with a small JSON receipt or error; anything longer is refused. */
export const MAX_PUT_RESPONSE_BYTES = 64 * 1024

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true })
}

export interface PutResponse { status: number, body: string }

export async function putBytes (url: string, body: Uint8Array, contentType: string, signal: AbortSignal): Promise<PutResponse> {
  const u = new URL(url)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new P2pdvError('ERR_BAD_URL', `not an HTTP URL: ${url.slice(0, 100)}`)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise<PutResponse>((resolve, reject) => {
    const req = send(u, {
      method: 'PUT',
      agent: agents[u.protocol as 'http:' | 'https:'],
      headers: { 'content-type': contentType, 'content-length': body.byteLength },
      signal
    }, (res: IncomingMessage) => {
      const parts: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength
        if (size > MAX_PUT_RESPONSE_BYTES) req.destroy(new P2pdvError('ERR_RESPONSE_TOO_LARGE', `the answer to a PUT exceeded ${MAX_PUT_RESPONSE_BYTES} bytes`))
        else parts.push(chunk)
      })
      res.once('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }) })
      res.on('error', reject)
    })
    req.once('error', reject)
    req.end(body)
  })
}

/** Buffers a GET body may be read into: block buffers handed back once opened. */
export const MAX_BODY_BUFFERS = 16

/**
 * Block-sized buffers for GET bodies, recycled: each block a get reads is a megabyte outside V8's
 * heap, on this thread and then on the worker that opens it, and such memory drives full
 * collections and peak RSS. Bodies are ciphertext (verified, then opened by a worker that hands
 * the buffer back), so a reused buffer needs no wiping. A buffer taken is the taker's alone.
 */
export class BodyBuffers {
  private readonly free: ArrayBuffer[] = []
  /** Bodies read into a recycled buffer (for tests and stats). */
  reused = 0

  take (size: number): Buffer | undefined {
    const i = this.free.findIndex(b => b.byteLength === size)
    if (i < 0) return undefined
    this.reused++
    return Buffer.from(this.free.splice(i, 1)[0]!)
  }

  give (buffer: ArrayBuffer): void {
    if (buffer.byteLength > 0 && this.free.length < MAX_BODY_BUFFERS) this.free.push(buffer)
  }
}

/**
 * GET of a block (or any body: `accept`) of at most `limit` bytes. A body longer than announced or
 * than `limit` is refused (ERR_BLOCK_TOO_LARGE); a shorter one is returned as is (a block then
 * fails its hash).
 */
export async function getBytes (url: string, limit: number, signal: AbortSignal, accept = 'application/vnd.ipld.raw', buffers?: BodyBuffers): Promise<BlockResponse> {
  const u = new URL(url)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new P2pdvError('ERR_BAD_URL', `not an HTTP URL: ${url.slice(0, 100)}`)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise<BlockResponse>((resolve, reject) => {
    let settled = false
    const finish = (err: unknown, value?: BlockResponse): void => {
      if (settled) return
      settled = true
      if (err === undefined) resolve(value!)
      else reject(err)
    }
    const req = send(u, {
      method: 'GET',
      agent: agents[u.protocol as 'http:' | 'https:'],
      headers: { accept },
      signal
    }, (res: IncomingMessage) => {
      res.on('error', finish)
      // Refusing a body: answer at once and drop the connection (it may still be sending).
      const refuse = (message: string): void => { finish(new P2pdvError('ERR_BLOCK_TOO_LARGE', message)); res.destroy() }
      const status = res.statusCode ?? 0
      if (status !== 200) { res.resume(); res.once('end', () => { finish(undefined, { status }) }); return }
      const declared = Number(res.headers['content-length'])
      const known = Number.isSafeInteger(declared) && declared >= 0 && (res.headers['content-encoding'] ?? 'identity') === 'identity'
      if (known && declared > limit) { refuse('block larger than the protocol maximum'); return }
      let body = (known ? buffers?.take(declared) : undefined) ?? Buffer.allocUnsafeSlow(known ? declared : Math.min(limit, 64 * 1024))
      let size = 0
      res.on('data', (chunk: Buffer) => {
        if (settled) return
        if (size + chunk.byteLength > (known ? declared : limit)) { refuse(known ? 'the node sent more bytes than it announced' : 'block larger than the protocol maximum'); return }
        if (size + chunk.byteLength > body.byteLength) {
          const grown = Buffer.allocUnsafeSlow(Math.min(limit, Math.max(body.byteLength * 2, size + chunk.byteLength)))
          body.copy(grown, 0, 0, size)
          body = grown
        }
        chunk.copy(body, size)
        size += chunk.byteLength
      })
      res.once('end', () => { finish(undefined, { status, body: new Uint8Array(body.buffer, body.byteOffset, size) }) })
    })
    req.on('error', finish)
    req.end()
  })
}

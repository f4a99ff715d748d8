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
import type { BufferRecycler } from './buffer-recycler.ts'

/** A node answers a PUT with a small JSON receipt or error; anything longer is refused. */
export const MAX_PUT_RESPONSE_BYTES = 64 * 1024

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true })
}

export interface PutResponse { status: number, body: string }

/** `authorization`: an upload grant (`P2PDV-Grant …`, see upload-grants.ts) for block PUTs. */
export async function putBytes (url: string, body: Uint8Array, contentType: string, signal: AbortSignal, authorization?: string): Promise<PutResponse> {
  const u = new URL(url)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new P2pdvError('ERR_BAD_URL', `not an HTTP URL: ${url.slice(0, 100)}`)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise<PutResponse>((resolve, reject) => {
    const req = send(u, {
      method: 'PUT',
      agent: agents[u.protocol as 'http:' | 'https:'],
      headers: { 'content-type': contentType, 'content-length': body.byteLength, ...(authorization === undefined ? {} : { authorization }) },
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

/** Block buffers kept for GET bodies (see the Client's `bodies`). */
export const MAX_BODY_BUFFERS = 16

/**
 * GET of a block (or any body: `accept`) of at most `limit` bytes. A body longer than announced or
 * than `limit` is refused (ERR_BLOCK_TOO_LARGE); a shorter one is returned as is (a block then
 * fails its hash). `buffers`: block buffers to read a body into (ciphertext only: see BufferRecycler).
 */
export async function getBytes (url: string, limit: number, signal: AbortSignal, accept = 'application/vnd.ipld.raw', buffers?: BufferRecycler): Promise<BlockResponse> {
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
      // A body of announced length goes into a recycled block buffer if there is one.
      const reused = known ? buffers?.take(declared) : undefined
      let body = reused === undefined ? Buffer.allocUnsafeSlow(known ? declared : Math.min(limit, 64 * 1024)) : Buffer.from(reused)
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

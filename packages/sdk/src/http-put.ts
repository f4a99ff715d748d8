/**
 * PUT of a byte buffer over node:http(s) with keep-alive. `fetch` (undici) copies a Uint8Array
 * body twice before it reaches the socket (a WebIDL copy and a stream clone); on the upload path
 * that was a third of the client's CPU for 3 replicas. Here the buffer goes to the socket as is.
 * Node only (the store client is).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { P2pdvError } from '@p2pdv/core/errors'

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
      res.once('error', reject)
    })
    req.once('error', reject)
    req.end(body)
  })
}

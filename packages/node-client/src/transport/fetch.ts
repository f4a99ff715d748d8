/**
 * HTTP to nodes over fetch, for browsers (the `#transport` import condition picks it there; Node
 * uses node.ts). Same contract as node.ts: every body is read part by part and refused, with the
 * stream cancelled, as soon as it passes the limit or its own Content-Length.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { NodeClientErrorCode } from '../errors.ts'
import type { BodyBuffers, HttpRequest, HttpResponse } from './types.ts'
import { httpUrl } from './url.ts'

export * from './types.ts'

export async function request (r: HttpRequest): Promise<HttpResponse> {
  const u = httpUrl(r.url)
  const res = await fetch(u, {
    method: r.method,
    ...(r.headers === undefined ? {} : { headers: r.headers }),
    ...(r.body === undefined ? {} : { body: r.body as Uint8Array<ArrayBuffer> }),
    signal: r.signal
  })
  const lengthHeader = res.headers.get('content-length')
  const declared = Number(lengthHeader)
  const known = lengthHeader !== null && Number.isSafeInteger(declared) && declared >= 0 && (res.headers.get('content-encoding') ?? 'identity') === 'identity'
  const answer = (body: Uint8Array): HttpResponse => ({ status: res.status, contentType: res.headers.get('content-type') ?? undefined, contentLength: known ? declared : undefined, body })
  if (r.method === 'HEAD' || res.body === null) { await res.body?.cancel().catch(() => {}); return answer(new Uint8Array(0)) }
  return answer(await readLimited(res.body, known ? declared : undefined, r.limit, res.status === 200 ? r.buffers : undefined))
}

async function readLimited (stream: ReadableStream<Uint8Array>, declared: number | undefined, limit: number, buffers: BodyBuffers | undefined): Promise<Uint8Array> {
  const tooLarge = async (message: string): Promise<never> => {
    await stream.cancel().catch(() => {})
    throw new P2pdvError(NodeClientErrorCode.TOO_LARGE, message, { hint: 'The node sent more than it may; it is skipped.' })
  }
  if (declared !== undefined && declared > limit) return await tooLarge(`an answer of ${declared} bytes is over the ${limit}-byte limit`)
  const max = declared ?? limit
  const reused = declared === undefined ? undefined : buffers?.take(declared)
  let out = reused === undefined ? new Uint8Array(declared ?? Math.min(limit, 64 * 1024)) : new Uint8Array(reused)
  let size = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (size + value.byteLength > max) {
      reader.releaseLock()
      return await tooLarge(declared === undefined ? `an answer over the ${limit}-byte limit` : 'the node sent more bytes than it announced')
    }
    if (size + value.byteLength > out.byteLength) {
      const grown = new Uint8Array(Math.min(limit, Math.max(out.byteLength * 2, size + value.byteLength)))
      grown.set(out.subarray(0, size))
      out = grown
    }
    out.set(value, size)
    size += value.byteLength
  }
  return out.subarray(0, size)
}

/**
 * The transport this runtime uses (node:http in Node, fetch in browsers; see package.json
 * "imports"), and the two block verbs built on its `request`, the same in both runtimes.
 */
import { request } from '#transport'
import { MAX_PUT_RESPONSE_BYTES, type BlockResponse, type BodyBuffers, type PutResponse } from './types.ts'

export { request }
export * from './types.ts'

/** `authorization`: an upload grant (`P2PDV-Grant …`, see the sdk's upload-grants.ts) for block PUTs. */
export async function putBytes (url: string, body: Uint8Array, contentType: string, signal: AbortSignal, authorization?: string): Promise<PutResponse> {
  const res = await request({
    method: 'PUT', url, body, signal, limit: MAX_PUT_RESPONSE_BYTES,
    headers: { 'content-type': contentType, ...(authorization === undefined ? {} : { authorization }) }
  })
  return { status: res.status, body: new TextDecoder().decode(res.body) }
}

/**
 * GET of a block (or any body: `accept`) of at most `limit` bytes. A body longer than announced or
 * than `limit` is refused (ERR_BLOCK_TOO_LARGE); a shorter one is returned as is (a block then
 * fails its hash). `buffers`: block buffers to read a body into (ciphertext only: see BufferRecycler).
 */
export async function getBytes (url: string, limit: number, signal: AbortSignal, accept = 'application/vnd.ipld.raw', buffers?: BodyBuffers): Promise<BlockResponse> {
  const res = await request({ method: 'GET', url, limit, signal, headers: { accept }, ...(buffers === undefined ? {} : { buffers }) })
  return res.status === 200 ? { status: 200, body: res.body } : { status: res.status }
}

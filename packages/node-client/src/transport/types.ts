/** What both transports (node:http in Node, fetch in browsers) take and give. */

/** Buffers to read a body of a known length into (see the sdk's BufferRecycler). */
export interface BodyBuffers { take: (size: number) => ArrayBuffer | undefined }

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST'
  url: string
  /**
   * Longest body read. A body announced longer, or longer than its own Content-Length, is
   * refused with ERR_BLOCK_TOO_LARGE and its connection dropped; nothing past it is buffered.
   */
  limit: number
  signal: AbortSignal
  body?: Uint8Array
  /** Lower-case header names: accept, content-type, authorization. */
  headers?: Record<string, string>
  /** Ciphertext only: a body of announced length lands in a recycled buffer of that size. */
  buffers?: BodyBuffers
}

export interface HttpResponse {
  status: number
  contentType: string | undefined
  /** The announced length (HEAD answers carry it without a body). */
  contentLength: number | undefined
  body: Uint8Array
}

/** A GET's answer as the block fetcher wants it: a body for 200 only. */
export interface BlockResponse { status: number, body?: Uint8Array }

export interface PutResponse { status: number, body: string }

/** A node answers a PUT with a small JSON receipt or error; anything longer is refused. */
export const MAX_PUT_RESPONSE_BYTES = 64 * 1024
/** Block buffers kept for GET bodies (see the sdk Client's `bodies`). */
export const MAX_BODY_BUFFERS = 16

/**
 * `/p2pdv/share/1.0.0` between viewers: one request per stream, `want` (a block by CID, at most
 * `max` bytes) or `have` (which blocks the peer holds). The server answers from its block source;
 * the client decodes with the size limits of core/wire/swarm.ts and leaves hash checking to its
 * caller (ViewerSwarm), which bans a peer whose bytes fail their CID.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { CID } from 'multiformats/cid'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import {
  decodeShareRequest, decodeShareResponse, encodeShareRequest, encodeShareResponse, MAX_HAVE_CIDS, MAX_HAVE_RESPONSE_BYTES,
  MAX_SHARE_REQUEST_BYTES, MAX_SHARE_RESPONSE_BYTES, SHARE_PROTOCOL, SwarmCode, WireErrorCode, type ShareResponse
} from '@p2pdv/core/wire'

/** What a viewer shares: its verified block cache (the player's), read-only. */
export interface BlockSource {
  get: (cid: CID) => Promise<Uint8Array | undefined> | Uint8Array | undefined
  /** The blocks held, for `have` answers (the first MAX_HAVE_CIDS are sent). */
  cids: () => Iterable<CID>
}

/** Requests one viewer serves at once, over all its peers; more are answered ERR_SHARE_BUSY. */
export const MAX_SERVING = 16
export const SHARE_MAX_INBOUND_STREAMS = 4
export const SHARE_STREAM_TIMEOUT_MS = 10_000

export interface ShareServerHooks {
  /** Called for every block sent (stats). */
  served?: (bytes: number) => void
}

export function createShareHandler (source: BlockSource, hooks: ShareServerHooks = {}) {
  let serving = 0
  return async (stream: Stream, connection?: { limits?: unknown }): Promise<void> => {
    // Blocks flow only over direct connections: a relayed (limited) one is the node's, for
    // signalling (libp2p lets a requester open streams on it if it insists).
    if (connection?.limits !== undefined) { stream.abort(new Error('share streams are not served over relayed connections')); return }
    const lp = lpStream(stream, { maxDataLength: MAX_SHARE_REQUEST_BYTES })
    const signal = AbortSignal.timeout(SHARE_STREAM_TIMEOUT_MS)
    serving++
    try {
      let response: ShareResponse
      try {
        const request = decodeShareRequest((await lp.read({ signal })).subarray())
        if (serving > MAX_SERVING) {
          response = { v: 1, ok: false, code: SwarmCode.BUSY, message: 'too many requests in flight; ask another peer' }
        } else if (request.t === 'have') {
          const have: CID[] = []
          for (const cid of source.cids()) { if (have.length >= MAX_HAVE_CIDS) break; have.push(cid) }
          response = { v: 1, ok: true, have }
        } else {
          const bytes = await source.get(request.cid)
          if (bytes === undefined) response = { v: 1, ok: false, code: SwarmCode.NOT_FOUND, message: 'not held here' }
          else if (bytes.byteLength > request.max) response = { v: 1, ok: false, code: SwarmCode.TOO_LARGE, message: `the block is ${bytes.byteLength} bytes` }
          else response = { v: 1, ok: true, bytes }
        }
      } catch (err) {
        if (signal.aborted) throw err
        response = { v: 1, ok: false, code: isP2pdvError(err) ? err.code : WireErrorCode.MALFORMED, message: `send one length-prefixed request of at most ${MAX_SHARE_REQUEST_BYTES} bytes` }
      }
      await lp.write(encodeShareResponse(response), { signal })
      if (response.ok && 'bytes' in response) hooks.served?.(response.bytes.byteLength)
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      serving--
    }
  }
}

export const ShareClientErrorCode = {
  /** The peer did not answer, or its stream failed. */
  UNREACHABLE: 'ERR_SHARE_UNREACHABLE',
  /** The peer's answer broke the wire format or its size limits. */
  BAD_ANSWER: 'ERR_SHARE_BAD_ANSWER'
} as const

async function exchange (conn: Connection, request: Uint8Array, maxResponse: number, signal: AbortSignal): Promise<Uint8Array> {
  let frame
  try {
    const stream = await conn.newStream(SHARE_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: maxResponse })
    await lp.write(request, { signal })
    frame = await lp.read({ signal })
    await stream.close({ signal }).catch(() => {})
  } catch (cause) {
    throw new P2pdvError(ShareClientErrorCode.UNREACHABLE, 'the peer did not answer the share request', { cause })
  }
  return frame.subarray()
}

function badAnswer (cause: unknown): P2pdvError {
  return new P2pdvError(ShareClientErrorCode.BAD_ANSWER, 'the peer sent a malformed share answer', { cause })
}

/** Asks `conn`'s peer for one block: its (unverified) bytes, or the peer's refusal code. */
export async function requestBlock (conn: Connection, cid: CID, max: number, signal: AbortSignal): Promise<{ bytes: Uint8Array } | { code: string }> {
  const frame = await exchange(conn, encodeShareRequest({ v: 1, t: 'want', cid, max }), Math.min(MAX_SHARE_RESPONSE_BYTES, max + 1024), signal)
  let r: ShareResponse
  try { r = decodeShareResponse(frame, 'want', max) } catch (cause) { throw badAnswer(cause) }
  if (!r.ok) return { code: r.code }
  if (!('bytes' in r)) throw badAnswer(new Error('no bytes'))
  return { bytes: r.bytes }
}

/** Asks `conn`'s peer which blocks it holds (at most MAX_HAVE_CIDS). */
export async function requestHave (conn: Connection, signal: AbortSignal): Promise<CID[]> {
  const frame = await exchange(conn, encodeShareRequest({ v: 1, t: 'have' }), MAX_HAVE_RESPONSE_BYTES, signal)
  let r: ShareResponse
  try { r = decodeShareResponse(frame, 'have') } catch (cause) { throw badAnswer(cause) }
  if (!r.ok) return []
  if (!('have' in r)) throw badAnswer(new Error('no have list'))
  return r.have
}

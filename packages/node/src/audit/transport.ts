/**
 * How an auditor reaches a node: challenges over HTTP (`POST /api/v1/audit`, default) or libp2p
 * (`/p2pdv/audit/1.0.0`), full reads over the HTTP data plane. Answers are signed by the node, so
 * neither channel has to be trusted for a verdict; the transport only has to tell a timeout (no
 * answer before the deadline) from a node that cannot be reached at all.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { httpUrlFromMultiaddr } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { AUDIT_PROTOCOL, AuditCode, MAX_AUDIT_MESSAGE_BYTES } from '@p2pdv/core/wire'
import type { CID } from 'multiformats/cid'

export type AuditTransportName = 'http' | 'libp2p'

export interface ReadResult { status: number, bytes?: Uint8Array }

export interface AuditTransport {
  /** Sends an encoded challenge; resolves with the raw encoded response. */
  challenge: (peer: string, body: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>
  /** GETs a whole block from the node's data plane (no verification here). */
  read: (peer: string, cid: CID, signal: AbortSignal) => Promise<ReadResult>
}

function unreachable (peer: string, why: string, cause?: unknown): P2pdvError {
  return new P2pdvError(AuditCode.UNREACHABLE, `node ${peer} could not be reached: ${why}`, { cause })
}

/**
 * Finds a peer's HTTP data plane from what libp2p knows: the peer store (filled by identify,
 * where nodes announce a `/http` multiaddr) and, failing that, a DHT peer lookup.
 */
export function libp2pHttpResolver (libp2p: Libp2p) {
  return async (peer: string, signal: AbortSignal): Promise<string | undefined> => {
    let id: PeerId
    try { id = peerIdFromString(peer) } catch { return undefined }
    const pick = (addrs: Multiaddr[]): string | undefined => addrs.map(a => httpUrlFromMultiaddr(a.toString())).find(u => u !== undefined)
    try {
      const known = pick((await libp2p.peerStore.get(id)).addresses.map(a => a.multiaddr))
      if (known !== undefined) return known
    } catch {}
    try {
      return pick((await libp2p.peerRouting.findPeer(id, { signal })).multiaddrs)
    } catch {
      return undefined
    }
  }
}

export interface TransportDeps {
  /** The HTTP base URL of a peer, or undefined when unknown. */
  resolveHttp: (peer: string, signal: AbortSignal) => Promise<string | undefined>
  /** The libp2p host (for the libp2p transport), once it runs. */
  libp2p?: () => Libp2p | undefined
}

function isAbort (err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err as { name?: string }).name === 'AbortError' || (err as { name?: string }).name === 'TimeoutError'
}

async function readLimited (res: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > limit) {
    await res.body?.cancel().catch(() => {})
    throw new P2pdvError('ERR_FRAME_TOO_LARGE', `response of ${declared} bytes exceeds ${limit}`)
  }
  const parts: Uint8Array[] = []
  let n = 0
  const reader = res.body?.getReader()
  while (reader !== undefined) {
    const { done, value: chunk } = await reader.read()
    if (done) break
    n += chunk.byteLength
    if (n > limit) { await reader.cancel().catch(() => {}); throw new P2pdvError('ERR_FRAME_TOO_LARGE', `response exceeds ${limit} bytes`) }
    parts.push(chunk)
  }
  const out = new Uint8Array(n)
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.byteLength }
  return out
}

export function createAuditTransport (name: AuditTransportName, deps: TransportDeps): AuditTransport {
  const base = async (peer: string, signal: AbortSignal): Promise<string> => {
    const url = await deps.resolveHttp(peer, signal)
    if (url === undefined) throw unreachable(peer, 'no HTTP address known')
    return url
  }

  const httpChallenge = async (peer: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> => {
    const url = await base(peer, signal)
    let res: Response
    try {
      res = await fetch(`${url}/api/v1/audit`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: body as Uint8Array<ArrayBuffer>, signal })
    } catch (err) {
      if (isAbort(err, signal)) throw err
      throw unreachable(peer, (err as Error).message, err)
    }
    if (!(res.headers.get('content-type') ?? '').startsWith('application/cbor')) {
      await res.arrayBuffer().catch(() => {})
      throw new P2pdvError('ERR_WIRE_MALFORMED', `node ${peer} answered the audit with HTTP ${res.status} and no audit response`)
    }
    return await readLimited(res, MAX_AUDIT_MESSAGE_BYTES)
  }

  const libp2pChallenge = async (peer: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> => {
    const libp2p = deps.libp2p?.()
    if (libp2p === undefined) throw unreachable(peer, 'no libp2p host')
    let stream
    try {
      stream = await libp2p.dialProtocol(peerIdFromString(peer), AUDIT_PROTOCOL, { signal })
    } catch (err) {
      if (isAbort(err, signal)) throw err
      throw unreachable(peer, (err as Error).message, err)
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_AUDIT_MESSAGE_BYTES })
      await lp.write(body, { signal })
      const reply = await lp.read({ signal })
      await stream.close({ signal }).catch(() => {})
      return reply.subarray()
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      if (isAbort(err, signal)) throw err
      throw new P2pdvError('ERR_WIRE_MALFORMED', `audit stream to ${peer} failed: ${(err as Error).message}`, { cause: err })
    }
  }

  const read = async (peer: string, cid: CID, signal: AbortSignal): Promise<ReadResult> => {
    const url = await base(peer, signal)
    let res: Response
    try {
      res = await fetch(`${url}/ipfs/${cid.toString()}`, { headers: { accept: 'application/vnd.ipld.raw' }, signal })
    } catch (err) {
      if (isAbort(err, signal)) throw err
      throw unreachable(peer, (err as Error).message, err)
    }
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => {})
      return { status: res.status }
    }
    return { status: 200, bytes: await readLimited(res, MAX_BLOCK_BYTES) }
  }

  return { challenge: name === 'libp2p' ? libp2pChallenge : httpChallenge, read }
}

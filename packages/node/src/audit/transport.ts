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
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { AUDIT_PROTOCOL, AuditCode, MAX_AUDIT_MESSAGE_BYTES, WireErrorCode } from '@p2pdv/core/wire'
import { NodeClient, NodeClientErrorCode } from '@p2pdv/node-client'
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

/**
 * The auditor's signal carries each audit's deadline (a timeout verdict needs it to be the one
 * that fires); the client's own deadline only backs it up.
 */
const BACKSTOP_TIMEOUT_MS = 10 * 60_000

/**
 * The node client's failures in the audit's terms, so verdict codes stay what they were:
 * unreachable, a malformed answer, or a frame over the limit.
 */
function auditFailure (peer: string, err: unknown, signal: AbortSignal): unknown {
  if (isAbort(err, signal)) return err
  if (isP2pdvError(err, NodeClientErrorCode.UNREACHABLE)) return unreachable(peer, err.message, err)
  if (isP2pdvError(err, NodeClientErrorCode.TOO_LARGE)) return new P2pdvError('ERR_FRAME_TOO_LARGE', `node ${peer} answered with more than the limit`, { cause: err })
  if (isP2pdvError(err, NodeClientErrorCode.BAD_RESPONSE)) return new P2pdvError(WireErrorCode.MALFORMED, `node ${peer} answered the audit with HTTP ${String(err.details?.status)} and no audit response`, { cause: err })
  return err
}

export function createAuditTransport (name: AuditTransportName, deps: TransportDeps): AuditTransport {
  const base = async (peer: string, signal: AbortSignal): Promise<string> => {
    const url = await deps.resolveHttp(peer, signal)
    if (url === undefined) throw unreachable(peer, 'no HTTP address known')
    return url
  }

  const httpChallenge = async (peer: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> => {
    const node = new NodeClient(await base(peer, signal), { peerId: peer, timeoutMs: BACKSTOP_TIMEOUT_MS })
    try {
      return await node.audit(body, { signal })
    } catch (err) {
      throw auditFailure(peer, err, signal)
    }
  }

  const libp2pChallenge = async (peer: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> => {
    const libp2p = deps.libp2p?.()
    if (libp2p === undefined) throw unreachable(peer, 'no libp2p host')
    let stream
    try {
      stream = await libp2p.dialProtocol(peerIdFromString(peer), AUDIT_PROTOCOL, { signal, runOnLimitedConnection: true })
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
    const node = new NodeClient(await base(peer, signal), { peerId: peer, timeoutMs: BACKSTOP_TIMEOUT_MS })
    try {
      return await node.readBlock(cid, { signal })
    } catch (err) {
      throw auditFailure(peer, err, signal)
    }
  }

  return { challenge: name === 'libp2p' ? libp2pChallenge : httpChallenge, read }
}

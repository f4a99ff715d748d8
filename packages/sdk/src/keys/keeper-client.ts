/**
 * Talks to keepers over either of their transports: HTTP (`POST /api/v1/keeper/release`, JSON)
 * or libp2p (`/p2pdv/keeper/1.0.0`, one DAG-CBOR frame each way). Answers are parsed strictly
 * and size-bounded here; what they mean is the resolver's business.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { P2pdvError } from '@p2pdv/core/errors'
import {
  decodeKeeperMessage, encodeKeeperMessage, KEEPER_PROTOCOL, MAX_KEEPER_MESSAGE_BYTES, parseKeyResponse,
  type KeeperInfo, type KeyRequest, type KeyResponse, type ShareDeposit
} from '@p2pdv/core/keys'

export type KeeperTransport = 'http' | 'libp2p'

export const DEFAULT_KEEPER_TIMEOUT_MS = 10_000

export const KeeperClientErrorCode = {
  UNREACHABLE: 'ERR_KEEPER_UNREACHABLE',
  BAD_ANSWER: 'ERR_KEEPER_BAD_ANSWER'
} as const

async function readBounded (res: Response, max: number): Promise<unknown> {
  const len = Number(res.headers.get('content-length') ?? 0)
  if (len > max) throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, 'the keeper sent an oversized answer')
  const text = await res.text()
  if (text.length > max) throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, 'the keeper sent an oversized answer')
  try { return JSON.parse(text) } catch { throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, `the keeper answered HTTP ${res.status} without JSON`) }
}

export class KeeperClient {
  private libp2p: Promise<Libp2p> | undefined
  readonly transport: KeeperTransport
  readonly timeoutMs: number

  constructor (o: { transport?: KeeperTransport, timeoutMs?: number } = {}) {
    this.transport = o.transport ?? 'http'
    this.timeoutMs = o.timeoutMs ?? DEFAULT_KEEPER_TIMEOUT_MS
  }

  async close (): Promise<void> {
    const p = this.libp2p
    this.libp2p = undefined
    if (p !== undefined) await (await p).stop()
  }

  private node (): Promise<Libp2p> {
    this.libp2p ??= createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() }
    })
    return this.libp2p
  }

  private signal (signal?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs)
    return signal === undefined ? t : AbortSignal.any([signal, t])
  }

  /** Asks one keeper for its share. Network trouble is ERR_KEEPER_UNREACHABLE; refusals come back as responses. */
  async release (keeper: KeeperInfo, request: KeyRequest, signal?: AbortSignal): Promise<KeyResponse> {
    const useLibp2p = (this.transport === 'libp2p' && keeper.multiaddrs !== undefined && keeper.multiaddrs.length > 0) || keeper.http === undefined
    return useLibp2p ? await this.releaseLibp2p(keeper, request, signal) : await this.releaseHttp(keeper, request, signal)
  }

  private async releaseHttp (keeper: KeeperInfo, request: KeyRequest, signal?: AbortSignal): Promise<KeyResponse> {
    let res: Response
    try {
      res = await fetch(`${keeper.http!}/api/v1/keeper/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: this.signal(signal)
      })
    } catch (cause) {
      throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} at ${keeper.http!} did not answer`, { cause })
    }
    const body = await readBounded(res, MAX_KEEPER_MESSAGE_BYTES)
    try {
      return parseKeyResponse(body)
    } catch (cause) {
      // A node that is not a keeper (or a proxy error page) answers with a plain error body.
      const code = typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined
      if (code !== undefined && /^ERR_[A-Z0-9_]{1,60}$/.test(code)) return { v: 1, ok: false, code, message: String((body as { message?: unknown }).message ?? '').slice(0, 512) }
      throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, `keeper ${keeper.address} sent a malformed answer`, { cause })
    }
  }

  private async releaseLibp2p (keeper: KeeperInfo, request: KeyRequest, signal?: AbortSignal): Promise<KeyResponse> {
    const addrs = (keeper.multiaddrs ?? []).filter(a => !a.includes('/http'))
    if (addrs.length === 0) throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} lists no libp2p address`)
    const s = this.signal(signal)
    let frame
    try {
      const node = await this.node()
      let addr = multiaddr(addrs[0]!)
      if (keeper.peerId !== undefined && !addrs[0]!.includes('/p2p/')) addr = addr.encapsulate(`/p2p/${peerIdFromString(keeper.peerId).toString()}`)
      const stream = await node.dialProtocol(addr, KEEPER_PROTOCOL, { signal: s })
      const lp = lpStream(stream, { maxDataLength: MAX_KEEPER_MESSAGE_BYTES })
      await lp.write(encodeKeeperMessage(request), { signal: s })
      frame = await lp.read({ signal: s })
      await stream.close({ signal: s }).catch(() => {})
    } catch (cause) {
      throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} did not answer over libp2p`, { cause })
    }
    try {
      return parseKeyResponse(decodeKeeperMessage(frame.subarray()))
    } catch (cause) {
      throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, `keeper ${keeper.address} sent a malformed answer`, { cause })
    }
  }

  /** Hands a keeper its share (HTTP). Resolves on 200/201; a refusal throws with the keeper's code. */
  async deposit (keeper: KeeperInfo, deposit: ShareDeposit, signal?: AbortSignal): Promise<void> {
    if (keeper.http === undefined) throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} lists no HTTP address for deposits`)
    let res: Response
    try {
      res = await fetch(`${keeper.http}/api/v1/keeper/shares`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(deposit), signal: this.signal(signal) })
    } catch (cause) {
      throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} at ${keeper.http} did not answer`, { cause })
    }
    const body = await readBounded(res, MAX_KEEPER_MESSAGE_BYTES) as { ok?: unknown, code?: unknown, message?: unknown }
    if (res.status === 200 || res.status === 201) return
    const code = typeof body.code === 'string' ? body.code : `ERR_HTTP_${res.status}`
    throw new P2pdvError(code, `keeper ${keeper.address} refused the share: ${String(body.message ?? res.statusText).slice(0, 300)}`)
  }
}

/**
 * Talks to keepers over HTTP (`POST /api/v1/keeper/release`, JSON): fetch only, so it runs in
 * pages as well as in Node. `Libp2pKeeperClient` (Node) adds the libp2p transport. Answers are
 * parsed strictly and size-bounded here; what they mean is the resolver's business.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_KEEPER_MESSAGE_BYTES, parseKeyResponse, type KeeperInfo, type KeyRequest, type KeyResponse, type ShareDeposit } from '@p2pdv/core/keys'

export type KeeperTransport = 'http' | 'libp2p'

export const DEFAULT_KEEPER_TIMEOUT_MS = 10_000

export const KeeperClientErrorCode = {
  UNREACHABLE: 'ERR_KEEPER_UNREACHABLE',
  BAD_ANSWER: 'ERR_KEEPER_BAD_ANSWER'
} as const

/** What the resolver and the creator's tools need from a keeper transport. */
export interface KeeperTransportClient {
  release: (keeper: KeeperInfo, request: KeyRequest, signal?: AbortSignal) => Promise<KeyResponse>
  deposit: (keeper: KeeperInfo, deposit: ShareDeposit, signal?: AbortSignal) => Promise<void>
  close: () => Promise<void>
}

async function readBounded (res: Response, max: number): Promise<unknown> {
  const len = Number(res.headers.get('content-length') ?? 0)
  if (len > max) throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, 'the keeper sent an oversized answer')
  const text = await res.text()
  if (text.length > max) throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, 'the keeper sent an oversized answer')
  try { return JSON.parse(text) } catch { throw new P2pdvError(KeeperClientErrorCode.BAD_ANSWER, `the keeper answered HTTP ${res.status} without JSON`) }
}

export class KeeperClient implements KeeperTransportClient {
  readonly timeoutMs: number

  constructor (o: { timeoutMs?: number } = {}) {
    this.timeoutMs = o.timeoutMs ?? DEFAULT_KEEPER_TIMEOUT_MS
  }

  async close (): Promise<void> {}

  protected signal (signal?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs)
    return signal === undefined ? t : AbortSignal.any([signal, t])
  }

  /** Asks one keeper for its share. Network trouble is ERR_KEEPER_UNREACHABLE; refusals come back as responses. */
  async release (keeper: KeeperInfo, request: KeyRequest, signal?: AbortSignal): Promise<KeyResponse> {
    if (keeper.http === undefined) throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} lists no HTTP address`)
    let res: Response
    try {
      res = await fetch(`${keeper.http}/api/v1/keeper/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: this.signal(signal)
      })
    } catch (cause) {
      throw new P2pdvError(KeeperClientErrorCode.UNREACHABLE, `keeper ${keeper.address} at ${keeper.http} did not answer`, { cause })
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

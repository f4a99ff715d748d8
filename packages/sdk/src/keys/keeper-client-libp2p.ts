/**
 * Keepers over libp2p (Node): `/p2pdv/keeper/1.0.0`, one DAG-CBOR frame each way per stream.
 * Used when asked for (`transport: 'libp2p'`) or when a keeper lists no HTTP address; deposits
 * still go over HTTP.
 */
import type { Libp2p } from 'libp2p'
import { P2pdvError } from '@p2pdv/core/errors'
import { decodeKeeperMessage, encodeKeeperMessage, KEEPER_PROTOCOL, MAX_KEEPER_MESSAGE_BYTES, parseKeyResponse, type KeeperInfo, type KeyRequest, type KeyResponse } from '@p2pdv/core/keys'
import { KeeperClient, KeeperClientErrorCode, type KeeperTransport } from './keeper-client.ts'

export class Libp2pKeeperClient extends KeeperClient {
  private libp2p: Promise<Libp2p> | undefined
  readonly transport: KeeperTransport

  constructor (o: { transport?: KeeperTransport, timeoutMs?: number } = {}) {
    super(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs })
    this.transport = o.transport ?? 'libp2p'
  }

  override async close (): Promise<void> {
    const p = this.libp2p
    this.libp2p = undefined
    if (p !== undefined) await (await p).stop()
  }

  // libp2p and its helpers load on first use: every `@p2pdv/sdk` import reaches this module, and
  // loading them cost each chain-only CLI command (buy, ls, access…) ~0.45 s before it did anything.
  private node (): Promise<Libp2p> {
    this.libp2p ??= import('../libp2p-client.ts').then(async m => await m.createClientHost())
    return this.libp2p
  }

  override async release (keeper: KeeperInfo, request: KeyRequest, signal?: AbortSignal): Promise<KeyResponse> {
    const hasP2p = (keeper.multiaddrs ?? []).some(a => !a.includes('/http'))
    if ((this.transport === 'http' && keeper.http !== undefined) || !hasP2p) return await super.release(keeper, request, signal)
    const addrs = (keeper.multiaddrs ?? []).filter(a => !a.includes('/http'))
    const s = this.signal(signal)
    let frame
    try {
      const [node, { peerIdFromString }, { lpStream }, { multiaddr }] = await Promise.all([
        this.node(), import('@libp2p/peer-id'), import('@libp2p/utils'), import('@multiformats/multiaddr')
      ])
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
}

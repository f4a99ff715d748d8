/**
 * Pushes blocks to nodes and verifies each signed receipt against the node's peer id (its public
 * key), the CID and the size. Two transports carry the same intake: HTTP PUT on the data plane
 * (default: no stream-encryption cost, and blocks are ciphertext checked by hash anyway), and the
 * libp2p store protocol, where one long-lived stream per node pipelines blocks back to back while
 * receipts come back in order.
 */
import type { Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { NodeClient, NodeClientErrorCode } from '@p2pdv/node-client'
import { createReceiptVerifier } from './receipts.ts'
import type { PeerInfo } from './peers.ts'
import type { StoreReceipt } from './replicated-writer.ts'
import { DEFAULT_STORE_TIMEOUT_MS, StoreClientErrorCode } from './store-errors.ts'
import type { StoreSession } from './store-session.ts'
import { ephemeralUploader, GrantBook, type Uploader } from './upload-grants.ts'

export { DEFAULT_STORE_TIMEOUT_MS, StoreClientErrorCode } from './store-errors.ts'

/** How blocks travel to nodes: HTTP PUT on the data plane (default), or the libp2p store protocol. */
export type StoreTransport = 'http' | 'libp2p'

/** Parallel PUTs per node and call on the HTTP transport. */
export const HTTP_PUT_CONCURRENCY = 4

export class StoreClient {
  /** The libp2p host, started on the first store stream (HTTP uploads never load libp2p). */
  private host: Promise<{ libp2p: Libp2p, open: typeof import('./store-session.ts').openStoreSession }> | undefined
  private readonly sessions = new Map<string, Promise<StoreSession>>()
  private readonly timeoutMs: number
  private readonly receipts = createReceiptVerifier()
  readonly transport: StoreTransport
  /** Upload grants, one per node, signed by the uploader. */
  private readonly grants: GrantBook

  private constructor (timeoutMs: number, transport: StoreTransport, uploader: Uploader | undefined) {
    this.timeoutMs = timeoutMs
    this.transport = transport
    // Without an uploader, a throw-away key signs: nodes without a chain admit it (with a quota).
    let fallback: Promise<Uploader> | undefined
    this.grants = new GrantBook(async () => uploader ?? await (fallback ??= ephemeralUploader()))
  }

  /** `uploader`: who signs the upload grants (default: a throw-away Ed25519 key). */
  static async create (options: { timeoutMs?: number, transport?: StoreTransport, uploader?: Uploader } = {}): Promise<StoreClient> {
    return new StoreClient(options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, options.transport ?? 'http', options.uploader)
  }

  async close (): Promise<void> {
    const sessions = await Promise.allSettled([...this.sessions.values()])
    await Promise.all(sessions.map(async s => { if (s.status === 'fulfilled') await s.value.close() }))
    const host = await this.host?.catch(() => undefined)
    await host?.libp2p.stop()
  }

  private async libp2pHost (): Promise<{ libp2p: Libp2p, open: typeof import('./store-session.ts').openStoreSession }> {
    this.host ??= (async () => {
      const [m, { createClientHost }] = await Promise.all([import('./store-session.ts'), import('./libp2p-client.ts')])
      return { libp2p: await createClientHost(), open: m.openStoreSession }
    })()
    return await this.host
  }

  private async session (peer: PeerInfo, signal?: AbortSignal): Promise<StoreSession> {
    const existing = this.sessions.get(peer.peerId)
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined)
      if (s !== undefined && !s.broken) return s
    }
    const opening = (async () => {
      const addr = peer.multiaddrs.find(a => !a.includes('/http'))
      if (addr === undefined) throw new P2pdvError(StoreClientErrorCode.UNREACHABLE, `node ${peer.peerId} has no libp2p address`)
      const dialSignal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(signal === undefined ? [] : [signal])])
      const host = await this.libp2pHost()
      try {
        return await host.open(host.libp2p, peer, addr, { timeoutMs: this.timeoutMs, receipts: this.receipts, signal: dialSignal })
      } catch (cause) {
        throw new P2pdvError(StoreClientErrorCode.UNREACHABLE, `cannot open a store stream to ${peer.peerId}`, { hint: 'Is the node running?', cause })
      }
    })()
    this.sessions.set(peer.peerId, opening)
    return await opening
  }

  /** Stores `blocks` on `peer`; resolves with one verified receipt per block, in order. */
  async storeBlocks (peer: PeerInfo, blocks: Array<{ cid: CID, bytes: Uint8Array }>, opts: { signal?: AbortSignal } = {}): Promise<StoreReceipt[]> {
    if (this.transport === 'http' && peer.http !== '') return await this.putOverHttp(peer, blocks, opts.signal)
    const session = await this.session(peer, opts.signal)
    return await session.store(blocks, opts.signal, async size => (await this.grants.forNode(peer.peerId, size)).bytes)
  }

  private async putOverHttp (peer: PeerInfo, blocks: Array<{ cid: CID, bytes: Uint8Array }>, signal?: AbortSignal): Promise<StoreReceipt[]> {
    const out: StoreReceipt[] = new Array(blocks.length)
    const node = new NodeClient(peer.http, { peerId: peer.peerId, receipts: this.receipts, timeoutMs: this.timeoutMs })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < blocks.length) {
        const i = next++
        const b = blocks[i]!
        const grant = await this.grants.forNode(peer.peerId, b.bytes.byteLength)
        try {
          out[i] = await node.putBlock(b.cid, b.bytes, { authorization: grant.authorization, ...(signal === undefined ? {} : { signal }) })
        } catch (cause) {
          // A refusal or a bad receipt is the node's answer; anything else means it could not be reached.
          if (isP2pdvError(cause, NodeClientErrorCode.REFUSED) || isP2pdvError(cause, NodeClientErrorCode.BAD_RECEIPT)) throw cause
          throw new P2pdvError(StoreClientErrorCode.UNREACHABLE, `cannot reach node ${peer.peerId} at ${peer.http}`, { hint: 'Is the node running?', cause })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(HTTP_PUT_CONCURRENCY, blocks.length) }, worker))
    return out
  }
}

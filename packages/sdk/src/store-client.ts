/**
 * Client side of the store protocol: a dial-only libp2p host (TCP, Noise, Yamux) that pushes
 * batches of blocks to a node over one stream and verifies each signed receipt against the node's
 * peer id (its public key), the CID and the size.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { decodeStoreResponse, encodeStoreHeader, MAX_STORE_MESSAGE_BYTES, receiptPayload, STORE_PROTOCOL } from '@p2pdv/core/wire'
import type { PeerInfo } from './peers.ts'
import type { StoreReceipt } from './replicated-writer.ts'

export const StoreClientErrorCode = {
  REFUSED: 'ERR_STORE_REFUSED',
  BAD_RECEIPT: 'ERR_BAD_RECEIPT',
  UNREACHABLE: 'ERR_NODE_UNREACHABLE'
} as const

export const DEFAULT_STORE_TIMEOUT_MS = 30_000

export class StoreClient {
  private readonly libp2p: Libp2p

  private constructor (libp2p: Libp2p) { this.libp2p = libp2p }

  static async create (): Promise<StoreClient> {
    const libp2p = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() }
    })
    return new StoreClient(libp2p)
  }

  async close (): Promise<void> {
    await this.libp2p.stop()
  }

  /** Stores `blocks` on `peer`; resolves with one verified receipt per block, in order. */
  async storeBlocks (peer: PeerInfo, blocks: Array<{ cid: CID, bytes: Uint8Array }>, opts: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<StoreReceipt[]> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS)
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout])
    const addr = peer.multiaddrs.find(a => !a.includes('/http'))
    if (addr === undefined) throw new P2pdvError(StoreClientErrorCode.UNREACHABLE, `node ${peer.peerId} has no libp2p address`)
    let stream
    try {
      stream = await this.libp2p.dialProtocol(multiaddr(addr), STORE_PROTOCOL, { signal })
    } catch (cause) {
      throw new P2pdvError(StoreClientErrorCode.UNREACHABLE, `cannot open a store stream to ${peer.peerId}`, { hint: 'Is the node running?', cause })
    }
    const lp = lpStream(stream, { maxDataLength: Math.max(MAX_BLOCK_BYTES, MAX_STORE_MESSAGE_BYTES) })
    const nodeKey = peerIdFromString(peer.peerId).publicKey
    try {
      // Write everything, then read the answers: yamux flow control keeps memory bounded.
      const writing = (async () => {
        for (const b of blocks) {
          await lp.writeV([encodeStoreHeader({ cid: b.cid, size: b.bytes.byteLength }), b.bytes], { signal })
        }
      })()
      // Surface a write failure through the reads below (or the final await), never unhandled.
      writing.catch(() => {})
      const receipts: StoreReceipt[] = []
      for (const b of blocks) {
        const res = decodeStoreResponse((await lp.read({ signal })).subarray())
        if (!res.ok) {
          throw new P2pdvError(StoreClientErrorCode.REFUSED, `node ${peer.peerId} refused block ${b.cid.toString()}: ${res.message} [${res.code}]`, { details: { code: res.code } })
        }
        const r = res.receipt
        const valid = r.peer === peer.peerId && r.cid.equals(b.cid) && r.size === b.bytes.byteLength &&
          nodeKey !== undefined && await nodeKey.verify(receiptPayload(r), r.sig)
        if (!valid) throw new P2pdvError(StoreClientErrorCode.BAD_RECEIPT, `node ${peer.peerId} returned an invalid receipt for ${b.cid.toString()}`)
        receipts.push({ peer: r.peer, cid: r.cid.toString(), size: r.size, time: r.time })
      }
      await writing
      await stream.close({ signal })
      return receipts
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }
}

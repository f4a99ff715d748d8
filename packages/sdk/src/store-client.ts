/**
 * Pushes blocks to nodes and verifies each signed receipt against the node's peer id (its public
 * key), the CID and the size. Two transports carry the same intake: HTTP PUT on the data plane
 * (default: no stream-encryption cost, and blocks are ciphertext checked by hash anyway), and the
 * libp2p store protocol, where one long-lived stream per node pipelines blocks back to back while
 * receipts come back in order.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { parseCid } from '@p2pdv/core'
import { decodeStoreResponse, encodeStoreHeader, MAX_STORE_MESSAGE_BYTES, receiptPayload, STORE_PROTOCOL } from '@p2pdv/core/wire'
import { putBytes, type PutResponse } from './node-http.ts'
import { ReceiptVerifier } from './receipt-verifier.ts'
import type { PeerInfo } from './peers.ts'
import type { StoreReceipt } from './replicated-writer.ts'

export const StoreClientErrorCode = {
  REFUSED: 'ERR_STORE_REFUSED',
  BAD_RECEIPT: 'ERR_BAD_RECEIPT',
  UNREACHABLE: 'ERR_NODE_UNREACHABLE',
  TIMEOUT: 'ERR_STORE_TIMEOUT'
} as const

/** A receipt that takes longer than this to arrive fails the session. */
export const DEFAULT_STORE_TIMEOUT_MS = 30_000

interface Waiting {
  cid: CID
  size: number
  resolve: (r: StoreReceipt) => void
  reject: (err: unknown) => void
}

/** One pipelined store stream to one node. */
class StoreSession {
  private readonly peer: PeerInfo
  private readonly stream: Stream
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly waiting: Waiting[] = []
  private writeChain: Promise<void> = Promise.resolve()
  private failure: unknown
  private closed = false
  private wake: (() => void) | undefined
  private readonly timeoutMs: number
  private readonly receipts: ReceiptVerifier

  constructor (peer: PeerInfo, stream: Stream, timeoutMs: number, receipts: ReceiptVerifier) {
    this.peer = peer
    this.receipts = receipts
    this.stream = stream
    this.timeoutMs = timeoutMs
    this.lp = lpStream(stream, { maxDataLength: MAX_STORE_MESSAGE_BYTES })
    // A node closes idle sessions; a closed session is never reused.
    const closed = (): void => { this.fail(new P2pdvError(StoreClientErrorCode.UNREACHABLE, `node ${peer.peerId} closed the store stream`)) }
    stream.addEventListener('remoteCloseWrite', closed)
    stream.addEventListener('close', closed)
    void this.readLoop()
  }

  get broken (): boolean { return this.failure !== undefined }

  async store (blocks: Array<{ cid: CID, bytes: Uint8Array }>, signal?: AbortSignal): Promise<StoreReceipt[]> {
    if (this.failure !== undefined) throw this.failure
    const receipts = blocks.map(b => new Promise<StoreReceipt>((resolve, reject) => {
      this.writeChain = this.writeChain.then(async () => {
        if (this.failure !== undefined) { reject(this.failure); return }
        this.waiting.push({ cid: b.cid, size: b.bytes.byteLength, resolve, reject })
        this.notify()
        await this.lp.writeV([encodeStoreHeader({ cid: b.cid, size: b.bytes.byteLength }), b.bytes], signal === undefined ? {} : { signal })
      }).catch(err => { this.fail(err) })
    }))
    return await Promise.all(receipts)
  }

  async close (): Promise<void> {
    await this.writeChain
    this.closed = true
    this.notify()
    await this.stream.close().catch(() => {})
  }

  private notify (): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  private fail (err: unknown): void {
    if (this.failure !== undefined) return
    this.failure = err instanceof P2pdvError
      ? err
      : new P2pdvError(StoreClientErrorCode.UNREACHABLE, `store stream to ${this.peer.peerId} failed: ${(err as Error).message}`, { cause: err })
    for (const w of this.waiting.splice(0)) w.reject(this.failure)
    this.stream.abort(err instanceof Error ? err : new Error(String(err)))
  }

  private async readLoop (): Promise<void> {
    try {
      while (this.failure === undefined) {
        // Read only while something is outstanding; each reply must come within the timeout.
        if (this.waiting.length === 0) {
          if (this.closed) return
          await new Promise<void>(resolve => { this.wake = resolve })
          continue
        }
        const signal = AbortSignal.timeout(this.timeoutMs)
        let frame
        try {
          frame = await this.lp.read({ signal })
        } catch (err) {
          if (signal.aborted) throw new P2pdvError(StoreClientErrorCode.TIMEOUT, `node ${this.peer.peerId} sent no receipt within ${this.timeoutMs / 1000} s`)
          throw err
        }
        const res = decodeStoreResponse(frame.subarray())
        const w = this.waiting.shift()
        if (w === undefined) throw new P2pdvError(StoreClientErrorCode.BAD_RECEIPT, 'a receipt arrived for no block')
        if (!res.ok) {
          throw new P2pdvError(StoreClientErrorCode.REFUSED, `node ${this.peer.peerId} refused block ${w.cid.toString()}: ${res.message} [${res.code}]`, { details: { code: res.code } })
        }
        w.resolve(await verifyReceipt(this.receipts, this.peer, res.receipt, w.cid, w.size))
      }
    } catch (err) {
      this.fail(err)
    }
  }
}

/** How blocks travel to nodes: HTTP PUT on the data plane (default), or the libp2p store protocol. */
export type StoreTransport = 'http' | 'libp2p'

/** Parallel PUTs per node and call on the HTTP transport. */
export const HTTP_PUT_CONCURRENCY = 4

async function verifyReceipt (verifier: ReceiptVerifier, peer: PeerInfo, r: { peer: string, cid: CID, size: number, time: number, sig: Uint8Array }, cid: CID, size: number): Promise<StoreReceipt> {
  const valid = r.peer === peer.peerId && r.cid.equals(cid) && r.size === size && await verifier.verify(peer.peerId, receiptPayload(r), r.sig)
  if (!valid) throw new P2pdvError(StoreClientErrorCode.BAD_RECEIPT, `node ${peer.peerId} returned an invalid receipt for ${cid.toString()}`)
  return { peer: r.peer, cid: r.cid.toString(), size: r.size, time: r.time }
}

export class StoreClient {
  private readonly libp2p: Libp2p
  private readonly sessions = new Map<string, Promise<StoreSession>>()
  private readonly timeoutMs: number
  private readonly receipts = new ReceiptVerifier()
  readonly transport: StoreTransport

  private constructor (libp2p: Libp2p, timeoutMs: number, transport: StoreTransport) {
    this.libp2p = libp2p
    this.timeoutMs = timeoutMs
    this.transport = transport
  }

  static async create (options: { timeoutMs?: number, transport?: StoreTransport } = {}): Promise<StoreClient> {
    const libp2p = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() }
    })
    return new StoreClient(libp2p, options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, options.transport ?? 'http')
  }

  async close (): Promise<void> {
    const sessions = await Promise.allSettled([...this.sessions.values()])
    await Promise.all(sessions.map(async s => { if (s.status === 'fulfilled') await s.value.close() }))
    await this.libp2p.stop()
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
      try {
        return new StoreSession(peer, await this.libp2p.dialProtocol(multiaddr(addr), STORE_PROTOCOL, { signal: dialSignal }), this.timeoutMs, this.receipts)
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
    return await session.store(blocks, opts.signal)
  }

  private async putOverHttp (peer: PeerInfo, blocks: Array<{ cid: CID, bytes: Uint8Array }>, signal?: AbortSignal): Promise<StoreReceipt[]> {
    const out: StoreReceipt[] = new Array(blocks.length)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < blocks.length) {
        const i = next++
        const b = blocks[i]!
        const timeout = AbortSignal.timeout(this.timeoutMs)
        let res: PutResponse
        try {
          res = await putBytes(`${peer.http}/ipfs/${b.cid.toString()}`, b.bytes, 'application/vnd.ipld.raw', signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
        } catch (cause) {
          throw new P2pdvError(StoreClientErrorCode.UNREACHABLE, `cannot reach node ${peer.peerId} at ${peer.http}`, { hint: 'Is the node running?', cause })
        }
        const body = parseJson(res.body) as { receipt?: { peer?: unknown, cid?: unknown, size?: unknown, time?: unknown, sig?: unknown }, code?: unknown, message?: unknown }
        if (res.status !== 201 || body.receipt === undefined) {
          const code = typeof body.code === 'string' ? body.code : `ERR_HTTP_${res.status}`
          throw new P2pdvError(StoreClientErrorCode.REFUSED, `node ${peer.peerId} refused block ${b.cid.toString()}: ${String(body.message ?? `HTTP ${res.status}`)} [${code}]`, { details: { code } })
        }
        const r = body.receipt
        if (typeof r.peer !== 'string' || typeof r.cid !== 'string' || typeof r.size !== 'number' || typeof r.time !== 'number' || typeof r.sig !== 'string' || r.sig.length > 512) {
          throw new P2pdvError(StoreClientErrorCode.BAD_RECEIPT, `node ${peer.peerId} returned a malformed receipt`)
        }
        out[i] = await verifyReceipt(this.receipts, peer, { peer: r.peer, cid: parseCid(r.cid), size: r.size, time: r.time, sig: new Uint8Array(Buffer.from(r.sig, 'base64')) }, b.cid, b.bytes.byteLength)
      }
    }
    await Promise.all(Array.from({ length: Math.min(HTTP_PUT_CONCURRENCY, blocks.length) }, worker))
    return out
  }
}

function parseJson (text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null ? v as Record<string, unknown> : {}
  } catch {
    return {}
  }
}

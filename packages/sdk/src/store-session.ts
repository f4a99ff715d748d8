/**
 * The libp2p side of uploads: one pipelined `/p2pdv/store/1.0.0` stream per node (over the client
 * host of libp2p-client.ts), where blocks go back to back while receipts come
 * back in order. Loaded only when an upload asks for the libp2p transport.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { P2pdvError } from '@p2pdv/core/errors'
import { decodeStoreResponse, encodeStoreHeader, MAX_STORE_MESSAGE_BYTES, STORE_PROTOCOL } from '@p2pdv/core/wire'
import type { PeerInfo } from './peers.ts'
import type { ReceiptVerifier } from '@p2pdv/node-client/receipts'
import type { StoreReceipt } from './replicated-writer.ts'
import { StoreClientErrorCode } from './store-errors.ts'

export async function openStoreSession (libp2p: Libp2p, peer: PeerInfo, addr: string, opts: { timeoutMs: number, receipts: ReceiptVerifier, signal: AbortSignal }): Promise<StoreSession> {
  return new StoreSession(peer, await libp2p.dialProtocol(multiaddr(addr), STORE_PROTOCOL, { signal: opts.signal }), opts.timeoutMs, opts.receipts)
}

interface Waiting {
  cid: CID
  size: number
  resolve: (r: StoreReceipt) => void
  reject: (err: unknown) => void
}

/** One pipelined store stream to one node. */
export class StoreSession {
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
  /** The grant the node last received on this stream (a header repeats it only when it changes). */
  private lastGrant: Uint8Array | undefined

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

  /** `grant`: the encoded upload grant to charge `size` more bytes to (upload-grants.ts). */
  async store (blocks: Array<{ cid: CID, bytes: Uint8Array }>, signal: AbortSignal | undefined, grant: (size: number) => Promise<Uint8Array>): Promise<StoreReceipt[]> {
    if (this.failure !== undefined) throw this.failure
    const receipts = blocks.map(b => new Promise<StoreReceipt>((resolve, reject) => {
      this.writeChain = this.writeChain.then(async () => {
        if (this.failure !== undefined) { reject(this.failure); return }
        const g = await grant(b.bytes.byteLength)
        const fresh = g === this.lastGrant ? undefined : g
        this.lastGrant = g
        this.waiting.push({ cid: b.cid, size: b.bytes.byteLength, resolve, reject })
        this.notify()
        await this.lp.writeV([encodeStoreHeader({ cid: b.cid, size: b.bytes.byteLength, ...(fresh === undefined ? {} : { grant: fresh }) }), b.bytes], signal === undefined ? {} : { signal })
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
        w.resolve(await this.receipts.check(this.peer.peerId, res.receipt, w.cid, w.size))
      }
    } catch (err) {
      this.fail(err)
    }
  }
}


/**
 * Server side of `/p2pdv/store/1.0.0` (wire format in @p2pdv/core/wire): reads header + block
 * frames, checks each header against the limits before reading its block, verifies the hash,
 * persists atomically, and answers each with a signed receipt or a refusal code.
 */
import type { PrivateKey, Stream } from '@libp2p/interface'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import {
  decodeStoreHeader, encodeStoreResponse, MAX_STORE_MESSAGE_BYTES, receiptPayload, StoreRefusal, type StoreResponse
} from '@p2pdv/core/wire'
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { NodeMetrics } from './metrics.ts'
import type { VerifiedBlockstore } from './verified-blockstore.ts'
import { FrameReader } from './frame-reader.ts'

export interface StoreHandlerDeps {
  peerId: string
  privateKey: PrivateKey
  blockstore: VerifiedBlockstore
  quotaBytes: number
  idleTimeoutMs: number
  metrics: NodeMetrics
  log: Logger
  /** Called after a block is stored (the node announces it on the DHT). */
  onStored: (cid: import('multiformats/cid').CID) => void
}

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

function writeVarint (out: Uint8Array, n: number): void {
  let i = 0
  while (n >= 0x80) { out[i++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128) }
  out[i] = n
}

function refuse (code: string, message: string): StoreResponse {
  return { v: 1, ok: false, code, message }
}

export function createStoreHandler (deps: StoreHandlerDeps) {
  return async (stream: Stream): Promise<void> => {
    const frames = new FrameReader(stream)
    const reply = async (r: StoreResponse, result: string): Promise<void> => {
      deps.metrics.storeRequests.inc({ result })
      const body = encodeStoreResponse(r)
      const frame = new Uint8Array(varintLength(body.byteLength) + body.byteLength)
      writeVarint(frame, body.byteLength)
      frame.set(body, frame.byteLength - body.byteLength)
      if (!stream.send(frame)) await stream.onDrain()
    }
    try {
      while (true) {
        const signal = AbortSignal.timeout(deps.idleTimeoutMs)
        let headerBytes: Uint8Array | undefined
        try {
          headerBytes = await frames.read(MAX_STORE_MESSAGE_BYTES, signal)
        } catch (err) {
          const code = err instanceof P2pdvError ? err.code : 'ERR_WIRE_MALFORMED'
          await reply(refuse(code, (err as Error).message), code)
          break
        }
        // A clean end of the client's stream between frames is how a session finishes.
        if (headerBytes === undefined) break
        let header
        try {
          header = decodeStoreHeader(headerBytes)
        } catch (err) {
          const code = err instanceof P2pdvError ? err.code : 'ERR_WIRE_MALFORMED'
          await reply(refuse(code, (err as Error).message), code)
          break
        }
        if (header.size > MAX_BLOCK_BYTES) {
          await reply(refuse(StoreRefusal.TOO_LARGE, `blocks are at most ${MAX_BLOCK_BYTES} bytes; this one claims ${header.size}`), StoreRefusal.TOO_LARGE)
          break // the body that follows is not read: the stream ends here
        }
        const body = await frames.read(MAX_BLOCK_BYTES, signal)
        if (body === undefined) throw new P2pdvError('ERR_FRAME_TRUNCATED', 'stream ended before the block')
        if (body.byteLength !== header.size) {
          await reply(refuse(StoreRefusal.SIZE_MISMATCH, `header announced ${header.size} bytes, ${body.byteLength} arrived`), StoreRefusal.SIZE_MISMATCH)
          continue
        }
        if (!createHash('sha256').update(body).digest().equals(header.cid.multihash.digest)) {
          deps.log.warn({ cid: header.cid.toString(), remote: stream.id }, 'refused a block whose bytes do not match its CID')
          await reply(refuse(StoreRefusal.HASH_MISMATCH, `the block does not hash to ${header.cid.toString()}`), StoreRefusal.HASH_MISMATCH)
          continue
        }
        const already = await deps.blockstore.has(header.cid)
        if (!already && deps.blockstore.bytes + body.byteLength > deps.quotaBytes) {
          await reply(refuse(StoreRefusal.QUOTA, `this node's quota of ${deps.quotaBytes} bytes is full`), StoreRefusal.QUOTA)
          continue
        }
        try {
          await deps.blockstore.put(header.cid, body)
        } catch (err) {
          deps.log.error({ err, cid: header.cid.toString() }, 'could not persist a block')
          await reply(refuse(StoreRefusal.INTERNAL, 'the node could not write the block'), StoreRefusal.INTERNAL)
          continue
        }
        const unsigned = { peer: deps.peerId, cid: header.cid, size: body.byteLength, time: Date.now() }
        const sig = await deps.privateKey.sign(receiptPayload(unsigned))
        await reply({ v: 1, ok: true, receipt: { ...unsigned, sig } }, 'ok')
        if (!already) deps.onStored(header.cid)
      }
      await stream.close()
    } catch (err) {
      deps.log.debug({ err }, 'store stream ended with an error')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

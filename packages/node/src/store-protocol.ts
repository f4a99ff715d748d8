/**
 * Server side of `/p2pdv/store/1.0.0` (wire format in @p2pdv/core/wire): reads header + block
 * frames, checks each header against the limits before reading its block, verifies the hash,
 * persists atomically, and answers each with a signed receipt or a refusal code.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { GrantErrorCode } from '@p2pdv/core/grants'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { decodeStoreHeader, encodeStoreResponse, MAX_STORE_MESSAGE_BYTES, StoreRefusal } from '@p2pdv/core/wire'
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import type { BlockIntake, Outcome } from './block-intake.ts'
import { FrameErrorCode, FrameReader } from './frame-reader.ts'
import type { UploadSession } from './upload-gate.ts'

export interface StoreHandlerDeps {
  idleTimeoutMs: number
  log: Logger
  /** Admits a stream by the grant of its first header (UploadGate.admit); `source`: the remote peer. */
  admit: (grant: Uint8Array | undefined, source: string) => Promise<UploadSession>
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


/** Blocks of one stream being verified and written at once; replies still go out in order. */
export const STORE_PIPELINE_DEPTH = 8

export function createStoreHandler (deps: StoreHandlerDeps, intake: BlockIntake) {
  const persist = async (cid: CID, body: Uint8Array, session: UploadSession): Promise<Outcome> => await intake.accept(cid, body, undefined, session)

  return async (stream: Stream, connection?: Connection): Promise<void> => {
    const frames = new FrameReader(stream)
    const source = connection?.remotePeer.toString() ?? ''
    // The stream's grant: checked once, charged for every block (a header may switch to another).
    let session: UploadSession | undefined
    let sessionGrant: Uint8Array | undefined
    const pending: Array<Promise<Outcome>> = []
    const send = async (o: Outcome): Promise<void> => {
      const body = encodeStoreResponse(o.response)
      const frame = new Uint8Array(varintLength(body.byteLength) + body.byteLength)
      writeVarint(frame, body.byteLength)
      frame.set(body, frame.byteLength - body.byteLength)
      if (!stream.send(frame)) await stream.onDrain()
    }
    // The responder sends each outcome as soon as it and all before it are ready.
    let inFlight = 0
    let slotFree: (() => void) | undefined
    let replies: Promise<void> = Promise.resolve()
    const enqueue = (outcome: Promise<Outcome>): void => {
      inFlight++
      pending.push(outcome)
      replies = replies.then(async () => {
        const o = await pending.shift()!
        await send(o)
        inFlight--
        const f = slotFree
        slotFree = undefined
        f?.()
      })
    }
    const waitForSlot = async (): Promise<void> => {
      while (inFlight >= STORE_PIPELINE_DEPTH) await new Promise<void>(resolve => { slotFree = resolve })
    }
    const fail = (code: string, message: string): Outcome => intake.refusal(code, message)
    try {
      while (true) {
        await waitForSlot()
        const signal = AbortSignal.timeout(deps.idleTimeoutMs)
        let headerBytes: Uint8Array | undefined
        try {
          headerBytes = await frames.read(MAX_STORE_MESSAGE_BYTES, signal)
        } catch (err) {
          // Idle between blocks: close quietly, it refuses nothing (the client reopens).
          if (err instanceof P2pdvError && err.code === FrameErrorCode.TIMEOUT) break
          const code = err instanceof P2pdvError ? err.code : 'ERR_WIRE_MALFORMED'
          enqueue(Promise.resolve(fail(code, (err as Error).message)))
          break
        }
        // A clean end of the client's stream between frames is how a session finishes.
        if (headerBytes === undefined) break
        let header
        try {
          header = decodeStoreHeader(headerBytes)
        } catch (err) {
          const code = err instanceof P2pdvError ? err.code : 'ERR_WIRE_MALFORMED'
          enqueue(Promise.resolve(fail(code, (err as Error).message)))
          break
        }
        if (header.size > MAX_BLOCK_BYTES) {
          // The body that follows is never read: the stream ends after this reply.
          enqueue(Promise.resolve(fail(StoreRefusal.TOO_LARGE, `blocks are at most ${MAX_BLOCK_BYTES} bytes; this one claims ${header.size}`)))
          break
        }
        if (header.grant !== undefined && (sessionGrant === undefined || !Buffer.from(header.grant).equals(Buffer.from(sessionGrant)))) {
          try {
            session = await deps.admit(header.grant, source)
            sessionGrant = header.grant
          } catch (err) {
            // The block that follows is never read: the stream ends after this reply.
            const e = isP2pdvError(err) ? err : new P2pdvError(GrantErrorCode.MALFORMED, 'unreadable upload grant')
            enqueue(Promise.resolve(fail(e.code, e.message)))
            break
          }
        }
        if (session === undefined) {
          enqueue(Promise.resolve(fail(GrantErrorCode.MISSING, 'the first header of a store stream must carry an upload grant')))
          break
        }
        const body = await frames.read(MAX_BLOCK_BYTES, signal)
        if (body === undefined) throw new P2pdvError('ERR_FRAME_TRUNCATED', 'stream ended before the block')
        if (body.byteLength !== header.size) {
          enqueue(Promise.resolve(fail(StoreRefusal.SIZE_MISMATCH, `header announced ${header.size} bytes, ${body.byteLength} arrived`)))
          continue
        }
        enqueue(persist(header.cid, body, session))
      }
      await replies
      await stream.close()
    } catch (err) {
      deps.log.debug({ err }, 'store stream ended with an error')
      await Promise.allSettled(pending)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

/**
 * The keeper over libp2p, `/p2pdv/keeper/1.0.0`: one request per stream.
 *
 *   viewer → keeper:  lp(DAG-CBOR KeyRequest)      (≤ MAX_KEEPER_MESSAGE_BYTES)
 *   keeper → viewer:  lp(DAG-CBOR KeyResponse), then the keeper closes the stream
 *
 * The same `Keeper.release` answers as on HTTP. A frame that is too large, malformed or late gets a
 * refusal (or, when even the length prefix is bad, the stream is reset).
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Logger } from 'pino'
import { decodeKeeperMessage, encodeKeeperMessage, KeeperWireErrorCode, MAX_KEEPER_MESSAGE_BYTES, type KeyResponse } from '@p2pdv/core/keys'
import type { Keeper } from './keeper.ts'

export const KEEPER_STREAM_TIMEOUT_MS = 10_000

export function createKeeperHandler (keeper: Keeper, log: Logger) {
  return async (stream: Stream, connection?: { remotePeer: { toString: () => string } }): Promise<void> => {
    const lp = lpStream(stream, { maxDataLength: MAX_KEEPER_MESSAGE_BYTES })
    const signal = AbortSignal.timeout(KEEPER_STREAM_TIMEOUT_MS)
    try {
      let response: KeyResponse
      let frame
      try {
        frame = await lp.read({ signal })
      } catch (err) {
        if (signal.aborted) throw err
        response = { v: 1, ok: false, code: KeeperWireErrorCode.MALFORMED, message: `send one length-prefixed request of at most ${MAX_KEEPER_MESSAGE_BYTES} bytes` }
        await lp.write(encodeKeeperMessage(response), { signal })
        await stream.close({ signal })
        return
      }
      let body: unknown
      try {
        body = decodeKeeperMessage(frame.subarray())
      } catch (err) {
        body = undefined
        response = { v: 1, ok: false, code: KeeperWireErrorCode.MALFORMED, message: (err as Error).message }
        await lp.write(encodeKeeperMessage(response), { signal })
        await stream.close({ signal })
        return
      }
      response = (await keeper.release(body, connection === undefined ? undefined : `peer:${connection.remotePeer.toString()}`)).body
      await lp.write(encodeKeeperMessage(response), { signal })
      await stream.close({ signal })
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'keeper stream ended with an error')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

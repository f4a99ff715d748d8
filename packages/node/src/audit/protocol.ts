/**
 * Server side of `/p2pdv/audit/1.0.0`: one challenge per stream, `lp(challenge)` in,
 * `lp(response)` out, then the stream closes. Frame errors are answered with a coded refusal.
 */
import type { Stream } from '@libp2p/interface'
import { isP2pdvError } from '@p2pdv/core/errors'
import { encodeAuditResponse, MAX_AUDIT_MESSAGE_BYTES, WireErrorCode } from '@p2pdv/core/wire'
import type { Logger } from 'pino'
import { FrameErrorCode, FrameReader, lengthPrefixed } from '../frame-reader.ts'
import type { AuditResponder } from './responder.ts'

/** A challenge must arrive this soon after the stream opens. */
export const AUDIT_READ_TIMEOUT_MS = 10_000

export function createAuditHandler (responder: AuditResponder, log: Logger) {
  return async (stream: Stream): Promise<void> => {
    try {
      let reply: Uint8Array
      try {
        const frame = await new FrameReader(stream).read(MAX_AUDIT_MESSAGE_BYTES, AbortSignal.timeout(AUDIT_READ_TIMEOUT_MS))
        if (frame === undefined) { await stream.close(); return }
        reply = (await responder.answer(frame)).body
      } catch (err) {
        const code = isP2pdvError(err) ? err.code : WireErrorCode.MALFORMED
        if (code === FrameErrorCode.TIMEOUT) { stream.abort(new Error('no challenge in time')); return }
        reply = encodeAuditResponse({ v: 1, ok: false, code, message: (err as Error).message })
      }
      if (!stream.send(lengthPrefixed(reply))) await stream.onDrain({ signal: AbortSignal.timeout(AUDIT_READ_TIMEOUT_MS) })
      await stream.close()
    } catch (err) {
      log.debug({ err }, 'audit stream ended with an error')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

/**
 * Reads length-prefixed frames (unsigned varint length, then that many bytes) from a libp2p
 * stream with real back-pressure: above `highWater` buffered bytes the stream is paused, which
 * stops yamux window updates, so a fast sender waits instead of overflowing the node's memory.
 * A frame's length is checked against the caller's limit as soon as its prefix arrives, before
 * any of its body is buffered beyond the window.
 */
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { P2pdvError } from '@p2pdv/core/errors'

export const FrameErrorCode = {
  TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  TRUNCATED: 'ERR_FRAME_TRUNCATED',
  BAD_VARINT: 'ERR_FRAME_BAD_LENGTH',
  TIMEOUT: 'ERR_FRAME_TIMEOUT'
} as const

const MAX_VARINT_BYTES = 5

/** Decodes an unsigned varint at the start of `buf`: [value, bytes used], or undefined if incomplete. */
export function readVarint (buf: Uint8ArrayList): [number, number] | undefined {
  let value = 0
  for (let i = 0; i < Math.min(buf.byteLength, MAX_VARINT_BYTES); i++) {
    const b = buf.get(i)
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) throw new P2pdvError(FrameErrorCode.BAD_VARINT, 'non-minimal length prefix')
      return [value, i + 1]
    }
  }
  if (buf.byteLength >= MAX_VARINT_BYTES) throw new P2pdvError(FrameErrorCode.BAD_VARINT, 'length prefix longer than 5 bytes')
  return undefined
}

export class FrameReader {
  private readonly stream: Stream
  private readonly buf = new Uint8ArrayList()
  private readonly highWater: number
  private readonly lowWater: number
  private ended = false
  private failure: Error | undefined
  private wake: (() => void) | undefined

  constructor (stream: Stream, highWater = 4 * 1024 * 1024, lowWater = 1024 * 1024) {
    this.stream = stream
    this.highWater = highWater
    this.lowWater = lowWater
    stream.addEventListener('message', evt => {
      this.buf.append(evt.data)
      if (this.buf.byteLength > this.highWater && stream.readStatus === 'readable') stream.pause()
      this.notify()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.ended = true; this.notify() })
    stream.addEventListener('close', evt => { this.ended = true; this.failure = evt.error; this.notify() })
    // A short sender may have sent everything and closed before this reader was attached: the
    // event is gone, the status remains.
    if (stream.remoteWriteStatus !== 'writable') this.ended = true
  }

  private notify (): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  /** The next frame, or undefined when the sender closed cleanly between frames. */
  async read (maxLength: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
    while (true) {
      const prefix = readVarint(this.buf)
      if (prefix !== undefined) {
        const [length, used] = prefix
        if (length > maxLength) throw new P2pdvError(FrameErrorCode.TOO_LARGE, `frame of ${length} bytes exceeds the ${maxLength}-byte limit`)
        if (this.buf.byteLength >= used + length) {
          const frame = this.buf.subarray(used, used + length)
          this.buf.consume(used + length)
          if (this.stream.readStatus === 'paused' && this.buf.byteLength < this.lowWater) this.stream.resume()
          return frame
        }
      }
      if (this.failure !== undefined) throw this.failure
      if (this.ended) {
        if (this.buf.byteLength === 0) return undefined
        throw new P2pdvError(FrameErrorCode.TRUNCATED, 'stream ended in the middle of a frame')
      }
      if (this.stream.readStatus === 'paused') this.stream.resume()
      if (signal.aborted) throw new P2pdvError(FrameErrorCode.TIMEOUT, 'no data within the idle timeout')
      await new Promise<void>(resolve => {
        this.wake = resolve
        signal.addEventListener('abort', () => resolve(), { once: true })
      })
    }
  }
}

/** `body` with its unsigned-varint length prefix, ready to send. */
export function lengthPrefixed (body: Uint8Array): Uint8Array {
  let n = body.byteLength
  const prefix: number[] = []
  while (n >= 0x80) { prefix.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  prefix.push(n)
  const out = new Uint8Array(prefix.length + body.byteLength)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

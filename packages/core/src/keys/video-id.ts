/**
 * On chain a video is named by a `bytes32` its creator picks. Off chain it travels as a
 * lowercase `0x`-prefixed hex string (how viem and wallets show bytes32) and is bound, as bytes,
 * into every envelope, share and key request about it.
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js'
import { P2pdvError } from '../errors.ts'

export type Hex = `0x${string}`
export type VideoId = Hex

export const VIDEO_ID_BYTES = 32
const VIDEO_ID = /^0x[0-9a-f]{64}$/

export function generateVideoId (): VideoId {
  return `0x${bytesToHex(randomBytes(VIDEO_ID_BYTES))}`
}

export function isVideoId (v: unknown): v is VideoId {
  return typeof v === 'string' && VIDEO_ID.test(v)
}

export function parseVideoId (text: string): VideoId {
  const s = text.trim().toLowerCase()
  const v = s.startsWith('0x') ? s : `0x${s}`
  if (!isVideoId(v)) {
    throw new P2pdvError('ERR_BAD_VIDEO_ID', 'a video id is 32 bytes as 64 hex digits (0x…)', {
      hint: 'Copy the id from `p2pdv ls` or from the watch link (p2pdv://video/0x…).'
    })
  }
  return v
}

export function videoIdBytes (id: VideoId): Uint8Array {
  return hexToBytes(parseVideoId(id).slice(2))
}

export function videoIdFromBytes (b: Uint8Array): VideoId {
  if (b.byteLength !== VIDEO_ID_BYTES) throw new P2pdvError('ERR_BAD_VIDEO_ID', 'a video id is 32 bytes')
  return `0x${bytesToHex(b)}`
}

/** Lowercase 0x hex of bytes. */
export function toHex (b: Uint8Array): Hex {
  return `0x${bytesToHex(b)}`
}

/** Bytes of a 0x hex string of exactly `len` bytes, else a typed error naming `what`. */
export function fromHex (h: unknown, len: number, what: string, code = 'ERR_BAD_ARGUMENT'): Uint8Array {
  if (typeof h !== 'string' || h.length !== 2 + 2 * len || !/^0x[0-9a-fA-F]*$/.test(h)) throw new P2pdvError(code, `${what} must be ${len} bytes of 0x hex`)
  return hexToBytes(h.slice(2))
}

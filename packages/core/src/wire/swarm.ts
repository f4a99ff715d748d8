/**
 * P2P delivery between viewers (docs/protocol.md "Viewer swarms"):
 *
 * `/p2pdv/swarm/1.0.0` (viewer → node's tracker), one exchange per stream:
 *   viewer → node:  lp({v:1, video, addrs, max})      announce + ask for other viewers
 *   node → viewer:  lp({v:1, ok:true, peers:[{id, addrs}]}) | lp({v:1, ok:false, code, message})
 *
 * `/p2pdv/share/1.0.0` (viewer → viewer), one exchange per stream:
 *   lp({v:1, t:'want', cid, max}) → lp({v:1, ok:true, bytes}) | lp({v:1, ok:false, code, message})
 *   lp({v:1, t:'have'})           → lp({v:1, ok:true, have:[cid…]}) | refusal
 *
 * Messages are DAG-CBOR maps, validated strictly and bounded before decoding. Bytes a peer sends
 * are checked against the CID by the requester; nothing here trusts them.
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { isVideoId } from '../keys/video-id.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'
import { blockCidField, malformed, readMap, sizeField } from './codec.ts'

export const SWARM_PROTOCOL = '/p2pdv/swarm/1.0.0'
export const SHARE_PROTOCOL = '/p2pdv/share/1.0.0'
export const SWARM_WIRE_VERSION = 1
const MAX_PEER_ID_CHARS = 128

/** A viewer announces at most this many addresses of its own (relay + WebRTC ones). */
export const MAX_SWARM_ADDRS = 4
export const MAX_SWARM_ADDR_CHARS = 256
/** The tracker answers with at most this many other viewers. */
export const MAX_SWARM_SAMPLE = 32
/** An announce is small: a video id and a few addresses. */
export const MAX_SWARM_REQUEST_BYTES = 2048
/** Sample entries carry a peer id and its addresses. */
export const MAX_SWARM_RESPONSE_BYTES = MAX_SWARM_SAMPLE * (MAX_SWARM_ADDRS * (MAX_SWARM_ADDR_CHARS + 4) + MAX_PEER_ID_CHARS + 32) + 256
const MAX_MESSAGE_CHARS = 512

/** A have list names at most this many blocks (about 42 KiB of CIDs: one video's window ahead). */
export const MAX_HAVE_CIDS = 1024
export const MAX_SHARE_REQUEST_BYTES = 256
/** A block plus its envelope; anything longer is refused before it is buffered. */
export const MAX_SHARE_RESPONSE_BYTES = MAX_BLOCK_BYTES + 1024
export const MAX_HAVE_RESPONSE_BYTES = MAX_HAVE_CIDS * 44 + 64

export const SwarmCode = {
  /** The announcing peer is already in as many swarms as the tracker allows one peer. */
  PEER_LIMIT: 'ERR_SWARM_PEER_LIMIT',
  /** Too many viewer ids listed, or too many announces, from the announcer's IP address (a refusal). */
  IP_LIMIT: 'ERR_SWARM_IP_LIMIT',
  /** The video's swarm, or the whole table, is full: the viewer gets a sample but is not listed. */
  FULL: 'ERR_SWARM_FULL',
  /** An address does not end in the announcing peer's own id. */
  NOT_YOUR_ADDRESS: 'ERR_SWARM_NOT_YOUR_ADDRESS',
  /** The share peer does not hold the block. */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** The block is larger than the requester's `max`. */
  TOO_LARGE: 'ERR_BLOCK_TOO_LARGE',
  /** The serving viewer is busy (too many requests in flight). */
  BUSY: 'ERR_SHARE_BUSY',
  INTERNAL: 'ERR_INTERNAL'
} as const

export interface SwarmAnnounce {
  v: 1
  /** The video's id (0x + 64 hex digits). */
  video: string
  /** The announcer's own dialable addresses, each ending in `/p2p/<its peer id>`. */
  addrs: string[]
  /** How many other viewers it wants back (1…MAX_SWARM_SAMPLE). */
  max: number
}

export interface SwarmPeer { id: string, addrs: string[] }

export type SwarmResponse =
  | { v: 1, ok: true, peers: SwarmPeer[], /** Set when the announcer was not listed (it still gets peers). */ code?: string }
  | { v: 1, ok: false, code: string, message: string }

export type ShareRequest =
  | { v: 1, t: 'want', cid: CID, max: number }
  | { v: 1, t: 'have' }

export type ShareResponse =
  | { v: 1, ok: true, bytes: Uint8Array }
  | { v: 1, ok: true, have: CID[] }
  | { v: 1, ok: false, code: string, message: string }

function stringField (v: unknown, max: number, kind: string, name: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw malformed(kind, `${name} must be a string of 1 to ${max} characters`)
  return v
}

function addrList (v: unknown, kind: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_SWARM_ADDRS) throw malformed(kind, `addrs must be a list of at most ${MAX_SWARM_ADDRS}`)
  return v.map(a => {
    const s = stringField(a, MAX_SWARM_ADDR_CHARS, kind, 'an address')
    // Multiaddr text: printable ASCII starting with '/'; parsed for real by whoever dials it.
    if (!/^\/[\x21-\x7e]+$/.test(s)) throw malformed(kind, 'an address must be a multiaddr')
    return s
  })
}

function refusal (m: Record<string, unknown>, kind: string): { v: 1, ok: false, code: string, message: string } {
  const code = stringField(m.code, 64, kind, 'code')
  if (!/^ERR_[A-Z0-9_]+$/.test(code)) throw malformed(kind, 'code must be an ERR_ code')
  return { v: 1, ok: false, code, message: typeof m.message === 'string' ? m.message.slice(0, MAX_MESSAGE_CHARS) : '' }
}

export function encodeSwarmAnnounce (a: Omit<SwarmAnnounce, 'v'>): Uint8Array {
  return dagCbor.encode({ v: SWARM_WIRE_VERSION, video: a.video, addrs: a.addrs, max: a.max })
}

export function decodeSwarmAnnounce (data: Uint8Array): SwarmAnnounce {
  const kind = 'swarm announce'
  const m = readMap(data, MAX_SWARM_REQUEST_BYTES, SWARM_WIRE_VERSION, kind)
  if (!isVideoId(m.video)) throw malformed(kind, 'video must be 0x + 64 hex digits')
  const max = sizeField(m.max, kind)
  if (max < 1 || max > MAX_SWARM_SAMPLE) throw malformed(kind, `max must be 1 to ${MAX_SWARM_SAMPLE}`)
  return { v: 1, video: m.video, addrs: addrList(m.addrs, kind), max }
}

export function encodeSwarmResponse (r: SwarmResponse): Uint8Array {
  if (!r.ok) return dagCbor.encode({ v: SWARM_WIRE_VERSION, ok: false, code: r.code, message: r.message.slice(0, MAX_MESSAGE_CHARS) })
  return dagCbor.encode({ v: SWARM_WIRE_VERSION, ok: true, peers: r.peers.map(p => ({ id: p.id, addrs: p.addrs })), ...(r.code === undefined ? {} : { code: r.code }) })
}

export function decodeSwarmResponse (data: Uint8Array): SwarmResponse {
  const kind = 'swarm response'
  const m = readMap(data, MAX_SWARM_RESPONSE_BYTES, SWARM_WIRE_VERSION, kind)
  if (m.ok === false) return refusal(m, kind)
  if (m.ok !== true) throw malformed(kind, 'ok must be a boolean')
  if (!Array.isArray(m.peers) || m.peers.length > MAX_SWARM_SAMPLE) throw malformed(kind, `peers must be a list of at most ${MAX_SWARM_SAMPLE}`)
  const peers = m.peers.map((p: unknown) => {
    if (typeof p !== 'object' || p === null) throw malformed(kind, 'a peer must be a map')
    const e = p as Record<string, unknown>
    return { id: stringField(e.id, MAX_PEER_ID_CHARS, kind, 'id'), addrs: addrList(e.addrs, kind) }
  })
  const code = m.code === undefined ? undefined : stringField(m.code, 64, kind, 'code')
  return { v: 1, ok: true, peers, ...(code === undefined ? {} : { code }) }
}

export function encodeShareRequest (r: ShareRequest): Uint8Array {
  return dagCbor.encode(r.t === 'want' ? { v: SWARM_WIRE_VERSION, t: 'want', cid: r.cid, max: r.max } : { v: SWARM_WIRE_VERSION, t: 'have' })
}

export function decodeShareRequest (data: Uint8Array): ShareRequest {
  const kind = 'share request'
  const m = readMap(data, MAX_SHARE_REQUEST_BYTES, SWARM_WIRE_VERSION, kind)
  if (m.t === 'have') return { v: 1, t: 'have' }
  if (m.t !== 'want') throw malformed(kind, "t must be 'want' or 'have'")
  const max = sizeField(m.max, kind)
  if (max < 1 || max > MAX_BLOCK_BYTES) throw malformed(kind, `max must be 1 to ${MAX_BLOCK_BYTES}`)
  return { v: 1, t: 'want', cid: blockCidField(m.cid, kind), max }
}

export function encodeShareResponse (r: ShareResponse): Uint8Array {
  if (!r.ok) return dagCbor.encode({ v: SWARM_WIRE_VERSION, ok: false, code: r.code, message: r.message.slice(0, MAX_MESSAGE_CHARS) })
  if ('bytes' in r) return dagCbor.encode({ v: SWARM_WIRE_VERSION, ok: true, bytes: r.bytes })
  return dagCbor.encode({ v: SWARM_WIRE_VERSION, ok: true, have: r.have.slice(0, MAX_HAVE_CIDS) })
}

/** Decodes an answer to a `want` (bytes at most `max`) or a `have` (at most MAX_HAVE_CIDS CIDs). */
export function decodeShareResponse (data: Uint8Array, expect: 'want' | 'have', max = MAX_BLOCK_BYTES): ShareResponse {
  const kind = 'share response'
  const m = readMap(data, expect === 'want' ? MAX_SHARE_RESPONSE_BYTES : MAX_HAVE_RESPONSE_BYTES, SWARM_WIRE_VERSION, kind)
  if (m.ok === false) return refusal(m, kind)
  if (m.ok !== true) throw malformed(kind, 'ok must be a boolean')
  if (expect === 'want') {
    if (!(m.bytes instanceof Uint8Array) || m.bytes.byteLength > max) throw malformed(kind, `bytes must be at most ${max} bytes`)
    return { v: 1, ok: true, bytes: m.bytes }
  }
  if (!Array.isArray(m.have) || m.have.length > MAX_HAVE_CIDS) throw malformed(kind, `have must be a list of at most ${MAX_HAVE_CIDS} CIDs`)
  return { v: 1, ok: true, have: m.have.map((c: unknown) => blockCidField(c, kind)) }
}

/**
 * Live streams (docs/protocol.md "Live streams"), format v1.
 *
 * A stream is named by its creator's Ed25519 public key (64 hex digits): whoever holds the
 * private key is the only one who can announce segments for it. The creator's client cuts the
 * encoder's output into ~1 s CMAF segments, seals each under the current **epoch key** (a fresh
 * random AES-256-GCM key per epoch), stores the sealed block on nodes and publishes one signed
 * announcement per segment:
 *
 *   { v:1, stream, rendition, name, seq, epoch, duration, time, cid, size, init, initSize, key, sig }
 *
 * `key` tells the viewer how to get the epoch key; it is a tagged union:
 *   - `link`: the epoch key sealed (AES-256-GCM) under a key derived from the link secret (the part
 *     of the live link after #), so anyone with the link gets every epoch key (`--no-chain`);
 *   - `keeper`: a stream registered on chain. No key travels: `video` names the registry entry
 *     whose keepers hold the epoch's key (split t-of-n, released to whom `hasAccess` allows, one
 *     epoch at a time), `check` is keyFingerprint(epoch key) so the viewer can tell the combined
 *     key is the creator's, and `prev` (absent in the first epoch) is the previous epoch's key
 *     sealed under this one: whoever holds a later epoch's key can walk back (DVR window, the
 *     archive), never forward, so a viewer refused from epoch n on keeps nothing newer.
 *
 * Sealing positions (sealed.ts): objectId = the stream key's first 16 bytes; a media segment is
 * stream (seq·16 + rendition)·2, an init segment (one per rendition and epoch) (epoch·16 +
 * rendition)·2 + 1; the context names rendition and sequence. Every (epoch key, position) pair
 * seals one plaintext only.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { base64url } from 'multiformats/bases/base64'
import { aead } from '#aead'
import { AeadAuthError } from './aead/types.ts'
import { CAPABILITY_SCHEME } from './capability.ts'
import { isBlockCid, parseCid, type CID } from './cid.ts'
import { verifyEd25519 } from './ed25519.ts'
import { P2pdvError } from './errors.ts'
import { MAX_BLOCK_BYTES, MAX_CHUNK_PLAINTEXT } from './limits.ts'
import { KEY_BYTES, NONCE_BYTES, OBJECT_ID_BYTES, openChunk, sealChunk, type ChunkPosition } from './sealed.ts'

export const LIVE_WIRE_VERSION = 1
export const LIVE_LINK_PREFIX = `${CAPABILITY_SCHEME}live/`
/** A rendition is numbered 0 … MAX_RENDITIONS - 1 (it is part of the sealing position). */
export const MAX_RENDITIONS = 16
/** seq·16 + rendition, doubled, stays below sealed.ts's 2^48 streams. */
export const MAX_LIVE_SEQ = 2 ** 42
export const MAX_LIVE_EPOCH = 2 ** 32 - 1
/** A segment lasts at most 10 s (we cut ~1 s ones; longer ones would defeat live latency anyway). */
export const MAX_SEGMENT_DURATION_MS = 10_000
/** A segment's plaintext is one sealed chunk. */
export const MAX_LIVE_SEGMENT_BYTES = MAX_CHUNK_PLAINTEXT
/** An announcement as JSON is small: ~600 bytes in practice. */
export const MAX_ANNOUNCEMENT_BYTES = 2048
const MAX_NAME_CHARS = 16
const STREAM_ID = /^[0-9a-f]{64}$/
const SIG_DOMAIN = new TextEncoder().encode('p2pdv/live-announcement/v1\0')
const WRAP_DOMAIN = new TextEncoder().encode('p2pdv/live-epoch-key/v1\0')
const LINK_KEY_INFO = new TextEncoder().encode('p2pdv/live-link-key/v1')
const PREV_DOMAIN = new TextEncoder().encode('p2pdv/live-prev-epoch-key/v1\0')
const VIDEO_ID = /^0x[0-9a-f]{64}$/

export const LiveErrorCode = {
  /** The announcement is not well formed (a field missing, out of range, too large). */
  MALFORMED: 'ERR_LIVE_MALFORMED',
  /** The signature is not the stream key's over this announcement. */
  SIGNATURE: 'ERR_LIVE_SIGNATURE',
  /** The sequence is not above the last one accepted for this stream and rendition. */
  REPLAY: 'ERR_LIVE_REPLAY',
  /** The announced block is not stored on this node, or its size differs. */
  BLOCK_MISSING: 'ERR_LIVE_BLOCK_MISSING',
  /** Too many announcements for this stream (or from this source) in a short time. */
  RATE: 'ERR_LIVE_RATE',
  /** The node follows as many streams as it allows. */
  FULL: 'ERR_LIVE_FULL',
  /** The node has no announcement of this stream. */
  NOT_FOUND: 'ERR_LIVE_NOT_FOUND',
  /** The epoch key did not unwrap: a wrong or truncated live link, or a forged key field. */
  KEY: 'ERR_LIVE_KEY',
  /** A live link that does not parse. */
  BAD_LINK: 'ERR_BAD_LIVE_LINK',
  /** The keepers hold no key of this epoch any more (a later one replaced it) and no announcement links back to it. */
  EPOCH_GONE: 'ERR_LIVE_EPOCH_GONE',
  /** The keepers do not hold this epoch's key yet (the creator hands it over just before the epoch starts). */
  EPOCH_NOT_YET: 'ERR_LIVE_EPOCH_NOT_YET'
} as const

export type StreamId = string

/** The epoch key sealed under the link secret (the private-link model, see above). */
export interface WrappedEpochKey {
  kind: 'link'
  /** 12 bytes. */
  nonce: Uint8Array
  /** The sealed 32-byte key and its tag (48 bytes). */
  box: Uint8Array
}

/** An earlier epoch's key sealed under a later one (`keeper` references only). */
export interface PrevEpochKey {
  /** The other epoch: the earlier one in `prev`, the later one in `next`. */
  epoch: number
  nonce: Uint8Array
  box: Uint8Array
}

/** A reference to an epoch key the stream's keepers hold (see above). */
export interface KeeperEpochKey {
  kind: 'keeper'
  /** The registry's video id, 0x + 64 lowercase hex digits. */
  video: string
  /** keyFingerprint(epoch key), 32 bytes. */
  check: Uint8Array
  prev?: PrevEpochKey
  /**
   * Set once the next epoch's key is with the keepers (shortly before the boundary): THIS epoch's
   * key sealed under the next one. It tells viewers to prefetch, and lets one who got the next
   * key from the keepers open the rest of this epoch.
   */
  next?: PrevEpochKey
}

export type EpochKeyRef = WrappedEpochKey | KeeperEpochKey

export interface LiveAnnouncementBody {
  v: 1
  stream: StreamId
  /** 0 … MAX_RENDITIONS - 1. */
  rendition: number
  /** The rendition's label, e.g. `720p`. */
  name: string
  /** Per rendition: 0, 1, 2 … (gaps allowed, never back). */
  seq: number
  epoch: number
  /** Media duration, milliseconds. */
  duration: number
  /** Wall clock (ms since 1970) when the segment was complete at the creator: for latency. */
  time: number
  /** The sealed segment's block. */
  cid: CID
  size: number
  /** The sealed init segment of this rendition for this epoch. */
  init: CID
  initSize: number
  key: EpochKeyRef
  /**
   * The creator ended the stream: this is the rendition's final segment. Signed like the rest,
   * so nobody but the creator can end a stream early or hide its end. Absent on every other
   * segment (and on streams that stopped without a clean end: viewers then go by silence).
   */
  last?: true
}

export interface LiveAnnouncement extends LiveAnnouncementBody {
  sig: Uint8Array
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(LiveErrorCode.MALFORMED, `malformed live announcement: ${what}`, {
    hint: 'Send announcements as the p2pdv client builds them (docs/protocol.md "Live streams").'
  })
}

export function isStreamId (v: unknown): v is StreamId {
  return typeof v === 'string' && STREAM_ID.test(v)
}

export function streamIdOf (publicKey: Uint8Array): StreamId {
  if (publicKey.byteLength !== 32) throw malformed('a stream key is 32 bytes')
  return bytesToHex(publicKey)
}

function b64 (bytes: Uint8Array): string {
  return base64url.encode(bytes).slice(1)
}

function unb64 (v: unknown, bytes: number, what: string): Uint8Array {
  if (typeof v !== 'string' || v.length > Math.ceil(bytes * 4 / 3) || !/^[A-Za-z0-9_-]*$/.test(v)) throw malformed(`${what} must be ${bytes} bytes of base64url`)
  let out: Uint8Array
  try { out = base64url.decode(`u${v}`) } catch { throw malformed(`${what} is not base64url`) }
  if (out.byteLength !== bytes) throw malformed(`${what} must be ${bytes} bytes`)
  return out
}

function int (v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw malformed(`${what} must be an integer from ${min} to ${max}`)
  return v
}

function cidField (v: unknown, what: string): CID {
  if (typeof v !== 'string' || v.length > 100) throw malformed(`${what} must be a CID`)
  let c: CID
  try { c = parseCid(v) } catch { throw malformed(`${what} must be a CID`) }
  if (!isBlockCid(c)) throw malformed(`${what} must be a raw sha2-256 CIDv1`)
  return c
}

/** The bytes the stream key signs: a domain tag, then the body as canonical DAG-CBOR. */
export function announcementSigningBytes (a: LiveAnnouncementBody): Uint8Array {
  const body = dagCbor.encode({
    v: a.v, stream: a.stream, rendition: a.rendition, name: a.name, seq: a.seq, epoch: a.epoch,
    duration: a.duration, time: a.time, cid: a.cid.toString(), size: a.size, init: a.init.toString(), initSize: a.initSize,
    key: a.key.kind === 'link'
      ? { kind: a.key.kind, nonce: a.key.nonce, box: a.key.box }
      : {
          kind: a.key.kind, video: a.key.video, check: a.key.check,
          ...(a.key.prev === undefined ? {} : { prev: { epoch: a.key.prev.epoch, nonce: a.key.prev.nonce, box: a.key.prev.box } }),
          ...(a.key.next === undefined ? {} : { next: { epoch: a.key.next.epoch, nonce: a.key.next.nonce, box: a.key.next.box } })
        },
    // Only when set: announcements without it sign the same bytes as before the field existed.
    ...(a.last === true ? { last: true } : {})
  })
  const out = new Uint8Array(SIG_DOMAIN.byteLength + body.byteLength)
  out.set(SIG_DOMAIN)
  out.set(body, SIG_DOMAIN.byteLength)
  return out
}

export async function signAnnouncement (a: LiveAnnouncementBody, sign: (m: Uint8Array) => Promise<Uint8Array>): Promise<LiveAnnouncement> {
  checkBody(a)
  return { ...a, sig: await sign(announcementSigningBytes(a)) }
}

/** True when `sig` is the stream key's signature over the announcement. */
export async function verifyAnnouncement (a: LiveAnnouncement): Promise<boolean> {
  return await verifyEd25519(a.sig, announcementSigningBytes(a), hexToBytes(a.stream))
}

function checkBody (a: LiveAnnouncementBody): void {
  if (a.v !== LIVE_WIRE_VERSION) throw malformed(`v must be ${LIVE_WIRE_VERSION}`)
  if (!isStreamId(a.stream)) throw malformed('stream must be 64 lowercase hex digits')
  int(a.rendition, 0, MAX_RENDITIONS - 1, 'rendition')
  if (typeof a.name !== 'string' || !/^[A-Za-z0-9_.-]{1,16}$/.test(a.name)) throw malformed(`name must be 1 to ${MAX_NAME_CHARS} letters, digits, _ . -`)
  int(a.seq, 0, MAX_LIVE_SEQ - 1, 'seq')
  int(a.epoch, 0, MAX_LIVE_EPOCH, 'epoch')
  int(a.duration, 1, MAX_SEGMENT_DURATION_MS, 'duration')
  int(a.time, 0, Number.MAX_SAFE_INTEGER, 'time')
  int(a.size, 1, MAX_BLOCK_BYTES, 'size')
  int(a.initSize, 1, MAX_BLOCK_BYTES, 'initSize')
  if (a.last !== undefined && a.last !== true) throw malformed('last must be true or absent')
  const k = a.key
  if (k.kind === 'link') {
    if (k.nonce.byteLength !== NONCE_BYTES || k.box.byteLength !== KEY_BYTES + 16) throw malformed('key must be a wrapped 32-byte key')
  } else if (k.kind === 'keeper') {
    if (typeof k.video !== 'string' || !VIDEO_ID.test(k.video) || k.check.byteLength !== 32) throw malformed('key must name the registered video and the key fingerprint')
    if (k.prev !== undefined) {
      int(k.prev.epoch, 0, a.epoch - 1, 'key.prev.epoch')
      if (k.prev.nonce.byteLength !== NONCE_BYTES || k.prev.box.byteLength !== KEY_BYTES + 16) throw malformed('key.prev must be a wrapped 32-byte key')
    }
    if (k.next !== undefined) {
      int(k.next.epoch, a.epoch + 1, MAX_LIVE_EPOCH, 'key.next.epoch')
      if (k.next.nonce.byteLength !== NONCE_BYTES || k.next.box.byteLength !== KEY_BYTES + 16) throw malformed('key.next must be a wrapped 32-byte key')
    }
  } else {
    throw malformed("key.kind must be 'link' or 'keeper'")
  }
}

function keyToJson (k: EpochKeyRef): Record<string, unknown> {
  if (k.kind === 'link') return { kind: k.kind, nonce: b64(k.nonce), box: b64(k.box) }
  const link = (l: PrevEpochKey) => ({ epoch: l.epoch, nonce: b64(l.nonce), box: b64(l.box) })
  return { kind: k.kind, video: k.video, check: b64(k.check), ...(k.prev === undefined ? {} : { prev: link(k.prev) }), ...(k.next === undefined ? {} : { next: link(k.next) }) }
}

function keyFromJson (v: unknown): EpochKeyRef {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('key must be an object')
  const k = v as Record<string, unknown>
  if (k.kind === 'link') return { kind: 'link', nonce: unb64(k.nonce, NONCE_BYTES, 'key.nonce'), box: unb64(k.box, KEY_BYTES + 16, 'key.box') }
  if (k.kind !== 'keeper') throw malformed("key.kind must be 'link' or 'keeper'")
  if (typeof k.video !== 'string' || !VIDEO_ID.test(k.video)) throw malformed('key.video must be 0x and 64 lowercase hex digits')
  const out: KeeperEpochKey = { kind: 'keeper', video: k.video, check: unb64(k.check, 32, 'key.check') }
  const link = (v: unknown, what: string): PrevEpochKey => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(`${what} must be an object`)
    const p = v as Record<string, unknown>
    return { epoch: int(p.epoch, 0, MAX_LIVE_EPOCH, `${what}.epoch`), nonce: unb64(p.nonce, NONCE_BYTES, `${what}.nonce`), box: unb64(p.box, KEY_BYTES + 16, `${what}.box`) }
  }
  if (k.prev !== undefined) out.prev = link(k.prev, 'key.prev')
  if (k.next !== undefined) out.next = link(k.next, 'key.next')
  return out
}

/** The announcement as JSON (the HTTP API's body and the events' data). */
export function announcementToJson (a: LiveAnnouncement): Record<string, unknown> {
  return {
    v: a.v, stream: a.stream, rendition: a.rendition, name: a.name, seq: a.seq, epoch: a.epoch,
    duration: a.duration, time: a.time, cid: a.cid.toString(), size: a.size, init: a.init.toString(), initSize: a.initSize,
    key: keyToJson(a.key),
    ...(a.last === true ? { last: true } : {}),
    sig: b64(a.sig)
  }
}

/** Parses and bounds an announcement from JSON; the signature is NOT checked (verifyAnnouncement). */
export function announcementFromJson (v: unknown): LiveAnnouncement {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not an object')
  const m = v as Record<string, unknown>
  if (m.v !== LIVE_WIRE_VERSION) throw malformed(`v must be ${LIVE_WIRE_VERSION}`)
  const a: LiveAnnouncement = {
    v: 1,
    stream: typeof m.stream === 'string' && isStreamId(m.stream) ? m.stream : (() => { throw malformed('stream must be 64 lowercase hex digits') })(),
    rendition: int(m.rendition, 0, MAX_RENDITIONS - 1, 'rendition'),
    name: typeof m.name === 'string' ? m.name : '',
    seq: int(m.seq, 0, MAX_LIVE_SEQ - 1, 'seq'),
    epoch: int(m.epoch, 0, MAX_LIVE_EPOCH, 'epoch'),
    duration: int(m.duration, 1, MAX_SEGMENT_DURATION_MS, 'duration'),
    time: int(m.time, 0, Number.MAX_SAFE_INTEGER, 'time'),
    cid: cidField(m.cid, 'cid'),
    size: int(m.size, 1, MAX_BLOCK_BYTES, 'size'),
    init: cidField(m.init, 'init'),
    initSize: int(m.initSize, 1, MAX_BLOCK_BYTES, 'initSize'),
    key: keyFromJson(m.key),
    sig: unb64(m.sig, 64, 'sig')
  }
  if (m.last !== undefined) {
    if (m.last !== true) throw malformed('last must be true or absent')
    a.last = true
  }
  checkBody(a)
  return a
}

// ---- links and epoch keys ----

export interface LiveLink {
  stream: StreamId
  /** 32 random bytes: whoever has them gets every epoch key (the private-link model). */
  secret: Uint8Array
}

function badLink (why: string): P2pdvError {
  return new P2pdvError(LiveErrorCode.BAD_LINK, `not a valid live link: ${why}`, {
    hint: 'A live link looks like p2pdv://live/<64 hex digits>#<key>; copy it completely, including the part after #.'
  })
}

export function formatLiveLink (l: LiveLink): string {
  if (!isStreamId(l.stream)) throw badLink('the stream id must be 64 lowercase hex digits')
  if (l.secret.byteLength !== KEY_BYTES) throw badLink('the secret must be 32 bytes')
  return `${LIVE_LINK_PREFIX}${l.stream}#${b64(l.secret)}`
}

export function parseLiveLink (text: string): LiveLink {
  const s = text.trim()
  if (s.length > 200) throw badLink('too long')
  if (!s.startsWith(LIVE_LINK_PREFIX)) throw badLink(`it must start with ${LIVE_LINK_PREFIX}`)
  const [id = '', secretText] = s.slice(LIVE_LINK_PREFIX.length).split('#', 2)
  const stream = id.toLowerCase()
  if (!isStreamId(stream)) throw badLink('the stream id must be 64 hex digits')
  if (secretText === undefined || !/^[A-Za-z0-9_-]{43}$/.test(secretText)) throw badLink('the key (the part after #) is missing or not 32 bytes of base64url')
  return { stream, secret: base64url.decode(`u${secretText}`) }
}

export function isLiveLink (text: string): boolean {
  return text.trim().startsWith(LIVE_LINK_PREFIX)
}

function linkKey (link: LiveLink): Uint8Array {
  return hkdf(sha256, link.secret, hexToBytes(link.stream), LINK_KEY_INFO, KEY_BYTES)
}

function wrapAad (stream: StreamId, epoch: number): Uint8Array {
  const aad = new Uint8Array(WRAP_DOMAIN.byteLength + 32 + 4)
  aad.set(WRAP_DOMAIN)
  aad.set(hexToBytes(stream), WRAP_DOMAIN.byteLength)
  new DataView(aad.buffer).setUint32(WRAP_DOMAIN.byteLength + 32, epoch)
  return aad
}

/** Seals an epoch key for link holders, bound to the stream and epoch (it opens nowhere else). */
export async function wrapEpochKey (link: LiveLink, epoch: number, epochKey: Uint8Array): Promise<WrappedEpochKey> {
  if (epochKey.byteLength !== KEY_BYTES) throw malformed('an epoch key is 32 bytes')
  int(epoch, 0, MAX_LIVE_EPOCH, 'epoch')
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  const k = linkKey(link)
  try {
    return { kind: 'link', nonce, box: await aead.seal(k, nonce, wrapAad(link.stream, epoch), epochKey) }
  } finally {
    k.fill(0)
  }
}

export async function unwrapEpochKey (link: LiveLink, epoch: number, wrapped: EpochKeyRef): Promise<Uint8Array> {
  if (wrapped.kind !== 'link') {
    throw new P2pdvError(LiveErrorCode.KEY, `the epoch ${epoch} key of this stream is held by keepers, not carried for link holders`, {
      hint: 'Get it from the stream\'s keepers (fetchEpochKey in @p2pdv/sdk/live) with an identity the chain grants access.'
    })
  }
  const k = linkKey(link)
  try {
    return await aead.open(k, wrapped.nonce, wrapAad(link.stream, epoch), wrapped.box)
  } catch (err) {
    if (!(err instanceof AeadAuthError)) throw err
    throw new P2pdvError(LiveErrorCode.KEY, `the epoch ${epoch} key of this stream does not open with this link`, {
      hint: 'Check that the live link was copied completely (the part after # is the key).'
    })
  } finally {
    k.fill(0)
  }
}

function prevAad (stream: StreamId, epoch: number, prevEpoch: number): Uint8Array {
  const aad = new Uint8Array(PREV_DOMAIN.byteLength + 32 + 8)
  aad.set(PREV_DOMAIN)
  aad.set(hexToBytes(stream), PREV_DOMAIN.byteLength)
  const dv = new DataView(aad.buffer)
  dv.setUint32(PREV_DOMAIN.byteLength + 32, epoch)
  dv.setUint32(PREV_DOMAIN.byteLength + 36, prevEpoch)
  return aad
}

/** Seals the key of `prevEpoch` under the key of `epoch` (> prevEpoch): the backward link of `keeper` references. */
export async function wrapPrevEpochKey (stream: StreamId, epoch: number, epochKey: Uint8Array, prevEpoch: number, prevKey: Uint8Array): Promise<PrevEpochKey> {
  if (epochKey.byteLength !== KEY_BYTES || prevKey.byteLength !== KEY_BYTES) throw malformed('an epoch key is 32 bytes')
  int(prevEpoch, 0, int(epoch, 1, MAX_LIVE_EPOCH, 'epoch') - 1, 'prevEpoch')
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  return { epoch: prevEpoch, nonce, box: await aead.seal(epochKey, nonce, prevAad(stream, epoch, prevEpoch), prevKey) }
}

export async function unwrapPrevEpochKey (stream: StreamId, epoch: number, epochKey: Uint8Array, prev: PrevEpochKey): Promise<Uint8Array> {
  try {
    return await aead.open(epochKey, prev.nonce, prevAad(stream, epoch, prev.epoch), prev.box)
  } catch (err) {
    if (!(err instanceof AeadAuthError)) throw err
    throw new P2pdvError(LiveErrorCode.KEY, `the epoch ${prev.epoch} key does not open with the epoch ${epoch} key`, { hint: 'The announcement or the key is not the creator\'s; fetch the key again.' })
  }
}

// ---- segment sealing ----

export type SegmentKind = { kind: 'media', seq: number } | { kind: 'init', epoch: number }

/** Where a segment is sealed under its epoch key (see the header). */
export function segmentPosition (epochKey: Uint8Array, stream: StreamId, rendition: number, seg: SegmentKind): ChunkPosition {
  int(rendition, 0, MAX_RENDITIONS - 1, 'rendition')
  const n = seg.kind === 'media' ? int(seg.seq, 0, MAX_LIVE_SEQ - 1, 'seq') : int(seg.epoch, 0, MAX_LIVE_EPOCH, 'epoch')
  const streamNo = (n * MAX_RENDITIONS + rendition) * 2 + (seg.kind === 'init' ? 1 : 0)
  return {
    key: epochKey,
    objectId: hexToBytes(stream).slice(0, OBJECT_ID_BYTES),
    stream: streamNo,
    index: 0,
    last: true,
    context: new TextEncoder().encode(`live/${rendition}/${seg.kind}/${n}`)
  }
}

export async function sealSegment (epochKey: Uint8Array, stream: StreamId, rendition: number, seg: SegmentKind, plaintext: Uint8Array): Promise<Uint8Array> {
  if (plaintext.byteLength > MAX_LIVE_SEGMENT_BYTES) throw malformed(`a live segment is at most ${MAX_LIVE_SEGMENT_BYTES} bytes`)
  return await sealChunk(segmentPosition(epochKey, stream, rendition, seg), plaintext)
}

/** Opens a sealed segment, or throws ERR_CHUNK_AUTH (wrong key or a block from elsewhere). */
export async function openSegment (epochKey: Uint8Array, stream: StreamId, rendition: number, seg: SegmentKind, sealed: Uint8Array): Promise<Uint8Array> {
  return await openChunk(segmentPosition(epochKey, stream, rendition, seg), sealed)
}

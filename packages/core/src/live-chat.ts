/**
 * Live chat (docs/protocol.md "Live chat"), format v1: messages end-to-end encrypted under the
 * stream's epoch key, so only people who may watch can read or write them, relayed by nodes that
 * cannot read them.
 *
 *   message:    { v:1, stream, epoch, from, time, nonce, box, sig }
 *   moderation: { v:1, stream, version, hidden: [id…], muted: [from…], sig }
 *
 * - `from` is the sender's Ed25519 public key (64 hex digits); `sig` is its signature over the
 *   domain tag and the canonical DAG-CBOR of every other field, so a node checks who sent what
 *   without reading it. `time` (ms since 1970) rises per sender: nodes refuse a repeat.
 * - `box` is AES-256-GCM under the chat key, HKDF-SHA256(epoch key, salt = stream key,
 *   info = CHAT_KEY_INFO): a key of its own, so a chat nonce can never collide with a segment's
 *   sealing. The AAD binds stream, epoch, sender and time: a key-less forger who copies someone's
 *   box under his own signature gets a message no client opens.
 * - The plaintext is the UTF-8 text behind a 2-byte length, zero-padded to a multiple of 64 bytes
 *   (nodes see the size class, not the exact length). A box is at most MAX_CHAT_BOX_BYTES.
 * - A message's id is the first 16 bytes of SHA-256 over its signed bytes (32 hex digits).
 * - The moderation list is signed by the stream key (the creator's); its `version` rises with each
 *   new list. Nodes drop hidden and muted messages and refuse new ones from muted senders;
 *   clients apply the list too (a node may withhold messages, never forge them).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { base64url } from 'multiformats/bases/base64'
import { aead } from '#aead'
import { AeadAuthError } from './aead/types.ts'
import { verifyEd25519 } from './ed25519.ts'
import { P2pdvError } from './errors.ts'
import { isStreamId, MAX_LIVE_EPOCH, type StreamId } from './live.ts'
import { KEY_BYTES, NONCE_BYTES } from './sealed.ts'

export const CHAT_WIRE_VERSION = 1
/** The sealed text and its tag: "≤ 2 KiB of ciphertext" per message. */
export const MAX_CHAT_BOX_BYTES = 2048
const TAG_BYTES = 16
const PAD_TO = 64
const MAX_PLAINTEXT_BYTES = MAX_CHAT_BOX_BYTES - TAG_BYTES
/** UTF-8 bytes of text a message carries (the rest of the plaintext is its length and padding). */
export const MAX_CHAT_TEXT_BYTES = MAX_PLAINTEXT_BYTES - 2
/** A message as JSON: the box in base64url plus ~400 bytes of fields. */
export const MAX_CHAT_MESSAGE_JSON_BYTES = 4096
/** Ids hidden and senders muted per list; a list as JSON stays under MAX_MODERATION_JSON_BYTES. */
export const MAX_MODERATION_ENTRIES = 512
export const MAX_MODERATION_JSON_BYTES = 64 * 1024

const SIG_DOMAIN = new TextEncoder().encode('p2pdv/live-chat-message/v1\0')
const AAD_DOMAIN = new TextEncoder().encode('p2pdv/live-chat-box/v1\0')
const MODERATION_DOMAIN = new TextEncoder().encode('p2pdv/live-chat-moderation/v1\0')
const CHAT_KEY_INFO = new TextEncoder().encode('p2pdv/live-chat-key/v1')
const HEX64 = /^[0-9a-f]{64}$/
const MESSAGE_ID = /^[0-9a-f]{32}$/

export const LiveChatErrorCode = {
  /** A message or moderation list that is not well formed (a field missing, out of range). */
  MALFORMED: 'ERR_LIVE_CHAT_MALFORMED',
  /** The text or its box is larger than a chat message may be. */
  TOO_LARGE: 'ERR_LIVE_CHAT_TOO_LARGE',
  /** The signature is not the sender's (message) or the stream key's (moderation list). */
  SIGNATURE: 'ERR_LIVE_CHAT_SIGNATURE',
  /** The sender sent this message (or a later one) already, or its time is far from the node's clock. */
  REPLAY: 'ERR_LIVE_CHAT_REPLAY',
  /** The message is under an epoch the stream is not in (on this node's window). */
  EPOCH: 'ERR_LIVE_CHAT_EPOCH',
  /** Too many messages from this sender, this address or to this stream. */
  RATE: 'ERR_LIVE_CHAT_RATE',
  /** The stream's creator muted this sender. */
  MUTED: 'ERR_LIVE_CHAT_MUTED',
  /** The box does not open under the epoch key: a sender without the key, or an altered message. */
  KEY: 'ERR_LIVE_CHAT_KEY',
  /** A moderation list whose version is not above the one the node holds. */
  MODERATION_STALE: 'ERR_LIVE_CHAT_MODERATION_STALE'
} as const

export interface ChatMessageBody {
  v: 1
  stream: StreamId
  epoch: number
  /** The sender's Ed25519 public key, 64 lowercase hex digits. */
  from: string
  /** Milliseconds since 1970; rises per sender. */
  time: number
  nonce: Uint8Array
  box: Uint8Array
}

export interface ChatMessage extends ChatMessageBody {
  sig: Uint8Array
}

export interface ModerationBody {
  v: 1
  stream: StreamId
  /** Rises with each list the creator publishes (the CLI uses the wall clock in ms). */
  version: number
  /** Message ids (32 hex digits) nobody should show. */
  hidden: string[]
  /** Sender keys (64 hex digits) whose messages nobody should show or relay. */
  muted: string[]
}

export interface ModerationList extends ModerationBody {
  sig: Uint8Array
}

/** What a signer gives: the stream key's or a chat identity's. */
export interface ChatSigner {
  publicKey: Uint8Array
  sign: (m: Uint8Array) => Promise<Uint8Array>
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(LiveChatErrorCode.MALFORMED, `malformed live chat message: ${what}`, {
    hint: 'Send chat messages as the p2pdv client builds them (docs/protocol.md "Live chat").'
  })
}

function tooLarge (what: string): P2pdvError {
  return new P2pdvError(LiveChatErrorCode.TOO_LARGE, `live chat ${what}`, {
    hint: `Shorten the message: at most ${MAX_CHAT_TEXT_BYTES} bytes of UTF-8 text.`
  })
}

function int (v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw malformed(`${what} must be an integer from ${min} to ${max}`)
  return v
}

function b64 (bytes: Uint8Array): string {
  return base64url.encode(bytes).slice(1)
}

function unb64 (v: unknown, min: number, max: number, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*$/.test(v)) throw malformed(`${what} must be base64url`)
  if (v.length > Math.ceil(max * 4 / 3)) throw (what === 'box' ? tooLarge(`box is larger than ${MAX_CHAT_BOX_BYTES} bytes`) : malformed(`${what} is too long`))
  let out: Uint8Array
  try { out = base64url.decode(`u${v}`) } catch { throw malformed(`${what} is not base64url`) }
  if (out.byteLength < min || out.byteLength > max) throw malformed(`${what} must be ${min === max ? String(min) : `${min} to ${max}`} bytes`)
  return out
}

function hex64 (v: unknown, what: string): string {
  if (typeof v !== 'string' || !HEX64.test(v)) throw malformed(`${what} must be 64 lowercase hex digits`)
  return v
}

function checkBody (m: ChatMessageBody): void {
  if (m.v !== CHAT_WIRE_VERSION) throw malformed(`v must be ${CHAT_WIRE_VERSION}`)
  if (!isStreamId(m.stream)) throw malformed('stream must be 64 lowercase hex digits')
  int(m.epoch, 0, MAX_LIVE_EPOCH, 'epoch')
  hex64(m.from, 'from')
  int(m.time, 0, Number.MAX_SAFE_INTEGER, 'time')
  if (m.nonce.byteLength !== NONCE_BYTES) throw malformed(`nonce must be ${NONCE_BYTES} bytes`)
  if (m.box.byteLength > MAX_CHAT_BOX_BYTES) throw tooLarge(`box is larger than ${MAX_CHAT_BOX_BYTES} bytes`)
  if (m.box.byteLength < PAD_TO + TAG_BYTES || ((m.box.byteLength - TAG_BYTES) % PAD_TO !== 0 && m.box.byteLength !== MAX_CHAT_BOX_BYTES)) {
    throw malformed('box must be a padded text and its tag')
  }
}

/** The bytes a sender signs: a domain tag, then the body as canonical DAG-CBOR. */
export function chatSigningBytes (m: ChatMessageBody): Uint8Array {
  const body = dagCbor.encode({ v: m.v, stream: m.stream, epoch: m.epoch, from: m.from, time: m.time, nonce: m.nonce, box: m.box })
  const out = new Uint8Array(SIG_DOMAIN.byteLength + body.byteLength)
  out.set(SIG_DOMAIN)
  out.set(body, SIG_DOMAIN.byteLength)
  return out
}

/** The message's id: what a moderation list hides (32 hex digits). */
export function chatMessageId (m: ChatMessageBody): string {
  return bytesToHex(sha256(chatSigningBytes(m)).subarray(0, 16))
}

export async function verifyChatMessage (m: ChatMessage): Promise<boolean> {
  return await verifyEd25519(m.sig, chatSigningBytes(m), hexToBytes(m.from))
}

/** The chat key of one epoch of one stream (see the header); the caller zeroes it after use. */
export function chatKey (epochKey: Uint8Array, stream: StreamId): Uint8Array {
  if (epochKey.byteLength !== KEY_BYTES) throw malformed('an epoch key is 32 bytes')
  return hkdf(sha256, epochKey, hexToBytes(stream), CHAT_KEY_INFO, KEY_BYTES)
}

function boxAad (stream: StreamId, epoch: number, from: string, time: number): Uint8Array {
  const aad = new Uint8Array(AAD_DOMAIN.byteLength + 32 + 4 + 32 + 8)
  aad.set(AAD_DOMAIN)
  let at = AAD_DOMAIN.byteLength
  aad.set(hexToBytes(stream), at); at += 32
  const dv = new DataView(aad.buffer)
  dv.setUint32(at, epoch); at += 4
  aad.set(hexToBytes(from), at); at += 32
  dv.setBigUint64(at, BigInt(time))
  return aad
}

function pad (text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text)
  if (utf8.byteLength === 0) throw malformed('the text is empty')
  if (utf8.byteLength > MAX_CHAT_TEXT_BYTES) throw tooLarge(`text is ${utf8.byteLength} bytes, more than ${MAX_CHAT_TEXT_BYTES}`)
  const size = Math.min(MAX_PLAINTEXT_BYTES, Math.ceil((utf8.byteLength + 2) / PAD_TO) * PAD_TO)
  const out = new Uint8Array(size)
  new DataView(out.buffer).setUint16(0, utf8.byteLength)
  out.set(utf8, 2)
  return out
}

function unpad (plain: Uint8Array): string {
  const n = plain.byteLength < 2 ? -1 : new DataView(plain.buffer, plain.byteOffset).getUint16(0)
  if (n < 1 || n > plain.byteLength - 2) throw malformed('the text length is out of range')
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(2, 2 + n))
  } catch {
    throw malformed('the text is not UTF-8')
  }
}

export interface SealChatInput {
  stream: StreamId
  epoch: number
  epochKey: Uint8Array
  text: string
  time: number
  signer: ChatSigner
}

/** Encrypts `text` under the epoch's chat key and signs the message as `signer`. */
export async function sealChatMessage (i: SealChatInput): Promise<ChatMessage> {
  const from = bytesToHex(i.signer.publicKey)
  int(i.epoch, 0, MAX_LIVE_EPOCH, 'epoch')
  int(i.time, 0, Number.MAX_SAFE_INTEGER, 'time')
  if (!isStreamId(i.stream)) throw malformed('stream must be 64 lowercase hex digits')
  const plain = pad(i.text)
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  const key = chatKey(i.epochKey, i.stream)
  let box: Uint8Array
  try {
    box = await aead.seal(key, nonce, boxAad(i.stream, i.epoch, from, i.time), plain)
  } finally {
    key.fill(0)
    plain.fill(0)
  }
  const body: ChatMessageBody = { v: 1, stream: i.stream, epoch: i.epoch, from, time: i.time, nonce, box }
  checkBody(body)
  return { ...body, sig: await i.signer.sign(chatSigningBytes(body)) }
}

/**
 * Opens a message's text with its epoch's key. The signature is checked first (a message whose
 * signature fails is not its sender's); a box that does not open is ERR_LIVE_CHAT_KEY.
 */
export async function openChatMessage (m: ChatMessage, epochKey: Uint8Array): Promise<string> {
  if (!await verifyChatMessage(m)) throw new P2pdvError(LiveChatErrorCode.SIGNATURE, 'the chat message is not signed by its sender')
  const key = chatKey(epochKey, m.stream)
  let plain: Uint8Array
  try {
    plain = await aead.open(key, m.nonce, boxAad(m.stream, m.epoch, m.from, m.time), m.box)
  } catch (err) {
    if (!(err instanceof AeadAuthError)) throw err
    throw new P2pdvError(LiveChatErrorCode.KEY, `the chat message does not open with the epoch ${m.epoch} key`, {
      hint: 'Its sender did not have the stream\'s key, or it was altered: it is not shown.'
    })
  } finally {
    key.fill(0)
  }
  return unpad(plain)
}

export function chatMessageToJson (m: ChatMessage): Record<string, unknown> {
  return { v: m.v, stream: m.stream, epoch: m.epoch, from: m.from, time: m.time, nonce: b64(m.nonce), box: b64(m.box), sig: b64(m.sig) }
}

/** Parses and bounds a message from JSON; the signature is NOT checked (verifyChatMessage). */
export function chatMessageFromJson (v: unknown): ChatMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not an object')
  const j = v as Record<string, unknown>
  if (j.v !== CHAT_WIRE_VERSION) throw malformed(`v must be ${CHAT_WIRE_VERSION}`)
  const m: ChatMessage = {
    v: 1,
    stream: hex64(j.stream, 'stream'),
    epoch: int(j.epoch, 0, MAX_LIVE_EPOCH, 'epoch'),
    from: hex64(j.from, 'from'),
    time: int(j.time, 0, Number.MAX_SAFE_INTEGER, 'time'),
    nonce: unb64(j.nonce, NONCE_BYTES, NONCE_BYTES, 'nonce'),
    box: unb64(j.box, 1, MAX_CHAT_BOX_BYTES, 'box'),
    sig: unb64(j.sig, 64, 64, 'sig')
  }
  checkBody(m)
  return m
}

// ---- moderation ----

function moderationMalformed (what: string): P2pdvError {
  return new P2pdvError(LiveChatErrorCode.MALFORMED, `malformed live chat moderation list: ${what}`, {
    hint: 'Publish moderation lists as the p2pdv client builds them (docs/protocol.md "Live chat").'
  })
}

function idList (v: unknown, pattern: RegExp, what: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_MODERATION_ENTRIES) throw moderationMalformed(`${what} must be a list of at most ${MAX_MODERATION_ENTRIES}`)
  const out = new Set<string>()
  for (const x of v) {
    if (typeof x !== 'string' || !pattern.test(x)) throw moderationMalformed(`${what} holds a value that is not ${pattern === MESSAGE_ID ? 'a message id' : 'a sender key'}`)
    out.add(x)
  }
  return [...out].sort()
}

export function moderationSigningBytes (l: ModerationBody): Uint8Array {
  const body = dagCbor.encode({ v: l.v, stream: l.stream, version: l.version, hidden: l.hidden, muted: l.muted })
  const out = new Uint8Array(MODERATION_DOMAIN.byteLength + body.byteLength)
  out.set(MODERATION_DOMAIN)
  out.set(body, MODERATION_DOMAIN.byteLength)
  return out
}

/** Signs a list with the stream key (whose public half is the stream id). */
export async function signModeration (l: Omit<ModerationBody, 'v'>, streamSigner: ChatSigner): Promise<ModerationList> {
  if (bytesToHex(streamSigner.publicKey) !== l.stream) throw moderationMalformed('only the stream key signs its moderation list')
  const body: ModerationBody = {
    v: 1,
    stream: l.stream,
    version: int(l.version, 1, Number.MAX_SAFE_INTEGER, 'version'),
    hidden: idList(l.hidden, MESSAGE_ID, 'hidden'),
    muted: idList(l.muted, HEX64, 'muted')
  }
  return { ...body, sig: await streamSigner.sign(moderationSigningBytes(body)) }
}

/** True when the stream key signed this list. */
export async function verifyModeration (l: ModerationList): Promise<boolean> {
  return await verifyEd25519(l.sig, moderationSigningBytes(l), hexToBytes(l.stream))
}

export function moderationToJson (l: ModerationList): Record<string, unknown> {
  return { v: l.v, stream: l.stream, version: l.version, hidden: l.hidden, muted: l.muted, sig: b64(l.sig) }
}

/** Parses and bounds a list from JSON; the signature is NOT checked (verifyModeration). */
export function moderationFromJson (v: unknown): ModerationList {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw moderationMalformed('not an object')
  const j = v as Record<string, unknown>
  if (j.v !== CHAT_WIRE_VERSION) throw moderationMalformed(`v must be ${CHAT_WIRE_VERSION}`)
  if (typeof j.stream !== 'string' || !isStreamId(j.stream)) throw moderationMalformed('stream must be 64 lowercase hex digits')
  const version = j.version
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw moderationMalformed('version must be a positive integer')
  const hidden = idList(j.hidden, MESSAGE_ID, 'hidden')
  const muted = idList(j.muted, HEX64, 'muted')
  // The signed list is the sorted, deduplicated one: any other order would not verify.
  if (hidden.length !== (j.hidden as unknown[]).length || muted.length !== (j.muted as unknown[]).length) throw moderationMalformed('hidden and muted must be sorted and without repeats')
  return { v: 1, stream: j.stream, version, hidden, muted, sig: unb64(j.sig, 64, 64, 'sig') }
}

/** A short sender id for people: the key's first 8 hex digits. */
export function shortSenderId (from: string): string {
  return from.slice(0, 8)
}

/**
 * A direct grant: the content key K of one video sealed with HPKE to one viewer's X25519 key.
 * Envelopes are public blocks (anyone may store or serve them; only the viewer opens them):
 *
 *   Envelope = DAG-CBOR { v: 1, type: "envelope", video: bytes(32), to: bytes(32), enc: bytes(32), ct: bytes(48) }
 *   info = "p2pdv/v1/envelope" || 0x00 || video        aad = to (the viewer's X25519 public key)
 *
 * Binding the video id into `info` means an envelope for one video never yields a key for
 * another; binding the recipient into `aad` means it cannot be re-labelled as someone else's.
 * Whether K is the right key is checked by the caller against the on-chain fingerprint.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { equalBytes } from '../cid.ts'
import { P2pdvError } from '../errors.ts'
import { checkKey, KEY_BYTES } from '../sealed.ts'
import { bindingBytes, HPKE_ENC_BYTES, HPKE_TAG_BYTES, hpkeOpen, hpkeSeal, X25519_KEY_BYTES } from './hpke.ts'
import { videoIdBytes, videoIdFromBytes, type VideoId } from './video-id.ts'

export const ENVELOPE_VERSION = 1
export const MAX_ENVELOPE_BYTES = 512
const INFO_LABEL = 'p2pdv/v1/envelope'

export const EnvelopeErrorCode = {
  MALFORMED: 'ERR_ENVELOPE_MALFORMED',
  AUTH: 'ERR_ENVELOPE_AUTH',
  WRONG_VIDEO: 'ERR_ENVELOPE_WRONG_VIDEO',
  WRONG_RECIPIENT: 'ERR_ENVELOPE_WRONG_RECIPIENT'
} as const

export interface Envelope {
  video: VideoId
  /** The recipient's X25519 public key. */
  to: Uint8Array
  enc: Uint8Array
  ct: Uint8Array
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(EnvelopeErrorCode.MALFORMED, `not a valid key envelope: ${what}`, {
    hint: 'The envelope block is damaged or is not an envelope; ask the creator to grant access again.'
  })
}

function binding (video: VideoId, to: Uint8Array): { info: Uint8Array, aad: Uint8Array } {
  return { info: bindingBytes(INFO_LABEL, videoIdBytes(video)), aad: to }
}

export async function sealEnvelope (key: Uint8Array, video: VideoId, recipientPublicKey: Uint8Array): Promise<Envelope> {
  checkKey(key)
  const { enc, ct } = await hpkeSeal(recipientPublicKey, key, binding(video, recipientPublicKey))
  return { video, to: Uint8Array.from(recipientPublicKey), enc, ct }
}

/**
 * Opens an envelope with the recipient's X25519 key pair; `video`, when given, must be the one
 * the envelope was made for (so a link cannot pair one video's envelope with another video).
 */
export async function openEnvelope (env: Envelope, recipient: { publicKey: Uint8Array, privateKey: Uint8Array }, video?: VideoId): Promise<Uint8Array> {
  if (video !== undefined && video !== env.video) throw new P2pdvError(EnvelopeErrorCode.WRONG_VIDEO, 'this envelope was made for another video')
  if (!equalBytes(env.to, recipient.publicKey)) {
    throw new P2pdvError(EnvelopeErrorCode.WRONG_RECIPIENT, 'this envelope is sealed to another encryption key', {
      hint: 'Open it with the identity it was granted to (`p2pdv keys ls`), or ask the creator to grant this one.'
    })
  }
  const key = await hpkeOpen(recipient.privateKey, env, binding(env.video, env.to), EnvelopeErrorCode.AUTH, 'the envelope')
  if (key.byteLength !== KEY_BYTES) throw malformed('it does not hold a 32-byte key')
  return key
}

export function encodeEnvelope (env: Envelope): Uint8Array {
  return dagCbor.encode({ v: ENVELOPE_VERSION, type: 'envelope', video: videoIdBytes(env.video), to: env.to, enc: env.enc, ct: env.ct })
}

function bytesField (v: unknown, len: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.byteLength !== len) throw malformed(`${what} must be ${len} bytes`)
  return v
}

export function decodeEnvelope (data: Uint8Array): Envelope {
  if (data.byteLength > MAX_ENVELOPE_BYTES) throw malformed('too large')
  let v: unknown
  try { v = dagCbor.decode(data) } catch { throw malformed('not DAG-CBOR') }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not a map')
  const m = v as Record<string, unknown>
  if (m.v !== ENVELOPE_VERSION || m.type !== 'envelope') throw malformed('unsupported version or type')
  if (Object.keys(m).length !== 6) throw malformed('unexpected fields')
  return {
    video: videoIdFromBytes(bytesField(m.video, 32, 'video')),
    to: bytesField(m.to, X25519_KEY_BYTES, 'to'),
    enc: bytesField(m.enc, HPKE_ENC_BYTES, 'enc'),
    ct: bytesField(m.ct, KEY_BYTES + HPKE_TAG_BYTES, 'ct')
  }
}

/**
 * Channel profiles: a creator's public statement about themselves (a name, a bio, an avatar,
 * links), signed by their Ethereum account exactly as listings are (listing.ts), so whoever
 * serves a profile cannot forge or edit it. The registry's `setProfile` points at the latest one
 * (only the account itself can move that pointer); readers also check that the profile names
 * the account whose pointer led to it.
 *
 *   document = DAG-CBOR { v: 1, type: "profile", creator, name, bio?, avatar?, links,
 *                         createdAt, updatedAt, sig }
 *   digest   = SHA-256("p2pdv/profile/v1" || 0x00 || DAG-CBOR(document without sig))
 *   sig      = EIP-191 personal_sign over the 32 digest bytes by `creator` (r || s || v, 65 bytes)
 *
 * The own digest domain keeps a signed listing from ever being read as a profile (and back).
 * Decoding refuses unknown fields, non-canonical encodings and links that are not https URLs.
 */
import type { Hex } from 'viem'
import { blockCid, CID, isBlockCid, verifyBlock } from './cid.ts'
import { P2pdvError } from './errors.ts'
import { MAX_BLOCK_BYTES } from './limits.ts'
import { ADDRESS_BYTES, decodeSigned, domainDigest, encodeSigned, epochMillis, hexOf, isPlainMap, signedBy, textLine, textParagraph } from './signed-document.ts'

export const ProfileErrorCode = {
  MALFORMED: 'ERR_PROFILE_MALFORMED',
  UNSUPPORTED: 'ERR_PROFILE_UNSUPPORTED',
  TOO_LARGE: 'ERR_PROFILE_TOO_LARGE',
  BAD_SIGNATURE: 'ERR_PROFILE_BAD_SIGNATURE'
} as const

export const MAX_PROFILE_BYTES = 12 * 1024
/** The avatar is one raw block holding a JPEG or PNG of at most this many bytes. */
export const MAX_PROFILE_AVATAR_BYTES = 256 * 1024
export const MAX_PROFILE_NAME = 64
export const MAX_PROFILE_BIO = 2000
export const MAX_PROFILE_LINKS = 8
export const MAX_PROFILE_LINK_LENGTH = 200
const DIGEST_DOMAIN = new TextEncoder().encode('p2pdv/profile/v1\0')
const FIELDS = new Set(['v', 'type', 'creator', 'name', 'bio', 'avatar', 'links', 'createdAt', 'updatedAt', 'sig'])

/** What the creator states; `sig` is added by signing. */
export interface ProfileBody {
  v: 1
  type: 'profile'
  /** The creator's Ethereum address, 20 bytes. */
  creator: Uint8Array
  /** The channel's display name (not unique: the address is the channel's identity). */
  name: string
  bio?: string
  /** A raw block holding a JPEG or PNG of at most MAX_PROFILE_AVATAR_BYTES. */
  avatar?: CID
  /** https URLs, at most MAX_PROFILE_LINKS. */
  links: string[]
  /** Milliseconds since the Unix epoch. */
  createdAt: number
  updatedAt: number
}

export interface ProfileDocument extends ProfileBody {
  /** EIP-191 signature (r || s || v) by `creator` over `profileDigest(body)`. */
  sig: Uint8Array
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(ProfileErrorCode.MALFORMED, `profile is malformed: ${what}`, {
    hint: 'The profile was written by an incompatible or faulty client; it cannot be shown.'
  })
}

/**
 * A link a page may render as an anchor: an absolute https URL, no credentials, no whitespace or
 * control characters, already in the form the WHATWG parser prints (so what is signed is what
 * is shown).
 */
export function isProfileLink (v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_PROFILE_LINK_LENGTH || /[\s\u0000-\u001f\u007f]/.test(v)) return false
  let u: URL
  try {
    u = new URL(v)
  } catch {
    return false
  }
  return u.protocol === 'https:' && u.username === '' && u.password === '' && u.hostname !== '' && u.href === v
}

/** Checks every field of a profile body (and nothing else) strictly. */
export function validateProfileBody (value: unknown): ProfileBody {
  if (!isPlainMap(value)) throw malformed('not a map')
  const m = value
  if (m.v !== 1 || m.type !== 'profile') {
    throw new P2pdvError(ProfileErrorCode.UNSUPPORTED, `profile version ${String(m.v).slice(0, 16)} / type ${String(m.type).slice(0, 32)} is not supported`, { hint: 'Upgrade p2pdv.' })
  }
  for (const k of Object.keys(m)) if (!FIELDS.has(k)) throw malformed(`unknown field "${k.slice(0, 32)}"`)
  if (!(m.creator instanceof Uint8Array) || m.creator.byteLength !== ADDRESS_BYTES) throw malformed('creator must be a 20-byte address')
  const name = textLine(malformed, m.name, 'name', 1, MAX_PROFILE_NAME)
  if (name !== name.trim()) throw malformed('name must not start or end with spaces')
  if (!Array.isArray(m.links) || m.links.length > MAX_PROFILE_LINKS) throw malformed(`links must list at most ${MAX_PROFILE_LINKS}`)
  const links = m.links.map((l, i) => {
    if (!isProfileLink(l)) throw malformed(`links[${i}] must be an https URL of at most ${MAX_PROFILE_LINK_LENGTH} characters, in normal form`)
    return l
  })
  if (new Set(links).size !== links.length) throw malformed('links must be unique')
  const createdAt = epochMillis(malformed, m.createdAt, 'createdAt')
  const updatedAt = epochMillis(malformed, m.updatedAt, 'updatedAt')
  if (updatedAt < createdAt) throw malformed('updatedAt is before createdAt')
  const out: ProfileBody = { v: 1, type: 'profile', creator: m.creator, name, links, createdAt, updatedAt }
  if (m.bio !== undefined) out.bio = textParagraph(malformed, m.bio, 'bio', MAX_PROFILE_BIO)
  if (m.avatar !== undefined) {
    const c = CID.asCID(m.avatar)
    if (c === null || !isBlockCid(c)) throw malformed('avatar must be a raw sha2-256 CIDv1')
    out.avatar = c
  }
  return out
}

function bodyOf (doc: ProfileBody): ProfileBody {
  const { sig: _sig, ...body } = doc as ProfileDocument
  return validateProfileBody(body)
}

/** The 32 bytes the creator signs (EIP-191 personal message, raw bytes). */
export function profileDigest (body: ProfileBody): Uint8Array {
  return domainDigest(DIGEST_DOMAIN, bodyOf(body))
}

/** The creator's address as 0x-hex (lowercase). */
export function profileCreator (doc: ProfileBody): Hex {
  return hexOf(doc.creator)
}

/** Encodes a signed profile; refuses anything invalid or larger than MAX_PROFILE_BYTES. */
export function encodeProfile (doc: ProfileDocument): Uint8Array {
  const bytes = encodeSigned(bodyOf(doc), doc.sig, malformed)
  if (bytes.byteLength > MAX_PROFILE_BYTES) {
    throw new P2pdvError(ProfileErrorCode.TOO_LARGE, `the profile needs ${bytes.byteLength} bytes, more than ${MAX_PROFILE_BYTES}`, { hint: 'Shorten the bio or use fewer links.' })
  }
  return bytes
}

/** Decodes and validates a profile (not its signature: see verifyProfile / openProfile). */
export function decodeProfile (bytes: Uint8Array): ProfileDocument {
  if (bytes.byteLength > MAX_PROFILE_BYTES) throw new P2pdvError(ProfileErrorCode.TOO_LARGE, `profile of ${bytes.byteLength} bytes exceeds ${MAX_PROFILE_BYTES}`)
  return decodeSigned(bytes, malformed, validateProfileBody)
}

/** Checks that `creator` signed this profile; throws ERR_PROFILE_BAD_SIGNATURE otherwise. */
export async function verifyProfile (doc: ProfileDocument): Promise<void> {
  if (!await signedBy(profileDigest(doc), doc.sig, doc.creator)) {
    throw new P2pdvError(ProfileErrorCode.BAD_SIGNATURE, `the profile is not signed by ${profileCreator(doc)}`, {
      hint: 'The profile was forged or altered; do not show it.'
    })
  }
}

/** Verifies a fetched profile block end to end: its hash, its shape, its signature. */
export async function openProfile (cid: CID, bytes: Uint8Array): Promise<ProfileDocument> {
  if (bytes.byteLength > Math.min(MAX_PROFILE_BYTES, MAX_BLOCK_BYTES)) throw new P2pdvError(ProfileErrorCode.TOO_LARGE, `profile of ${bytes.byteLength} bytes exceeds ${MAX_PROFILE_BYTES}`)
  await verifyBlock(cid, bytes)
  const doc = decodeProfile(bytes)
  await verifyProfile(doc)
  return doc
}

/** The block and CID of an encoded profile. */
export async function profileBlock (doc: ProfileDocument): Promise<{ cid: CID, block: Uint8Array }> {
  const block = encodeProfile(doc)
  return { cid: await blockCid(block), block }
}

/** The image type of avatar bytes (by magic number), or undefined when neither JPEG nor PNG. */
export function avatarType (bytes: Uint8Array): 'image/jpeg' | 'image/png' | undefined {
  if (bytes.byteLength >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  if (bytes.byteLength >= 8 && png.every((b, i) => bytes[i] === b)) return 'image/png'
  return undefined
}

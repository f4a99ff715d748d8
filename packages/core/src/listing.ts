/**
 * Public listing documents: what anyone may see about a video without its key (title,
 * description, tags, duration, a public poster), signed by the creator's Ethereum account so a
 * listing cannot be forged or edited by whoever serves it. The on-chain registry records the
 * listing's CID beside the (sealed) manifest's.
 *
 *   document = DAG-CBOR { v: 1, type: "listing", creator, title, description?, tags, durationSeconds,
 *                         poster?, createdAt, updatedAt, sig }
 *   digest   = SHA-256("p2pdv/listing/v1" || 0x00 || DAG-CBOR(document without sig))
 *   sig      = EIP-191 personal_sign over the 32 digest bytes by `creator` (r || s || v, 65 bytes)
 *
 * DAG-CBOR is canonical (sorted keys, shortest ints), so the digest is well defined; decoding
 * refuses unknown fields (they would be unsigned) and any encoding that is not the canonical one
 * (so one listing has exactly one CID). Stored as a raw block (nodes store raw blocks only).
 */
import type { Hex } from 'viem'
import { blockCid, CID, isBlockCid, verifyBlock } from './cid.ts'
import { P2pdvError } from './errors.ts'
import { MAX_BLOCK_BYTES } from './limits.ts'
import { ADDRESS_BYTES, decodeSigned, domainDigest, encodeSigned, epochMillis, hexOf, isPlainMap, signedBy, textLine, textParagraph } from './signed-document.ts'

export { fromHexBytes } from './signed-document.ts'

export const ListingErrorCode = {
  MALFORMED: 'ERR_LISTING_MALFORMED',
  UNSUPPORTED: 'ERR_LISTING_UNSUPPORTED',
  TOO_LARGE: 'ERR_LISTING_TOO_LARGE',
  BAD_SIGNATURE: 'ERR_LISTING_BAD_SIGNATURE'
} as const

export const MAX_LISTING_BYTES = 16 * 1024
/** The public poster is a deliberate disclosure; it is kept small (and is one block). */
export const MAX_LISTING_POSTER_BYTES = 256 * 1024
export const MAX_LISTING_TITLE = 200
export const MAX_LISTING_DESCRIPTION = 5000
export const MAX_LISTING_TAGS = 16
export const MAX_LISTING_TAG_LENGTH = 32
const DIGEST_DOMAIN = new TextEncoder().encode('p2pdv/listing/v1\0')
const FIELDS = new Set(['v', 'type', 'creator', 'title', 'description', 'tags', 'durationSeconds', 'poster', 'createdAt', 'updatedAt', 'sig'])

/** What the creator states; `sig` is added by signing. */
export interface ListingBody {
  v: 1
  type: 'listing'
  /** The creator's Ethereum address, 20 bytes. */
  creator: Uint8Array
  title: string
  description?: string
  tags: string[]
  durationSeconds: number
  /** A raw block holding an unencrypted JPEG of at most MAX_LISTING_POSTER_BYTES. */
  poster?: CID
  /** Milliseconds since the Unix epoch. */
  createdAt: number
  updatedAt: number
}

export interface ListingDocument extends ListingBody {
  /** EIP-191 signature (r || s || v) by `creator` over `listingDigest(body)`. */
  sig: Uint8Array
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(ListingErrorCode.MALFORMED, `listing is malformed: ${what}`, {
    hint: 'The listing was written by an incompatible or faulty client; it cannot be shown.'
  })
}

function line (v: unknown, what: string, min: number, max: number): string {
  return textLine(malformed, v, what, min, max)
}

function paragraph (v: unknown, what: string, max: number): string {
  return textParagraph(malformed, v, what, max)
}

function time (v: unknown, what: string): number {
  return epochMillis(malformed, v, what)
}

/** Checks every field of a listing body (and nothing else) strictly. */
export function validateListingBody (value: unknown): ListingBody {
  if (!isPlainMap(value)) throw malformed('not a map')
  const m = value
  if (m.v !== 1 || m.type !== 'listing') {
    throw new P2pdvError(ListingErrorCode.UNSUPPORTED, `listing version ${String(m.v).slice(0, 16)} / type ${String(m.type).slice(0, 32)} is not supported`, { hint: 'Upgrade p2pdv.' })
  }
  for (const k of Object.keys(m)) if (!FIELDS.has(k)) throw malformed(`unknown field "${k.slice(0, 32)}"`)
  if (!(m.creator instanceof Uint8Array) || m.creator.byteLength !== ADDRESS_BYTES) throw malformed('creator must be a 20-byte address')
  if (!Array.isArray(m.tags) || m.tags.length > MAX_LISTING_TAGS) throw malformed(`tags must list at most ${MAX_LISTING_TAGS}`)
  const tags = m.tags.map((t, i) => {
    const tag = line(t, `tags[${i}]`, 1, MAX_LISTING_TAG_LENGTH)
    if (tag !== tag.trim() || tag.includes(',')) throw malformed(`tags[${i}] must be trimmed and contain no comma`)
    return tag
  })
  if (new Set(tags).size !== tags.length) throw malformed('tags must be unique')
  const d = m.durationSeconds
  if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0 || d > 86_400) throw malformed('durationSeconds must be a number in (0, 86400]')
  const createdAt = time(m.createdAt, 'createdAt')
  const updatedAt = time(m.updatedAt, 'updatedAt')
  if (updatedAt < createdAt) throw malformed('updatedAt is before createdAt')
  const out: ListingBody = {
    v: 1,
    type: 'listing',
    creator: m.creator,
    title: line(m.title, 'title', 1, MAX_LISTING_TITLE),
    tags,
    durationSeconds: d,
    createdAt,
    updatedAt
  }
  if (m.description !== undefined) out.description = paragraph(m.description, 'description', MAX_LISTING_DESCRIPTION)
  if (m.poster !== undefined) {
    const c = CID.asCID(m.poster)
    if (c === null || !isBlockCid(c)) throw malformed('poster must be a raw sha2-256 CIDv1')
    out.poster = c
  }
  return out
}

function bodyOf (doc: ListingBody): ListingBody {
  const { sig: _sig, ...body } = doc as ListingDocument
  return validateListingBody(body)
}

/** The 32 bytes the creator signs (EIP-191 personal message, raw bytes). */
export function listingDigest (body: ListingBody): Uint8Array {
  return domainDigest(DIGEST_DOMAIN, bodyOf(body))
}

/** The creator's address as 0x-hex (lowercase; compare addresses as bytes, not strings). */
export function listingCreator (doc: ListingBody): Hex {
  return hexOf(doc.creator)
}

/** Encodes a signed listing; refuses anything invalid or larger than MAX_LISTING_BYTES. */
export function encodeListing (doc: ListingDocument): Uint8Array {
  const body = bodyOf(doc)
  const bytes = encodeSigned(body, doc.sig, malformed)
  if (bytes.byteLength > MAX_LISTING_BYTES) {
    throw new P2pdvError(ListingErrorCode.TOO_LARGE, `the listing needs ${bytes.byteLength} bytes, more than ${MAX_LISTING_BYTES}`, { hint: 'Shorten the description or use fewer tags.' })
  }
  return bytes
}

/** Decodes and validates a listing (not its signature: see verifyListing / openListing). */
export function decodeListing (bytes: Uint8Array): ListingDocument {
  if (bytes.byteLength > MAX_LISTING_BYTES) throw new P2pdvError(ListingErrorCode.TOO_LARGE, `listing of ${bytes.byteLength} bytes exceeds ${MAX_LISTING_BYTES}`)
  return decodeSigned(bytes, malformed, validateListingBody)
}

/** Checks that `creator` signed this listing; throws ERR_LISTING_BAD_SIGNATURE otherwise. */
export async function verifyListing (doc: ListingDocument): Promise<void> {
  if (!await signedBy(listingDigest(doc), doc.sig, doc.creator)) {
    throw new P2pdvError(ListingErrorCode.BAD_SIGNATURE, `the listing is not signed by ${listingCreator(doc)}`, {
      hint: 'The listing was forged or altered; do not show it.'
    })
  }
}

/** Verifies a fetched listing block end to end: its hash, its shape, its signature. */
export async function openListing (cid: CID, bytes: Uint8Array): Promise<ListingDocument> {
  if (bytes.byteLength > Math.min(MAX_LISTING_BYTES, MAX_BLOCK_BYTES)) throw new P2pdvError(ListingErrorCode.TOO_LARGE, `listing of ${bytes.byteLength} bytes exceeds ${MAX_LISTING_BYTES}`)
  await verifyBlock(cid, bytes)
  const doc = decodeListing(bytes)
  await verifyListing(doc)
  return doc
}

/** The block and CID of an encoded listing. */
export async function listingBlock (doc: ListingDocument): Promise<{ cid: CID, block: Uint8Array }> {
  const block = encodeListing(doc)
  return { cid: await blockCid(block), block }
}

/**
 * Building a public listing: the creator's statement about a video (title, description, tags,
 * duration, a public poster), signed with their Ethereum account (EIP-191 over the canonical
 * digest, see @p2pdv/core listing.ts). The poster here is plain, unencrypted JPEG bytes, published
 * on purpose so listings show without any key; keep it small.
 */
import { blockCid, fromHexBytes, isP2pdvError, listingBlock, listingDigest, ListingErrorCode, MAX_LISTING_POSTER_BYTES, P2pdvError, verifyListing, type CID, type ListingBody, type ListingDocument } from '@p2pdv/core'
import type { LocalAccount } from 'viem'

export const ListingInputErrorCode = {
  POSTER: 'ERR_LISTING_POSTER',
  INPUT: 'ERR_LISTING_INPUT'
} as const

export interface ListingInput {
  title: string
  description?: string
  tags?: string[]
  durationSeconds: number
  /** JPEG bytes, at most MAX_LISTING_POSTER_BYTES. Public: anyone can see it. */
  posterJpeg?: Uint8Array
  /** Milliseconds since 1970 (default now); updates keep the original creation time. */
  createdAt?: number
  updatedAt?: number
}

/** Normalises tags the way people type them: trimmed, lowercase, no empties, no repeats. */
export function normaliseTags (tags: string[]): string[] {
  return [...new Set(tags.map(t => t.trim().toLowerCase()).filter(t => t !== ''))]
}

export async function buildListing (signer: LocalAccount, input: ListingInput): Promise<{ listing: ListingDocument, cid: CID, block: Uint8Array, poster?: { cid: CID, block: Uint8Array } }> {
  let poster: { cid: CID, block: Uint8Array } | undefined
  if (input.posterJpeg !== undefined) {
    const b = input.posterJpeg
    if (b.byteLength > MAX_LISTING_POSTER_BYTES) {
      throw new P2pdvError(ListingInputErrorCode.POSTER, `the public poster is ${b.byteLength} bytes, more than ${MAX_LISTING_POSTER_BYTES}`, { hint: 'Use a smaller image.' })
    }
    if (b.byteLength < 3 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) throw new P2pdvError(ListingInputErrorCode.POSTER, 'the public poster is not a JPEG')
    poster = { cid: await blockCid(b), block: b }
  }
  const now = Date.now()
  const createdAt = input.createdAt ?? now
  const body: ListingBody = {
    v: 1,
    type: 'listing',
    creator: fromHexBytes(signer.address),
    title: input.title,
    ...(input.description === undefined || input.description === '' ? {} : { description: input.description.replace(/\r\n?/g, '\n') }),
    tags: normaliseTags(input.tags ?? []),
    durationSeconds: input.durationSeconds,
    ...(poster === undefined ? {} : { poster: poster.cid }),
    createdAt,
    updatedAt: input.updatedAt ?? Math.max(now, createdAt)
  }
  let digest: Uint8Array
  try {
    digest = listingDigest(body)
  } catch (err) {
    // The creator's own input: say so, rather than blaming "a faulty client".
    if (isP2pdvError(err, ListingErrorCode.MALFORMED)) {
      throw new P2pdvError(ListingInputErrorCode.INPUT, err.message.replace('listing is malformed: ', 'listing: '), { hint: 'Titles are 1–200 characters; descriptions up to 5000; at most 16 tags of up to 32 characters.' })
    }
    throw err
  }
  const sig = await signer.signMessage({ message: { raw: digest } })
  const listing: ListingDocument = { ...body, sig: fromHexBytes(sig) }
  // Refuse to publish anything a reader would refuse.
  await verifyListing(listing)
  const { cid, block } = await listingBlock(listing)
  return { listing, cid, block, ...(poster === undefined ? {} : { poster }) }
}

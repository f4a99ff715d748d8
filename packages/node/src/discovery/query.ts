/**
 * `GET /api/v1/videos` parameters, checked and bounded before they reach SQL. Search words become
 * an FTS5 expression built here from letters and digits only (each word quoted, as a prefix), so
 * no FTS5 syntax a viewer types (NEAR, column filters, `*`, quotes) reaches the engine.
 */
import { getAddress } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_LISTING_TAG_LENGTH } from '@p2pdv/core'
import { CATEGORIES, isCategory } from './categories.ts'

export const DiscoveryErrorCode = {
  BAD_QUERY: 'ERR_VIDEO_QUERY'
} as const

/** Longest `q` accepted, in characters. */
export const MAX_QUERY_CHARS = 200
/** Words of `q` used at most (the rest is refused, not silently dropped). */
export const MAX_QUERY_WORDS = 8
/** Shorter words are ignored: a one-letter prefix matches nearly everything. */
export const MIN_WORD_CHARS = 2
export const MAX_WORD_CHARS = 32
export const DEFAULT_PAGE = 24
export const MAX_PAGE = 50
/** How deep a client may page (offset), so a query cannot make the node scan the whole index. */
export const MAX_OFFSET = 1_000
/** Ratings run 0 … 4 (VideoRegistry.MAX_RATING). */
export const MAX_RATING = 4
const MAX_CURSOR_CHARS = 32

export type VideoSort = 'latest' | 'trending' | 'relevance'

export interface VideoQuery {
  /** The FTS5 expression built from `q`, if any. */
  match?: string
  /** The words searched for (for the client's display). */
  words: string[]
  tag?: string
  category?: string
  maxRating?: number
  /** Only this owner's videos (checksummed address). */
  creator?: string
  sort: VideoSort
  limit: number
  offset: number
}

function bad (what: string, hint?: string): P2pdvError {
  return new P2pdvError(DiscoveryErrorCode.BAD_QUERY, `video query: ${what}`, { hint: hint ?? 'docs/openapi.yaml describes GET /api/v1/videos.' })
}

function one (v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw bad(`${name} must be given once`)
  return v
}

/** The search words of a text, as the index tokenizes them (letters and digits, lowercase). */
export function searchWords (text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(w => w.length >= MIN_WORD_CHARS)
}

export function parseVideoQuery (raw: Record<string, unknown>): VideoQuery {
  for (const k of Object.keys(raw)) {
    if (!['q', 'tag', 'category', 'rating', 'creator', 'sort', 'cursor', 'limit'].includes(k)) throw bad(`unknown parameter "${k.slice(0, 32)}"`)
  }
  const q = one(raw.q, 'q')
  let words: string[] = []
  if (q !== undefined) {
    if (q.length > MAX_QUERY_CHARS) throw bad(`q is longer than ${MAX_QUERY_CHARS} characters`, 'Search with fewer words.')
    words = [...new Set(searchWords(q))]
    if (words.length > MAX_QUERY_WORDS) throw bad(`q has more than ${MAX_QUERY_WORDS} words`, 'Search with fewer words.')
    if (words.some(w => w.length > MAX_WORD_CHARS)) throw bad(`a word of q is longer than ${MAX_WORD_CHARS} characters`)
  }
  const out: VideoQuery = { words, sort: 'latest', limit: DEFAULT_PAGE, offset: 0 }
  // Every word must match, each as a prefix ("vid" finds "video").
  if (words.length > 0) out.match = words.map(w => `"${w}"*`).join(' ')
  const tag = one(raw.tag, 'tag')
  if (tag !== undefined) {
    if (tag.length < 1 || tag.length > MAX_LISTING_TAG_LENGTH || /[\u0000-\u001f\u007f]/.test(tag)) throw bad(`tag must be 1–${MAX_LISTING_TAG_LENGTH} characters`)
    out.tag = tag.trim().toLowerCase()
  }
  const category = one(raw.category, 'category')
  if (category !== undefined) {
    if (!isCategory(category)) throw bad(`unknown category "${category.slice(0, 32)}"`, `Categories: ${CATEGORIES.join(', ')}.`)
    out.category = category
  }
  const rating = one(raw.rating, 'rating')
  if (rating !== undefined) {
    if (!/^[0-4]$/.test(rating)) throw bad(`rating must be 0–${MAX_RATING} (the highest rating to show)`)
    out.maxRating = Number(rating)
  }
  const creator = one(raw.creator, 'creator')
  if (creator !== undefined) out.creator = parseCreator(creator)
  const sort = one(raw.sort, 'sort')
  if (sort !== undefined) {
    if (sort !== 'latest' && sort !== 'trending' && sort !== 'relevance') throw bad('sort must be latest, trending or relevance')
    out.sort = sort
  } else if (out.match !== undefined) {
    out.sort = 'relevance'
  }
  const limit = one(raw.limit, 'limit')
  if (limit !== undefined) {
    if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE) throw bad(`limit must be 1–${MAX_PAGE}`)
    out.limit = Number(limit)
  }
  const cursor = one(raw.cursor, 'cursor')
  if (cursor !== undefined) out.offset = parseCursor(cursor)
  return out
}

/** An account address (0x and 40 hex digits, any case) in checksummed form, as the index keeps owners. */
export function parseCreator (text: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) throw bad('creator must be an address: 0x and 40 hex digits')
  return getAddress(text.toLowerCase())
}

function parseCursor (cursor: string): number {
  const m = cursor.length <= MAX_CURSOR_CHARS && /^[A-Za-z0-9_-]+$/.test(cursor) ? /^o:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1')) : null
  const offset = m === null ? NaN : Number(m[1])
  if (!(offset >= 0 && offset <= MAX_OFFSET)) throw bad('cursor is not one this node gave out (or pages too deep)', `Start again without a cursor; at most ${MAX_OFFSET} results are reachable: narrow the search.`)
  return offset
}

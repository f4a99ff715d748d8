/**
 * The discovery API's answers (`GET /api/v1/videos`, `/api/v1/videos/{id}`), checked: every field
 * has its type and the listing format's bounds, so a node gone wrong cannot hand a caller junk.
 * What is inside is still a stranger's text: show it as text, never as markup.
 */
import { isProfileLink, MAX_LISTING_DESCRIPTION, MAX_LISTING_TAG_LENGTH, MAX_LISTING_TAGS, MAX_LISTING_TITLE, MAX_PROFILE_BIO, MAX_PROFILE_LINKS, MAX_PROFILE_NAME } from '@p2pdv/core'

export interface VideoSearch {
  q?: string
  tag?: string
  category?: string
  /** Highest content rating to show (0 … 4). */
  rating?: number
  sort?: 'latest' | 'trending' | 'relevance'
  /** Only this account's videos. */
  creator?: string
  cursor?: string
  limit?: number
}

export interface ListedVideo {
  id: string
  owner: string
  listingCid: string
  manifestCid: string
  policy: 'public' | 'paid' | 'subscribers'
  rating: number
  price?: { asset: string, amount: bigint, durationSeconds: bigint }
  registeredAt: number
  title: string
  description?: string
  tags: string[]
  category?: string
  durationSeconds: number
  poster?: string
  createdAt: number
  updatedAt: number
  recentPurchases: number
  /** The owner's channel name (from their signed profile) when the node knows it. */
  creatorName?: string
}

export interface VideoPage { videos: ListedVideo[], next?: string }

/** A page holds at most this many videos (the node's MAX_PAGE). */
export const MAX_VIDEO_PAGE = 50
/** A page's JSON is refused beyond this (50 × a 16 KiB listing, with room). */
export const MAX_VIDEO_PAGE_BYTES = 1024 * 1024
const MAX_CID_CHARS = 128

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

/** One video of an answer, or undefined when any field is wrong. */
export function parseListedVideo (v: unknown): ListedVideo | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  if (!str(o.id, 66) || !/^0x[0-9a-f]{64}$/i.test(o.id) || !str(o.owner, 42) || !/^0x[0-9a-f]{40}$/i.test(o.owner)) return undefined
  if (!str(o.listingCid, MAX_CID_CHARS) || !str(o.manifestCid, MAX_CID_CHARS)) return undefined
  if (o.policy !== 'public' && o.policy !== 'paid' && o.policy !== 'subscribers') return undefined
  if (!num(o.rating) || !num(o.registeredAt) || !num(o.durationSeconds) || !num(o.createdAt) || !num(o.updatedAt) || !num(o.recentPurchases)) return undefined
  if (!str(o.title, MAX_LISTING_TITLE) || (o.description !== undefined && !str(o.description, MAX_LISTING_DESCRIPTION))) return undefined
  if (!Array.isArray(o.tags) || o.tags.length > MAX_LISTING_TAGS || !o.tags.every(t => str(t, MAX_LISTING_TAG_LENGTH))) return undefined
  if ((o.category !== undefined && !str(o.category, MAX_LISTING_TAG_LENGTH)) || (o.poster !== undefined && !str(o.poster, MAX_CID_CHARS))) return undefined
  if (o.creatorName !== undefined && !str(o.creatorName, MAX_PROFILE_NAME)) return undefined
  let price: ListedVideo['price']
  if (o.price !== undefined) {
    const p = o.price as Record<string, unknown> | null
    if (p === null || !str(p.asset, 8) || !str(p.amount, 78) || !/^\d+$/.test(p.amount) || !str(p.durationSeconds, 20) || !/^\d+$/.test(p.durationSeconds)) return undefined
    price = { asset: p.asset, amount: BigInt(p.amount), durationSeconds: BigInt(p.durationSeconds) }
  }
  return {
    id: o.id.toLowerCase(),
    owner: o.owner,
    listingCid: o.listingCid,
    manifestCid: o.manifestCid,
    policy: o.policy,
    rating: o.rating,
    ...(price === undefined ? {} : { price }),
    registeredAt: o.registeredAt,
    title: o.title,
    ...(o.description === undefined ? {} : { description: o.description }),
    tags: o.tags as string[],
    ...(o.category === undefined ? {} : { category: o.category }),
    durationSeconds: o.durationSeconds,
    ...(o.poster === undefined ? {} : { poster: o.poster }),
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    recentPurchases: o.recentPurchases,
    ...(o.creatorName === undefined ? {} : { creatorName: o.creatorName })
  }
}

/** A page, or undefined when it is not one (too many videos, any malformed, a bad cursor). */
export function parseVideoPage (body: unknown): VideoPage | undefined {
  const b = body as { videos?: unknown, next?: unknown } | null
  if (typeof b !== 'object' || b === null || !Array.isArray(b.videos) || b.videos.length > MAX_VIDEO_PAGE) return undefined
  const videos = b.videos.map(parseListedVideo)
  if (videos.some(v => v === undefined)) return undefined
  if (b.next !== undefined && !(str(b.next, 32) && /^[A-Za-z0-9_-]+$/.test(b.next))) return undefined
  return { videos: videos as ListedVideo[], ...(b.next === undefined ? {} : { next: b.next }) }
}

/** The query string of a search (only the parameters given). */
export function videoSearchParams (s: VideoSearch): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(s)) if (v !== undefined) p.set(k, String(v))
  const q = p.toString()
  return q === '' ? '' : `?${q}`
}

/** A creator's channel profile as a node's index holds it (verified by that node). */
export interface ChannelProfile {
  address: string
  cid: string
  name: string
  bio?: string
  avatar?: string
  links: string[]
  createdAt: number
  updatedAt: number
}

export interface ChannelPage extends VideoPage {
  address: string
  profile?: ChannelProfile
}

const isAddress = (v: unknown): v is string => str(v, 42) && /^0x[0-9a-f]{40}$/i.test(v)

/** A profile of an answer, or undefined when any field is wrong (links must be https, as signed). */
export function parseChannelProfile (v: unknown): ChannelProfile | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  if (!isAddress(o.address) || !str(o.cid, MAX_CID_CHARS) || !str(o.name, MAX_PROFILE_NAME) || o.name === '') return undefined
  if ((o.bio !== undefined && !str(o.bio, MAX_PROFILE_BIO)) || (o.avatar !== undefined && !str(o.avatar, MAX_CID_CHARS))) return undefined
  if (!Array.isArray(o.links) || o.links.length > MAX_PROFILE_LINKS || !o.links.every(isProfileLink)) return undefined
  if (!num(o.createdAt) || !num(o.updatedAt)) return undefined
  return {
    address: o.address,
    cid: o.cid,
    name: o.name,
    ...(o.bio === undefined ? {} : { bio: o.bio }),
    ...(o.avatar === undefined ? {} : { avatar: o.avatar }),
    links: o.links as string[],
    createdAt: o.createdAt,
    updatedAt: o.updatedAt
  }
}

/** `GET /api/v1/channels/{address}`'s answer, or undefined when it is not one. */
export function parseChannelPage (body: unknown): ChannelPage | undefined {
  const page = parseVideoPage(body)
  const b = body as { address?: unknown, profile?: unknown }
  if (page === undefined || !isAddress(b.address)) return undefined
  const profile = b.profile === undefined ? undefined : parseChannelProfile(b.profile)
  if (b.profile !== undefined && profile === undefined) return undefined
  if (profile !== undefined && profile.address.toLowerCase() !== b.address.toLowerCase()) return undefined
  return { address: b.address, ...(profile === undefined ? {} : { profile }), ...page }
}

/**
 * The serving node's discovery index, through NodeClient (GET /api/v1/videos, /api/v1/videos/{id}).
 * Everything in a listing is a stranger's text: components render it as text nodes only.
 */
import { NodeClient, type ChannelPage, type ChannelProfile, type ListedVideo, type VideoPage, type VideoSearch } from '@p2pdv/node-client'
import { avatarType, isProfileLink, MAX_LISTING_POSTER_BYTES, MAX_PROFILE_AVATAR_BYTES, parseCid } from '@p2pdv/core'
import { MAX_RATING, maxRating } from '../settings/preferences.ts'
import { decimalMark, formatAgo, t } from '../i18n/index.ts'

export type { ChannelPage, ChannelProfile, ListedVideo, VideoPage, VideoSearch }

let client: NodeClient | undefined

function node (): NodeClient {
  client ??= new NodeClient(window.location.origin, { timeoutMs: 15_000 })
  return client
}

/** Every list of videos in the app goes through here: the viewer's rating limit applies to all. */
export async function searchVideos (search: VideoSearch, signal?: AbortSignal): Promise<VideoPage> {
  const limit = maxRating()
  const rating = Math.min(search.rating ?? MAX_RATING, limit)
  return await node().videos({ ...search, ...(rating < MAX_RATING ? { rating } : {}) }, signal === undefined ? {} : { signal })
}

export async function listedVideo (id: string, signal?: AbortSignal): Promise<ListedVideo> {
  return await node().video(id, signal === undefined ? {} : { signal })
}

/** A creator's channel (profile and a page of videos), under the viewer's rating limit. */
export async function channelPage (address: string, cursor?: string, signal?: AbortSignal): Promise<ChannelPage> {
  const limit = maxRating()
  return await node().channel(address, { limit: 24, ...(limit < MAX_RATING ? { rating: limit } : {}), ...(cursor === undefined ? {} : { cursor }) }, signal === undefined ? {} : { signal })
}

/** The href a profile link may have on a page: only http(s) URLs (profiles hold https only), else undefined. */
export function safeLinkHref (link: string): string | undefined {
  if (!isProfileLink(link)) return undefined
  const u = new URL(link)
  return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined
}

/** A blob: URL of a channel's avatar (a JPEG or PNG block, checked against its CID), or undefined. */
export async function avatarBlobUrl (cid: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const bytes = await node().getBlock(parseCid(cid), { maxSize: MAX_PROFILE_AVATAR_BYTES, ...(signal === undefined ? {} : { signal }) })
    const type = avatarType(bytes)
    if (type === undefined) return undefined
    return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }))
  } catch {
    return undefined
  }
}

/** A blob: URL of a listing's public poster (a JPEG block, checked against its CID), or undefined. */
export async function posterBlobUrl (cid: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const bytes = await node().getBlock(parseCid(cid), { maxSize: MAX_LISTING_POSTER_BYTES, ...(signal === undefined ? {} : { signal }) })
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined
    return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }))
  } catch {
    return undefined
  }
}

/** Categories a listing may be filed under (the node's list: node/src/discovery/categories.ts). */
export const CATEGORIES = [
  'music', 'gaming', 'education', 'science', 'technology', 'news', 'sports', 'film', 'animation',
  'comedy', 'travel', 'food', 'howto', 'nature', 'art', 'kids'
] as const

export function categoryLabel (c: string): string {
  return (CATEGORIES as readonly string[]).includes(c) ? t(`category.${c as typeof CATEGORIES[number]}`) : c.charAt(0).toUpperCase() + c.slice(1)
}

/** "Free", "0.001 ETH", "0.5 P2PV · 30 days", "Subscribers". */
export function priceLabel (v: Pick<ListedVideo, 'policy' | 'price'>): string {
  if (v.policy === 'public') return t('common.free')
  if (v.policy === 'subscribers') return t('price.subscribers')
  if (v.price === undefined) return t('price.paid')
  const days = v.price.durationSeconds === 0n ? '' : ` · ${t('price.days', { count: Math.max(1, Math.round(Number(v.price.durationSeconds) / 86_400)) })}`
  return `${formatUnits(v.price.amount)} ${v.price.asset === 'eth' ? 'ETH' : 'P2PV'}${days}`
}

/** Wei as a decimal with up to `digits` fraction digits (the active locale's decimal mark, no grouping). */
export function formatUnits (wei: bigint, digits = 6): string {
  const whole = wei / 10n ** 18n
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').slice(0, digits).replace(/0+$/, '')
  return frac === '' ? whole.toString() : `${whole}${decimalMark()}${frac}`
}

/** 0x7099…79c8 */
export function shortAddress (a: string): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`
}

/** "3 days ago" from seconds since 1970. */
export function ago (seconds: number, now = Date.now() / 1000): string {
  return formatAgo(seconds, now)
}

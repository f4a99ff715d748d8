/**
 * Categories: listings (v1) carry tags, not a category field, so a listing's category is its first
 * tag that names one of these. A fixed list keeps the home page's shelves meaningful and stops
 * anyone from inventing categories by tagging.
 */
export const CATEGORIES = [
  'music', 'gaming', 'education', 'science', 'technology', 'news', 'sports', 'film', 'animation',
  'comedy', 'travel', 'food', 'howto', 'nature', 'art', 'kids'
] as const

export type Category = typeof CATEGORIES[number]

const SET: ReadonlySet<string> = new Set(CATEGORIES)

export function isCategory (s: string): s is Category {
  return SET.has(s)
}

/** The first tag that is a category (tags are lowercase when the sdk builds a listing). */
export function categoryOf (tags: readonly string[]): Category | undefined {
  return tags.map(t => t.toLowerCase()).find(isCategory)
}

// The discovery index's text search (node/src/discovery/index-store.ts) on a real node:sqlite
// database: each sort returns every match once, in its order, page after page, whichever query
// plan serves it (best first unfiltered is ranked inside the text index; newest first walks the
// recency index).
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DiscoveryStore } from '../src/discovery/index-store.ts'
import { parseVideoQuery } from '../src/discovery/query.ts'

const N = 60
/** Owner of every 10th video (checksummed, as the chain reports owners). */
const CREATOR = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
let dir: string
let store: DiscoveryStore
/** Listing i: registered at a time that is not its insertion order; "river" in the title of every 5th, in the description of every 3rd. */
const registeredAt = (i: number): number => 1_700_000_000 + ((i * 37) % N) * 60
const id = (i: number): string => `0x${i.toString(16).padStart(64, '0')}`
const inTitle = (i: number): boolean => i % 5 === 0
const matches = (i: number): boolean => inTitle(i) || i % 3 === 0

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pdv-discovery-store-'))
  store = new DiscoveryStore(join(dir, 'discovery.sqlite'))
  for (let i = 0; i < N; i++) {
    store.upsert({
      id: id(i), owner: i % 10 === 0 ? CREATOR : `0x${'ab'.repeat(20)}`, listingCid: 'bafkrei', manifestCid: 'bafkrei', policy: 'public', rating: i % 2 === 0 ? 0 : 3,
      registeredAt: registeredAt(i),
      title: inTitle(i) ? `Down the river ${i}` : `Clip ${i}`,
      description: i % 3 === 0 ? `a slow walk by the riverbank, number ${i}` : `nothing to see, number ${i}`,
      tags: i % 4 === 0 ? ['walks'] : ['misc'],
      durationSeconds: 60, createdAt: i, updatedAt: i
    })
  }
})
after(async () => {
  store.close()
  await rm(dir, { recursive: true, force: true })
})

/** Every page of a query, following its cursors. */
function all (q: Record<string, string>): string[] {
  const out: string[] = []
  let cursor: string | undefined
  do {
    const page = store.search(parseVideoQuery({ ...q, limit: '7', ...(cursor === undefined ? {} : { cursor }) }))
    out.push(...page.videos.map(v => v.id))
    cursor = page.next
  } while (cursor !== undefined)
  return out
}

const expected = (keep: (i: number) => boolean): number[] => Array.from({ length: N }, (_, i) => i).filter(keep)
const newestFirst = (xs: number[]): string[] => [...xs].sort((a, b) => registeredAt(b) - registeredAt(a) || b - a).map(id)

describe('discovery index: text search', () => {
  it('newest first: every match once, by registration time, across pages', () => {
    assert.deepEqual(all({ q: 'river', sort: 'latest' }), newestFirst(expected(matches)))
    assert.deepEqual(all({ q: 'river', sort: 'latest', tag: 'walks' }), newestFirst(expected(i => matches(i) && i % 4 === 0)))
  })

  it('best first: every match once across pages, title matches ahead of description matches', () => {
    const ids = all({ q: 'river' })
    assert.deepEqual([...ids].sort(), expected(matches).map(id).sort())
    assert.equal(new Set(ids).size, ids.length)
    const titled = expected(inTitle).length
    assert.deepEqual(new Set(ids.slice(0, titled)), new Set(expected(inTitle).map(id)))
  })

  it('best first with a filter: only matches that pass it, each once', () => {
    const ids = all({ q: 'river', rating: '0' })
    assert.deepEqual([...ids].sort(), expected(i => matches(i) && i % 2 === 0).map(id).sort())
    assert.equal(new Set(ids).size, ids.length)
  })

  it('a word no listing has finds nothing, in either order', () => {
    assert.deepEqual(all({ q: 'zebra' }), [])
    assert.deepEqual(all({ q: 'zebra', sort: 'latest' }), [])
  })
})

describe('discovery index: channels', () => {
  it('pages one creator\'s videos (any address case), names them by the verified profile, and forgets it on removal', () => {
    assert.deepEqual(all({ creator: CREATOR.toLowerCase() }), newestFirst(expected(i => i % 10 === 0)))
    assert.deepEqual(all({ creator: CREATOR, q: 'river', sort: 'relevance' }).sort(), expected(i => i % 10 === 0 && matches(i)).map(id).sort())
    assert.equal(store.get(id(10))?.creatorName, undefined)
    store.upsertProfile({ address: CREATOR, cid: 'bafkreiprofile', name: 'River_Walks%', bio: '<b>hi</b>', links: ['https://example.org/'], createdAt: 1, updatedAt: 2 })
    assert.equal(store.get(id(10))?.creatorName, 'River_Walks%')
    assert.equal(store.get(id(11))?.creatorName, undefined)
    assert.equal(store.search(parseVideoQuery({ creator: CREATOR, limit: '1' })).videos[0]?.creatorName, 'River_Walks%')
    assert.deepEqual(store.profile(CREATOR), { address: CREATOR, cid: 'bafkreiprofile', name: 'River_Walks%', bio: '<b>hi</b>', links: ['https://example.org/'], createdAt: 1, updatedAt: 2 })
    // Names are looked up by prefix, case-insensitively; LIKE wildcards in the query are literal.
    assert.deepEqual(store.findProfiles('river_w', 5).map(p => p.address), [CREATOR])
    assert.deepEqual(store.findProfiles('River%', 5), [])
    assert.deepEqual(store.findProfiles('%', 5), [])
    // Case folds beyond ASCII (SQLite's NOCASE stops at A-Z); accents still tell names apart.
    const OTHER = `0x${'ab'.repeat(20)}`
    for (const [name, query] of [['Élodie Straße', 'ÉLODIE STRASSE'], ['σοφία', 'ΣΟΦΊΑ']] as const) {
      store.upsertProfile({ address: OTHER, cid: 'bafkreiother', name, links: [], createdAt: 1, updatedAt: 3 })
      assert.deepEqual(store.findProfiles(query, 5).map(p => p.name), [name], query)
    }
    // Full-width letters are the plain ones; an exact name comes before a longer one.
    store.upsertProfile({ address: OTHER, cid: 'bafkreiother', name: 'Ｒｉｖｅｒ', links: [], createdAt: 1, updatedAt: 1 })
    assert.deepEqual(store.findProfiles('RIVER', 5).map(p => p.name), ['Ｒｉｖｅｒ', 'River_Walks%'])
    store.upsertProfile({ address: OTHER, cid: 'bafkreiother', name: 'José', links: [], createdAt: 1, updatedAt: 3 })
    assert.deepEqual(store.findProfiles('jose', 5), [])
    assert.deepEqual(store.findProfiles('JOSÉ', 5).map(p => p.name), ['José'])
    store.removeProfile(OTHER)
    store.removeProfile(CREATOR)
    assert.equal(store.profile(CREATOR), undefined)
    assert.equal(store.get(id(10))?.creatorName, undefined)
  })

  it('refuses a creator that is not an address', () => {
    for (const creator of ['0x12', 'abc', `0x${'g'.repeat(40)}`, `${CREATOR} `]) assert.throws(() => parseVideoQuery({ creator }), { code: 'ERR_VIDEO_QUERY' }, creator)
  })
})

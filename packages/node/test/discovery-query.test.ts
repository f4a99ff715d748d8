// Search parameters are bounded and typed before they reach SQL; only letters and digits of `q`
// reach FTS5, each word quoted as a prefix.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_OFFSET, parseVideoQuery } from '../src/discovery/query.ts'
import { encodeCursor } from '../src/discovery/index-store.ts'

const code = (raw: Record<string, unknown>): string | undefined => {
  try { parseVideoQuery(raw); return undefined } catch (err) { return (err as { code?: string }).code }
}

describe('video query', () => {
  it('turns words into a quoted prefix match, sorted by relevance', () => {
    const q = parseVideoQuery({ q: 'Café "NEAR(title:x)" OR * -- ; DROP' })
    assert.equal(q.match, '"café"* "near"* "title"* "or"* "drop"*')
    assert.equal(q.sort, 'relevance')
    assert.deepEqual(parseVideoQuery({}), { words: [], sort: 'latest', limit: 24, offset: 0 })
  })

  it('refuses what is out of bounds, repeated or unknown with ERR_VIDEO_QUERY', () => {
    for (const raw of [
      { q: 'x'.repeat(201) }, { q: 'aa bb cc dd ee ff gg hh ii' }, { q: 'x'.repeat(33) }, { q: ['a', 'b'] },
      { tag: '' }, { tag: 't'.repeat(33) }, { category: 'weapons' }, { rating: '5' }, { rating: '-1' },
      { sort: 'random' }, { limit: '0' }, { limit: '51' }, { limit: '1e1' }, { cursor: 'x'.repeat(40) },
      { cursor: encodeCursor(MAX_OFFSET + 1) }, { cursor: 'bm90LWEtY3Vyc29y' }, { evil: '1' }
    ]) assert.equal(code(raw), 'ERR_VIDEO_QUERY', JSON.stringify(raw).slice(0, 80))
  })

  it('pages with the cursors it gives out', () => {
    assert.equal(parseVideoQuery({ cursor: encodeCursor(48), limit: '24' }).offset, 48)
  })
})

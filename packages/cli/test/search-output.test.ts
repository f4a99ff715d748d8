// Listing text printed by `p2pdv search` / `ls` cannot drive the terminal: escape sequences,
// other control characters and bidi overrides are replaced.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { priceText, terminalText } from '../src/commands/search.ts'

describe('search output', () => {
  it('replaces control characters and bidi overrides in listing text', () => {
    assert.equal(terminalText('a\u001b[2Jb\rc\u009bd\u202eevil'), 'a\ufffd[2Jb\ufffdc\ufffdd\ufffdevil')
    assert.equal(terminalText('Harbour <b>lights</b> ünïcode 🎬'), 'Harbour <b>lights</b> ünïcode 🎬')
  })

  it('prints prices people read', async () => {
    assert.equal(await priceText({ policy: 'public' }), 'free')
    assert.equal(await priceText({ policy: 'paid', price: { asset: 'eth', amount: 2n * 10n ** 15n, durationSeconds: 0n } }), '0.002 ETH')
    assert.equal(await priceText({ policy: 'subscribers' }), 'subscribers')
  })
})

// Listing text printed by `p2pdv search` / `ls` cannot drive the terminal: escape sequences,
// other control characters and bidi overrides are replaced.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { creatorLabel, priceText, terminalText } from '../src/commands/search.ts'

describe('search output', () => {
  it('replaces control characters and bidi overrides in listing text', () => {
    assert.equal(terminalText('a\u001b[2Jb\rc\u009bd\u202eevil'), 'a\ufffd[2Jb\ufffdc\ufffdd\ufffdevil')
    assert.equal(terminalText('Harbour <b>lights</b> ünïcode 🎬'), 'Harbour <b>lights</b> ünïcode 🎬')
  })

  it('names a creator by their channel when the index knows it, else by address or wallet name', () => {
    const owner = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
    assert.equal(creatorLabel(owner), owner)
    assert.equal(creatorLabel(owner, 'Lisbon Lens'), 'Lisbon Lens (0x5aAe…eAed)')
    assert.equal(creatorLabel('alice', 'Lisbon Lens'), 'Lisbon Lens (alice)')
  })

  it('prints prices people read', async () => {
    assert.equal(await priceText({ policy: 'public' }), 'free')
    assert.equal(await priceText({ policy: 'paid', price: { asset: 'eth', amount: 2n * 10n ** 15n, durationSeconds: 0n } }), '0.002 ETH')
    assert.equal(await priceText({ policy: 'subscribers' }), 'subscribers')
  })
})

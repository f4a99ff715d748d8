// What `p2pdv buy` tells the buyer about refunds: before paying (the window the video has) and
// after (until when this purchase is refundable, from its Escrowed event).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { refundableTerm, refundWindowTerm } from '../src/commands/chain-videos.ts'

describe('buy: refund terms', () => {
  it('states the window before paying, "not refundable" without one', () => {
    assert.equal(refundWindowTerm(7n * 86_400n), 'refundable for 1w after buying (`p2pdv refund VIDEO`)')
    assert.equal(refundWindowTerm(3_600n), 'refundable for 1h after buying (`p2pdv refund VIDEO`)')
    assert.equal(refundWindowTerm(0n), 'not refundable')
  })

  it('states until when the purchase made is refundable', () => {
    assert.equal(refundableTerm(1_800_000_000n, 7n * 86_400n), 'refundable for 1w, until 2027-01-15T08:00:00.000Z')
    assert.equal(refundableTerm(0n, 0n), 'not refundable')
  })
})

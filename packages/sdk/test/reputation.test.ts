import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MIN_PLACEMENT_SCORE, weightedOrder } from '@p2pdv/core/placement'
import { PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'
import { isEligible, PeerSet, type PeerInfo } from '@p2pdv/sdk'

const peer = (id: string): PeerInfo => ({ peerId: id, multiaddrs: [], http: `http://${id}` })

describe('reputation in placement and reads', () => {
  it('leaves nodes below the threshold out of placement; unknown nodes stay eligible', () => {
    const view = { scores: new Map([['good', 0.9], ['bad', PLACEMENT_MIN_SCORE - 0.01]]), threshold: PLACEMENT_MIN_SCORE }
    assert.deepEqual(['good', 'bad', 'new'].filter(p => isEligible(view, p)), ['good', 'new'])
    assert.equal(isEligible(undefined, 'anyone'), true)
    // Placement uses the same threshold: the weighted order never offers the low-scored node.
    const order = weightedOrder('k', [{ peerId: 'good', score: 0.9 }, { peerId: 'bad', score: PLACEMENT_MIN_SCORE - 0.01 }, { peerId: 'new' }])
    assert.deepEqual(order.map(c => c.peerId).sort(), ['good', 'new'])
    assert.equal(MIN_PLACEMENT_SCORE, PLACEMENT_MIN_SCORE)
  })

  it('reads from distrusted nodes only after the others, even when they are faster', () => {
    const set = new PeerSet([peer('bad'), peer('good')])
    set.recordSuccess('bad', 1)
    set.recordSuccess('good', 500)
    assert.deepEqual(set.ranked().map(p => p.peerId), ['bad', 'good'])
    set.setReputation({ scores: new Map([['bad', 0.1]]), threshold: PLACEMENT_MIN_SCORE })
    assert.deepEqual(set.ranked().map(p => p.peerId), ['good', 'bad'])
  })
})

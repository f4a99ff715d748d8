import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'
import { isEligible, PeerSet, type PeerInfo } from '@p2pdv/sdk'

const peer = (id: string): PeerInfo => ({ peerId: id, multiaddrs: [], http: `http://${id}` })

describe('reputation in placement and reads', () => {
  it('leaves nodes below the threshold out of placement; unknown nodes stay eligible', () => {
    const set = new PeerSet([peer('good'), peer('bad'), peer('new')])
    set.setReputation({ scores: new Map([['good', 0.9], ['bad', PLACEMENT_MIN_SCORE - 0.01]]), threshold: PLACEMENT_MIN_SCORE })
    assert.deepEqual(set.eligible().map(p => p.peerId), ['good', 'new'])
    assert.equal(isEligible(undefined, 'anyone'), true)
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

// The P2P-at-scale model: P2P takes load off the nodes, never delays start-up, and uses the
// player's real policy constants.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_HELD_BYTES, URGENT_SECONDS } from '@p2pdv/sdk/player'
import { DEFAULT_ANNOUNCE_INTERVAL_MS, DEFAULT_MAX_PEERS } from '@p2pdv/sdk/swarm'
import { DEFAULT_SWARM_SIM, PLAYER_POLICY, simulateSwarm } from '../src/viewer-swarm.ts'

const small = { ...DEFAULT_SWARM_SIM, viewers: 600, nodes: 10, videos: 10, videoSeconds: 120, arrivalSeconds: 300 }

describe('P2P delivery at scale (model)', () => {
  it('models the player with the sdk\'s own policy constants', () => {
    assert.equal(PLAYER_POLICY.urgentSeconds, URGENT_SECONDS)
    assert.equal(PLAYER_POLICY.heldBytes, DEFAULT_HELD_BYTES)
    assert.equal(PLAYER_POLICY.maxPeers, DEFAULT_MAX_PEERS)
    assert.equal(PLAYER_POLICY.announceSeconds * 1000, DEFAULT_ANNOUNCE_INTERVAL_MS)
  })

  it('with P2P off every byte is from the nodes: viewers × video size', () => {
    const off = simulateSwarm({ ...small, p2p: false })
    assert.equal(off.peerShare, 0)
    assert.ok(Math.abs(off.nodeBytes - small.viewers * small.videoSeconds * small.bitrateMbps * 1e6 / 8) < 1e3)
  })

  it('with P2P on, nodes send less, and start-up and stalls are no worse than with P2P off', () => {
    const on = simulateSwarm({ ...small, p2p: true })
    const off = simulateSwarm({ ...small, p2p: false })
    assert.ok(on.peerShare > 0)
    assert.ok(on.nodeBytes < off.nodeBytes)
    assert.ok(on.startupP95 <= off.startupP95)
    assert.ok(on.stallMean <= off.stallMean)
  })

  it('is reproducible from its seed', () => {
    assert.deepEqual(simulateSwarm({ ...small, viewers: 200 }), simulateSwarm({ ...small, viewers: 200 }))
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SwarmCode } from '@p2pdv/core/wire'
import { SwarmTable } from '../src/swarm-tracker.ts'

const video = (n: number): string => '0x' + n.toString(16).padStart(64, '0')
const addr = (peer: string): string[] => [`/ip4/127.0.0.1/tcp/1/ws/p2p/R/p2p-circuit/webrtc/p2p/${peer}`]

function clock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_000_000
  return { now: () => t, advance: ms => { t += ms } }
}

describe('swarm tracker table', () => {
  it('returns other viewers of the same video, never the announcer or other videos', () => {
    const table = new SwarmTable()
    assert.deepEqual(table.announce(video(1), 'A', addr('A'), 10), { peers: [] })
    table.announce(video(2), 'X', addr('X'), 10)
    const b = table.announce(video(1), 'B', addr('B'), 10)
    assert.deepEqual(b.peers, [{ id: 'A', addrs: addr('A') }])
    // A refresh does not add a second entry.
    table.announce(video(1), 'B', addr('B'), 10)
    assert.equal(table.entries, 3)
    assert.deepEqual(table.announce(video(1), 'A', addr('A'), 10).peers.map(p => p.id), ['B'])
  })

  it('samples uniformly without replacement, up to max', () => {
    const table = new SwarmTable()
    for (let i = 0; i < 50; i++) table.announce(video(1), `P${i}`, addr(`P${i}`), 1)
    const counts = new Map<string, number>()
    for (let round = 0; round < 400; round++) {
      const ids = table.announce(video(1), 'Q', addr('Q'), 5).peers.map(p => p.id)
      assert.equal(ids.length, 5)
      assert.equal(new Set(ids).size, 5)
      assert.ok(!ids.includes('Q'))
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    // 2,000 picks over 50 viewers: every viewer is picked (the first ones are not favoured).
    assert.equal(counts.size, 50)
  })

  it('expires entries after the TTL unless refreshed', () => {
    const c = clock()
    const table = new SwarmTable({ ttlMs: 1000, now: c.now })
    table.announce(video(1), 'A', addr('A'), 10)
    table.announce(video(1), 'B', addr('B'), 10)
    c.advance(600)
    table.announce(video(1), 'B', addr('B'), 10) // B refreshes, A does not
    c.advance(600)
    assert.deepEqual(table.announce(video(1), 'C', addr('C'), 10).peers.map(p => p.id), ['B'])
    assert.equal(table.entries, 2)
    c.advance(2000)
    table.sweep()
    assert.equal(table.entries, 0)
  })

  it('caps swarms per peer, viewers per video and entries in total', () => {
    const table = new SwarmTable({ maxPerPeer: 2, maxPerVideo: 3, maxEntries: 5 })
    table.announce(video(1), 'A', addr('A'), 10)
    table.announce(video(2), 'A', addr('A'), 10)
    const third = table.announce(video(3), 'A', addr('A'), 10)
    assert.equal(third.code, SwarmCode.PEER_LIMIT)
    assert.equal(table.entries, 2)
    table.announce(video(1), 'B', addr('B'), 10)
    table.announce(video(1), 'C', addr('C'), 10)
    const full = table.announce(video(1), 'D', addr('D'), 10)
    assert.equal(full.code, SwarmCode.FULL)
    assert.equal(full.peers.length, 3, 'a viewer that is not listed still gets a sample')
    table.announce(video(4), 'E', addr('E'), 10)
    assert.equal(table.entries, 5)
    assert.equal(table.announce(video(5), 'F', addr('F'), 10).code, SwarmCode.FULL)
    assert.equal(table.entries, 5)
  })

  it('a peer that disconnects is dropped from every swarm, freeing its slots', () => {
    const table = new SwarmTable({ maxPerPeer: 2 })
    table.announce(video(1), 'A', addr('A'), 10)
    table.announce(video(2), 'A', addr('A'), 10)
    table.dropPeer('A')
    assert.equal(table.entries, 0)
    assert.equal(table.announce(video(3), 'A', addr('A'), 10).code, undefined)
  })

  it('thousands of fake announces from one peer stay within its cap', () => {
    const table = new SwarmTable()
    for (let i = 0; i < 5000; i++) table.announce(video(i), 'Flood', addr('Flood'), 32)
    assert.equal(table.entries, 4)
  })
})

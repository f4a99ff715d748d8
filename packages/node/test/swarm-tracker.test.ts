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

  it('a client minting thousands of peer ids from one IP gets at most 16 listed, and no sample past that', () => {
    const c = clock()
    const table = new SwarmTable({ now: c.now, announcesPerIpPerMinute: 100_000 })
    table.announce(video(1), 'Honest', addr('Honest'), 10, '10.0.0.9')
    const codes = new Map<string | undefined, number>()
    for (let i = 0; i < 5000; i++) {
      const r = table.announce(video(1), `Fake${i}`, addr(`Fake${i}`), 32, '10.0.0.66')
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1)
      if (r.code === SwarmCode.IP_LIMIT) assert.deepEqual(r.peers, [], 'a refused announce learns no viewer')
    }
    assert.deepEqual([...codes], [[undefined, 16], [SwarmCode.IP_LIMIT, 4984]])
    assert.equal(table.entries, 17)
    // Another IP is unaffected, and a listed id of the flooding IP may still refresh.
    assert.equal(table.announce(video(1), 'Other', addr('Other'), 10, '10.0.0.10').code, undefined)
    assert.equal(table.announce(video(1), 'Fake3', addr('Fake3'), 10, '10.0.0.66').code, undefined)
    // When its entries expire, the IP's slots come back.
    c.advance(3 * 60_000)
    assert.equal(table.announce(video(1), 'Late', addr('Late'), 10, '10.0.0.66').code, undefined)
  })

  it('bounds announces per IP per minute (a token bucket), refilling with time', () => {
    const c = clock()
    const table = new SwarmTable({ now: c.now, announcesPerIpPerMinute: 60 })
    let refused = 0
    for (let i = 0; i < 100; i++) if (table.announce(video(1), 'A', addr('A'), 10, '10.0.0.1').code === SwarmCode.IP_LIMIT) refused++
    assert.equal(refused, 40)
    assert.equal(table.announce(video(1), 'B', addr('B'), 10, '10.0.0.2').code, undefined, 'other IPs keep their budget')
    c.advance(1000)
    assert.equal(table.announce(video(1), 'A', addr('A'), 10, '10.0.0.1').code, undefined, 'one announce a second comes back')
    assert.equal(table.announce(video(1), 'A', addr('A'), 10, '10.0.0.1').code, SwarmCode.IP_LIMIT)
  })
})

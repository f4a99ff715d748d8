import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ListedPeers, type ListedPeer } from '../src/listed-peers.ts'

const peer = (id: string): ListedPeer => ({ peerId: id, url: `http://127.0.0.1:1/${id}` })
const entry = (id: string, http = `http://127.0.0.1:2/${id}`): { peerId: string, http: string } => ({ peerId: id, http })

describe('ListedPeers', () => {
  it('adds the peers other nodes list that this node does not know, never itself and never a known one at another address', async () => {
    const lists: Record<string, Array<{ peerId: string, http: string }>> = {
      a: [entry('self'), entry('a'), entry('b', 'http://evil.example:1'), entry('f')],
      b: [entry('f', 'http://127.0.0.1:9/second-claim'), entry('g')]
    }
    const listed = new ListedPeers({ self: 'self', fetchList: async p => lists[p.peerId] ?? [], refreshMs: 1000, sources: 4, max: 10, now: () => 0 })
    const known = new Map([['self', 1], ['a', 1], ['b', 1]])
    const found = await listed.refresh([peer('a'), peer('b')], known, AbortSignal.timeout(5000))
    assert.deepEqual([...found.keys()].sort(), ['f', 'g'])
    // The first claim for an id is kept; a known peer keeps the peer store's address.
    assert.equal(listed.get('f')?.url, 'http://127.0.0.1:2/f')
    assert.equal(listed.get('b'), undefined)
    assert.equal(listed.get('self'), undefined)
  })

  it('reads the lists again only after refreshMs, and a failing source adds nothing', async () => {
    let now = 0
    let calls = 0
    let list = [entry('f')]
    const listed = new ListedPeers({
      self: 'self',
      fetchList: async p => { calls++; if (p.peerId === 'down') throw new Error('refused'); return list },
      refreshMs: 1000,
      sources: 4,
      max: 10,
      now: () => now
    })
    const live = [peer('down'), peer('a')]
    assert.deepEqual([...(await listed.refresh(live, new Map(), AbortSignal.timeout(5000))).keys()], ['f'])
    list = [entry('g')]
    now = 999
    assert.deepEqual([...(await listed.refresh(live, new Map(), AbortSignal.timeout(5000))).keys()], ['f'])
    assert.equal(calls, 2)
    now = 1000
    assert.deepEqual([...(await listed.refresh(live, new Map(), AbortSignal.timeout(5000))).keys()], ['g'])
    assert.equal(calls, 4)
  })

  it('asks at most `sources` nodes (not itself) and keeps at most `max` peers', async () => {
    const asked: string[] = []
    const listed = new ListedPeers({
      self: 'self',
      fetchList: async p => { asked.push(p.peerId); return Array.from({ length: 50 }, (_, i) => entry(`${p.peerId}-${i}`)) },
      refreshMs: 1000,
      sources: 2,
      max: 30,
      now: () => 0
    })
    const found = await listed.refresh([peer('self'), peer('a'), peer('b'), peer('c')], new Map(), AbortSignal.timeout(5000))
    assert.deepEqual(asked, ['a', 'b'])
    assert.equal(found.size, 30)
  })

  it('asks the next nodes in turn at each refresh, and sooner when the caller is short of candidates', async () => {
    let now = 0
    const asked: string[] = []
    const listed = new ListedPeers({
      self: 'self',
      fetchList: async p => { asked.push(p.peerId); return p.peerId === 'c' ? [entry('new')] : [] },
      refreshMs: 60_000,
      sources: 2,
      max: 10,
      now: () => now
    })
    const live = [peer('a'), peer('b'), peer('self'), peer('c')]
    assert.equal((await listed.refresh(live, new Map(), AbortSignal.timeout(5000))).size, 0)
    now = 5_000
    // Not yet due by refreshMs, but due for a caller that accepts lists 5 s old.
    assert.equal((await listed.refresh(live, new Map(), AbortSignal.timeout(5000))).size, 0)
    assert.deepEqual([...(await listed.refresh(live, new Map(), AbortSignal.timeout(5000), 5_000)).keys()], ['new'])
    assert.deepEqual(asked, ['a', 'b', 'c', 'a'])
  })
})

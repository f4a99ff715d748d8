import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerSet } from '../src/peers.ts'
import { httpUrlFromMultiaddr } from '../src/block-fetcher.ts'

const peers = ['a', 'b', 'c'].map(id => ({ peerId: id, multiaddrs: [], http: `http://${id}` }))

describe('PeerSet', () => {
  it('ranks by latency and pushes failing peers to the back', () => {
    const set = new PeerSet(peers)
    set.recordSuccess('a', 200)
    set.recordSuccess('b', 5)
    set.recordSuccess('c', 50)
    assert.deepEqual(set.ranked().map(p => p.peerId), ['b', 'c', 'a'])
    set.recordFailure('b')
    assert.deepEqual(set.ranked().map(p => p.peerId), ['c', 'a', 'b'])
    set.recordSuccess('b', 5)
    assert.equal(set.ranked()[0]?.peerId, 'b')
  })

  it('prefers peers known to hold the block', () => {
    const set = new PeerSet(peers)
    set.recordSuccess('a', 1)
    assert.equal(set.ranked(new Set(['c']))[0]?.peerId, 'c')
  })
})

describe('httpUrlFromMultiaddr', () => {
  it('maps gateway multiaddrs to URLs and rejects others', () => {
    assert.equal(httpUrlFromMultiaddr('/ip4/127.0.0.1/tcp/8080/http'), 'http://127.0.0.1:8080')
    assert.equal(httpUrlFromMultiaddr('/ip6/::1/tcp/443/tls/http'), 'https://[::1]:443')
    assert.equal(httpUrlFromMultiaddr('/ip4/127.0.0.1/tcp/4001'), undefined)
  })
})

// The player's block scheduler between the viewer swarm and the nodes, over a stand-in swarm
// (the real one is exercised in Chromium by packages/web/test/watch-p2p.int.test.ts).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, P2pdvError, type CID } from '@p2pdv/core'
import { JOINING_FLOOR_SECONDS, PeerDelivery, swarmIdOf, type SwarmLike } from '../src/player.ts'

const block = new Uint8Array(1000).map((_, i) => i % 251)
const cid = await blockCid(block)

/** A stand-in swarm: `answer` decides what a fetch does; calls are recorded. */
function fakeSwarm (answer: (signal: AbortSignal | undefined) => Promise<Uint8Array>, peers = 1): SwarmLike & { calls: number } {
  const s = {
    calls: 0,
    fetch: async (_cid: CID, opts: { signal?: AbortSignal }) => { s.calls++; return await answer(opts.signal) },
    stats: () => ({ peers, banned: 0, bytesToPeers: 0 })
  }
  return s
}

const nodes = (bytes = block) => {
  const f = async (): Promise<Uint8Array> => { f.calls++; return bytes }
  f.calls = 0
  return f
}

describe('PeerDelivery', () => {
  it('without a swarm reads from the nodes and holds the block for sharing', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 30 })
    const fromNodes = nodes()
    assert.deepEqual(await d.fetch(cid, undefined, fromNodes), block)
    assert.equal(fromNodes.calls, 1)
    assert.deepEqual(d.held.get(cid), block)
    assert.deepEqual({ ...d.stats(), held: [...d.held.cids()].length }, { peerBytes: 0, peerBlocks: 0, nodeBytes: 1000, nodeBlocks: 1, urgentBlocks: 0, peerMisses: 0, rejectedPeerBlocks: 0, peers: 0, bannedPeers: 0, bytesToPeers: 0, joined: false, held: 1 })
  })

  it('sends an urgent block (needed within 2 s, e.g. before the first frame) to the nodes, never to peers', async () => {
    let ahead = 0
    const d = new PeerDelivery({ bufferAhead: () => ahead })
    const swarm = fakeSwarm(async () => block)
    d.attach(swarm)
    await d.fetch(cid, undefined, nodes())
    ahead = 1.9
    await d.fetch(cid, undefined, nodes())
    assert.equal(swarm.calls, 0)
    assert.equal(d.stats().urgentBlocks, 2)
    assert.equal(d.stats().nodeBlocks, 2)
  })

  it('takes a block ahead of the playhead from a peer, verified, and holds it', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 10 })
    d.attach(fakeSwarm(async () => block.slice()))
    const fromNodes = nodes()
    assert.deepEqual(await d.fetch(cid, undefined, fromNodes), block)
    assert.equal(fromNodes.calls, 0)
    assert.equal(d.stats().peerBytes, 1000)
    assert.deepEqual(d.held.get(cid), block)
  })

  it('a caller fetching ahead of its buffer gives each block its own time to play: far ahead → a peer, near → the nodes', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 0 })
    const swarm = fakeSwarm(async () => block.slice())
    d.attach(swarm)
    const fromNodes = nodes()
    await d.fetch(cid, undefined, fromNodes, undefined, 12)
    assert.deepEqual({ swarm: swarm.calls, nodes: fromNodes.calls }, { swarm: 1, nodes: 0 })
    await d.fetch(cid, undefined, fromNodes, undefined, 1)
    assert.deepEqual({ swarm: swarm.calls, nodes: fromNodes.calls, urgent: d.stats().urgentBlocks }, { swarm: 1, nodes: 1, urgent: 1 })
  })

  it('goes to the nodes when no viewer is connected', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 10 })
    const swarm = fakeSwarm(async () => block, 0)
    d.attach(swarm)
    await d.fetch(cid, undefined, nodes())
    assert.equal(swarm.calls, 0)
    assert.equal(d.stats().nodeBlocks, 1)
  })

  it('falls back to the nodes when the peers fail, and when a peer\'s bytes fail the CID (never returned, never held)', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 10 })
    d.attach(fakeSwarm(async () => { throw new Error('ERR_P2P_UNAVAILABLE') }))
    assert.deepEqual(await d.fetch(cid, undefined, nodes()), block)
    const forged = block.slice()
    forged[500]! ^= 1
    d.attach(fakeSwarm(async () => forged))
    assert.deepEqual(await d.fetch(cid, undefined, nodes()), block)
    const s = d.stats()
    assert.deepEqual([s.peerMisses, s.rejectedPeerBlocks, s.peerBlocks, s.nodeBlocks], [2, 1, 0, 2])
    assert.deepEqual(d.held.get(cid), block)
  })

  it('gives a silent peer only the time left before the block is urgent, then the nodes', async () => {
    // 2.05 s buffered: 50 ms of slack; a peer that never answers must not hold the block longer.
    const d = new PeerDelivery({ bufferAhead: () => 2.05 })
    d.attach(fakeSwarm(async signal => await new Promise<Uint8Array>((_resolve, reject) => { signal?.addEventListener('abort', () => { reject(signal.reason) }) })))
    assert.deepEqual(await d.fetch(cid, undefined, nodes()), block)
    assert.equal(d.stats().peerMisses, 1)
  })

  it('while a swarm is joining, a block with time to spare waits for it and comes from a peer; a failed join sends it to the nodes', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 10 })
    let joined: () => void = () => {}
    d.expectSwarm(new Promise<void>(resolve => { joined = resolve }))
    const fromNodes = nodes()
    const pending = d.fetch(cid, undefined, fromNodes)
    d.attach(fakeSwarm(async () => block))
    joined()
    await pending
    assert.equal(fromNodes.calls, 0)
    assert.equal(d.stats().peerBlocks, 1)

    const e = new PeerDelivery({ bufferAhead: () => 10 })
    e.expectSwarm(Promise.reject(new Error('ERR_SWARM_NO_RELAY')))
    assert.deepEqual(await e.fetch(cid, undefined, fromNodes), block)
    assert.equal(fromNodes.calls, 1)
  })

  it('while a swarm is joining, a block due within 8 s goes to the nodes at once: waiting for a join never thins the buffer below the floor', async () => {
    // 5 s buffered: not urgent, but below the floor. A huge peer budget: a block that waited for
    // the join would wait its whole slack (3 s) and leave playback 2 s of buffer.
    const d = new PeerDelivery({ bufferAhead: () => 5, peerBudgetMs: 2 ** 30 })
    d.expectSwarm(new Promise<void>(() => {}))
    const fromNodes = nodes()
    const read = d.fetch(cid, undefined, fromNodes)
    for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
    assert.equal(fromNodes.calls, 1)
    assert.deepEqual(await read, block)
    assert.equal(JOINING_FLOOR_SECONDS, 8)
  })

  it('joined with no viewer yet but dials under way: a block with time to spare waits for the dial; no dial left sends it to the nodes', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 10 })
    const state = { peers: 0, dialling: 1 }
    const swarm = { calls: 0, fetch: async () => { swarm.calls++; return block }, stats: () => ({ ...state, banned: 0, bytesToPeers: 0 }) }
    d.attach(swarm)
    const fromNodes = nodes()
    const read = d.fetch(cid, undefined, fromNodes)
    await new Promise(resolve => setTimeout(resolve, 250))
    assert.equal(fromNodes.calls, 0, 'waits while the dial is under way')
    state.peers = 1
    state.dialling = 0
    assert.deepEqual(await read, block)
    assert.deepEqual({ swarm: swarm.calls, nodes: fromNodes.calls, peerBlocks: d.stats().peerBlocks }, { swarm: 1, nodes: 0, peerBlocks: 1 })

    // The dial failed: nothing to wait for.
    state.peers = 0
    const again = d.fetch(cid, undefined, fromNodes)
    await new Promise(resolve => setTimeout(resolve, 150))
    state.dialling = 0
    assert.deepEqual(await again, block)
    assert.equal(fromNodes.calls, 1)

    // Below the floor (5 s buffered) a block never waits on dials.
    const e = new PeerDelivery({ bufferAhead: () => 5, peerBudgetMs: 2 ** 30 })
    e.attach({ fetch: async () => block, stats: () => ({ peers: 0, dialling: 1, banned: 0, bytesToPeers: 0 }) })
    const near = nodes()
    const t0 = Date.now()
    await e.fetch(cid, undefined, near)
    assert.equal(near.calls, 1)
    assert.ok(Date.now() - t0 < 1000, 'went to the nodes at once')
  })

  it('rethrows the caller\'s abort instead of going to the nodes', async () => {
    const d = new PeerDelivery({ bufferAhead: () => 10 })
    const ctrl = new AbortController()
    d.attach(fakeSwarm(async () => { ctrl.abort(new P2pdvError('ERR_ABORTED', 'seeked away')); throw new Error('aborted') }))
    const fromNodes = nodes()
    await assert.rejects(d.fetch(cid, ctrl.signal, fromNodes), { code: 'ERR_ABORTED' })
    assert.equal(fromNodes.calls, 0)
  })
})

describe('swarmIdOf', () => {
  it('is a tracker video id (0x + 64 hex), the same for the same manifest, different for another', async () => {
    const other = await blockCid(new Uint8Array([1, 2, 3]))
    const id = await swarmIdOf(cid)
    assert.match(id, /^0x[0-9a-f]{64}$/)
    assert.equal(await swarmIdOf(cid), id)
    assert.notEqual(await swarmIdOf(other), id)
  })
})

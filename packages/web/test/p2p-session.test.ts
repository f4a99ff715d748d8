// The watch page's swarm session (p2p.ts) and the start-up rule of issue 16: nothing of P2P runs
// before the first frame, and no block waits for a swarm that is not being joined; the viewer's
// choice, else the node operator's default, decides whether the page shares at all.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid } from '@p2pdv/core'
import { PeerDelivery } from '@p2pdv/sdk/player'
import { operatorP2pDefault, p2pAllowed, p2pChosen, SwarmSession } from '../src/app/watch/p2p.ts'

const block = new Uint8Array(1000).map((_, i) => i % 251)
const cid = await blockCid(block)
const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

describe('SwarmSession before the first frame', () => {
  it('makes no block wait for a swarm: with buffer to spare (the gap between `playing` and the join), a block goes to the nodes at once', async () => {
    // A huge peer budget: a block that waited for a swarm would wait for the whole test.
    const delivery = new PeerDelivery({ bufferAhead: () => 1e6, peerBudgetMs: 2 ** 30 })
    const session = new SwarmSession(delivery, cid, () => [{ peerId: '12D3KooWtest', http: 'http://127.0.0.1:9' }], true)
    assert.equal(session.state.kind, 'waiting')
    let nodeCalls = 0
    const read = delivery.fetch(cid, undefined, async () => { nodeCalls++; return block })
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(nodeCalls, 1)
    assert.deepEqual(await read, block)
    assert.equal(delivery.stats().nodeBlocks, 1)
    await session.stop()
  })

  it('switching P2P on before the first frame does not join: the swarm waits for the first frame', async () => {
    const delivery = new PeerDelivery({ bufferAhead: () => 0 })
    const session = new SwarmSession(delivery, cid, () => [{ peerId: '12D3KooWtest', http: 'http://127.0.0.1:9' }], false)
    assert.equal(session.state.kind, 'off')
    await session.setAllowed(true)
    assert.equal(session.state.kind, 'waiting')
    await session.stop()
  })

  it('after the first frame it joins (here: a node that cannot be reached leaves playback on the nodes, with a code)', async () => {
    const delivery = new PeerDelivery({ bufferAhead: () => 0 })
    const session = new SwarmSession(delivery, cid, () => [{ peerId: '12D3KooWtest', http: 'http://127.0.0.1:9' }], true)
    const settled = new Promise<void>(resolve => { session.subscribe(() => { if (session.state.kind === 'unavailable') resolve() }) })
    session.firstFrame()
    assert.equal(session.state.kind, 'joining')
    await settled
    assert.equal(session.state.kind, 'unavailable')
    await session.stop()
  })
})

describe('the P2P choice', () => {
  const store = (v: string | null): Pick<Storage, 'getItem'> => ({ getItem: () => v })
  const page = (content: string | undefined): Pick<Document, 'querySelector'> => ({
    querySelector: () => (content === undefined ? null : { getAttribute: () => content }) as unknown as Element
  })

  it("follows the viewer's own choice first, then the node operator's default", () => {
    assert.equal(p2pAllowed(store(null), operatorP2pDefault(page(undefined))), true, 'no choice, no operator default: on')
    assert.equal(p2pAllowed(store(null), operatorP2pDefault(page('off'))), false, 'the operator ships pages with P2P off')
    assert.equal(p2pAllowed(store('on'), operatorP2pDefault(page('off'))), true, 'a viewer who switched it on shares')
    assert.equal(p2pAllowed(store('off'), operatorP2pDefault(page(undefined))), false, 'a viewer who switched it off never shares')
    assert.equal(p2pAllowed(store('junk'), operatorP2pDefault(page('off'))), false)
    assert.equal(operatorP2pDefault(page('on')), true)
    assert.equal(p2pChosen(store('on')), true)
    assert.equal(p2pChosen(store(null)), false)
  })
})

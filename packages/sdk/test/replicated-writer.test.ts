import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { PutErrorCode, ReplicatedWriter, type StoreBatch, type StoreReceipt } from '../src/replicated-writer.ts'
import type { PeerInfo } from '../src/peers.ts'
import { P2pdvError } from '@p2pdv/core/errors'
import { StoreRefusal } from '@p2pdv/core/wire'

const peers: PeerInfo[] = Array.from({ length: 5 }, (_, i) => ({ peerId: `peer-${i}`, multiaddrs: [], http: `http://127.0.0.1:${1000 + i}` }))

async function block (i: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new Uint8Array([i, i >> 8, 7])
  return { cid: CID.createV1(0x55, await sha256.digest(bytes)), bytes }
}

/** A fake cluster: records which peer got which block; peers in `down` reject every batch. */
function cluster (down: Set<string> = new Set()): { store: StoreBatch, held: Map<string, Set<string>> } {
  const held = new Map<string, Set<string>>()
  const store: StoreBatch = async (peer, blocks) => {
    await new Promise(resolve => setImmediate(resolve))
    if (down.has(peer.peerId)) throw new Error('connection refused')
    return blocks.map(b => {
      const set = held.get(b.cid.toString()) ?? new Set<string>()
      set.add(peer.peerId)
      held.set(b.cid.toString(), set)
      return { peer: peer.peerId, cid: b.cid.toString(), size: b.bytes.byteLength, time: 0 } satisfies StoreReceipt
    })
  }
  return { store, held }
}

describe('ReplicatedWriter', () => {
  it('puts every block on exactly `replicas` distinct nodes', async () => {
    const { store, held } = cluster()
    const w = new ReplicatedWriter(peers, store, { replicas: 3 })
    for (let i = 0; i < 40; i++) { const b = await block(i); await w.write(b.cid, b.bytes) }
    const receipts = await w.flush()
    assert.equal(receipts.length, 40 * 3)
    assert.equal(held.size, 40)
    for (const holders of held.values()) assert.equal(holders.size, 3)
    // Rendezvous spreads load: every node holds some blocks.
    const perPeer = new Map<string, number>()
    for (const h of held.values()) for (const p of h) perPeer.set(p, (perPeer.get(p) ?? 0) + 1)
    assert.equal(perPeer.size, 5)
  })

  it('moves replicas off a failing node and still completes', async () => {
    const { store, held } = cluster(new Set(['peer-2']))
    const failed: string[] = []
    const w = new ReplicatedWriter(peers, store, { replicas: 3, onNodeFailed: p => failed.push(p.peerId) })
    for (let i = 0; i < 30; i++) { const b = await block(i); await w.write(b.cid, b.bytes) }
    await w.flush()
    assert.deepEqual(failed, ['peer-2'])
    for (const holders of held.values()) {
      assert.equal(holders.size, 3)
      assert.ok(!holders.has('peer-2'))
    }
  })

  it('fails with a typed error when too few nodes accept blocks', async () => {
    const { store } = cluster(new Set(['peer-0', 'peer-1', 'peer-2']))
    const w = new ReplicatedWriter(peers, store, { replicas: 3 })
    await assert.rejects(async () => {
      for (let i = 0; i < 10; i++) { const b = await block(i); await w.write(b.cid, b.bytes) }
      await w.flush()
    }, { code: PutErrorCode.NOT_ENOUGH_NODES })
  })

  it('releases a block\'s bytes once, after every replica is stored (rerouted ones too), and never for a failed block', async () => {
    const { store, held } = cluster(new Set(['peer-1']))
    const released = new Map<string, number>()
    const w = new ReplicatedWriter(peers, store, { replicas: 3 })
    for (let i = 0; i < 20; i++) {
      const b = await block(i)
      const key = b.cid.toString()
      await w.write(b.cid, b.bytes, {
        order: peers,
        replicas: 3,
        release: () => {
          // Every copy is already held when the bytes are handed back.
          assert.equal(held.get(key)?.size, 3, `block ${i} released before all its replicas were stored`)
          released.set(key, (released.get(key) ?? 0) + 1)
        }
      })
    }
    await w.flush()
    assert.equal(released.size, 20)
    for (const n of released.values()) assert.equal(n, 1)

    const failing = cluster(new Set(['peer-0', 'peer-1', 'peer-2']))
    let failedReleases = 0
    const w2 = new ReplicatedWriter(peers, failing.store, { replicas: 3 })
    await assert.rejects(async () => {
      for (let i = 0; i < 5; i++) { const b = await block(i); await w2.write(b.cid, b.bytes, { order: peers, replicas: 3, release: () => { failedReleases++ } }) }
      await w2.flush()
    }, { code: PutErrorCode.NOT_ENOUGH_NODES })
    assert.equal(failedReleases, 0)
  })

  it('names the last refusal when a block runs out of nodes, and says so when the nodes are full', async () => {
    const full: StoreBatch = async peer => {
      throw new P2pdvError('ERR_STORE_REFUSED', `node ${peer.peerId} refused block: this node's quota of 10 bytes is full [${StoreRefusal.QUOTA}]`, { details: { code: StoreRefusal.QUOTA } })
    }
    const w = new ReplicatedWriter(peers, full, { replicas: 3 })
    await assert.rejects(async () => {
      for (let i = 0; i < 3; i++) { const b = await block(i); await w.write(b.cid, b.bytes) }
      await w.flush()
    }, (err: any) => {
      assert.equal(err.code, PutErrorCode.NOT_ENOUGH_NODES)
      assert.match(err.message, /last failure: .*quota/)
      assert.match(err.hint, /nodes are full/)
      assert.equal(err.details.lastFailure, StoreRefusal.QUOTA)
      return true
    })
  })

  it('refuses up front when fewer nodes are known than replicas', () => {
    assert.throws(() => new ReplicatedWriter(peers.slice(0, 2), cluster().store, { replicas: 3 }), { code: PutErrorCode.NOT_ENOUGH_NODES })
  })

  it('degraded: as many copies as there are nodes, a stripe shares nodes once its own run out, and a node lost mid-put costs a copy, not the block', async () => {
    const { store, held } = cluster(new Set(['peer-1']))
    const w = new ReplicatedWriter(peers.slice(0, 2), store, { replicas: 3, degraded: true })
    const copies = await block(1)
    await w.write(copies.cid, copies.bytes)
    // A stripe of three blocks over two nodes (one of them failing): all land on the one left.
    const group = new Set<string>()
    const stripe = await Promise.all([10, 11, 12].map(block))
    for (const b of stripe) await w.write(b.cid, b.bytes, { order: peers.slice(0, 2), replicas: 1, group })
    await w.flush()
    assert.deepEqual([...held.get(copies.cid.toString())!], ['peer-0'])
    for (const b of stripe) assert.deepEqual([...held.get(b.cid.toString())!], ['peer-0'])
    // Without it, the same stripe fails with the typed error.
    const strict = new ReplicatedWriter(peers.slice(0, 2), cluster().store, { replicas: 1 })
    const strictGroup = new Set<string>()
    for (const b of stripe) await strict.write(b.cid, b.bytes, { order: peers.slice(0, 2), replicas: 1, group: strictGroup }).catch(() => {})
    await assert.rejects(strict.flush(), { code: PutErrorCode.NOT_ENOUGH_NODES })
  })
})

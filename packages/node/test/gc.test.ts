// Garbage collection's rules (node/src/gc.ts) on an in-memory store and hand-made records: it
// deletes only blocks that kept records name, assign elsewhere, for the whole grace period, and
// whose listed holders confirm their copies.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, type CID } from '@p2pdv/core'
import type { BlockPlacement, PlacementRecord } from '@p2pdv/core/placement'
import { GarbageCollector, type HoldsProbe } from '../src/gc.ts'

const ME = 'me'
const HOUR = 3_600_000

async function cid (n: number): Promise<CID> {
  return await blockCid(new Uint8Array([n, n, n]))
}

const bp = (c: CID, nodes: string[]): BlockPlacement => ({ cid: c, size: 3, root: new Uint8Array(32), nodes })

/** A record with one replicated block per entry (only what gc reads: blocks and their nodes). */
function record (manifest: BlockPlacement, blocks: BlockPlacement[]): PlacementRecord {
  return { manifest, stripes: blocks.map(b => ({ data: 1, blocks: [b] })) } as unknown as PlacementRecord
}

function setup (records: PlacementRecord[], held: CID[]) {
  const store = new Set(held.map(c => c.toString()))
  let now = 0
  const gc = new GarbageCollector({
    peerId: ME,
    graceMs: 24 * HOUR,
    records: () => records,
    has: async c => store.has(c.toString()),
    delete: async c => { store.delete(c.toString()) },
    now: () => now
  })
  return { gc, store, advance: (ms: number) => { now += ms } }
}

const everyoneHasIt: HoldsProbe = async () => 'yes'

describe('garbage collection of blocks moved to other nodes', () => {
  it('deletes a block assigned elsewhere only after the grace period, once its holders confirm', async () => {
    const [m, a, b] = await Promise.all([cid(0), cid(1), cid(2)])
    const r = record(bp(m, [ME, 'x']), [bp(a, [ME]), bp(b, ['x', 'y'])])
    const { gc, store, advance } = setup([r], [m, a, b])
    assert.deepEqual(await gc.pass(everyoneHasIt), [])
    assert.equal(gc.stats.unassigned, 1)
    advance(23 * HOUR)
    assert.deepEqual(await gc.pass(everyoneHasIt), [], 'still within the grace period')
    advance(HOUR)
    const asked: string[] = []
    const deleted = await gc.pass(async (block, id) => { asked.push(`${block.cid.toString()}@${id}`); return 'yes' })
    assert.deepEqual(deleted.map(String), [b.toString()])
    assert.deepEqual(asked.sort(), [`${b.toString()}@x`, `${b.toString()}@y`])
    assert.ok(store.has(m.toString()) && store.has(a.toString()), 'blocks assigned here stay')
    assert.ok(!store.has(b.toString()))
    assert.equal(gc.stats.bytesFreed, 3)
  })

  it('keeps the block when a listed holder says no or does not answer, or no holder is listed', async () => {
    const [m, b, c] = await Promise.all([cid(0), cid(2), cid(3)])
    const r = record(bp(m, [ME]), [bp(b, ['x', 'y']), bp(c, [])])
    for (const answer of ['no', 'unknown'] as const) {
      const { gc, store, advance } = setup([r], [m, b, c])
      await gc.pass(everyoneHasIt)
      advance(25 * HOUR)
      assert.deepEqual(await gc.pass(async (_, id) => id === 'y' ? answer : 'yes'), [])
      assert.ok(store.has(b.toString()), `kept when a holder answers ${answer}`)
      assert.ok(store.has(c.toString()), 'kept when the record lists nobody: this may be the last copy')
      assert.equal(gc.stats.keptUnconfirmed, 2)
    }
  })

  it('never deletes a block another kept record still assigns here, nor one no record names', async () => {
    const [m1, m2, shared, stray] = await Promise.all([cid(0), cid(1), cid(2), cid(9)])
    const moved = record(bp(m1, [ME]), [bp(shared, ['x'])])
    const stays = record(bp(m2, [ME]), [bp(shared, [ME])])
    const { gc, store, advance } = setup([moved, stays], [m1, m2, shared, stray])
    await gc.pass(everyoneHasIt)
    advance(100 * HOUR)
    assert.deepEqual(await gc.pass(everyoneHasIt), [])
    assert.equal(store.size, 4)
  })

  it('restarts the grace period when the block is assigned here again in between', async () => {
    const [m, b] = await Promise.all([cid(0), cid(2)])
    const records = [record(bp(m, [ME]), [bp(b, ['x'])])]
    const { gc, store, advance } = setup(records, [m, b])
    await gc.pass(everyoneHasIt)
    advance(20 * HOUR)
    records[0] = record(bp(m, [ME]), [bp(b, ['x', ME])])
    await gc.pass(everyoneHasIt)
    records[0] = record(bp(m, [ME]), [bp(b, ['x'])])
    advance(1)
    await gc.pass(everyoneHasIt)
    advance(20 * HOUR)
    assert.deepEqual(await gc.pass(everyoneHasIt), [], '20 h since it was moved away again')
    advance(4 * HOUR)
    assert.deepEqual((await gc.pass(everyoneHasIt)).map(String), [b.toString()])
    assert.ok(!store.has(b.toString()))
  })
})

// What a node announces on the DHT (node/src/announcer.ts), with a fake clock: with `roots`, the
// manifest CID of an object once its record is kept (if the manifest is held here) and none of
// the blocks the record covers; a block no record covers is announced by itself after the grace
// period; with `all`, every block as it is stored.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, type CID } from '@p2pdv/core'
import type { PlacementRecord } from '@p2pdv/core/placement'
import { Announcer, MAX_UNCOVERED, type AnnounceStrategy } from '../src/announcer.ts'

async function cid (n: number): Promise<CID> {
  return await blockCid(new Uint8Array([n >> 8, n & 0xff, 7]))
}

/** A record with the manifest and two data blocks (only what the announcer reads). */
function record (manifest: CID, blocks: CID[]): PlacementRecord {
  const bp = (c: CID): { cid: CID, nodes: string[] } => ({ cid: c, nodes: ['me'] })
  return { object: manifest, manifest: bp(manifest), stripes: blocks.map(b => ({ data: 1, blocks: [bp(b)] })) } as unknown as PlacementRecord
}

function setup (strategy: AnnounceStrategy, held: CID[]) {
  let now = 0
  const announced: string[] = []
  const covered = new Set<string>()
  const stored = new Set(held.map(c => c.toString()))
  const announcer = new Announcer({
    strategy,
    announce: c => { announced.push(c.toString()) },
    covered: c => covered.has(c.toString()),
    has: async c => stored.has(c.toString()),
    graceMs: 1000,
    now: () => now
  })
  /** Keeps a record as the placement store would: it covers its blocks, then calls kept. */
  const keep = async (r: PlacementRecord): Promise<void> => {
    for (const c of [r.manifest.cid, ...r.stripes.flatMap(s => s.blocks.map(b => b.cid))]) covered.add(c.toString())
    await announcer.kept(r)
  }
  return { announcer, announced, keep, advance: (ms: number) => { now += ms } }
}

describe('announcer', () => {
  it('roots: announces an object once by its manifest CID, and none of the blocks its record covers', async () => {
    const [m, a, b] = [await cid(1), await cid(2), await cid(3)]
    const { announcer, announced, keep, advance } = setup('roots', [m, a, b])
    for (const c of [m, a, b]) announcer.stored(c)
    assert.equal(announcer.waiting, 3)
    await keep(record(m, [a, b]))
    assert.deepEqual(announced, [m.toString()])
    assert.equal(announcer.waiting, 0)
    // A block stored after its record (a repair copy) is covered at once.
    announcer.stored(b)
    advance(5000)
    announcer.sweep()
    assert.deepEqual(announced, [m.toString()])
    announcer.stop()
  })

  it('roots: a holder of data blocks but not of the manifest announces nothing for the object', async () => {
    const [m, a] = [await cid(4), await cid(5)]
    const { announcer, announced, keep, advance } = setup('roots', [a])
    announcer.stored(a)
    await keep(record(m, [a]))
    advance(5000)
    announcer.sweep()
    assert.deepEqual(announced, [])
    announcer.stop()
  })

  it('roots: a block no record covers is announced by itself once the grace period is over', async () => {
    const [a, b] = [await cid(6), await cid(7)]
    const { announcer, announced, advance } = setup('roots', [a, b])
    announcer.stored(a)
    advance(600)
    announcer.stored(b)
    advance(399)
    announcer.sweep()
    assert.deepEqual(announced, [])
    advance(1)
    announcer.sweep()
    assert.deepEqual(announced, [a.toString()])
    advance(600)
    announcer.sweep()
    assert.deepEqual(announced, [a.toString(), b.toString()])
    assert.equal(announcer.waiting, 0)
    announcer.stop()
  })

  it('roots: the timer announces on its own, without a sweep call', async () => {
    let announced = 0
    const announcer = new Announcer({ strategy: 'roots', announce: () => { announced++ }, covered: () => false, has: async () => true, graceMs: 20 })
    announcer.stored(await cid(8))
    await new Promise(resolve => setTimeout(resolve, 80))
    assert.equal(announced, 1)
    announcer.stop()
  })

  it('roots: past the bound on waiting blocks, the oldest is announced early instead of growing without limit', () => {
    const { announcer, announced } = setup('roots', [])
    // The announcer only keys blocks by their string form.
    const fake = (i: number): CID => ({ toString: () => `block-${i}` }) as unknown as CID
    for (let i = 0; i < MAX_UNCOVERED; i++) announcer.stored(fake(i))
    assert.equal(announcer.waiting, MAX_UNCOVERED)
    announcer.stored(fake(MAX_UNCOVERED))
    assert.equal(announcer.waiting, MAX_UNCOVERED)
    assert.deepEqual(announced, ['block-0'])
    announcer.stop()
  })

  it('all: every block as it is stored', async () => {
    const [m, a] = [await cid(11), await cid(12)]
    const { announcer, announced, keep } = setup('all', [m, a])
    announcer.stored(m)
    announcer.stored(a)
    await keep(record(m, [a]))
    assert.deepEqual(announced, [m.toString(), a.toString()])
    assert.equal(announcer.waiting, 0)
    announcer.stop()
  })
})

// Collection of unclaimed blocks (node/src/unclaimed.ts) with a fake clock: a block no record
// claims is deleted once its grace has run out, with its uploader named; a claimed one is kept,
// also when its record arrives late in the grace.
import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import { blockCid, type CID } from '@p2pdv/core'
import type { PlacementRecord } from '@p2pdv/core/placement'
import { UnclaimedCollector } from '../src/unclaimed.ts'

const HOUR = 3_600_000

async function cid (n: number): Promise<CID> {
  return await blockCid(new Uint8Array([n, n]))
}

function recordOf (c: CID): PlacementRecord {
  return { manifest: { cid: c, size: 2, root: new Uint8Array(32), nodes: [] }, stripes: [] } as unknown as PlacementRecord
}

function setup () {
  const claimed = new Set<string>()
  const deleted: string[] = []
  const collected: Array<[string, number, string | undefined]> = []
  let now = 0
  const c = new UnclaimedCollector({
    graceMs: HOUR,
    claimed: x => claimed.has(x.toString()),
    delete: async x => { deleted.push(x.toString()) },
    onCollected: (x, size, identity) => { collected.push([x.toString(), size, identity]) },
    now: () => now
  })
  return { c, claimed, deleted, collected, advance: (ms: number) => { now += ms } }
}

describe('unclaimed block collection', () => {
  it('deletes a block no record claims once the grace has run out, naming its uploader', async () => {
    const { c, deleted, collected, advance } = setup()
    const a = await cid(1)
    c.stored(a, 2, 'ed25519:aa')
    advance(HOUR - 1)
    assert.deepEqual(await c.sweep(), [])
    advance(1)
    assert.deepEqual((await c.sweep()).map(String), [a.toString()])
    assert.deepEqual(deleted, [a.toString()])
    assert.deepEqual(collected, [[a.toString(), 2, 'ed25519:aa']])
    await c.stop()
  })

  it('keeps blocks a kept record claims, and blocks claimed only by the time of the sweep', async () => {
    const { c, claimed, deleted, advance } = setup()
    const [a, b, d] = [await cid(1), await cid(2), await cid(3)]
    c.stored(a, 2)
    c.stored(b, 2)
    claimed.add(d.toString())
    c.stored(d, 2)
    c.kept(recordOf(a))
    advance(HOUR)
    claimed.add(b.toString())
    assert.deepEqual(await c.sweep(), [])
    assert.deepEqual(deleted, [])
    assert.equal(c.pending, 0)
    await c.stop()
  })

  it('stop waits for the running collection to end, and nothing is collected after it', async () => {
    mock.timers.enable({ apis: ['setTimeout'] })
    try {
      let now = 0
      let release = (): void => {}
      let deleting = (): void => {}
      const started = new Promise<void>(resolve => { deleting = resolve })
      const deleted: string[] = []
      const c = new UnclaimedCollector({
        graceMs: HOUR,
        claimed: () => false,
        delete: async x => { deleting(); await new Promise<void>(resolve => { release = resolve }); deleted.push(x.toString()) },
        now: () => now
      })
      const [a, b] = [await cid(1), await cid(2)]
      c.stored(a, 2)
      now += HOUR
      mock.timers.tick(HOUR)
      await started
      let stopped = false
      const stopping = c.stop().then(() => { stopped = true })
      for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
      assert.equal(stopped, false)
      release()
      await stopping
      assert.deepEqual(deleted, [a.toString()])
      c.stored(b, 2)
      now += HOUR
      mock.timers.tick(HOUR)
      for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
      assert.deepEqual(deleted, [a.toString()])
    } finally {
      mock.timers.reset()
    }
  })
})

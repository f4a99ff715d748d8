// The DHT announcement queue (node/src/provide-queue.ts) with a fake clock and a fake provide: it
// waits for a quiet spell without block traffic, still starts one announcement per maxDelayMs
// under constant traffic, announces each block once, and drops everything on stop.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pino from 'pino'
import { blockCid, type CID } from '@p2pdv/core'
import { ProvideQueue } from '../src/provide-queue.ts'

const log = pino({ level: 'silent' })
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise<void>(resolve => setImmediate(resolve)) }
const wait = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function cids (n: number): Promise<CID[]> {
  return await Promise.all(Array.from({ length: n }, async (_, i) => await blockCid(new Uint8Array([i, 1, 2]))))
}

function setup (opts: { quietMs: number, maxDelayMs: number, concurrency?: number }) {
  let now = 1_000_000
  const announced: string[] = []
  const queue = new ProvideQueue(async cid => { announced.push(cid.toString()) }, log, { ...opts, now: () => now })
  return { queue, announced, advance: (ms: number) => { now += ms } }
}

describe('provide queue', () => {
  it('waits for a quiet spell after block traffic, then announces everything queued', async () => {
    const { queue, announced, advance } = setup({ quietMs: 40, maxDelayMs: 100_000 })
    const blocks = await cids(5)
    for (const c of blocks) queue.add(c)
    await settle()
    // The first add is traffic and also starts nothing: the node is busy.
    assert.equal(announced.length, 0)
    assert.equal(queue.size, 5)
    advance(40)
    await wait(60)
    await settle()
    assert.deepEqual(new Set(announced), new Set(blocks.map(c => c.toString())))
    assert.equal(queue.size, 0)
    queue.stop()
  })

  it('under constant traffic still starts one announcement every maxDelayMs', async () => {
    const { queue, announced, advance } = setup({ quietMs: 1_000_000, maxDelayMs: 20, concurrency: 4 })
    for (const c of await cids(4)) queue.add(c)
    await settle()
    // Never quiet (quietMs is huge): nothing starts until maxDelayMs has passed…
    assert.equal(announced.length, 0)
    advance(20)
    queue.traffic()
    await wait(40)
    await settle()
    assert.equal(announced.length, 1)
    // …and then one more per maxDelayMs, not all four at once.
    advance(20)
    queue.traffic()
    await wait(40)
    await settle()
    assert.equal(announced.length, 2)
    queue.stop()
  })

  it('announces a block queued twice only once, and forgets the queue on stop', async () => {
    const { queue, announced, advance } = setup({ quietMs: 10, maxDelayMs: 100_000 })
    const [a, b] = await cids(2)
    queue.add(a!)
    queue.add(a!)
    assert.equal(queue.size, 1)
    advance(10)
    await wait(30)
    await settle()
    assert.deepEqual(announced, [a!.toString()])
    queue.add(b!)
    queue.stop()
    advance(100)
    await wait(30)
    assert.deepEqual(announced, [a!.toString()])
    assert.equal(queue.size, 0)
  })
})

// The HTTP plane's hot-block cache (node/src/hot-blocks.ts) and the upload-body deadlines
// (node/src/upload-deadlines.ts), with a fake clock: byte bound and eviction order, one read for
// concurrent misses, nothing kept from a failed or superseded read; idle and trickling bodies cut.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { P2pdvError } from '@p2pdv/core/errors'
import { HotBlocks } from '../src/hot-blocks.ts'
import { UploadDeadlines } from '../src/upload-deadlines.ts'

const block = (n: number): { bytes: Uint8Array } => ({ bytes: new Uint8Array(n) })

describe('hot blocks', () => {
  it('keeps at most its byte budget, dropping the least recently used first', async () => {
    const hot = new HotBlocks(300)
    await hot.load('a', async () => block(100))
    await hot.load('b', async () => block(100))
    await hot.load('c', async () => block(100))
    assert.ok(hot.get('a') !== undefined) // a is now the most recent
    await hot.load('d', async () => block(100))
    assert.equal(hot.get('b'), undefined)
    assert.ok(hot.get('a') !== undefined && hot.get('c') !== undefined && hot.get('d') !== undefined)
    assert.equal(hot.bytes, 300)
    // Larger than the whole budget: served, not kept.
    await hot.load('big', async () => block(301))
    assert.equal(hot.get('big'), undefined)
    assert.equal(hot.bytes, 300)
  })

  it('reads a block once for all concurrent misses, and keeps nothing from a failed read', async () => {
    const hot = new HotBlocks(1000)
    let reads = 0
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const fill = async (): Promise<{ bytes: Uint8Array }> => { reads++; await gate; return block(10) }
    const all = Promise.all(Array.from({ length: 8 }, async () => await hot.load('x', fill)))
    release()
    const got = await all
    assert.equal(reads, 1)
    assert.ok(got.every(e => e === got[0]))
    const failing = async (): Promise<{ bytes: Uint8Array }> => { throw new P2pdvError('ERR_NOT_FOUND', 'gone') }
    await assert.rejects(hot.load('y', failing), { code: 'ERR_NOT_FOUND' })
    assert.equal(hot.get('y'), undefined)
  })

  it('forgets a deleted block, even one whose read was under way', async () => {
    const hot = new HotBlocks(1000)
    await hot.load('a', async () => block(10))
    hot.delete('a')
    assert.equal(hot.get('a'), undefined)
    assert.equal(hot.bytes, 0)
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const pending = hot.load('b', async () => { await gate; return block(10) })
    hot.delete('b')
    release()
    await pending
    assert.equal(hot.get('b'), undefined)
  })
})

describe('upload deadlines', () => {
  function setup () {
    let now = 0
    const deadlines = new UploadDeadlines({ graceMs: 5000, minBytesPerSecond: 1000, now: () => now })
    const stalled: string[] = []
    return { deadlines, stalled, advance: (ms: number) => { now += ms; deadlines.sweep() } }
  }

  it('cuts a body that sends nothing for longer than the grace', () => {
    const { deadlines, stalled, advance } = setup()
    const w = deadlines.watch(() => stalled.push('idle'))
    w.progress(1)
    advance(5000)
    assert.deepEqual(stalled, [])
    advance(1)
    assert.deepEqual(stalled, ['idle'])
    assert.equal(deadlines.size, 0)
  })

  it('cuts a body that keeps sending but below the minimum rate, and spares one at the rate', () => {
    const { deadlines, stalled, advance } = setup()
    let slow = 0
    let steady = 0
    const s = deadlines.watch(() => stalled.push('slow'))
    const ok = deadlines.watch(() => stalled.push('steady'))
    for (let t = 0; t < 20; t++) {
      s.progress(slow += 500) // half the minimum rate, a byte every second: never idle
      ok.progress(steady += 1000)
      advance(1000)
    }
    assert.deepEqual(stalled, ['slow'])
    ok.done()
    assert.equal(deadlines.size, 0)
  })

  it('at capacity, gives up the body idle longest, and only one idle at least as long as asked', () => {
    let now = 0
    const deadlines = new UploadDeadlines({ graceMs: 300_000, now: () => now })
    const cut: string[] = []
    const a = deadlines.watch(() => cut.push('a'))
    const b = deadlines.watch(() => cut.push('b'))
    now = 1000
    b.progress(10)
    now = 2500
    // a has been idle 2.5 s, b 1.5 s.
    assert.equal(deadlines.hasIdle(3000), false)
    assert.equal(deadlines.evictIdlest(3000), false)
    assert.equal(deadlines.hasIdle(2000), true)
    assert.equal(deadlines.evictIdlest(1000), true)
    assert.deepEqual(cut, ['a'])
    assert.equal(deadlines.size, 1)
    assert.equal(deadlines.evictIdlest(2000), false)
    a.done()
    b.done()
  })
})

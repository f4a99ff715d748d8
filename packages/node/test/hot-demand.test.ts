// Demand tracking and the hot/cold policy (node/src/hot/*.ts) with a fake clock: a sliding window
// per object, a per-client cap so one client cannot make an object hot, bounded keys, and
// hysteresis between hot and cold.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { clientKey, DemandTracker } from '../src/hot/demand.ts'
import { HotPolicy } from '../src/hot/policy.ts'

function tracker (opts: { cap?: number, maxObjects?: number, maxClients?: number } = {}) {
  const clock = { now: 0 }
  const t = new DemandTracker({ windowMs: 1000, perClientCap: opts.cap ?? 1000, now: () => clock.now, ...(opts.maxObjects === undefined ? {} : { maxObjects: opts.maxObjects }), ...(opts.maxClients === undefined ? {} : { maxClientsPerObject: opts.maxClients }) })
  return { t, clock }
}

describe('DemandTracker', () => {
  it('counts requests per object over a sliding window', () => {
    const { t, clock } = tracker()
    for (let i = 0; i < 10; i++) t.record('a', '10.0.0.1')
    assert.equal(t.demand('a'), 10)
    clock.now = 1500 // half of the previous window still overlaps
    assert.equal(t.demand('a'), 5)
    clock.now = 2000
    assert.equal(t.demand('a'), 0)
    clock.now = 5000
    t.record('a', '10.0.0.1')
    assert.equal(t.demand('a'), 1, 'a long gap carries nothing over')
  })

  it('counts one client at most perClientCap times per object and window', () => {
    const { t } = tracker({ cap: 5 })
    for (let i = 0; i < 1000; i++) t.record('a', '10.0.0.1')
    assert.equal(t.demand('a'), 5)
    assert.equal(t.stats.capped, 995)
    for (let i = 0; i < 20; i++) t.record('a', `10.0.1.${i}`)
    assert.equal(t.demand('a'), 25, 'each other client still counts')
  })

  it('keeps at most maxObjects objects, dropping the least demanded', () => {
    const { t } = tracker({ maxObjects: 3 })
    for (let i = 0; i < 5; i++) t.record('hot', `c${i}`)
    for (let n = 0; n < 100; n++) t.record(`junk${n}`, 'c')
    assert.equal(t.stats.objects, 3)
    assert.equal(t.demand('hot'), 5, 'the demanded object survives a flood of new keys')
    assert.deepEqual(t.top(1), [{ object: 'hot', demand: 5 }])
  })

  it('counts at most maxClientsPerObject clients per object and window', () => {
    const { t } = tracker({ maxClients: 4 })
    for (let i = 0; i < 10; i++) t.record('a', `c${i}`)
    assert.equal(t.demand('a'), 4)
  })

  it('keys IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), clientKey('2001:db8:1:2:bbbb::2'))
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'))
    assert.equal(clientKey('::ffff:10.1.2.3'), '10.1.2.3')
    assert.equal(clientKey(undefined), 'unknown')
  })
})

describe('HotPolicy', () => {
  const cfg = { hotThreshold: 100, coldThreshold: 25, coldAfterMs: 1000, maxHotObjects: 2 }

  it('starts objects at the threshold, most demanded first, within maxHotObjects', () => {
    const p = new HotPolicy(cfg)
    const top = [{ object: 'a', demand: 150 }, { object: 'b', demand: 99 }, { object: 'c', demand: 300 }, { object: 'd', demand: 120 }]
    const { start, stop } = p.step(top, () => 0, 0)
    assert.deepEqual(start, ['c', 'a'])
    assert.deepEqual(stop, [])
    p.markHot('c')
    assert.deepEqual(p.step(top, o => top.find(t => t.object === o)?.demand ?? 0, 0).start, ['a'])
  })

  it('stops an object only after it stayed below the cold threshold for coldAfterMs', () => {
    const p = new HotPolicy(cfg)
    p.markHot('a')
    let demand = 50 // between the thresholds: stays hot
    assert.deepEqual(p.step([], () => demand, 0).stop, [])
    demand = 10
    assert.deepEqual(p.step([], () => demand, 100).stop, [])
    demand = 30 // back above cold: the clock starts again
    assert.deepEqual(p.step([], () => demand, 600).stop, [])
    demand = 10
    assert.deepEqual(p.step([], () => demand, 700).stop, [])
    assert.deepEqual(p.step([], () => demand, 1699).stop, [])
    assert.deepEqual(p.step([], () => demand, 1700).stop, ['a'])
  })

  it('one client flooding an object never makes it hot with the default client share', () => {
    const { t } = tracker({ cap: Math.floor(cfg.hotThreshold / 8) })
    for (let i = 0; i < 100_000; i++) t.record('a', '203.0.113.9')
    const p = new HotPolicy(cfg)
    assert.deepEqual(p.step(t.top(8), o => t.demand(o), 0).start, [])
  })
})

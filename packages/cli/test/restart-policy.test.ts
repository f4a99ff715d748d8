import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RestartPolicy } from '../src/restart-policy.ts'

describe('devnet restart policy', () => {
  it('backs off from 1 s, doubling up to the cap', () => {
    const p = new RestartPolicy({ maxCrashes: 10, initialDelayMs: 1_000, maxDelayMs: 8_000 })
    const delays = Array.from({ length: 6 }, (_, i) => p.crashed(i * 1_000)).map(d => d.restart ? d.delayMs : -1)
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000])
  })

  it('gives up after maxCrashes within the window', () => {
    const p = new RestartPolicy({ maxCrashes: 3, windowMs: 60_000 })
    assert.equal(p.crashed(0).restart, true)
    assert.equal(p.crashed(10_000).restart, true)
    assert.equal(p.crashed(20_000).restart, true)
    const fourth = p.crashed(30_000)
    assert.equal(fourth.restart, false)
    assert.equal(fourth.crashesInWindow, 4)
  })

  it('forgets crashes older than the window, and the delay starts over', () => {
    const p = new RestartPolicy({ maxCrashes: 2, windowMs: 60_000, initialDelayMs: 1_000 })
    p.crashed(0)
    p.crashed(1_000)
    const later = p.crashed(120_000)
    assert.deepEqual(later, { restart: true, delayMs: 1_000, crashesInWindow: 1 })
  })

  it('0 crashes allowed never restarts', () => {
    assert.equal(new RestartPolicy({ maxCrashes: 0 }).crashed(0).restart, false)
  })
})

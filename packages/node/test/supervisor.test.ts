// The node's supervisor (components/supervisor.ts): a failing subsystem is restarted, with
// exponential backoff between attempts, each attempt counted; healthy ones are left alone.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { Supervisor, type Supervised } from '../src/components/supervisor.ts'
import { PeriodicTask } from '../src/periodic-task.ts'

const log = pino({ level: 'silent' })

describe('supervisor', () => {
  it('restarts a failing child once its backoff has passed (1 s, 2 s, 4 s …, capped), counts every attempt, and leaves healthy ones alone', async () => {
    let now = 0
    let broken = true
    let restarts = 0
    let startFails = true
    const counted: string[] = []
    const child: Supervised = {
      name: 'repair',
      failing: () => broken,
      restart: async () => {
        restarts++
        if (startFails) throw new Error('cannot start')
        broken = false
      }
    }
    const healthy: Supervised = { name: 'other', failing: () => false, restart: async () => { assert.fail('a healthy child is never restarted') } }
    const sup = new Supervisor({ children: [child, healthy], log, now: () => now, baseBackoffMs: 1000, maxBackoffMs: 4000, onRestart: (name, ok) => { counted.push(`${name}:${ok ? 'ok' : 'failed'}`) } })

    const at = async (t: number): Promise<void> => { now = t; await sup.check() }
    await at(0) // first attempt at once
    await at(500) // within 1 s: no attempt
    await at(1000) // second attempt; the next waits 2 s
    await at(2999)
    await at(3000) // third; the next waits 4 s (the cap)
    await at(7000) // fourth, and the cap holds: the next waits 4 s, not 8 s
    assert.equal(restarts, 4)
    startFails = false
    await at(10_999)
    assert.equal(restarts, 4)
    await at(11_000)
    assert.equal(restarts, 5)
    assert.equal(broken, false)
    assert.deepEqual(counted, ['repair:failed', 'repair:failed', 'repair:failed', 'repair:failed', 'repair:ok'])

    // Healthy for the longest backoff: a new failure is retried after 1 s again.
    await at(15_000)
    broken = true
    startFails = true
    await at(15_001)
    await at(16_001)
    assert.equal(restarts, 7)
  })

  it('a periodic task counts the passes in a row that threw, and forgets them after one that did not', async () => {
    let fail = true
    const task = new PeriodicTask(() => { if (fail) throw new Error('pass failed') }, { name: 't', intervalMs: 1000, onError: () => {} })
    for (let i = 0; i < 3; i++) await assert.rejects(task.runNow())
    assert.equal(task.consecutiveFailures, 3)
    fail = false
    await task.runNow()
    assert.equal(task.consecutiveFailures, 0)
    await task.stop()
  })
})

// The one background loop (node/src/periodic-task.ts): passes never overlap, runNow runs one at
// once (or right after the running one), stop aborts and waits for the running pass, jitter
// spreads the waits. Timers are node:test's mock timers, so nothing here depends on the clock.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { PeriodicTask, type PeriodicTaskOptions } from '../src/periodic-task.ts'

/** Lets promise callbacks and setImmediate callbacks run (setImmediate is not mocked). */
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

function gate (): { wait: Promise<void>, open: () => void } {
  let open = (): void => {}
  const wait = new Promise<void>(resolve => { open = resolve })
  return { wait, open }
}

const errors: unknown[] = []
const opts = (extra: Partial<PeriodicTaskOptions> = {}): PeriodicTaskOptions => ({ name: 'test', intervalMs: 1000, onError: err => { errors.push(err) }, ...extra })

describe('periodic task', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['setTimeout'] }); errors.length = 0 })
  afterEach(() => { mock.timers.reset() })

  it('runs every interval, counted from the end of the previous pass, and never two passes at once', async () => {
    let active = 0
    let most = 0
    let passes = 0
    let hold = gate()
    const task = new PeriodicTask(async () => {
      active++
      most = Math.max(most, active)
      await hold.wait
      active--
      passes++
    }, opts())
    task.start()
    mock.timers.tick(999)
    await settle()
    assert.equal(task.running, false)
    mock.timers.tick(1)
    await settle()
    assert.equal(task.running, true)
    // A slow pass: the interval runs out several times over, and nothing new starts.
    mock.timers.tick(5000)
    const asked = [task.runNow(), task.runNow(), task.runNow()]
    await settle()
    assert.equal(most, 1)
    const first = hold
    hold = gate()
    first.open()
    await settle()
    // The three runNow calls share one pass, run right after the slow one.
    assert.equal(passes, 1)
    assert.equal(task.running, true)
    hold.open()
    await Promise.all(asked)
    assert.equal(passes, 2)
    assert.equal(most, 1)
    // The next scheduled pass comes a full interval after that one ended.
    mock.timers.tick(999)
    await settle()
    assert.equal(task.running, false)
    mock.timers.tick(1)
    await settle()
    assert.equal(passes, 3)
    await task.stop()
  })

  it('runNow runs a pass at once and rejects with its error; a failing scheduled pass goes to onError and the loop goes on', async () => {
    let calls = 0
    const task = new PeriodicTask(() => { calls++; throw Object.assign(new Error('pass failed'), { code: 'ERR_TEST_PASS' }) }, opts())
    task.start()
    await assert.rejects(task.runNow(), { code: 'ERR_TEST_PASS' })
    assert.equal(calls, 1)
    assert.equal(errors.length, 0)
    mock.timers.tick(1000)
    await settle()
    assert.equal(calls, 2)
    assert.equal((errors[0] as { code?: string }).code, 'ERR_TEST_PASS')
    mock.timers.tick(1000)
    await settle()
    assert.equal(calls, 3)
    await task.stop()
  })

  it('stop aborts the running pass and resolves only once it has ended; nothing runs after', async () => {
    let cleanedUp = false
    let calls = 0
    const task = new PeriodicTask(async signal => {
      calls++
      await new Promise(resolve => signal.addEventListener('abort', resolve, { once: true }))
      await settle()
      cleanedUp = true
    }, opts())
    task.start()
    mock.timers.tick(1000)
    await settle()
    assert.equal(task.running, true)
    await task.stop()
    assert.equal(cleanedUp, true)
    assert.equal(task.running, false)
    await task.runNow()
    mock.timers.tick(10_000)
    await settle()
    assert.equal(calls, 1)
  })

  it("with onStop 'finish', stop lets the running pass end without aborting it", async () => {
    const hold = gate()
    let aborted: boolean | undefined
    const task = new PeriodicTask(async signal => { await hold.wait; aborted = signal.aborted }, opts({ onStop: 'finish' }))
    const pass = task.runNow()
    let stopped = false
    const stopping = task.stop().then(() => { stopped = true })
    await settle()
    assert.equal(stopped, false)
    hold.open()
    await stopping
    await pass
    assert.equal(aborted, false)
  })

  it('jitter spreads each wait over interval × (1 ± jitter); firstDelayMs sets the first one', async () => {
    let calls = 0
    const task = new PeriodicTask(() => { calls++ }, opts({ jitter: 0.5, random: () => 0, firstDelayMs: 10 }))
    task.start()
    mock.timers.tick(10)
    await settle()
    assert.equal(calls, 1)
    // random() = 0 is the low end: 1000 × (1 − 0.5).
    mock.timers.tick(499)
    await settle()
    assert.equal(calls, 1)
    mock.timers.tick(1)
    await settle()
    assert.equal(calls, 2)
    await task.stop()
  })

  it('a stopped task starts again with a fresh signal', async () => {
    const signals: AbortSignal[] = []
    const task = new PeriodicTask(signal => { signals.push(signal) }, opts())
    task.start()
    await task.runNow()
    await task.stop()
    task.start()
    await task.runNow()
    await task.stop()
    assert.equal(signals.length, 2)
    assert.notEqual(signals[0], signals[1])
    assert.equal(signals[1]!.aborted, true)
  })
})

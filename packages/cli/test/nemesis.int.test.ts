// The issue-22 fault-injection run, short and seeded: a fresh 6-node devnet under put/get/check
// load through the real CLI (two at a time) while a nemesis kill -9s, pauses (SIGSTOP) and
// restarts nodes with their own command line (never more than 2 faulty at once); then the faults
// stop, every node comes back, and the history checker judges the run (scripts/soak, docs/soak.md).
// `npm run soak -- --minutes 30 --seed N` is the long run with the same harness.
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { renderText } from '../../../scripts/soak/report.ts'
import { runSoak, SOAK_DEFAULTS, type SoakResult } from '../../../scripts/soak/run.ts'

/** Fixed, so a failure replays: `npm run soak -- --minutes 1 --seed 22 --max-bytes 4194304`. */
const SEED = 22

describe('fault injection: kill -9, SIGSTOP, restart under load (seeded, 45 s)', () => {
  let result: SoakResult | undefined
  after(async () => { if (result !== undefined) await rm(result.dir, { recursive: true, force: true }) })

  it('keeps every acknowledged write, returns right bytes or typed errors, never crashes, and repair heals every object', { timeout: 20 * 60_000 }, async () => {
    result = await runSoak({
      ...SOAK_DEFAULTS,
      seed: SEED,
      minutes: 0.75,
      // Smaller files and faster faults than the long run: 2 cores, and 3–5 faults in 45 s.
      maxBytes: 4 * 1024 * 1024,
      nemesis: { intervalS: [8, 15], pauseS: [6, 12], maxDown: 2 },
      // Nodes scan for repairs once a minute: 4 scans' worth after every node is back.
      repairWaitMs: 4 * 60_000,
      // P2PDV_SOAK_LOG=1 prints the run's progress lines (where the time goes).
      log: line => { if (process.env.P2PDV_SOAK_LOG === '1') process.stderr.write(`${line}\n`) }
    })
    const v = result.verdict
    const report = renderText(result)
    assert.ok(v.acknowledgedWrites > 0, `no write was acknowledged: the run proves nothing\n${report}`)
    assert.ok((v.nemesis.kill ?? 0) + (v.nemesis.pause ?? 0) > 0, `the nemesis did nothing\n${report}`)
    assert.deepEqual(v.lostWrites, [], report)
    assert.deepEqual(v.wrongReads, [], report)
    assert.deepEqual(v.crashes, [], report)
    assert.deepEqual(v.degradedWrites, [], report)
    assert.deepEqual(v.underReplicated, [], report)
    assert.deepEqual(v.checkVsDisk, [], report)
    assert.deepEqual(v.phantomHolders, [], report)
    assert.deepEqual(v.droppedHolders, [], report)
    assert.deepEqual(result.violations, [], report)
  })
})

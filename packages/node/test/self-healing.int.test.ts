// A real node whose repair worker keeps failing (test fault `fail-repair`: its first passes throw)
// is healed by its supervisor: the worker is made anew, counted, and its passes then succeed; the
// same for an auditor whose rounds keep failing (`fail-audit`).
import assert from 'node:assert/strict'
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { spawnNode } from './fixtures/spawn-node.ts'

function metric (text: string, line: RegExp): number | undefined {
  const m = line.exec(text)
  return m === null ? undefined : Number(m[1])
}

describe('self-healing', () => {
  it('restarts a repair worker whose passes keep failing, and repair runs again', { timeout: 120_000 }, async () => {
    const node = await spawnNode({ args: ['--repair-interval', '0.2'], env: { P2PDV_TEST_FAULTS: 'fail-repair' } })
    try {
      let restarts: number | undefined
      let passes: number | undefined
      for (let i = 0; i < 120 && !(restarts !== undefined && restarts >= 1 && passes !== undefined && passes > 0); i++) {
        await new Promise(resolve => setTimeout(resolve, 250))
        const text = await (await fetch(`${node.info.http}/metrics`)).text()
        restarts = metric(text, /^p2pdv_component_restarts_total\{component="repair",result="ok"\} (\d+)$/m)
        passes = metric(text, /^p2pdv_repair_passes (\d+)$/m)
      }
      assert.equal(restarts, 1, 'one restart was enough')
      assert.ok(passes !== undefined && passes > 0, 'the new worker completes passes')
      assert.match(node.stderr(), /restarted a failing subsystem/)
      assert.equal((await fetch(`${node.info.http}/readyz`)).status, 200)
    } finally {
      await node.stop()
    }
  })

  it('restarts an auditor whose rounds keep failing, and rounds run again', { timeout: 120_000 }, async () => {
    const node = await spawnNode({ args: ['--no-repair', '--audit', '--audit-interval', '200'], env: { P2PDV_TEST_FAULTS: 'fail-audit' } })
    try {
      let restarts: number | undefined
      let rounds = 0
      for (let i = 0; i < 120 && !(restarts !== undefined && restarts >= 1 && rounds > 0); i++) {
        await new Promise(resolve => setTimeout(resolve, 250))
        const text = await (await fetch(`${node.info.http}/metrics`)).text()
        restarts = metric(text, /^p2pdv_component_restarts_total\{component="audit",result="ok"\} (\d+)$/m)
        rounds = ((await (await fetch(`${node.info.http}/api/v1/reputation`)).json()) as { rounds: number }).rounds
      }
      assert.equal(restarts, 1, 'one restart was enough')
      assert.ok(rounds > 0, 'the new auditor completes rounds')
      assert.match(node.stderr(), /test fault fail-audit/)
      assert.equal((await fetch(`${node.info.http}/readyz`)).status, 200)
    } finally {
      await node.stop()
    }
  })

  it('is not ready while its block store is gone, and ready again once it is back', { timeout: 120_000 }, async () => {
    const node = await spawnNode({ args: ['--no-repair'] })
    const blocks = join(node.info.dataDir, 'blocks')
    try {
      assert.equal((await fetch(`${node.info.http}/readyz`)).status, 200)
      // As when a data volume is unmounted under a running node.
      await rename(blocks, `${blocks}.away`)
      assert.equal((await fetch(`${node.info.http}/readyz`)).status, 503)
      assert.equal((await fetch(`${node.info.http}/healthz`)).status, 200, 'alive: the process itself is fine')
      await rename(`${blocks}.away`, blocks)
      assert.equal((await fetch(`${node.info.http}/readyz`)).status, 200)
    } finally {
      await node.stop()
    }
  })
})

// The slashing threshold logic, with a unit-level fake reporter.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid } from '@p2pdv/core'
import type { AuditOutcome, SignedAuditRecord } from '@p2pdv/core/wire'
import { SlashPolicy, type SlashEvidence, type SlashReporter } from '../src/audit/slash.ts'

const cid = await blockCid(new Uint8Array([1]))
const H = 3_600_000
const rec = (peer: string, issued: number, outcome: AuditOutcome = 'fail', counted = true, code = 'ERR_AUDIT_BAD_PROOF'): SignedAuditRecord =>
  ({ record: { v: 1, auditor: 'a', peer, cid, kind: 'proof', issued, deadline: issued + 1000, outcome, counted, ...(outcome === 'pass' ? {} : { code }) }, sig: new Uint8Array(64) })

/** Feeds records in order to a policy and a fake reporter, like the auditor does. */
async function run (policy: SlashPolicy, records: SignedAuditRecord[]): Promise<SlashEvidence[]> {
  const reported: SlashEvidence[] = []
  const reporter: SlashReporter = { report: async e => { reported.push(e) } }
  for (const r of records) {
    const e = policy.observe(r, r.record.issued)
    if (e !== undefined) await reporter.report(e)
  }
  return reported
}

describe('slashing policy', () => {
  it('reports a peer once it has N counted failures within the window, with those records as evidence', async () => {
    const reports = await run(new SlashPolicy({ failures: 3, windowMs: 24 * H, cooldownMs: 24 * H }), [rec('bad', 0), rec('bad', 1 * H), rec('bad', 2 * H)])
    assert.equal(reports.length, 1)
    assert.equal(reports[0]!.peer, 'bad')
    assert.deepEqual(reports[0]!.records.map(r => r.record.issued), [0, 1 * H, 2 * H])
    assert.match(reports[0]!.reason, /ERR_AUDIT_BAD_PROOF/)
  })

  it('does not count passes, timeouts, unreachable nodes or uncounted failures', async () => {
    const policy = new SlashPolicy({ failures: 2, windowMs: 24 * H, cooldownMs: 0 })
    const reports = await run(policy, [rec('p', 0, 'pass'), rec('p', 1, 'timeout'), rec('p', 2, 'unreachable'), rec('p', 3, 'fail', false), rec('p', 4, 'timeout'), rec('p', 5, 'fail', false)])
    assert.equal(reports.length, 0)
  })

  it('forgets failures older than the window', async () => {
    const reports = await run(new SlashPolicy({ failures: 3, windowMs: 10 * H, cooldownMs: 0 }), [rec('p', 0), rec('p', 6 * H), rec('p', 12 * H), rec('p', 18 * H)])
    assert.equal(reports.length, 0)
  })

  it('keeps peers apart, and waits out the cool-down before reporting the same peer again', async () => {
    const policy = new SlashPolicy({ failures: 2, windowMs: 100 * H, cooldownMs: 10 * H })
    const reports = await run(policy, [
      rec('a', 0), rec('b', 1), rec('a', 2), // a reported
      rec('a', 3), rec('a', 4), // within a's cool-down: nothing
      rec('b', 5), // b reported
      rec('a', 11 * H), rec('a', 11 * H + 1) // after the cool-down: a reported again
    ])
    assert.deepEqual(reports.map(r => r.peer), ['a', 'b', 'a'])
  })
})

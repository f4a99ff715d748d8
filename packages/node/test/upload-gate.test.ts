// The upload gate's rules (node/src/upload-gate.ts) with a fake clock: one signature check per
// grant, allowance and identity quota, expiry, a bounded rate of new grants per source, and
// spending that survives a restart.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { isP2pdvError } from '@p2pdv/core/errors'
import { GRANT_CHECK_BURST, UploadGate, type AdmissionPolicy } from '../src/upload-gate.ts'
import { testGrant } from './fixtures/grants.ts'

const NODE = '12D3KooWGRUVh8cCmTvgXgZxhNtKWsbJMeFKjGw1WJGX6wVvhJyV'
const log = pino({ level: 'silent' })

function gate (opts: { quota?: number, policy?: AdmissionPolicy, ledgerFile?: string, now?: () => number } = {}): UploadGate {
  return new UploadGate({ peerId: NODE, policy: opts.policy ?? { name: 'open', admits: async () => true }, identityQuotaBytes: opts.quota ?? 10_000, log, ...(opts.ledgerFile === undefined ? {} : { ledgerFile: opts.ledgerFile }), ...(opts.now === undefined ? {} : { now: opts.now }) })
}

const code = (c: string) => (err: unknown) => isP2pdvError(err, c)

describe('upload gate', () => {
  it('checks the policy once per grant, however many blocks it carries', async () => {
    let checks = 0
    const g = gate({ policy: { name: 'counting', admits: async () => { checks++; return true } } })
    const t = await testGrant(NODE)
    for (let i = 0; i < 5; i++) (await g.admit(t.bytes, 'src')).charge(10)
    assert.equal(checks, 1)
  })

  it('checks a grant once when its first blocks arrive together, spending one of its source\'s checks', async () => {
    let checks = 0
    const g = gate({ quota: 1e9, policy: { name: 'counting', admits: async () => { checks++; return true } } })
    const t = await testGrant(NODE)
    const sessions = await Promise.allSettled(Array.from({ length: 64 }, async () => await g.admit(t.bytes, 'busy')))
    assert.deepEqual(sessions.filter(s => s.status === 'rejected'), [])
    assert.equal(checks, 1)
    for (let i = 0; i < GRANT_CHECK_BURST - 1; i++) await g.admit((await testGrant(NODE)).bytes, 'busy')
    await assert.rejects(g.admit((await testGrant(NODE)).bytes, 'busy'), code('ERR_GRANT_RATE'))
  })

  it('refuses identities the policy does not admit', async () => {
    const g = gate({ policy: { name: 'none', admits: async () => false } })
    await assert.rejects(g.admit((await testGrant(NODE)).bytes, 'src'), code('ERR_GRANT_NOT_ADMITTED'))
  })

  it('refuses a cached grant once it has expired', async () => {
    let now = Date.now()
    const g = gate({ now: () => now })
    const t = await testGrant(NODE, { exp: now + 1000 })
    await g.admit(t.bytes, 'src')
    now += 1000
    await assert.rejects(g.admit(t.bytes, 'src'), code('ERR_GRANT_EXPIRED'))
  })

  it('refuses grants that run longer than a day', async () => {
    await assert.rejects(gate().admit((await testGrant(NODE, { exp: Date.now() + 2 * 86_400_000 })).bytes, 'src'), code('ERR_GRANT_MALFORMED'))
  })

  it('rate-limits new grants per source, not the blocks of one grant', async () => {
    const g = gate({ quota: 1e9 })
    for (let i = 0; i < GRANT_CHECK_BURST; i++) await g.admit((await testGrant(NODE)).bytes, 'busy')
    await assert.rejects(g.admit((await testGrant(NODE)).bytes, 'busy'), code('ERR_GRANT_RATE'))
    await g.admit((await testGrant(NODE)).bytes, 'other')
  })

  it('gives back refunds and released bytes to the identity', async () => {
    const g = gate({ quota: 100 })
    const s = await g.admit((await testGrant(NODE)).bytes, 'src')
    s.charge(100)
    assert.throws(() => { s.charge(1) }, code('ERR_IDENTITY_QUOTA_EXCEEDED'))
    s.refund(50)
    s.charge(50)
    g.release(s.identity, 100)
    assert.equal(g.used(s.identity), 0)
  })

  it('remembers what a grant and an identity spent across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-gate-'))
    try {
      const ledgerFile = join(dir, 'uploads.json')
      const t = await testGrant(NODE, { bytes: 100 })
      const first = gate({ ledgerFile })
      await first.open()
      ;(await first.admit(t.bytes, 'src')).charge(100)
      await first.close()
      const second = gate({ ledgerFile })
      await second.open()
      const s = await second.admit(t.bytes, 'src')
      assert.throws(() => { s.charge(1) }, code('ERR_GRANT_EXHAUSTED'))
      assert.equal(second.used(s.identity), 100)
      await second.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

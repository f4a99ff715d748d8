// The auditor's results route against hostile queries: junk or out-of-range limit, after and
// before are refused with ERR_BAD_REQUEST (400) and read nothing; good ones page as documented.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import type { P2pdvError } from '@p2pdv/core/errors'
import type { Auditor } from '../src/audit/auditor.ts'
import { MAX_RESULTS_PER_PAGE, registerAuditRoutes } from '../src/audit/http-routes.ts'
import { AuditStore } from '../src/audit/store.ts'

describe('GET /api/v1/audit/results with hostile queries', () => {
  let dir: string
  let store: AuditStore
  let app: FastifyInstance
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-audit-route-'))
    store = new AuditStore(join(dir, 'audit.sqlite'))
    for (let i = 0; i < 5; i++) store.addResult({ peer: 'A', cid: `c${i}`, kind: 'proof', outcome: 'pass', code: null, counted: true, issued: 1000 + i, signed: new Uint8Array() })
    app = Fastify()
    registerAuditRoutes(app, {
      answer: async () => { throw new Error('not used') },
      auditor: { auditor: {} as Auditor, store, peerId: 'auditor' },
      sendError: (reply, status, err: P2pdvError) => reply.code(status).send({ code: err.code, message: err.message })
    })
    await app.ready()
  })
  after(async () => {
    await app.close()
    store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses junk and out-of-range parameters with ERR_BAD_REQUEST', async () => {
    for (const q of ['limit=0', `limit=${MAX_RESULTS_PER_PAGE + 1}`, 'limit=abc', 'limit=1.5', 'after=-1', 'after=x', 'before=-1', 'before=1e400', 'before=%00', `peer=${'p'.repeat(200)}`]) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/audit/results?${q}` })
      assert.equal(res.statusCode, 400, q)
      assert.equal(res.json().code, 'ERR_BAD_REQUEST', q)
    }
  })

  it('pages back with before and forward with after', async () => {
    const all = (await app.inject({ method: 'GET', url: '/api/v1/audit/results?limit=10' })).json().results as Array<{ id: number }>
    assert.equal(all.length, 5)
    const back = (await app.inject({ method: 'GET', url: `/api/v1/audit/results?limit=2&before=${all[1]!.id}` })).json().results as Array<{ id: number }>
    assert.deepEqual(back.map(r => r.id), all.slice(2, 4).map(r => r.id))
    const fwd = (await app.inject({ method: 'GET', url: `/api/v1/audit/results?after=${all[2]!.id}` })).json().results as Array<{ id: number }>
    assert.deepEqual(fwd.map(r => r.id), all.slice(0, 2).map(r => r.id))
  })
})

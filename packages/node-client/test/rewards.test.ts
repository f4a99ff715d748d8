// A settler's reward answers through NodeClient against a hostile settler (node:http on
// 127.0.0.1): junk, answers about another node or epoch, out-of-range amounts, over-long proofs
// and oversized bodies each end in a typed error; the settler's own refusal keeps its code.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { NodeClient } from '../src/index.ts'

const NODE = '0x' + 'aB'.repeat(20)
const HASH = '0x' + '12'.repeat(32)
const proof = { epoch: '3', node: NODE, ethAmount: '0', tokenAmount: '1000', root: HASH, proof: [HASH, HASH] }
const inputs = {
  v: 1, epoch: '3', from: 1000, to: 61_000, root: HASH, weights: { storageShareBps: 8000, minPassBps: 5000 }, pool: { eth: '0', token: '1000' },
  records: [{ node: NODE, peer: '12D3KooW', storedBytes: '3072', seconds: '60', audits: 4, passes: 4 }],
  shares: [{ node: NODE, ethAmount: '0', tokenAmount: '1000' }],
  refusals: []
}

describe('NodeClient: a settler\'s reward answers', () => {
  let server: Server
  let client: NodeClient
  /** The body the settler answers next, and its status. */
  let answer: { status: number, body: string } = { status: 200, body: '' }
  const serve = (body: unknown, status = 200): void => { answer = { status, body: typeof body === 'string' ? body : JSON.stringify(body) } }

  before(async () => {
    server = createServer((_req, res) => { res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body) })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    client = new NodeClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  })
  after(() => { server.close() })

  it('parses a proof and an epoch\'s inputs into amounts', async () => {
    serve(proof)
    const p = await client.rewardProof(3n, NODE.toLowerCase())
    assert.deepEqual([p.epoch, p.tokenAmount, p.proof.length], [3n, 1000n, 2])
    serve(inputs)
    const i = await client.rewardEpochInputs(3n)
    assert.deepEqual([i.records[0]!.storedBytes, i.pool.token, i.shares.length], [3072n, 1000n, 1])
  })

  it('keeps the settler\'s own refusal code', async () => {
    serve({ code: 'ERR_REWARDS_NO_SHARE', message: 'none' }, 404)
    await assert.rejects(client.rewardProof(3n, NODE), { code: 'ERR_REWARDS_NO_SHARE' })
  })

  it('refuses hostile proofs by code', async () => {
    const bad: unknown[] = [
      'not json',
      [],
      { ...proof, node: '0x' + '11'.repeat(20) },
      { ...proof, epoch: '4' },
      { ...proof, tokenAmount: '-1' },
      { ...proof, tokenAmount: '1e3' },
      { ...proof, tokenAmount: (2n ** 128n).toString() },
      { ...proof, ethAmount: 5 },
      { ...proof, root: '0x12' },
      { ...proof, proof: [HASH, 'zz'] },
      { ...proof, proof: HASH },
      { ...proof, proof: Array.from({ length: 65 }, () => HASH) }
    ]
    for (const body of bad) {
      serve(body)
      await assert.rejects(client.rewardProof(3n, NODE), { code: 'ERR_BAD_NODE_RESPONSE' }, JSON.stringify(body).slice(0, 80))
    }
    serve({ ...proof, proof: Array.from({ length: 400 }, () => HASH) })
    await assert.rejects(client.rewardProof(3n, NODE), { code: 'ERR_BLOCK_TOO_LARGE' }, 'a body over the proof limit is not read')
  })

  it('refuses hostile epoch inputs by code', async () => {
    const bad: unknown[] = [
      { ...inputs, v: 2 },
      { ...inputs, epoch: '4' },
      { ...inputs, from: 70_000 },
      { ...inputs, weights: { storageShareBps: 10_001, minPassBps: 0 } },
      { ...inputs, pool: { eth: '0' } },
      { ...inputs, records: {} },
      { ...inputs, records: [{ ...inputs.records[0], audits: -1 }] },
      { ...inputs, records: [{ ...inputs.records[0], storedBytes: (2n ** 64n).toString() }] },
      { ...inputs, records: [{ ...inputs.records[0], peer: 'p'.repeat(200) }] },
      { ...inputs, shares: [{ node: 'nobody', ethAmount: '0', tokenAmount: '1' }] }
    ]
    for (const body of bad) {
      serve(body)
      await assert.rejects(client.rewardEpochInputs(3n), { code: 'ERR_BAD_NODE_RESPONSE' }, JSON.stringify(body).slice(0, 80))
    }
  })
})

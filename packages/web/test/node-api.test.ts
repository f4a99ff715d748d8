// The /node dashboard's reads against a hostile or broken node (fetch stubbed): junk shapes show as
// zeros and empty lists, never as made-up numbers or thrown renders; an oversized answer is refused.
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { loadNode } from '../src/app/node/node-api.ts'

const realFetch = globalThis.fetch
function serve (answers: Record<string, { status?: number, body: string }>): void {
  globalThis.fetch = (async (input: string | URL) => {
    const a = answers[String(input)] ?? { status: 404, body: '' }
    return new Response(a.body, { status: a.status ?? 200 })
  }) as typeof fetch
}

describe('node dashboard reads', () => {
  afterEach(() => { globalThis.fetch = realFetch })

  it('turns junk shapes into zeros and bounded lists', async () => {
    serve({
      '/api/v1/node': { body: JSON.stringify({ peerId: 42, multiaddrs: Array(100).fill('x'.repeat(2000)), auditor: 'yes' }) },
      '/api/v1/status': { body: JSON.stringify({ blocks: 'many', usedBytes: -Infinity, repair: [1, 2] }) },
      '/api/v1/peers': { body: JSON.stringify({ peers: [{ peerId: '' }, 'junk', { peerId: 'p1', http: 7 }] }) }
    })
    const n = await loadNode(AbortSignal.timeout(5000))
    assert.equal(n.peerId, '')
    assert.equal(n.blocks, 0)
    assert.equal(n.auditor, false)
    assert.equal(n.multiaddrs.length, 16)
    assert.ok(n.multiaddrs.every(a => a.length <= 512))
    assert.deepEqual(n.knownNodes, [{ peerId: 'p1', http: '' }])
    assert.equal(n.keeper, undefined)
  })

  it('refuses an oversized answer and a node without the API with ERR_NODE_API', async () => {
    serve({ '/api/v1/node': { body: 'x'.repeat(2 * 1024 * 1024 + 1) }, '/api/v1/status': { body: '{}' }, '/api/v1/peers': { body: '{}' } })
    await assert.rejects(loadNode(AbortSignal.timeout(5000)), { code: 'ERR_NODE_API' })
    serve({})
    await assert.rejects(loadNode(AbortSignal.timeout(5000)), { code: 'ERR_NODE_API' })
    serve({ '/api/v1/node': { status: 500, body: '' }, '/api/v1/status': { body: '{}' }, '/api/v1/peers': { body: '{}' } })
    await assert.rejects(loadNode(AbortSignal.timeout(5000)), { code: 'ERR_NODE_API' })
  })
})

// A node counts failed chain requests (p2pdv_chain_rpc_errors_total) through onRpcError.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { it } from 'node:test'
import { createChainContext } from '../src/context.ts'
import type { ChainConfig } from '../src/config.ts'

it('reports each request that fails after its retries, and none that succeed', async () => {
  // A JSON-RPC endpoint that answers eth_chainId and fails everything else with an RPC error.
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', c => { body += String(c) })
    req.on('end', () => {
      const { id, method } = JSON.parse(body) as { id: number, method: string }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(method === 'eth_chainId' ? { jsonrpc: '2.0', id, result: '0x7a69' } : { jsonrpc: '2.0', id, error: { code: -32000, message: 'nope' } }))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  try {
    let errors = 0
    const config = { chainId: 31337, rpc: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } as unknown as ChainConfig
    const ctx = createChainContext(config, { retryCount: 0, onRpcError: () => { errors++ } })
    assert.equal(await ctx.public.getChainId(), 31337)
    assert.equal(errors, 0)
    await assert.rejects(ctx.public.getBlockNumber({ cacheTime: 0 }))
    assert.equal(errors, 1)
  } finally {
    server.close()
  }
})

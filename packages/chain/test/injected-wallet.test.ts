// A context over a browser wallet (EIP-1193): writes are sent by the wallet for its account,
// reads and simulations go to the RPC, and a person pressing "Reject" is ERR_WALLET_REFUSED.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { it } from 'node:test'
import type { EIP1193Provider } from 'viem'
import { createChainContext } from '../src/context.ts'
import type { ChainConfig } from '../src/config.ts'
import { isP2pdvError } from '@p2pdv/core/errors'
import { writeContract } from '../src/write.ts'

const ABI = [{ type: 'function', name: 'poke', inputs: [], outputs: [], stateMutability: 'nonpayable' }] as const
const ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

it('sends through the wallet for its account; a rejection is ERR_WALLET_REFUSED and nothing is reported sent', async () => {
  // The RPC answers what a simulation needs: the call succeeds, gas is estimated.
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', c => { body += String(c) })
    req.on('end', () => {
      const { id, method } = JSON.parse(body) as { id: number, method: string }
      const result = ({ eth_chainId: '0x7a69', eth_call: '0x', eth_estimateGas: '0x5208', eth_blockNumber: '0x1' } as Record<string, string>)[method]
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(result === undefined ? { jsonrpc: '2.0', id, error: { code: -32601, message: 'no' } } : { jsonrpc: '2.0', id, result }))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  try {
    const asked: Array<{ method: string, params?: unknown }> = []
    const provider = {
      request: async (args: { method: string, params?: unknown }) => {
        asked.push(args)
        if (args.method === 'eth_chainId') return '0x7a69'
        throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
      }
    } as unknown as EIP1193Provider
    const config = { chainId: 31337, rpc: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } as unknown as ChainConfig
    const ctx = createChainContext(config, { injected: { provider, address: ADDRESS }, retryCount: 0 })
    assert.equal(ctx.account?.address, ADDRESS)
    const sent: string[] = []
    const err = await writeContract(ctx, { action: 'poking', address: ADDRESS, abi: ABI, functionName: 'poke', args: [], onSent: h => { sent.push(h) } }).catch((e: unknown) => e)
    assert.ok(isP2pdvError(err))
    assert.equal(err.code, 'ERR_WALLET_REFUSED')
    assert.deepEqual(sent, [])
    const send = asked.find(a => a.method === 'eth_sendTransaction')
    assert.ok(send !== undefined, 'the wallet was asked to send')
    assert.equal((send.params as Array<{ from: string }>)[0]!.from.toLowerCase(), ADDRESS.toLowerCase())
  } finally {
    server.close()
  }
})

// ChainClient is a façade over the per-contract functions: each of its methods has a function of
// the same name, so callers can move from one to the other a call at a time. Contexts are built
// without the network, and writes without a wallet are refused before anything is sent.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { VideoRegistryAbi } from '@p2pdv/contracts/abis'
import * as chain from '@p2pdv/chain'

const ADDRESS = `0x${'11'.repeat(20)}` as const
const config = chain.parseChainConfig({
  rpc: 'http://127.0.0.1:9',
  chainId: 31337,
  contracts: Object.fromEntries(chain.CONTRACT_NAMES.map(n => [n, ADDRESS]))
}, 'test')

describe('chain façade and context', () => {
  it('has a same-named function for every ChainClient method', () => {
    const methods = Object.getOwnPropertyNames(chain.ChainClient.prototype)
      .filter(n => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(chain.ChainClient.prototype, n)?.value === 'function')
    assert.ok(methods.length >= 30)
    const exported = chain as unknown as Record<string, unknown>
    assert.deepEqual(methods.filter(m => typeof exported[m] !== 'function'), [])
  })

  it('creates a context without touching the network', () => {
    const ctx = chain.createChainContext(config)
    assert.equal(ctx.config, config)
    assert.equal(ctx.chain.id, 31337)
    assert.equal(ctx.wallet, undefined)
  })

  it('refuses to write or name a signer without a wallet, by code', async () => {
    const ctx = chain.createChainContext(config)
    assert.throws(() => chain.signerAddress(ctx), { code: 'ERR_CHAIN_NO_ACCOUNT' })
    await assert.rejects(chain.writeContract(ctx, { action: 'test', address: ADDRESS, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [] }), { code: 'ERR_CHAIN_NO_ACCOUNT' })
    await assert.rejects(chain.grant(ctx, `0x${'22'.repeat(32)}`, ADDRESS), { code: 'ERR_CHAIN_NO_ACCOUNT' })
  })

  it('reports an unreachable endpoint on connect by code', async () => {
    await assert.rejects(chain.connectChain(config, { retryCount: 0, timeoutMs: 2_000 }), { code: 'ERR_CHAIN_UNREACHABLE' })
  })
})

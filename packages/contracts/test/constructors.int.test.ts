// Every contract refuses a zero address where it needs a real one, at construction.
import { after, before, describe, it } from 'node:test'
import { encodeDeployData, zeroAddress, type Abi, type Address, type Hex } from 'viem'
import * as artifacts from '../src/index.ts'
import { reverts, startChain, type TestChain } from './fixtures/chain.ts'

describe('constructors', () => {
  let chain: TestChain
  let a: Address
  before(async () => {
    chain = await startChain()
    a = chain.accounts[2]!
  })
  after(async () => { await chain?.stop() })

  const cases: Array<[name: string, args: (a: Address) => readonly unknown[]]> = [
    ['VideoRegistry', () => [zeroAddress]],
    ['Rewards', a => [zeroAddress, a]],
    ['Rewards', a => [a, zeroAddress]],
    ['NodeRegistry', a => [zeroAddress, a, a]],
    ['NodeRegistry', a => [a, zeroAddress, a]],
    ['NodeRegistry', a => [a, a, zeroAddress]],
    ['Licensing', a => [zeroAddress, a]],
    ['Licensing', a => [a, zeroAddress]],
    ['AccessManager', a => [zeroAddress, a, a, a]],
    ['AccessManager', a => [a, zeroAddress, a, a]],
    ['AccessManager', a => [a, a, zeroAddress, a]],
    ['AccessManager', a => [a, a, a, zeroAddress]]
  ]
  for (const [name, args] of cases) {
    it(`${name} refuses zero in ${JSON.stringify(args('0xA' as Address)).replaceAll('"', '')}`, async () => {
      const abi = (artifacts as unknown as Record<string, Abi>)[`${name}Abi`]!
      const bytecode = (artifacts as unknown as Record<string, Hex>)[`${name}Bytecode`]!
      await reverts(chain.client.estimateGas({ account: a, data: encodeDeployData({ abi, bytecode, args: args(a) }) }), 'ZeroAddress')
    })
  }
})

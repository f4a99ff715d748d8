// AccessManager conditions on a real anvil: who may set them, how they are checked when set,
// the truth table (fast-check: random clause sets, combinators and holdings against a model),
// how they combine with the policy rules, and hostile token contracts (reverting, gas-eating,
// short or huge answers) that must never make hasAccess revert or cost unbounded gas.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { encodeFunctionData, getAddress, parseEventLogs, zeroAddress, type Abi, type Address, type Hex } from 'viem'
import { AccessManagerAbi, ETH, Policy, VideoRegistryAbi } from '../src/index.ts'
import {
  HostileTokenAbi, HostileTokenBytecode, MintableERC1155Abi, MintableERC1155Bytecode, MintableERC20Abi, MintableERC20Bytecode,
  MintableERC721Abi, MintableERC721Bytecode
} from '../src/generated/test-contracts.ts'
import { impersonate, latestTimestamp, randomId, reverts, send, startChain, travel, type TestChain } from './fixtures/chain.ts'

const NUM_RUNS = Number(process.env.P2PDV_PROPERTY_RUNS ?? 25)
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const FP = `0x${'ab'.repeat(32)}` as Hex
const KIND = { erc20: 1, erc721: 2, erc1155: 3, time: 4 } as const

interface Clause { kind: number, token: Address, notBefore: bigint, id: bigint, min: bigint, notAfter: bigint }
const clause = (c: Partial<Clause> & { kind: number }): Clause => ({ token: zeroAddress, notBefore: 0n, id: 0n, min: 0n, notAfter: 0n, ...c })

describe('AccessManager conditions', () => {
  let chain: TestChain
  let alice: Address, bob: Address, carol: Address
  let am: Address, registry: Address
  let erc20: Address, erc721: Address, erc1155: Address
  const hostile: Address[] = []

  const deploy = async (abi: Abi, bytecode: Hex, args: readonly unknown[] = []): Promise<Address> => {
    const hash = await chain.client.deployContract({ abi, bytecode, args, account: chain.accounts[0]!, chain: chain.client.chain } as never)
    return getAddress((await chain.client.waitForTransactionReceipt({ hash })).contractAddress!)
  }

  before(async () => {
    chain = await startChain()
    ;[, , alice, bob, carol] = chain.accounts as [Address, Address, Address, Address, Address]
    am = chain.c.accessManager
    registry = chain.c.videoRegistry
    erc20 = await deploy(MintableERC20Abi, MintableERC20Bytecode)
    erc721 = await deploy(MintableERC721Abi, MintableERC721Bytecode)
    erc1155 = await deploy(MintableERC1155Abi, MintableERC1155Bytecode)
    for (let mode = 0; mode <= 4; mode++) hostile.push(await deploy(HostileTokenAbi, HostileTokenBytecode, [mode]))
  })
  after(async () => { await chain?.stop() })

  const video = async (policy: number): Promise<Hex> => {
    const id = randomId()
    await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, '', FP, policy, 0] })
    return id
  }
  const setCondition = async (id: Hex, any: boolean, clauses: Clause[], from = alice) =>
    await send(chain.client, from, { address: am, abi: AccessManagerAbi, functionName: 'setCondition', args: [id, any, clauses] })
  const hasAccess = async (id: Hex, viewer: Address): Promise<boolean> =>
    await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, viewer] })
  const hasAccessGas = async (id: Hex, viewer: Address): Promise<bigint> =>
    await chain.client.estimateGas({ account: bob, to: am, data: encodeFunctionData({ abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, viewer] }) })
  const mint20 = async (to: Address, amount: bigint) => { if (amount > 0n) await send(chain.client, bob, { address: erc20, abi: MintableERC20Abi, functionName: 'mint', args: [to, amount] }) }
  let nextNft = 1n
  const mint721 = async (to: Address, count: number) => { for (let i = 0; i < count; i++) await send(chain.client, bob, { address: erc721, abi: MintableERC721Abi, functionName: 'mint', args: [to, nextNft++] }) }
  const mint1155 = async (to: Address, id: bigint, amount: bigint) => { if (amount > 0n) await send(chain.client, bob, { address: erc1155, abi: MintableERC1155Abi, functionName: 'mint', args: [to, id, amount] }) }
  const freshViewer = (): Address => `0x${randomId().slice(26)}`

  it('the manager sets, reads and clears a condition, with events; others cannot', async () => {
    const id = await video(Policy.private)
    const clauses = [clause({ kind: KIND.erc20, token: erc20, min: 100n }), clause({ kind: KIND.erc1155, token: erc1155, id: 7n, min: 2n })]
    await reverts(setCondition(id, true, clauses, bob), 'NotVideoManager', [id, bob])
    const r = await setCondition(id, true, clauses)
    const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'ConditionSet' })
    assert.deepEqual(log?.args, { video: id, by: alice, any: true, clauses })
    assert.deepEqual(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'conditionOf', args: [id] }), [true, clauses])
    // A shorter replacement leaves no trace of the longer one.
    await setCondition(id, false, [clause({ kind: KIND.erc721, token: erc721, min: 1n })])
    assert.deepEqual(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'conditionOf', args: [id] }), [false, [clause({ kind: KIND.erc721, token: erc721, min: 1n })]])
    await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'clearCondition', args: [id] }), 'NotVideoManager')
    const cleared = await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'clearCondition', args: [id] })
    assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: cleared.logs, eventName: 'ConditionCleared' })[0]?.args, { video: id, by: alice })
    assert.deepEqual(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'conditionOf', args: [id] }), [false, []])
    await reverts(setCondition(randomId(), false, clauses), 'UnknownVideo')
  })

  it('refuses malformed conditions: no clause, more than four, and each malformed clause kind', async () => {
    const id = await video(Policy.private)
    const ok = clause({ kind: KIND.erc721, token: erc721, min: 1n })
    await reverts(setCondition(id, false, []), 'InvalidClauseCount', [0n])
    await reverts(setCondition(id, false, [ok, ok, ok, ok, ok]), 'InvalidClauseCount', [5n])
    const bad: Clause[] = [
      clause({ kind: 0, token: erc20, min: 1n }),
      clause({ kind: 5, token: erc20, min: 1n }),
      clause({ kind: KIND.erc20, min: 1n }), // no token
      clause({ kind: KIND.erc20, token: erc20 }), // min 0: always true
      clause({ kind: KIND.erc721, token: erc721, min: 1n, id: 3n }), // id on an ERC-721 clause
      clause({ kind: KIND.erc20, token: erc20, min: 1n, notAfter: 5n }), // window on a token clause
      clause({ kind: KIND.time, notBefore: 10n, notAfter: 10n }), // empty window
      clause({ kind: KIND.time, token: erc20, notBefore: 0n, notAfter: 10n }), // token on a time clause
      clause({ kind: KIND.time, min: 1n, notAfter: 10n })
    ]
    for (const b of bad) await reverts(setCondition(id, false, [ok, b]), 'InvalidClause', [1n])
    await setCondition(id, false, [ok, ok, ok, ok])
  })

  it('truth table: random clause sets, combinators and holdings evaluate as the model says', async () => {
    const arbClause = fc.oneof(
      fc.record({ kind: fc.constant('erc20' as const), min: fc.bigInt({ min: 1n, max: 300n }) }),
      fc.record({ kind: fc.constant('erc721' as const), min: fc.bigInt({ min: 1n, max: 3n }) }),
      fc.record({ kind: fc.constant('erc1155' as const), id: fc.bigInt({ min: 1n, max: 2n }), min: fc.bigInt({ min: 1n, max: 5n }) }),
      // Windows relative to the block the check runs in: before it, around it, after it, open-ended.
      fc.record({ kind: fc.constant('time' as const), from: fc.integer({ min: -200, max: 200 }), length: fc.integer({ min: 1, max: 400 }) })
    )
    const holdings = fc.record({
      erc20: fc.bigInt({ min: 0n, max: 400n }),
      erc721: fc.integer({ min: 0, max: 3 }),
      erc1155: fc.tuple(fc.bigInt({ min: 0n, max: 6n }), fc.bigInt({ min: 0n, max: 6n }))
    })
    const id = await video(Policy.private)
    await fc.assert(fc.asyncProperty(fc.array(arbClause, { minLength: 1, maxLength: 4 }), fc.boolean(), holdings, async (spec, any, held) => {
      const viewer = freshViewer()
      await mint20(viewer, held.erc20)
      await mint721(viewer, held.erc721)
      await mint1155(viewer, 1n, held.erc1155[0])
      await mint1155(viewer, 2n, held.erc1155[1])
      // The check is a read at the latest block; setCondition is the last transaction.
      const now = await latestTimestamp(chain.client) + 1n
      const clauses = spec.map(c => {
        switch (c.kind) {
          case 'erc20': return clause({ kind: KIND.erc20, token: erc20, min: c.min })
          case 'erc721': return clause({ kind: KIND.erc721, token: erc721, min: c.min })
          case 'erc1155': return clause({ kind: KIND.erc1155, token: erc1155, id: c.id, min: c.min })
          case 'time': {
            const from = now + BigInt(c.from)
            return clause({ kind: KIND.time, notBefore: from < 0n ? 0n : from, notAfter: from + BigInt(c.length) })
          }
        }
      })
      await setCondition(id, any, clauses)
      assert.equal(await latestTimestamp(chain.client), now)
      const truths = spec.map((c, i) => {
        switch (c.kind) {
          case 'erc20': return held.erc20 >= c.min
          case 'erc721': return BigInt(held.erc721) >= c.min
          case 'erc1155': return held.erc1155[Number(c.id) - 1]! >= c.min
          case 'time': return clauses[i]!.notBefore <= now && now < clauses[i]!.notAfter
        }
      })
      const expected = any ? truths.some(Boolean) : truths.every(Boolean)
      assert.equal(await hasAccess(id, viewer), expected, `${any ? 'OR' : 'AND'} of ${JSON.stringify(truths)}`)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'conditionMet', args: [id, viewer] }), expected)
    }), { numRuns: NUM_RUNS })
  })

  it('a condition opens the video beside the policy rules: holders free, others still buy; retirement closes it', async () => {
    const id = await video(Policy.paid)
    await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, ETH, 1000n, 0n] })
    await setCondition(id, false, [clause({ kind: KIND.erc721, token: erc721, min: 1n })])
    await mint721(carol, 1)
    const holderToken = nextNft - 1n
    assert.equal(await hasAccess(id, carol), true, 'the holder watches without paying')
    assert.equal(await hasAccess(id, bob), false)
    await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'buy', args: [id, bob, 1000n, 0n], value: 1000n })
    assert.equal(await hasAccess(id, bob), true, 'others may still buy')
    // Selling the pass ends the holder's access; buying still works for them.
    await send(chain.client, carol, { address: erc721, abi: MintableERC721Abi, functionName: 'transferFrom', args: [carol, bob, holderToken] })
    assert.equal(await hasAccess(id, carol), false)
    // Retired or blocked: the condition opens nothing.
    const priv = await video(Policy.private)
    await setCondition(priv, false, [clause({ kind: KIND.time, notBefore: 0n, notAfter: 2n ** 64n - 1n })])
    assert.equal(await hasAccess(priv, carol), true, 'an always-open window opens a private video to all')
    await impersonate(chain.client, chain.c.licensing)
    await send(chain.client, chain.c.licensing, { address: registry, abi: VideoRegistryAbi, functionName: 'setBlocked', args: [priv, true] })
    assert.equal(await hasAccess(priv, carol), false)
    assert.equal(await hasAccess(priv, alice), true, 'the owner always')
  })

  it('a time window opens and closes with the chain clock', async () => {
    const id = await video(Policy.subscribers)
    const now = await latestTimestamp(chain.client)
    await setCondition(id, false, [clause({ kind: KIND.time, notBefore: now + 100n, notAfter: now + 200n })])
    assert.equal(await hasAccess(id, carol), false)
    await travel(chain.client, 100)
    assert.equal(await hasAccess(id, carol), true)
    await travel(chain.client, 99)
    assert.equal(await hasAccess(id, carol), false, 'notAfter is exclusive')
  })

  it('hostile tokens: reverting, gas-eating, short or huge answers never revert hasAccess, and gas stays bounded', async () => {
    const [reverting, burning, short, huge, max] = hostile as [Address, Address, Address, Address, Address]
    const viewer = freshViewer()
    const openWindow = clause({ kind: KIND.time, notBefore: 0n, notAfter: 2n ** 64n - 1n })
    for (const [token, kind, expected] of [[reverting, KIND.erc20, false], [burning, KIND.erc721, false], [short, KIND.erc1155, false], [huge, KIND.erc20, true], [max, KIND.erc1155, true]] as const) {
      const id = await video(Policy.private)
      await setCondition(id, false, [clause({ kind, token, min: 1n, ...(kind === KIND.erc1155 ? { id: 1n } : {}) })])
      assert.equal(await hasAccess(id, viewer), expected, `${token} as ${kind}`)
      // Evaluation goes on past a hostile clause: OR with an open window holds.
      await setCondition(id, true, [clause({ kind, token, min: 1n, ...(kind === KIND.erc1155 ? { id: 1n } : {}) }), openWindow])
      assert.equal(await hasAccess(id, viewer), true)
    }
    // The worst case: four gas-eaters in OR, each stopped at CLAUSE_GAS.
    const id = await video(Policy.private)
    const eater = clause({ kind: KIND.erc20, token: burning, min: 1n })
    await setCondition(id, true, [eater, eater, eater, eater])
    assert.equal(await hasAccess(id, viewer), false)
    const gas = await hasAccessGas(id, viewer)
    assert.ok(gas < 250_000n, `four gas-eating clauses cost ${gas} gas`)
    // An address without code answers nothing: not held.
    const codeless = await video(Policy.private)
    await setCondition(codeless, false, [clause({ kind: KIND.erc20, token: carol, min: 1n })])
    assert.equal(await hasAccess(codeless, viewer), false)
  })
})

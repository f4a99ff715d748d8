// NodeRegistry on a real anvil: registration with stake, profiles and peer-id ownership,
// unbonding, reputation and slashing by the audit role or governance, and every revert path.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseEventLogs, type Address, type Hex } from 'viem'
import { NodeRegistryAbi, P2PVTokenAbi } from '../src/index.ts'
import { impersonate, latestTimestamp, P2PV, reverts, send, startChain, TEST_PARAMS, travel, type TestChain } from './fixtures/chain.ts'

const KEY = `0x${'11'.repeat(32)}` as Hex
const EVIDENCE = `0x${'ee'.repeat(32)}` as Hex

function profile (peerId: string, over: Partial<{ endpoints: string[], encryptionKey: Hex, capacity: bigint, keeper: boolean }> = {}) {
  return { peerId, endpoints: ['http://127.0.0.1:8080'], encryptionKey: KEY, capacity: 10n ** 12n, keeper: true, ...over }
}

describe('NodeRegistry', () => {
  let chain: TestChain
  let ops: Address, n1: Address, n2: Address, stranger: Address
  let nr: Address, token: Address

  before(async () => {
    chain = await startChain()
    ;[, ops, n1, n2, stranger] = chain.accounts as [Address, Address, Address, Address, Address]
    nr = chain.c.nodeRegistry
    token = chain.c.token
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const balance = async (a: Address): Promise<bigint> => await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [a] })
  const node = async (a: Address) => await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'getNode', args: [a] })
  const active = async (a: Address): Promise<boolean> => await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'isActive', args: [a] })
  const approve = async (from: Address, amount: bigint): Promise<void> => {
    await send(chain.client, from, { address: token, abi: P2PVTokenAbi, functionName: 'approve', args: [nr, amount] })
  }
  const register = async (from: Address, peerId: string, stake = TEST_PARAMS.minStake) => {
    await approve(from, stake)
    return await send(chain.client, from, { address: nr, abi: NodeRegistryAbi, functionName: 'register', args: [profile(peerId), stake] })
  }

  it('registers a node with its profile and stake, and lists it', async () => {
    const before = await balance(n1)
    const r = await register(n1, '12D3KooWNode1', 1500n * P2PV)
    assert.deepEqual(parseEventLogs({ abi: NodeRegistryAbi, logs: r.logs, eventName: 'NodeRegistered' })[0]?.args, { operator: n1, peerId: '12D3KooWNode1', encryptionKey: KEY, keeper: true, stake: 1500n * P2PV })
    const n = await node(n1)
    assert.equal(n.registered, true)
    assert.equal(n.stake, 1500n * P2PV)
    assert.equal(n.reputation, 5000)
    assert.deepEqual(n.profile, profile('12D3KooWNode1'))
    assert.equal(await balance(n1), before - 1500n * P2PV)
    assert.equal(await balance(nr), 1500n * P2PV)
    assert.equal(await active(n1), true)
    assert.equal(await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'operatorOfPeer', args: [await peerHash('12D3KooWNode1')] }), n1)
    await register(n2, '12D3KooWNode2')
    assert.equal(await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'nodeCount' }), 2n)
    assert.deepEqual(await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'nodes', args: [0n, 10n] }), [n1, n2])
    assert.deepEqual(await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'nodes', args: [1n, 10n] }), [n2])
    assert.deepEqual(await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'nodes', args: [5n, 10n] }), [])
    await reverts(chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'nodes', args: [0n, 101n] }), 'InvalidPage', [101n])
  })

  it('refuses a second registration, too little stake, and malformed profiles', async () => {
    await register(n1, 'peer-1')
    await approve(n1, TEST_PARAMS.minStake)
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'register', args: [profile('peer-x'), TEST_PARAMS.minStake] }), 'AlreadyRegistered', [n1])
    await approve(n2, 10n ** 24n)
    const reg = (p: ReturnType<typeof profile>, stake = TEST_PARAMS.minStake) => send(chain.client, n2, { address: nr, abi: NodeRegistryAbi, functionName: 'register', args: [p, stake] })
    await reverts(reg(profile('peer-2'), TEST_PARAMS.minStake - 1n), 'StakeBelowMinimum', [TEST_PARAMS.minStake - 1n, TEST_PARAMS.minStake])
    await reverts(reg(profile('peer-1')), 'PeerIdTaken', ['peer-1', n1])
    await reverts(reg(profile('')), 'InvalidPeerId')
    await reverts(reg(profile('p'.repeat(129))), 'InvalidPeerId')
    await reverts(reg(profile('peer-2', { endpoints: [] })), 'InvalidEndpoints')
    await reverts(reg(profile('peer-2', { endpoints: ['a', 'b', 'c', 'd', 'e'] })), 'InvalidEndpoints')
    await reverts(reg(profile('peer-2', { endpoints: [''] })), 'InvalidEndpoints')
    await reverts(reg(profile('peer-2', { endpoints: ['h'.repeat(257)] })), 'InvalidEndpoints')
    await reverts(reg(profile('peer-2', { encryptionKey: `0x${'00'.repeat(32)}` })), 'InvalidEncryptionKey')
  })

  it('updates the profile, moving the peer-id claim', async () => {
    await register(n1, 'peer-old')
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'updateProfile', args: [profile('peer-new', { endpoints: ['http://a', 'http://b'], keeper: false })] })
    const n = await node(n1)
    assert.equal(n.profile.peerId, 'peer-new')
    assert.deepEqual(n.profile.endpoints, ['http://a', 'http://b'])
    assert.equal(n.profile.keeper, false)
    // The old peer id is free again; the new one is taken.
    await register(n2, 'peer-old')
    await reverts(send(chain.client, n2, { address: nr, abi: NodeRegistryAbi, functionName: 'updateProfile', args: [profile('peer-new')] }), 'PeerIdTaken', ['peer-new', n1])
    await reverts(send(chain.client, stranger, { address: nr, abi: NodeRegistryAbi, functionName: 'updateProfile', args: [profile('peer-s')] }), 'UnknownNode', [stranger])
  })

  it('adds stake; unbonds only down to the minimum or to zero; pays out only after the unbonding period', async () => {
    await register(n1, 'peer-1', 2000n * P2PV)
    await approve(n1, 500n * P2PV)
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'addStake', args: [500n * P2PV] })
    assert.equal((await node(n1)).stake, 2500n * P2PV)
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'addStake', args: [0n] }), 'ZeroAmount')
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [0n] }), 'ZeroAmount')
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [2501n * P2PV] }), 'InsufficientStake', [2500n * P2PV, 2501n * P2PV])
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [2000n * P2PV] }), 'StakeBelowMinimum', [500n * P2PV, TEST_PARAMS.minStake])
    const r = await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [1000n * P2PV] })
    const readyAt = await latestTimestamp(chain.client) + TEST_PARAMS.unbondingPeriod
    assert.deepEqual(parseEventLogs({ abi: NodeRegistryAbi, logs: r.logs, eventName: 'UnbondRequested' })[0]?.args, { operator: n1, amount: 1000n * P2PV, readyAt })
    assert.equal((await node(n1)).stake, 1500n * P2PV)
    assert.equal(await active(n1), true)
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' }), 'StillUnbonding', [readyAt])
    await travel(chain.client, Number(TEST_PARAMS.unbondingPeriod) - 10)
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' }), 'StillUnbonding', [readyAt])
    await travel(chain.client, 10)
    const before = await balance(n1)
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' })
    assert.equal(await balance(n1), before + 1000n * P2PV)
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' }), 'NothingToWithdraw', [n1])
  })

  it('a new unbond request restarts the clock for everything unbonding', async () => {
    await register(n1, 'peer-1', 3000n * P2PV)
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [500n * P2PV] })
    await travel(chain.client, Number(TEST_PARAMS.unbondingPeriod) - 100)
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [500n * P2PV] })
    const readyAt = await latestTimestamp(chain.client) + TEST_PARAMS.unbondingPeriod
    await travel(chain.client, 200)
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' }), 'StillUnbonding', [readyAt])
    assert.equal((await node(n1)).unbonding, 1000n * P2PV)
  })

  it('leaves: unbond everything, deregister (peer id freed), withdraw later; re-registers', async () => {
    await register(n1, 'peer-1')
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'deregister' }), 'StakeNotWithdrawn', [TEST_PARAMS.minStake])
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [TEST_PARAMS.minStake] })
    assert.equal(await active(n1), false)
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'deregister' })
    assert.equal((await node(n1)).registered, false)
    assert.equal((await node(n1)).profile.peerId, '')
    await reverts(send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'deregister' }), 'UnknownNode', [n1])
    await register(n2, 'peer-1')
    await travel(chain.client, Number(TEST_PARAMS.unbondingPeriod))
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' })
    await register(n1, 'peer-1b')
    assert.equal(await active(n1), true)
    assert.equal(await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'nodeCount' }), 2n, 'listed once')
  })

  it('the audit role sets reputation and slashes the governance fraction of bonded and unbonding stake, to the treasury', async () => {
    await register(n1, 'peer-1', 2000n * P2PV)
    await reverts(send(chain.client, stranger, { address: nr, abi: NodeRegistryAbi, functionName: 'setReputation', args: [n1, 1] }), 'NotAuditorOrGovernance', [stranger])
    await reverts(send(chain.client, stranger, { address: nr, abi: NodeRegistryAbi, functionName: 'slash', args: [n1, EVIDENCE] }), 'NotAuditorOrGovernance', [stranger])
    await send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'setReputation', args: [n1, 9000] })
    assert.equal((await node(n1)).reputation, 9000)
    await reverts(send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'setReputation', args: [n1, 10_001] }), 'InvalidReputation', [10_001])
    await reverts(send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'setReputation', args: [stranger, 1] }), 'UnknownNode', [stranger])
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [1000n * P2PV] })
    const treasuryBefore = await balance(chain.c.timelock)
    const r = await send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'slash', args: [n1, EVIDENCE] })
    // 10 % of 2000 (1000 bonded + 1000 unbonding) = 200, taken from the bonded stake first.
    assert.deepEqual(parseEventLogs({ abi: NodeRegistryAbi, logs: r.logs, eventName: 'Slashed' })[0]?.args, { operator: n1, amount: 200n * P2PV, evidence: EVIDENCE, by: ops })
    assert.equal((await node(n1)).stake, 800n * P2PV)
    assert.equal((await node(n1)).unbonding, 1000n * P2PV)
    assert.equal(await balance(chain.c.timelock), treasuryBefore + 200n * P2PV)
    assert.equal(await active(n1), false, 'below the minimum after the slash')
    await reverts(send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'slash', args: [stranger, EVIDENCE] }), 'UnknownNode', [stranger])
  })

  it('slashing reaches stake that is unbonding, so unbonding does not escape it', async () => {
    await register(n1, 'peer-1')
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [TEST_PARAMS.minStake] })
    await send(chain.client, n1, { address: nr, abi: NodeRegistryAbi, functionName: 'deregister' })
    await send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'slash', args: [n1, EVIDENCE] })
    assert.equal((await node(n1)).unbonding, TEST_PARAMS.minStake * 9n / 10n)
  })

  it('only governance slashes an exact amount (capped at what the node has)', async () => {
    await register(n1, 'peer-1')
    await reverts(send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'slashAmount', args: [n1, 1n, EVIDENCE] }), 'AccessControlUnauthorizedAccount')
    await impersonate(chain.client, chain.c.timelock)
    await send(chain.client, chain.c.timelock, { address: nr, abi: NodeRegistryAbi, functionName: 'slashAmount', args: [n1, 10n ** 30n, EVIDENCE] })
    assert.equal((await node(n1)).stake, 0n)
    await reverts(send(chain.client, chain.c.timelock, { address: nr, abi: NodeRegistryAbi, functionName: 'slash', args: [n1, EVIDENCE] }), 'NothingToSlash', [n1])
    // Governance also sets reputation.
    await send(chain.client, chain.c.timelock, { address: nr, abi: NodeRegistryAbi, functionName: 'setReputation', args: [n1, 0] })
  })

  async function peerHash (peerId: string): Promise<Hex> {
    const { keccak256, toHex } = await import('viem')
    return keccak256(toHex(peerId))
  }
})

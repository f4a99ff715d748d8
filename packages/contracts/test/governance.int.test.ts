// The token, the protocol parameters and the DAO on a real anvil: a fixed supply with votes and
// permit; parameters only governance can change, within bounds; and a full proposal → vote →
// queue → execute that changes the revenue split and pays a grant from the treasury.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { encodeDeployData, encodeFunctionData, keccak256, parseEventLogs, toHex, zeroAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../src/anvil.ts'
import { DEFAULT_TOTAL_SUPPLY, P2PVGovernorAbi, P2PVTimelockAbi, P2PVTokenAbi, P2PVTokenBytecode, ProtocolParamsAbi, ProtocolParamsBytecode, ROLES } from '../src/index.ts'
import { ALLOCATION, impersonate, latestTimestamp, OPS_ALLOCATION, P2PV, reverts, send, startChain, TEST_GOVERNANCE, TEST_PARAMS, travel, type TestChain } from './fixtures/chain.ts'

const ProposalState = { Pending: 0, Active: 1, Canceled: 2, Defeated: 3, Succeeded: 4, Queued: 5, Expired: 6, Executed: 7 } as const

describe('token, parameters and governance', () => {
  let chain: TestChain
  let deployer: Address, ops: Address, alice: Address, bob: Address
  let token: Address, params: Address, governor: Address, timelock: Address

  before(async () => {
    chain = await startChain()
    ;[deployer, ops, alice, bob] = chain.accounts as [Address, Address, Address, Address]
    ;({ token, params, governor, timelock } = chain.c)
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const balance = async (a: Address): Promise<bigint> => await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [a] })

  describe('P2PV token', () => {
    it('has a fixed supply: the allocations, and the rest in the treasury; no mint function exists', async () => {
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'totalSupply' }), DEFAULT_TOTAL_SUPPLY)
      assert.equal(await balance(ops), OPS_ALLOCATION)
      assert.equal(await balance(alice), ALLOCATION)
      assert.equal(await balance(timelock), DEFAULT_TOTAL_SUPPLY - OPS_ALLOCATION - 8n * ALLOCATION)
      assert.equal(await balance(deployer), 0n)
      const names = P2PVTokenAbi.filter(i => i.type === 'function').map(i => i.name)
      assert.ok(!names.some(n => /mint|burn/i.test(n)), names.join(','))
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'symbol' }), 'P2PV')
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'CLOCK_MODE' }), 'mode=timestamp')
    })

    it('refuses bad constructor arguments', async () => {
      const deploy = async (args: readonly [Address, bigint, Address[], bigint[]]) => {
        await chain.client.estimateGas({ account: deployer, data: encodeDeployData({ abi: P2PVTokenAbi, bytecode: P2PVTokenBytecode, args }) })
      }
      await reverts(deploy([zeroAddress, 100n, [], []]), 'ZeroAddress')
      await reverts(deploy([alice, 100n, [bob], []]), 'LengthMismatch', [1n, 0n])
      await reverts(deploy([alice, 100n, [bob], [101n]]), 'AllocationExceedsSupply', [101n, 100n])
    })

    it('counts votes only once delegated, checkpointed by time', async () => {
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'getVotes', args: [alice] }), 0n)
      await send(chain.client, alice, { address: token, abi: P2PVTokenAbi, functionName: 'delegate', args: [alice] })
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'getVotes', args: [alice] }), ALLOCATION)
      const t = await latestTimestamp(chain.client)
      await send(chain.client, alice, { address: token, abi: P2PVTokenAbi, functionName: 'transfer', args: [bob, ALLOCATION / 2n] })
      await travel(chain.client, 5)
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'getPastVotes', args: [alice, t] }), ALLOCATION)
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'getVotes', args: [alice] }), ALLOCATION / 2n)
    })

    it('accepts an EIP-2612 permit signed off chain', async () => {
      const owner = privateKeyToAccount(ANVIL_KEYS[2])
      assert.equal(owner.address, alice)
      const deadline = await latestTimestamp(chain.client) + 3600n
      const signature = await owner.signTypedData({
        domain: { name: 'P2PDEVIDEO', version: '1', chainId: chain.deployment.chainId, verifyingContract: token },
        types: { Permit: [{ name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }] },
        primaryType: 'Permit',
        message: { owner: alice, spender: bob, value: 5n * P2PV, nonce: 0n, deadline }
      })
      const r = BigInt(signature.slice(0, 66))
      const s = BigInt(`0x${signature.slice(66, 130)}`)
      const v = Number(`0x${signature.slice(130, 132)}`)
      await send(chain.client, bob, { address: token, abi: P2PVTokenAbi, functionName: 'permit', args: [alice, bob, 5n * P2PV, deadline, v, toHex(r, { size: 32 }), toHex(s, { size: 32 })] })
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'allowance', args: [alice, bob] }), 5n * P2PV)
      await reverts(send(chain.client, bob, { address: token, abi: P2PVTokenAbi, functionName: 'permit', args: [alice, bob, 5n * P2PV, deadline, v, toHex(r, { size: 32 }), toHex(s, { size: 32 })] }), 'ERC2612InvalidSigner')
    })
  })

  describe('ProtocolParams', () => {
    it('starts with the deployment values; the treasury is the timelock', async () => {
      const read = async (functionName: 'minStake' | 'unbondingPeriod' | 'creatorBps' | 'nodePoolBps' | 'treasuryBps' | 'slashBps' | 'defaultK' | 'defaultM' | 'treasury') =>
        await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName })
      assert.equal(await read('minStake'), TEST_PARAMS.minStake)
      assert.equal(await read('unbondingPeriod'), TEST_PARAMS.unbondingPeriod)
      assert.equal(await read('creatorBps'), 8500)
      assert.equal(await read('nodePoolBps'), 1000)
      assert.equal(await read('treasuryBps'), 500)
      assert.equal(await read('slashBps'), 1000)
      assert.equal(await read('defaultK'), 4)
      assert.equal(await read('defaultM'), 2)
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' }), [4, 2])
      assert.equal(await read('treasury'), timelock)
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'split' }), [8500, 1000, timelock])
    })

    it('only governance changes them, within bounds', async () => {
      await reverts(send(chain.client, ops, { address: params, abi: ProtocolParamsAbi, functionName: 'setMinStake', args: [1n] }), 'AccessControlUnauthorizedAccount', [ops, ROLES.DEFAULT_ADMIN])
      await impersonate(chain.client, timelock)
      const set = (functionName: string, args: readonly unknown[]) => send(chain.client, timelock, { address: params, abi: ProtocolParamsAbi, functionName: functionName as 'setMinStake', args: args as [bigint] })
      await set('setMinStake', [5n])
      await set('setUnbondingPeriod', [365n * 86_400n])
      await set('setRevenueSplit', [7000, 2000])
      await set('setSlashBps', [10_000])
      await set('setErasureDefaults', [1, 255])
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' }), [1, 255])
      await set('setErasureDefaults', [255, 1])
      await set('setTreasury', [alice])
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'split' }), [7000, 2000, alice])
      await reverts(set('setUnbondingPeriod', [365n * 86_400n + 1n]), 'OutOfRange', [365n * 86_400n + 1n, 0n, 365n * 86_400n])
      await reverts(set('setRevenueSplit', [9000, 1001]), 'InvalidSplit', [9000n, 1001n])
      await reverts(set('setSlashBps', [10_001]), 'OutOfRange', [10_001n, 0n, 10_000n])
      await reverts(set('setErasureDefaults', [0, 2]), 'InvalidErasure', [0n, 2n])
      await reverts(set('setErasureDefaults', [4, 0]), 'InvalidErasure', [4n, 0n])
      await reverts(set('setErasureDefaults', [200, 57]), 'InvalidErasure', [200n, 57n])
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' }), [255, 1], 'refused values change nothing')
      await reverts(set('setTreasury', [zeroAddress]), 'ZeroAddress')
    })

    it('holds the settlement weights: governance sets them, within 0–100 %', async () => {
      const weights = async () => await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'settlementWeights' })
      assert.deepEqual(await weights(), [8000, 5000], 'the deployment defaults')
      await reverts(send(chain.client, ops, { address: params, abi: ProtocolParamsAbi, functionName: 'setSettlementWeights', args: [1, 1] }), 'AccessControlUnauthorizedAccount', [ops, ROLES.DEFAULT_ADMIN])
      await impersonate(chain.client, timelock)
      const set = async (a: number, b: number) => await send(chain.client, timelock, { address: params, abi: ProtocolParamsAbi, functionName: 'setSettlementWeights', args: [a, b] })
      await set(10_000, 0)
      assert.deepEqual(await weights(), [10_000, 0])
      await reverts(set(10_001, 0), 'OutOfRange', [10_001n, 0n, 10_000n])
      await reverts(set(0, 10_001), 'OutOfRange', [10_001n, 0n, 10_000n])
      assert.deepEqual(await weights(), [10_000, 0], 'refused values change nothing')
    })

    it('refuses a zero admin at construction', async () => {
      const init = { treasury: alice, minStake: 0n, unbondingPeriod: 0n, creatorBps: 0, nodePoolBps: 0, slashBps: 0, defaultK: 1, defaultM: 1, storageShareBps: 0, minPassBps: 0 }
      const data = encodeDeployData({ abi: ProtocolParamsAbi, bytecode: ProtocolParamsBytecode, args: [zeroAddress, init] })
      await reverts(chain.client.estimateGas({ account: deployer, data }), 'ZeroAddress')
    })

    it('refuses erasure defaults out of bounds at construction (k ≥ 1, m ≥ 1, k + m ≤ 256)', async () => {
      const deploy = async (defaultK: number, defaultM: number) => {
        const init = { ...TEST_PARAMS, treasury: alice, defaultK, defaultM }
        return await chain.client.estimateGas({ account: deployer, data: encodeDeployData({ abi: ProtocolParamsAbi, bytecode: ProtocolParamsBytecode, args: [alice, init] }) })
      }
      await reverts(deploy(0, 2), 'InvalidErasure', [0n, 2n])
      await reverts(deploy(4, 0), 'InvalidErasure', [4n, 0n])
      await reverts(deploy(128, 129), 'InvalidErasure', [128n, 129n])
      assert.ok(await deploy(128, 128) > 0n, 'k + m = 256 is the widest stripe allowed')
      assert.ok(await deploy(1, 1) > 0n)
    })
  })

  describe('DAO', () => {
    const description = 'Raise the node pool to 15 % and fund a grant'
    const descriptionHash = keccak256(toHex(description))
    let targets: Address[], values: bigint[], calldatas: Hex[]

    beforeEach(() => {
      targets = [params, token]
      values = [0n, 0n]
      calldatas = [
        encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setRevenueSplit', args: [8000, 1500] }),
        encodeFunctionData({ abi: P2PVTokenAbi, functionName: 'transfer', args: [bob, 1_000n * P2PV] })
      ]
    })

    const state = async (id: bigint): Promise<number> => await chain.client.readContract({ address: governor, abi: P2PVGovernorAbi, functionName: 'state', args: [id] })
    const propose = async (from: Address): Promise<bigint> => {
      const r = await send(chain.client, from, { address: governor, abi: P2PVGovernorAbi, functionName: 'propose', args: [targets, values, calldatas, description] })
      return parseEventLogs({ abi: P2PVGovernorAbi, logs: r.logs, eventName: 'ProposalCreated' })[0]!.args.proposalId
    }

    it('runs a full proposal: propose → vote → queue → execute changes the revenue split and pays from the treasury', async () => {
      await send(chain.client, ops, { address: token, abi: P2PVTokenAbi, functionName: 'delegate', args: [ops] })
      await travel(chain.client, 1)
      const id = await propose(ops)
      assert.equal(await state(id), ProposalState.Pending)
      await reverts(send(chain.client, ops, { address: governor, abi: P2PVGovernorAbi, functionName: 'castVote', args: [id, 1] }), 'GovernorUnexpectedProposalState')
      await travel(chain.client, TEST_GOVERNANCE.votingDelay + 1)
      assert.equal(await state(id), ProposalState.Active)
      await send(chain.client, ops, { address: governor, abi: P2PVGovernorAbi, functionName: 'castVote', args: [id, 1] })
      await reverts(send(chain.client, ops, { address: governor, abi: P2PVGovernorAbi, functionName: 'castVote', args: [id, 1] }), 'GovernorAlreadyCastVote', [ops])
      await travel(chain.client, TEST_GOVERNANCE.votingPeriod + 1)
      assert.equal(await state(id), ProposalState.Succeeded)
      await send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'queue', args: [targets, values, calldatas, descriptionHash] })
      assert.equal(await state(id), ProposalState.Queued)
      // The timelock delay has not passed yet.
      await reverts(send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'execute', args: [targets, values, calldatas, descriptionHash] }), 'TimelockUnexpectedOperationState')
      await travel(chain.client, Number(TEST_GOVERNANCE.timelockDelay) + 1)
      const bobBefore = await balance(bob)
      await send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'execute', args: [targets, values, calldatas, descriptionHash] })
      assert.equal(await state(id), ProposalState.Executed)
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'split' }), [8000, 1500, timelock])
      assert.equal(await balance(bob), bobBefore + 1_000n * P2PV)
    })

    it('a proposal changes the erasure defaults (k, m) clients read', async () => {
      targets = [params]
      values = [0n]
      calldatas = [encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setErasureDefaults', args: [29, 51] })]
      await send(chain.client, ops, { address: token, abi: P2PVTokenAbi, functionName: 'delegate', args: [ops] })
      await travel(chain.client, 1)
      const id = await propose(ops)
      await travel(chain.client, TEST_GOVERNANCE.votingDelay + 1)
      await send(chain.client, ops, { address: governor, abi: P2PVGovernorAbi, functionName: 'castVote', args: [id, 1] })
      await travel(chain.client, TEST_GOVERNANCE.votingPeriod + 1)
      await send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'queue', args: [targets, values, calldatas, descriptionHash] })
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' }), [4, 2], 'unchanged while queued')
      await travel(chain.client, Number(TEST_GOVERNANCE.timelockDelay) + 1)
      const r = await send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'execute', args: [targets, values, calldatas, descriptionHash] })
      assert.equal(await state(id), ProposalState.Executed)
      assert.deepEqual(await chain.client.readContract({ address: params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' }), [29, 51])
      const [event] = parseEventLogs({ abi: ProtocolParamsAbi, logs: r.logs, eventName: 'ErasureDefaultsSet' })
      assert.deepEqual([event?.args.k, event?.args.m], [29, 51])
    })

    it('defeats a proposal that misses the quorum, and refuses proposers below the threshold', async () => {
      await send(chain.client, alice, { address: token, abi: P2PVTokenAbi, functionName: 'delegate', args: [alice] })
      await reverts(propose(bob), 'GovernorInsufficientProposerVotes', [bob, 0n, TEST_GOVERNANCE.proposalThreshold])
      await travel(chain.client, 1)
      const id = await propose(alice)
      await travel(chain.client, TEST_GOVERNANCE.votingDelay + 1)
      await send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'castVote', args: [id, 1] })
      await travel(chain.client, TEST_GOVERNANCE.votingPeriod + 1)
      assert.equal(await state(id), ProposalState.Defeated, '1 M of 1 B votes is below the 4 % quorum')
      await reverts(send(chain.client, alice, { address: governor, abi: P2PVGovernorAbi, functionName: 'queue', args: [targets, values, calldatas, descriptionHash] }), 'GovernorUnexpectedProposalState')
    })

    it('the timelock accepts operations only from the governor', async () => {
      await reverts(send(chain.client, ops, {
        address: timelock,
        abi: P2PVTimelockAbi,
        functionName: 'schedule',
        args: [params, 0n, calldatas[0]!, `0x${'00'.repeat(32)}`, `0x${'00'.repeat(32)}`, TEST_GOVERNANCE.timelockDelay]
      }), 'AccessControlUnauthorizedAccount', [ops, ROLES.PROPOSER])
      assert.equal(await chain.client.readContract({ address: timelock, abi: P2PVTimelockAbi, functionName: 'hasRole', args: [ROLES.DEFAULT_ADMIN, deployer] }), false)
    })
  })
})

// Rewards on a real anvil: the pool collects the node share from the AccessManager, the settler
// posts epoch roots covered by the pool, nodes claim with proofs, at most once; every revert path.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { getAddress, parseEventLogs, type Address } from 'viem'
import { AccessManagerAbi, buildRewardTree, ETH, P2PVTokenAbi, Policy, RewardsAbi, VideoRegistryAbi, type RewardTree } from '../src/index.ts'
import { RejectingPayeeAbi, RejectingPayeeBytecode } from '../src/generated/test-contracts.ts'
import { ETHER, P2PV, randomId, reverts, send, startChain, type TestChain } from './fixtures/chain.ts'

describe('Rewards', () => {
  let chain: TestChain
  let settler: Address, alice: Address, bob: Address, n1: Address, n2: Address, n3: Address
  let rewards: Address, token: Address

  before(async () => {
    chain = await startChain()
    ;[, settler, alice, bob, n1, n2, n3] = chain.accounts as [Address, Address, Address, Address, Address, Address, Address]
    rewards = chain.c.rewards
    token = chain.c.token
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const fund = async (eth: bigint, tokens: bigint): Promise<void> => {
    if (eth > 0n) await chain.client.waitForTransactionReceipt({ hash: await chain.client.sendTransaction({ account: alice, to: rewards, value: eth, chain: chain.client.chain }) })
    if (tokens > 0n) await send(chain.client, alice, { address: token, abi: P2PVTokenAbi, functionName: 'transfer', args: [rewards, tokens] })
  }
  const post = async (tree: RewardTree, from = settler) =>
    await send(chain.client, from, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [tree.epoch, tree.root, tree.ethTotal, tree.tokenTotal] })
  const claim = async (tree: RewardTree, node: Address, from = bob, proof = tree.proof(node)) => {
    const s = tree.shares.find(x => getAddress(x.node) === getAddress(node))!
    return await send(chain.client, from, { address: rewards, abi: RewardsAbi, functionName: 'claim', args: [tree.epoch, s.node, s.ethAmount, s.tokenAmount, proof] })
  }
  const tokenBalance = async (a: Address): Promise<bigint> => await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [a] })

  it('collects the node-pool share of sales from the AccessManager', async () => {
    const id = randomId()
    await send(chain.client, alice, { address: chain.c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [id, 'bafy', '', `0x${'ab'.repeat(32)}`, Policy.paid, 0] })
    await send(chain.client, alice, { address: chain.c.accessManager, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, ETH, ETHER, 0n] })
    await send(chain.client, bob, { address: chain.c.accessManager, abi: AccessManagerAbi, functionName: 'buy', args: [id, bob, ETHER, 0n], value: ETHER })
    const r = await send(chain.client, n1, { address: rewards, abi: RewardsAbi, functionName: 'collect', args: [chain.c.accessManager] })
    assert.deepEqual(parseEventLogs({ abi: RewardsAbi, logs: r.logs, eventName: 'Funded' })[0]?.args, { from: chain.c.accessManager, asset: ETH, amount: ETHER / 10n })
    assert.equal(await chain.client.getBalance({ address: rewards }), ETHER / 10n)
    assert.deepEqual(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'available' }), [ETHER / 10n, 0n])
    // Nothing more to collect: a no-op, not a failure.
    await send(chain.client, n1, { address: rewards, abi: RewardsAbi, functionName: 'collect', args: [chain.c.accessManager] })
  })

  it('pays every node its leaf once; the epoch totals stay set aside until claimed', async () => {
    await fund(3n * ETHER, 3000n * P2PV)
    const tree = buildRewardTree(0n, [
      { node: n1, ethAmount: ETHER, tokenAmount: 100n * P2PV },
      { node: n2, ethAmount: ETHER / 2n, tokenAmount: 0n },
      { node: n3, ethAmount: 0n, tokenAmount: 900n * P2PV }
    ])
    const r = await post(tree)
    assert.deepEqual(parseEventLogs({ abi: RewardsAbi, logs: r.logs, eventName: 'EpochPosted' })[0]?.args, { epoch: 0n, root: tree.root, ethTotal: tree.ethTotal, tokenTotal: tree.tokenTotal })
    assert.deepEqual(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'available' }), [3n * ETHER - tree.ethTotal, 3000n * P2PV - tree.tokenTotal])
    const ethBefore = await chain.client.getBalance({ address: n1 })
    const tokBefore = await tokenBalance(n1)
    await claim(tree, n1) // bob submits for n1; n1 receives
    assert.equal(await chain.client.getBalance({ address: n1 }), ethBefore + ETHER)
    assert.equal(await tokenBalance(n1), tokBefore + 100n * P2PV)
    assert.equal(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'claimed', args: [0n, n1] }), true)
    await reverts(claim(tree, n1), 'AlreadyClaimed', [0n, n1])
    await claim(tree, n2)
    await claim(tree, n3)
    const e = await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'getEpoch', args: [0n] })
    assert.equal(e.ethClaimed, tree.ethTotal)
    assert.equal(e.tokenClaimed, tree.tokenTotal)
    assert.equal(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'ethAllocated' }), 0n)
  })

  it('refuses wrong proofs, wrong amounts, another epoch\'s proof and unknown epochs', async () => {
    await fund(10n * ETHER, 0n)
    const tree0 = buildRewardTree(0n, [{ node: n1, ethAmount: ETHER, tokenAmount: 0n }, { node: n2, ethAmount: ETHER, tokenAmount: 0n }])
    await post(tree0)
    const tree1 = buildRewardTree(1n, [{ node: n1, ethAmount: ETHER, tokenAmount: 0n }, { node: n2, ethAmount: ETHER, tokenAmount: 0n }])
    await post(tree1)
    // n1 asks for more than its leaf.
    await reverts(send(chain.client, n1, { address: rewards, abi: RewardsAbi, functionName: 'claim', args: [0n, n1, 2n * ETHER, 0n, tree0.proof(n1)] }), 'InvalidProof')
    // n2's proof for n1's leaf.
    await reverts(claim(tree0, n1, n1, tree0.proof(n2)), 'InvalidProof')
    // Epoch 0's proof submitted as epoch 1 (the epoch is in the leaf).
    await reverts(send(chain.client, n1, { address: rewards, abi: RewardsAbi, functionName: 'claim', args: [1n, n1, ETHER, 0n, tree0.proof(n1)] }), 'InvalidProof')
    await reverts(send(chain.client, n1, { address: rewards, abi: RewardsAbi, functionName: 'claim', args: [7n, n1, ETHER, 0n, []] }), 'UnknownEpoch', [7n])
    await claim(tree1, n1)
    await claim(tree0, n1)
  })

  it('a root whose leaves add up to more than its totals cannot take more than the totals', async () => {
    await fund(10n * ETHER, 0n)
    const tree = buildRewardTree(0n, [{ node: n1, ethAmount: 3n * ETHER, tokenAmount: 0n }, { node: n2, ethAmount: 3n * ETHER, tokenAmount: 0n }])
    await send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [0n, tree.root, 4n * ETHER, 0n] })
    await claim(tree, n1)
    await reverts(claim(tree, n2), 'EpochOverclaimed', [0n])
    assert.equal(await chain.client.getBalance({ address: rewards }), 7n * ETHER, 'the rest of the pool is untouched')
  })

  it('postEpoch: settler only, in order, non-empty, covered by unallocated funds', async () => {
    await fund(ETHER, 10n * P2PV)
    const tree = buildRewardTree(0n, [{ node: n1, ethAmount: ETHER / 2n, tokenAmount: 5n * P2PV }])
    await reverts(post(tree, bob), 'AccessControlUnauthorizedAccount')
    await reverts(send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [1n, tree.root, 0n, 0n] }), 'WrongEpoch', [0n, 1n])
    await reverts(send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [0n, `0x${'00'.repeat(32)}`, 0n, 0n] }), 'EmptyRoot')
    await reverts(send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [0n, tree.root, 2n * ETHER, 0n] }), 'InsufficientPool', [ETH, ETHER, 2n * ETHER])
    await reverts(send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [0n, tree.root, 0n, 11n * P2PV] }), 'InsufficientPool', [token, 10n * P2PV, 11n * P2PV])
    await post(tree)
    // What epoch 0 set aside is not available to epoch 1.
    await reverts(send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [1n, tree.root, ETHER, 0n] }), 'InsufficientPool', [ETH, ETHER / 2n, ETHER])
    assert.equal(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'nextEpoch' }), 1n)
  })

  it('a node contract that refuses ETH gets TransferFailed, and the failed claim leaves no mark', async () => {
    const hash = await chain.client.deployContract({ abi: RejectingPayeeAbi, bytecode: RejectingPayeeBytecode, account: alice, chain: chain.client.chain })
    const node = getAddress((await chain.client.waitForTransactionReceipt({ hash })).contractAddress!)
    await fund(ETHER, 0n)
    const tree = buildRewardTree(0n, [{ node, ethAmount: ETHER, tokenAmount: 0n }, { node: n1, ethAmount: 0n, tokenAmount: 0n }])
    await post(tree)
    await reverts(claim(tree, node), 'TransferFailed', [node, ETHER])
    assert.equal(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'claimed', args: [0n, node] }), false, 'a failed claim leaves no mark')
  })
})

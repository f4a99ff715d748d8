// An epoch settled from audit records, posted and claimed on a real anvil: each node's balance
// grows by exactly its proven share; a second claim, a wrong proof and an unposted epoch are
// refused by code; claims never take more than the epoch was funded with.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, P2PVTokenAbi, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import {
  balances, claimReward, connectChain, nextRewardEpoch, parseChainConfig, postSettlement, rewardClaimed, rewardEpoch, settleEpoch,
  type ChainContext, type Settlement
} from '@p2pdv/chain'

const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: { code: string }) => err.code)

describe('rewards: settle, post, claim', () => {
  let anvil: Anvil
  let settler: ChainContext, nodeA: ChainContext, nodeB: ChainContext
  let settlement: Settlement
  const POOL = 1_000n * WEI_PER_TOKEN

  before(async () => {
    anvil = await startAnvil()
    const deployer = privateKeyToAccount(ANVIL_KEYS[0])
    const [s, a, b, f] = [1, 2, 3, 4].map(i => privateKeyToAccount(ANVIL_KEYS[i]!)) as [ReturnType<typeof privateKeyToAccount>, ReturnType<typeof privateKeyToAccount>, ReturnType<typeof privateKeyToAccount>, ReturnType<typeof privateKeyToAccount>]
    const d = await deployAll(createWalletClient({ account: deployer, transport: http(anvil.rpc) }), {
      allocations: [{ to: f.address, amount: POOL }],
      roles: { settlers: [s.address] }
    })
    const config = parseChainConfig({ rpc: anvil.rpc, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock.toString() }, 'test')
    settler = await connectChain(config, { account: s, pollingIntervalMs: 50 })
    nodeA = await connectChain(config, { account: a, pollingIntervalMs: 50 })
    nodeB = await connectChain(config, { account: b, pollingIntervalMs: 50 })
    // The pool: P2PV sent to Rewards (in production, the node share of sales, collected).
    const funder = createWalletClient({ account: f, transport: http(anvil.rpc) })
    const hash = await funder.writeContract({ address: d.contracts.token, abi: P2PVTokenAbi, functionName: 'transfer', args: [d.contracts.rewards, POOL], chain: null })
    await settler.public.waitForTransactionReceipt({ hash })
    settlement = settleEpoch({ epoch: 0n, epochSeconds: 3600n, pool: { eth: 0n, token: POOL }, records: [
      { node: a.address, storedBytes: 3n << 30n, seconds: 3600n, audits: 20, passes: 20 },
      { node: b.address, storedBytes: 1n << 30n, seconds: 3600n, audits: 20, passes: 10 },
      { node: a.address.replace(/^0x../, '0x00') as `0x${string}`, storedBytes: 5n, seconds: 7200n, audits: 1, passes: 1 }
    ] })
  })
  after(async () => { await anvil?.stop() })

  it('refuses the impossible record and posts the rest; only the settler may post', async () => {
    assert.deepEqual(settlement.refusals.map(r => r.code), ['ERR_SETTLE_IMPOSSIBLE_DURATION'])
    assert.equal(await codeOf(postSettlement(nodeA, settlement)), 'ERR_CHAIN_ACCESS_CONTROL_UNAUTHORIZED_ACCOUNT')
    await postSettlement(settler, settlement)
    assert.equal(await nextRewardEpoch(settler), 1n)
    assert.equal((await rewardEpoch(settler, 0n))?.root, settlement.tree!.root)
    assert.equal(await codeOf(postSettlement(settler, settlement)), 'ERR_CHAIN_WRONG_EPOCH')
  })

  it('a node claims and its balance grows by exactly the proven amount; once only', async () => {
    const tree = settlement.tree!
    const share = tree.shares.find(s => s.node === nodeA.account!.address)!
    assert.equal(share.tokenAmount, POOL * 6n / 7n, '3 GiB at 100 % against 1 GiB at 50 %')
    const before = (await balances(nodeA)).p2pv
    await claimReward(nodeA, 0n, share, tree.proof(share.node))
    assert.equal((await balances(nodeA)).p2pv - before, share.tokenAmount)
    assert.equal(await rewardClaimed(nodeA, 0n, share.node), true)
    assert.equal(await codeOf(claimReward(nodeA, 0n, share, tree.proof(share.node))), 'ERR_CHAIN_ALREADY_CLAIMED')
  })

  it('a wrong proof or inflated amount is refused by code before any transaction; an unposted epoch by the contract; paid never exceeds funded', async () => {
    const tree = settlement.tree!
    const share = tree.shares.find(s => s.node === nodeB.account!.address)!
    assert.equal(await codeOf(claimReward(nodeB, 0n, { ...share, tokenAmount: share.tokenAmount + 1n }, tree.proof(share.node))), 'ERR_REWARDS_INVALID_PROOF')
    assert.equal(await codeOf(claimReward(nodeB, 0n, share, [])), 'ERR_REWARDS_INVALID_PROOF')
    assert.equal(await codeOf(claimReward(nodeB, 1n, share, tree.proof(share.node))), 'ERR_CHAIN_UNKNOWN_EPOCH')
    const before = (await balances(nodeB)).p2pv
    await claimReward(nodeB, 0n, share, tree.proof(share.node))
    assert.equal((await balances(nodeB)).p2pv - before, share.tokenAmount)
    const e = (await rewardEpoch(nodeB, 0n))!
    assert.equal(e.tokenClaimed, tree.tokenTotal)
    assert.ok(e.tokenClaimed <= POOL)
  })
})

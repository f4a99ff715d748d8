/**
 * The Rewards contract's epochs: the settler posts a settled epoch's root and totals; a node (or
 * anyone for it) claims its leaf with a proof. A claim's proof is checked here first, so a wrong
 * one is refused by code (ERR_REWARDS_INVALID_PROOF) without paying gas for a revert.
 */
import { keccak256, toHex, type Address, type Hex, type TransactionReceipt } from 'viem'
import { RewardsAbi } from '@p2pdv/contracts/abis'
import type { RewardShare } from '@p2pdv/contracts/merkle'
import { P2pdvError } from '@p2pdv/core/errors'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { verifyRewardProof, type Settlement } from './settlement.ts'
import { writeContract } from './write.ts'

export const RewardsErrorCode = { INVALID_PROOF: 'ERR_REWARDS_INVALID_PROOF' } as const

const SETTLER_ROLE = keccak256(toHex('SETTLER_ROLE'))

/** Whether `account` may post epochs (the Rewards SETTLER_ROLE, granted by governance). */
export async function isSettler (ctx: ChainContext, account: Address): Promise<boolean> {
  try {
    return await ctx.public.readContract({ address: ctx.config.contracts.rewards, abi: RewardsAbi, functionName: 'hasRole', args: [SETTLER_ROLE, account] })
  } catch (err) {
    throw chainError(err, 'reading the settler role')
  }
}

/** Funds in the pool not yet promised to an epoch: what the next epoch may pay out at most. */
export async function rewardPool (ctx: ChainContext): Promise<{ eth: bigint, token: bigint }> {
  try {
    const [eth, token] = await ctx.public.readContract({ address: ctx.config.contracts.rewards, abi: RewardsAbi, functionName: 'available' })
    return { eth, token }
  } catch (err) {
    throw chainError(err, 'reading the reward pool')
  }
}

export interface RewardEpoch {
  epoch: bigint
  root: Hex
  ethTotal: bigint
  tokenTotal: bigint
  ethClaimed: bigint
  tokenClaimed: bigint
  postedAt: bigint
}

/** A posted epoch, or undefined when it was not posted (yet). */
export async function rewardEpoch (ctx: ChainContext, epoch: bigint): Promise<RewardEpoch | undefined> {
  try {
    const e = await ctx.public.readContract({ address: ctx.config.contracts.rewards, abi: RewardsAbi, functionName: 'getEpoch', args: [epoch] })
    if (/^0x0+$/.test(e.root)) return undefined
    return { epoch, ...e }
  } catch (err) {
    throw chainError(err, `reading reward epoch ${epoch}`)
  }
}

export async function nextRewardEpoch (ctx: ChainContext): Promise<bigint> {
  return await ctx.public.readContract({ address: ctx.config.contracts.rewards, abi: RewardsAbi, functionName: 'nextEpoch' })
}

export async function rewardClaimed (ctx: ChainContext, epoch: bigint, node: Address): Promise<boolean> {
  return await ctx.public.readContract({ address: ctx.config.contracts.rewards, abi: RewardsAbi, functionName: 'claimed', args: [epoch, node] })
}

/** Posts a settled epoch (the signer needs the Rewards SETTLER_ROLE). */
export async function postSettlement (ctx: ChainContext, settlement: Settlement): Promise<TransactionReceipt> {
  const tree = settlement.tree
  if (tree === undefined) throw new RangeError(`epoch ${settlement.epoch} has no earnings to post`)
  return await writeContract(ctx, {
    action: `posting reward epoch ${tree.epoch}`, address: ctx.config.contracts.rewards, abi: RewardsAbi,
    functionName: 'postEpoch', args: [tree.epoch, tree.root, tree.ethTotal, tree.tokenTotal]
  })
}

/** Claims a node's share of an epoch with its proof (anyone may send it; the node is paid). */
export async function claimReward (ctx: ChainContext, epoch: bigint, share: RewardShare, proof: readonly Hex[]): Promise<TransactionReceipt> {
  const posted = await rewardEpoch(ctx, epoch)
  if (posted !== undefined && !verifyRewardProof(posted.root, epoch, share, proof)) {
    throw new P2pdvError(RewardsErrorCode.INVALID_PROOF, `the proof for ${share.node} in epoch ${epoch} does not lead to the posted root ${posted.root}`, {
      hint: 'Fetch the proof again from the settler for this epoch and node; the amounts must be exactly those settled.'
    })
  }
  // An unposted epoch goes to the contract, whose UnknownEpoch names it (ERR_CHAIN_UNKNOWN_EPOCH).
  return await writeContract(ctx, {
    action: `claiming reward epoch ${epoch}`, address: ctx.config.contracts.rewards, abi: RewardsAbi,
    functionName: 'claim', args: [epoch, share.node, share.ethAmount, share.tokenAmount, proof]
  })
}

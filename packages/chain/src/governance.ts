/**
 * What governance sets (ProtocolParams.sol): the node stake minimum, the default erasure coding,
 * the slashing terms; and the Rewards pool, which anyone may make collect its share.
 */
import type { Address, TransactionReceipt } from 'viem'
import { ProtocolParamsAbi, RewardsAbi } from '@p2pdv/contracts/abis'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { writeContract } from './write.ts'

/** The P2PV (wei) a storage node must keep bonded to be active. */
export async function minStake (ctx: ChainContext): Promise<bigint> {
  return await ctx.public.readContract({ address: ctx.config.contracts.params, abi: ProtocolParamsAbi, functionName: 'minStake' })
}

/**
 * The erasure coding governance sets as the default for stored objects: what uploads use unless
 * told otherwise (`PutOptions.defaultErasure`).
 */
export async function erasureDefaults (ctx: ChainContext): Promise<{ k: number, m: number }> {
  try {
    const [k, m] = await ctx.public.readContract({ address: ctx.config.contracts.params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' })
    return { k, m }
  } catch (err) {
    throw chainError(err, 'reading the erasure defaults')
  }
}

/** The fraction a slash takes (basis points) and where it goes. */
export async function slashTerms (ctx: ChainContext): Promise<{ slashBps: number, treasury: Address }> {
  const p = ctx.config.contracts.params
  try {
    const [slashBps, treasury] = await Promise.all([
      ctx.public.readContract({ address: p, abi: ProtocolParamsAbi, functionName: 'slashBps' }),
      ctx.public.readContract({ address: p, abi: ProtocolParamsAbi, functionName: 'treasury' })
    ])
    return { slashBps, treasury }
  } catch (err) {
    throw chainError(err, 'reading the slashing terms')
  }
}

/** Pulls the reward pool's share from the AccessManager (anyone may). */
export async function collectRewards (ctx: ChainContext): Promise<TransactionReceipt> {
  const c = ctx.config.contracts
  return await writeContract(ctx, { action: 'collecting rewards', address: c.rewards, abi: RewardsAbi, functionName: 'collect', args: [c.accessManager] })
}

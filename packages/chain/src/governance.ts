/**
 * What governance sets (ProtocolParams.sol): the node stake minimum, the default erasure coding,
 * the slashing terms; and the Rewards pool, which anyone may make collect its share.
 */
import type { Address, TransactionReceipt } from 'viem'
import { ProtocolParamsAbi, RewardsAbi } from '@p2pdv/contracts/abis'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import type { SettlementWeights } from './settlement.ts'
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

/** The settlement weights governance sets (what the settler reads at each epoch end). */
export async function settlementWeights (ctx: ChainContext): Promise<SettlementWeights> {
  try {
    const [storageShareBps, minPassBps] = await ctx.public.readContract({ address: ctx.config.contracts.params, abi: ProtocolParamsAbi, functionName: 'settlementWeights' })
    return { storageShareBps, minPassBps }
  } catch (err) {
    throw chainError(err, 'reading the settlement weights')
  }
}

export interface ProtocolParamValues {
  minStake: bigint
  unbondingPeriod: bigint
  creatorBps: number
  nodePoolBps: number
  treasuryBps: number
  slashBps: number
  erasure: { k: number, m: number }
  treasury: Address
  /** How the settler weighs an epoch (settlement.ts). */
  settlement: SettlementWeights
}

/** Every value ProtocolParams holds, in one go (what `p2pdv gov params` shows). */
export async function protocolParams (ctx: ChainContext): Promise<ProtocolParamValues> {
  const p = { address: ctx.config.contracts.params, abi: ProtocolParamsAbi } as const
  try {
    const [minStake, unbondingPeriod, [creatorBps, nodePoolBps, treasury], slashBps, [k, m], settlement] = await Promise.all([
      ctx.public.readContract({ ...p, functionName: 'minStake' }),
      ctx.public.readContract({ ...p, functionName: 'unbondingPeriod' }),
      ctx.public.readContract({ ...p, functionName: 'split' }),
      ctx.public.readContract({ ...p, functionName: 'slashBps' }),
      ctx.public.readContract({ ...p, functionName: 'erasureDefaults' }),
      settlementWeights(ctx)
    ])
    return { minStake, unbondingPeriod, creatorBps, nodePoolBps, treasuryBps: 10_000 - creatorBps - nodePoolBps, slashBps, erasure: { k, m }, treasury, settlement }
  } catch (err) {
    throw chainError(err, 'reading the protocol parameters')
  }
}

/** Videos (VideoRegistry.sol): register, re-point after a re-key, change the policy, read, list; channel profile pointers. */
import type { Address, Hex, TransactionReceipt } from 'viem'
import { AccessManagerAbi, VideoRegistryAbi } from '@p2pdv/contracts/abis'
import { Policy, policyName, type PolicyName } from '@p2pdv/contracts/constants'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { assetName, type Asset } from './token.ts'
import { logWindows, writeContract } from './write.ts'

/** Video reads in flight at once when listing. */
const READ_CONCURRENCY = 16

export interface Price {
  asset: Asset
  /** Wei (of ETH or P2PV). */
  amount: bigint
  /** Seconds of access per purchase; 0 = permanent. */
  duration: bigint
}

export interface VideoInfo {
  id: Hex
  owner: Address
  manifestCid: string
  listingCid: string
  keyFingerprint: Hex
  policy: PolicyName
  rating: number
  retired: boolean
  blocked: boolean
  registeredAt: bigint
  /** Undefined when the video has no price set. */
  price: Price | undefined
}

export interface RegisterVideoInput {
  id: Hex
  manifestCid: string
  listingCid?: string
  keyFingerprint: Hex
  policy: PolicyName
  rating?: number
}

export async function registerVideo (ctx: ChainContext, input: RegisterVideoInput): Promise<TransactionReceipt> {
  return await writeContract(ctx, {
    action: 'registering the video',
    address: ctx.config.contracts.videoRegistry,
    abi: VideoRegistryAbi,
    functionName: 'register',
    args: [input.id, input.manifestCid, input.listingCid ?? '', input.keyFingerprint, Policy[input.policy], input.rating ?? 0]
  })
}

export async function setPolicy (ctx: ChainContext, id: Hex, policy: PolicyName): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action: 'changing the policy', address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, Policy[policy]] })
}

/** Points a video at a new manifest, listing and key fingerprint (after a re-key). */
/**
 * Hands the video to `to` (only its owner may, not a delegate). Revenue from later sales, and
 * sales still held in refund windows when they are released, go to the new owner.
 */
export async function transferVideo (ctx: ChainContext, id: Hex, to: Address): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action: 'transferring the video', address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, functionName: 'transferVideo', args: [id, to] })
}

export async function updateVideo (ctx: ChainContext, id: Hex, update: { manifestCid: string, listingCid: string, keyFingerprint: Hex }): Promise<TransactionReceipt> {
  return await writeContract(ctx, {
    action: 'updating the video',
    address: ctx.config.contracts.videoRegistry,
    abi: VideoRegistryAbi,
    functionName: 'update',
    args: [id, update.manifestCid, update.listingCid, update.keyFingerprint]
  })
}

/** The registry's record of a video with its price (from the AccessManager). */
export async function getVideo (ctx: ChainContext, id: Hex): Promise<VideoInfo> {
  const c = ctx.config.contracts
  try {
    const [v, price] = await Promise.all([
      ctx.public.readContract({ address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'getVideo', args: [id] }),
      ctx.public.readContract({ address: c.accessManager, abi: AccessManagerAbi, functionName: 'priceOf', args: [id] })
    ])
    return {
      id,
      owner: v.owner,
      manifestCid: v.manifestCid,
      listingCid: v.listingCid,
      keyFingerprint: v.keyFingerprint,
      policy: policyName(v.policy),
      rating: v.rating,
      retired: v.retired,
      blocked: v.blocked,
      registeredAt: v.registeredAt,
      price: price[1] === 0n ? undefined : { asset: assetName(price[0]), amount: price[1], duration: price[2] }
    }
  } catch (err) {
    throw chainError(err, 'reading the video')
  }
}

/** Every registered video, from the registry's events, with its current state. */
export async function listVideos (ctx: ChainContext, options: { owner?: Address, includeRetired?: boolean } = {}): Promise<VideoInfo[]> {
  const ids: Hex[] = []
  try {
    for await (const window of logWindows(ctx)) {
      const logs = await ctx.public.getContractEvents({ address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, eventName: 'VideoRegistered', ...window })
      for (const log of logs) if (log.args.id !== undefined) ids.push(log.args.id)
    }
  } catch (err) {
    throw chainError(err, 'listing videos')
  }
  const videos: VideoInfo[] = []
  for (let i = 0; i < ids.length; i += READ_CONCURRENCY) {
    videos.push(...await Promise.all(ids.slice(i, i + READ_CONCURRENCY).map(async id => await getVideo(ctx, id))))
  }
  return videos.filter(v => (options.includeRetired === true || !v.retired) && (options.owner === undefined || v.owner === options.owner))
}

/** Points the signer's channel at a signed profile block (its CID), or clears it with ''. */
export async function setProfile (ctx: ChainContext, cid: string): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action: 'setting the channel profile', address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, functionName: 'setProfile', args: [cid] })
}

/** The CID of `creator`'s latest channel profile, or '' when they have none. */
export async function getProfileCid (ctx: ChainContext, creator: Address): Promise<string> {
  try {
    return await ctx.public.readContract({ address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, functionName: 'profileOf', args: [creator] })
  } catch (err) {
    throw chainError(err, 'reading the channel profile')
  }
}

/**
 * Who may watch (AccessManager.sol): prices and purchases, subscription plans, grants, access
 * checks, and the revenue owed to creators. The terms read are passed along with a payment, so
 * a price change in between makes it revert; P2PV payments approve exactly what they pay.
 */
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem'
import { AccessManagerAbi } from '@p2pdv/contracts/abis'
import { FOREVER } from '@p2pdv/contracts/constants'
import { P2pdvError } from '@p2pdv/core/errors'
import { signerAddress, type ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { getVideo, type Price } from './registry.ts'
import { approveExactly, assetAddress, assetName, type Asset } from './token.ts'
import { logWindows, writeContract } from './write.ts'

export interface Plan {
  asset: Asset
  amount: bigint
  /** Seconds per period. */
  period: bigint
}

async function accessWrite (ctx: ChainContext, action: string, functionName: string, args: readonly unknown[], value?: bigint, onSent?: (hash: Hex) => void): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action, address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName, args, ...(value === undefined ? {} : { value }), ...(onSent === undefined ? {} : { onSent }) })
}

export async function hasAccess (ctx: ChainContext, id: Hex, viewer: Address): Promise<boolean> {
  try {
    return await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, viewer] })
  } catch (err) {
    throw chainError(err, 'checking access')
  }
}

export async function grant (ctx: ChainContext, id: Hex, viewer: Address): Promise<TransactionReceipt> {
  return await accessWrite(ctx, 'granting access', 'grant', [id, viewer])
}

export async function revoke (ctx: ChainContext, id: Hex, viewer: Address): Promise<TransactionReceipt> {
  return await accessWrite(ctx, 'revoking access', 'revoke', [id, viewer])
}

export async function setPrice (ctx: ChainContext, id: Hex, price: Price): Promise<TransactionReceipt> {
  return await accessWrite(ctx, 'setting the price', 'setPrice', [id, assetAddress(ctx, price.asset), price.amount, price.duration])
}

/** The terms a buyer sees before paying: the price on chain and the refund window later sales get. */
export interface BuyTerms {
  price: Price
  /** Seconds after the purchase within which the payer may refund it (0: not refundable). */
  refundWindow: bigint
}

export interface BuyResult {
  until: bigint
  price: Price
  /** The refund window read before paying (the terms stated to the buyer). */
  refundWindow: bigint
  /** Until when (unix seconds) the payer may refund this purchase, from the contract's Escrowed event; 0: not refundable. */
  refundableUntil: bigint
  receipt: TransactionReceipt
}

/**
 * Pays for access to a paid video at the price on chain now (for `viewer`, default the
 * signer). The terms read are passed along, so a price change in between makes it revert.
 * `onTerms` sees the price and refund window before anything is approved or paid.
 */
export async function buy (ctx: ChainContext, id: Hex, options: { viewer?: Address, onSent?: (hash: Hex) => void, onTerms?: (terms: BuyTerms) => void } = {}): Promise<BuyResult> {
  const [video, refundWindow] = await Promise.all([
    getVideo(ctx, id),
    ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'refundWindowOf', args: [id] }).then(BigInt, (err: unknown) => { throw chainError(err, 'reading the refund window') })
  ])
  if (video.policy !== 'paid' || video.price === undefined || video.retired || video.blocked) {
    throw new P2pdvError('ERR_NOT_FOR_SALE', `video ${id.slice(0, 10)}… is not for sale (policy ${video.policy}${video.retired ? ', retired' : ''})`, {
      hint: video.policy === 'subscribers' ? 'Subscribe to its creator with `p2pdv subscribe CREATOR`.' : 'Ask its owner for a grant.'
    })
  }
  const { price } = video
  options.onTerms?.({ price, refundWindow })
  const viewer = options.viewer ?? signerAddress(ctx)
  if (price.asset === 'p2pv') await approveExactly(ctx, price.amount)
  const receipt = await accessWrite(ctx, 'buying access', 'buy', [id, viewer, price.amount, price.duration], price.asset === 'eth' ? price.amount : 0n, options.onSent)
  const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Purchased' })
  const [held] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Escrowed' })
  return { until: log?.args.until ?? 0n, price, refundWindow, refundableUntil: held?.args.refundableUntil ?? 0n, receipt }
}

/** When a viewer's paid access ends: 0 none, FOREVER permanent. */
export async function paidUntil (ctx: ChainContext, id: Hex, viewer: Address): Promise<bigint> {
  return await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, viewer] })
}

export async function setPlan (ctx: ChainContext, plan: Plan, creator: Address = signerAddress(ctx)): Promise<TransactionReceipt> {
  return await accessWrite(ctx, 'setting the subscription plan', 'setPlan', [creator, assetAddress(ctx, plan.asset), plan.amount, plan.period])
}

export async function planOf (ctx: ChainContext, creator: Address): Promise<Plan | undefined> {
  const [asset, amount, period] = await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'planOf', args: [creator] })
  return amount === 0n ? undefined : { asset: assetName(asset), amount, period }
}

export async function subscribe (ctx: ChainContext, creator: Address, periods = 1, options: { subscriber?: Address, onSent?: (hash: Hex) => void } = {}): Promise<{ until: bigint, plan: Plan, receipt: TransactionReceipt }> {
  const plan = await planOf(ctx, creator)
  if (plan === undefined) throw new P2pdvError('ERR_CHAIN_NO_SUBSCRIPTION_PLAN', `${creator} offers no subscription`, { hint: 'The creator sets one with `p2pdv plan --price …`.' })
  const total = plan.amount * BigInt(periods)
  if (plan.asset === 'p2pv') await approveExactly(ctx, total)
  const receipt = await accessWrite(ctx, 'subscribing', 'subscribe',
    [creator, options.subscriber ?? signerAddress(ctx), periods, plan.amount, plan.period], plan.asset === 'eth' ? total : 0n, options.onSent)
  const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Subscribed' })
  return { until: log?.args.until ?? 0n, plan, receipt }
}

export async function subscribedUntil (ctx: ChainContext, creator: Address, subscriber: Address): Promise<bigint> {
  return await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'subscribedUntil', args: [creator, subscriber] })
}

/** Withdraws what the AccessManager owes the signer in `asset`; resolves with the amount. */
export async function withdraw (ctx: ChainContext, asset: Asset, options: { onSent?: (hash: Hex) => void } = {}): Promise<{ amount: bigint, receipt: TransactionReceipt }> {
  const receipt = await accessWrite(ctx, 'withdrawing', 'withdraw', [assetAddress(ctx, asset)], undefined, options.onSent)
  const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Withdrawn' })
  return { amount: log?.args.amount ?? 0n, receipt }
}

/** True when paid access or a subscription with this end time is still live. */
export function isLive (until: bigint, nowSeconds = BigInt(Math.floor(Date.now() / 1000))): boolean {
  return until === FOREVER || until > nowSeconds
}

export interface PurchaseRecord { video: Hex, until: bigint, block: bigint }
export interface SubscriptionRecord { creator: Address, until: bigint, block: bigint }

/** At most this many records are returned (newest kept): a library page, not an export. */
export const MAX_HISTORY_RECORDS = 500

/** Videos bought for `viewer` (Purchased events, newest first; one per video, the latest). */
export async function purchasesOf (ctx: ChainContext, viewer: Address): Promise<PurchaseRecord[]> {
  const latest = new Map<Hex, PurchaseRecord>()
  try {
    for await (const range of logWindows(ctx)) {
      const logs = await ctx.public.getContractEvents({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, eventName: 'Purchased', args: { viewer }, ...range })
      for (const l of logs) latest.set(l.args.video!, { video: l.args.video!, until: l.args.until!, block: l.blockNumber })
    }
  } catch (err) {
    throw chainError(err, 'reading purchases')
  }
  return [...latest.values()].sort((a, b) => Number(b.block - a.block)).slice(0, MAX_HISTORY_RECORDS)
}

/** Creators `subscriber` subscribed to (Subscribed events, newest first; one per creator, the latest). */
export async function subscriptionsOf (ctx: ChainContext, subscriber: Address): Promise<SubscriptionRecord[]> {
  const latest = new Map<Address, SubscriptionRecord>()
  try {
    for await (const range of logWindows(ctx)) {
      const logs = await ctx.public.getContractEvents({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, eventName: 'Subscribed', args: { subscriber }, ...range })
      for (const l of logs) latest.set(l.args.creator!, { creator: l.args.creator!, until: l.args.until!, block: l.blockNumber })
    }
  } catch (err) {
    throw chainError(err, 'reading subscriptions')
  }
  return [...latest.values()].sort((a, b) => Number(b.block - a.block)).slice(0, MAX_HISTORY_RECORDS)
}

/** `p2pdv balance` warns about subscriptions that end within this many seconds (7 days). */
export const RENEWAL_WARNING_SECONDS = 7n * 86_400n

export interface LiveSubscription {
  creator: Address
  /** When it ends (chain time, seconds). */
  until: bigint
  secondsLeft: bigint
  /** Ends within the warning window: time to renew (`p2pdv subscribe CREATOR`). */
  expiresSoon: boolean
}

/**
 * The subscriptions still running at chain time `now`, soonest end first, each flagged when it
 * ends within `warnSeconds`. Pure: the records come from `subscriptionsOf` (the latest Subscribed
 * event per creator, whose `until` is the subscription's end since only `subscribe` moves it).
 */
export function liveSubscriptions (records: readonly SubscriptionRecord[], now: bigint, warnSeconds = RENEWAL_WARNING_SECONDS): LiveSubscription[] {
  return records
    .filter(r => r.until > now)
    .map(r => ({ creator: r.creator, until: r.until, secondsLeft: r.until - now, expiresSoon: r.until - now <= warnSeconds }))
    .sort((a, b) => Number(a.until - b.until))
}

/**
 * The subscriptions of `subscriber` running now, with renewal flags. "Now" is the later of the
 * latest block's time and the wall clock: a chain that mines on demand (a devnet) can have a
 * latest block minutes old, and expiry is judged by the block a renewal would land in.
 */
export async function subscriptionReminders (ctx: ChainContext, subscriber: Address, warnSeconds = RENEWAL_WARNING_SECONDS): Promise<{ now: bigint, subscriptions: LiveSubscription[] }> {
  const [records, block] = await Promise.all([
    subscriptionsOf(ctx, subscriber),
    ctx.public.getBlock({ blockTag: 'latest' }).catch((err: unknown) => { throw chainError(err, 'reading the chain time') })
  ])
  const wall = BigInt(Math.floor(Date.now() / 1000))
  const now = block.timestamp > wall ? block.timestamp : wall
  return { now, subscriptions: liveSubscriptions(records, now, warnSeconds) }
}

export interface GrantRecord { viewer: Address, by: Address, block: bigint }
export interface SaleRecord { viewer: Address, payer: Address, asset: Asset, amount: bigint, until: bigint, block: bigint, tx: Hex }

/** A video's audience as its creator manages it: named viewers now, and every sale. */
export interface VideoAudience {
  /** Viewers granted access and not revoked since (Granted/Revoked events in chain order). */
  granted: GrantRecord[]
  /** Purchases, newest first (at most MAX_HISTORY_RECORDS). */
  sales: SaleRecord[]
  /** Sales in all, and what they paid per currency (all of them, not only those listed). */
  salesCount: number
  revenue: Record<Asset, bigint>
}

/** Who may watch `video` by name and who bought it, from AccessManager's events. */
export async function videoAudience (ctx: ChainContext, video: Hex): Promise<VideoAudience> {
  const address = ctx.config.contracts.accessManager
  const grants = new Map<string, GrantRecord>()
  const sales: SaleRecord[] = []
  const revenue: Record<Asset, bigint> = { eth: 0n, p2pv: 0n }
  let salesCount = 0
  try {
    for await (const range of logWindows(ctx)) {
      const [granted, revoked, bought] = await Promise.all([
        ctx.public.getContractEvents({ address, abi: AccessManagerAbi, eventName: 'Granted', args: { video }, ...range }),
        ctx.public.getContractEvents({ address, abi: AccessManagerAbi, eventName: 'Revoked', args: { video }, ...range }),
        ctx.public.getContractEvents({ address, abi: AccessManagerAbi, eventName: 'Purchased', args: { video }, ...range })
      ])
      // A grant and a revoke of one viewer may share a window: the later log wins.
      const changes = [...granted.map(l => ({ l, on: true })), ...revoked.map(l => ({ l, on: false }))]
        .sort((a, b) => Number(a.l.blockNumber - b.l.blockNumber) || a.l.logIndex - b.l.logIndex)
      for (const { l, on } of changes) {
        const viewer = l.args.viewer!
        if (on) grants.set(viewer.toLowerCase(), { viewer, by: l.args.by!, block: l.blockNumber })
        else grants.delete(viewer.toLowerCase())
      }
      for (const l of bought) {
        const asset = assetName(l.args.asset!)
        revenue[asset] += l.args.amount!
        salesCount++
        sales.push({ viewer: l.args.viewer!, payer: l.args.payer!, asset, amount: l.args.amount!, until: l.args.until!, block: l.blockNumber, tx: l.transactionHash })
      }
    }
  } catch (err) {
    throw chainError(err, 'reading the audience of a video')
  }
  sales.sort((a, b) => Number(b.block - a.block))
  return { granted: [...grants.values()], sales: sales.slice(0, MAX_HISTORY_RECORDS), salesCount, revenue }
}

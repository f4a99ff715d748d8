/**
 * Refunds (AccessManager): a creator sets a refund window per video; each sale made under one is
 * held in escrow, not split, until the window closes. Within it the payer may refund (credited
 * what it paid, the viewer's access back to what it was); after it anyone may release the sale
 * to the split. Escrowed money is never owed to the creator, so a refund can never take back
 * money the creator already withdrew.
 */
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem'
import { AccessManagerAbi, VideoRegistryAbi } from '@p2pdv/contracts/abis'
import { P2pdvError } from '@p2pdv/core/errors'
import { signerAddress, type ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { assetName, type Asset } from './token.ts'
import { logWindows, writeContract } from './write.ts'

/** AccessManager.MAX_REFUND_WINDOW: 30 days. */
export const MAX_REFUND_WINDOW_SECONDS = 30n * 86_400n
/** AccessManager.MAX_RELEASE_BATCH. */
export const MAX_RELEASE_BATCH = 100
/** Held sales looked at per account (newest kept). */
export const MAX_HELD_SALES = 500

export interface HeldSale {
  video: Hex
  viewer: Address
  payer: Address
  asset: Asset
  amount: bigint
  /** The payer may refund until this time (seconds); then the sale can be released. */
  refundableUntil: bigint
}

export async function setRefundWindow (ctx: ChainContext, id: Hex, seconds: bigint): Promise<TransactionReceipt> {
  if (seconds < 0n || seconds > MAX_REFUND_WINDOW_SECONDS) {
    throw new P2pdvError('ERR_REFUND_WINDOW', `a refund window is 0 to 30 days, not ${seconds} s`, { hint: 'Give e.g. 48h or 7d; 0 turns refunds off for later sales.' })
  }
  return await writeContract(ctx, { action: 'setting the refund window', address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'setRefundWindow', args: [id, Number(seconds)] })
}

export async function refundWindowOf (ctx: ChainContext, id: Hex): Promise<bigint> {
  try {
    return BigInt(await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'refundWindowOf', args: [id] }))
  } catch (err) {
    throw chainError(err, 'reading the refund window')
  }
}

/** What is held for `viewer`'s latest refundable purchase of `id` (undefined: nothing). */
export async function escrowOf (ctx: ChainContext, id: Hex, viewer: Address): Promise<HeldSale | undefined> {
  try {
    const [payer, asset, amount, refundableUntil] = await ctx.public.readContract({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'escrowOf', args: [id, viewer] })
    return amount === 0n ? undefined : { video: id, viewer, payer, asset: assetName(asset), amount, refundableUntil }
  } catch (err) {
    throw chainError(err, 'reading a held sale')
  }
}

/**
 * Takes back the signer's refundable purchase of `id` for `viewer` (default the signer). The
 * amount is credited to the signer in the AccessManager (withdraw it with `withdraw`).
 */
export async function refund (ctx: ChainContext, id: Hex, viewer: Address = signerAddress(ctx), options: { onSent?: (hash: Hex) => void } = {}): Promise<{ amount: bigint, asset: Asset, receipt: TransactionReceipt }> {
  const held = await escrowOf(ctx, id, viewer)
  const me = signerAddress(ctx)
  if (held === undefined || held.payer.toLowerCase() !== me.toLowerCase()) {
    throw new P2pdvError('ERR_NOT_REFUNDABLE', `no refundable purchase of ${id.slice(0, 10)}… for ${viewer} paid by ${me}`, {
      hint: held === undefined ? 'Only purchases made while the video had a refund window can be refunded, once, within it.' : 'Only the account that paid can refund; pick it with --as NAME.'
    })
  }
  const latest = (await ctx.public.getBlock({ blockTag: 'latest' }).catch((err: unknown) => { throw chainError(err, 'reading the chain time') })).timestamp
  const wall = BigInt(Math.floor(Date.now() / 1000))
  if ((latest > wall ? latest : wall) >= held.refundableUntil) {
    throw new P2pdvError('ERR_NOT_REFUNDABLE', `the refund window of this purchase closed at ${new Date(Number(held.refundableUntil) * 1000).toISOString()}`, { hint: 'Refunds are possible only within the window the creator set when you bought.' })
  }
  const receipt = await writeContract(ctx, { action: 'refunding', address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'refund', args: [id, viewer], ...(options.onSent === undefined ? {} : { onSent: options.onSent }) })
  const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'PurchaseRefunded' })
  return { amount: log?.args.amount ?? held.amount, asset: held.asset, receipt }
}

/** A video's refund terms for one viewer: the window later sales get, and `viewer`'s purchase held under one (if any). */
export interface RefundTerms {
  /** Seconds after a purchase within which the payer may refund it (0: no refunds). */
  window: bigint
  /** `viewer`'s latest purchase still held in escrow (it may be past its window, awaiting release). */
  held?: HeldSale
}

/** The refund window of `id` and what is held for `viewer`'s purchase of it, in one round of reads. */
export async function refundTerms (ctx: ChainContext, id: Hex, viewer: Address): Promise<RefundTerms> {
  const [window, held] = await Promise.all([refundWindowOf(ctx, id), escrowOf(ctx, id, viewer)])
  return { window, ...(held === undefined ? {} : { held }) }
}

/** Videos asked about per Escrowed-event query (an OR over the indexed video topic). */
const VIDEO_TOPIC_BATCH = 50

/**
 * Sales of the videos `owner` owns now that are still held for refunds: those sold while it
 * owned them (Escrowed events name the owner at sale time) and those sold before a transfer to
 * it (VideoTransferred events), each checked against the contract. A held sale is paid, when
 * released, to the video's owner at release time, so a video transferred away drops out of its
 * old owner's list and shows up in its new owner's.
 */
export async function heldSales (ctx: ChainContext, owner: Address): Promise<HeldSale[]> {
  const pairs = new Map<string, { video: Hex, viewer: Address }>()
  const add = (video: Hex, viewer: Address): void => {
    const k = `${video}/${viewer}`.toLowerCase()
    pairs.delete(k) // newest last, so the slice below keeps the newest
    pairs.set(k, { video, viewer })
  }
  const received = new Map<string, Hex>()
  try {
    for await (const range of logWindows(ctx)) {
      const [sold, transferred] = await Promise.all([
        ctx.public.getContractEvents({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, eventName: 'Escrowed', args: { owner }, ...range }),
        ctx.public.getContractEvents({ address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, eventName: 'VideoTransferred', args: { to: owner }, ...range })
      ])
      for (const l of sold) add(l.args.video!, l.args.viewer!)
      for (const l of transferred) {
        received.delete(l.args.id!.toLowerCase())
        received.set(l.args.id!.toLowerCase(), l.args.id!)
      }
    }
    // Sales of videos handed to `owner`, made while someone else owned them.
    const ids = [...received.values()].slice(-MAX_HELD_SALES)
    for (let i = 0; i < ids.length; i += VIDEO_TOPIC_BATCH) {
      const video = ids.slice(i, i + VIDEO_TOPIC_BATCH)
      for await (const range of logWindows(ctx)) {
        const logs = await ctx.public.getContractEvents({ address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, eventName: 'Escrowed', args: { video }, ...range })
        for (const l of logs) add(l.args.video!, l.args.viewer!)
      }
    }
  } catch (err) {
    throw chainError(err, 'reading held sales')
  }
  const candidates = [...pairs.values()].slice(-MAX_HELD_SALES)
  // Only videos `owner` owns now: a release pays the owner of the moment.
  const videos = [...new Set(candidates.map(c => c.video.toLowerCase() as Hex))]
  const owned = new Set<string>()
  for (let i = 0; i < videos.length; i += 8) {
    const owners = await Promise.all(videos.slice(i, i + 8).map(async v => await ownerOfVideo(ctx, v)))
    owners.forEach((o, j) => { if (o.toLowerCase() === owner.toLowerCase()) owned.add(videos[i + j]!) })
  }
  const mine = candidates.filter(c => owned.has(c.video.toLowerCase()))
  const held: HeldSale[] = []
  for (let i = 0; i < mine.length; i += 8) {
    const got = await Promise.all(mine.slice(i, i + 8).map(async p => await escrowOf(ctx, p.video, p.viewer)))
    for (const h of got) if (h !== undefined) held.push(h)
  }
  return held.sort((a, b) => Number(a.refundableUntil - b.refundableUntil))
}

async function ownerOfVideo (ctx: ChainContext, id: Hex): Promise<Address> {
  try {
    return await ctx.public.readContract({ address: ctx.config.contracts.videoRegistry, abi: VideoRegistryAbi, functionName: 'ownerOf', args: [id] })
  } catch (err) {
    throw chainError(err, 'reading a video\'s owner')
  }
}

/** Releases the given held sales to the split, MAX_RELEASE_BATCH per transaction; resolves with how many were paid out. */
export async function releaseSales (ctx: ChainContext, sales: ReadonlyArray<{ video: Hex, viewer: Address }>): Promise<{ released: number, receipts: TransactionReceipt[] }> {
  const receipts: TransactionReceipt[] = []
  let released = 0
  for (let i = 0; i < sales.length; i += MAX_RELEASE_BATCH) {
    const batch = sales.slice(i, i + MAX_RELEASE_BATCH)
    const receipt = await writeContract(ctx, { action: 'releasing held sales', address: ctx.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'release', args: [batch.map(s => s.video), batch.map(s => s.viewer)] })
    receipts.push(receipt)
    released += parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'EscrowReleased' }).length
  }
  return { released, receipts }
}

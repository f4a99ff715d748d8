/** Key custody (KeyCustody.sol): which keepers hold a video's key shares, and keepers' log anchors. */
import type { Address, Hex, TransactionReceipt } from 'viem'
import { KeyCustodyAbi } from '@p2pdv/contracts/abis'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { logWindows, writeContract } from './write.ts'

export interface CustodyRecord {
  epoch: number
  threshold: number
  keepers: Address[]
}

/** Which keepers hold the video's key shares, how many are needed, and the share epoch (undefined: none). */
export async function custodyOf (ctx: ChainContext, id: Hex): Promise<CustodyRecord | undefined> {
  try {
    const [epoch, threshold, keepers] = await ctx.public.readContract({ address: ctx.config.contracts.keyCustody, abi: KeyCustodyAbi, functionName: 'custodyOf', args: [id] })
    return keepers.length === 0 ? undefined : { epoch, threshold, keepers: [...keepers] }
  } catch (err) {
    throw chainError(err, 'reading the video\'s keepers')
  }
}

/** Records the keepers of a video's shares at a new epoch (owner or delegate). */
export async function setCustody (ctx: ChainContext, id: Hex, custody: CustodyRecord): Promise<TransactionReceipt> {
  return await writeContract(ctx, {
    action: 'recording the key keepers',
    address: ctx.config.contracts.keyCustody,
    abi: KeyCustodyAbi,
    functionName: 'setCustody',
    args: [id, custody.epoch, custody.threshold, custody.keepers]
  })
}

/** A keeper anchors the head of its release log. */
export async function anchorLog (ctx: ChainContext, length: number, head: Hex): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action: 'anchoring the audit log', address: ctx.config.contracts.keyCustody, abi: KeyCustodyAbi, functionName: 'anchor', args: [BigInt(length), head] })
}

/** The head a keeper anchored at exactly `length` entries (its LogAnchored events), if it did. */
export async function anchoredHeadAt (ctx: ChainContext, keeper: Address, length: number): Promise<Hex | undefined> {
  try {
    for await (const window of logWindows(ctx)) {
      const logs = await ctx.public.getContractEvents({ address: ctx.config.contracts.keyCustody, abi: KeyCustodyAbi, eventName: 'LogAnchored', args: { keeper }, ...window })
      const hit = logs.find(l => l.args.length !== undefined && Number(l.args.length) === length)
      if (hit?.args.head !== undefined) return hit.args.head
    }
    return undefined
  } catch (err) {
    throw chainError(err, 'reading the keeper\'s anchors')
  }
}

/** The latest anchored log head of a keeper, if any. */
export async function latestAnchor (ctx: ChainContext, keeper: Address): Promise<{ length: number, head: Hex, anchoredAt: bigint } | undefined> {
  try {
    const [length, anchoredAt, head] = await ctx.public.readContract({ address: ctx.config.contracts.keyCustody, abi: KeyCustodyAbi, functionName: 'anchors', args: [keeper] })
    return length === 0n ? undefined : { length: Number(length), head, anchoredAt }
  } catch (err) {
    throw chainError(err, 'reading the keeper\'s anchor')
  }
}

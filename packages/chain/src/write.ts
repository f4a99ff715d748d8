/**
 * How every chain function writes: simulated first (so a refusal names the contract's custom
 * error before anything is sent), sent with a gas margin over the estimate, awaited until mined,
 * one at a time per context.
 */
import type { Abi, Address, Hex, TransactionReceipt } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import { requireAccount, type ChainContext } from './context.ts'
import { chainError, ChainErrorCode } from './errors.ts'

export const RECEIPT_TIMEOUT_MS = 120_000
/** Blocks per eth_getLogs request: public endpoints refuse wide ranges. */
export const LOG_WINDOW = 10_000n

export interface ContractWrite {
  /** What the user asked for, for error messages ("buying access"). */
  action: string
  address: Address
  abi: Abi
  functionName: string
  args: readonly unknown[]
  /** Wei sent along (default 0). */
  value?: bigint
  /** Told the transaction hash once the wallet sent it (pages show "pending" from then on). */
  onSent?: (hash: Hex) => void
}

/** Gas limit for an estimate: +25 % and 10 000, as wallets do (an estimate can be what a call used, not what it needed). */
function withMargin (estimate: bigint): bigint {
  return estimate * 5n / 4n + 10_000n
}

export async function writeContract (ctx: ChainContext, w: ContractWrite): Promise<TransactionReceipt> {
  const run = ctx.writes.tail.then(async () => await writeNow(ctx, w))
  ctx.writes.tail = run.catch(() => {})
  return await run
}

async function writeNow (ctx: ChainContext, w: ContractWrite): Promise<TransactionReceipt> {
  const account = requireAccount(ctx)
  const wallet = ctx.wallet!
  const value = w.value ?? 0n
  try {
    const call = { address: w.address, abi: w.abi, functionName: w.functionName, args: w.args, account, ...(value === 0n ? {} : { value }) }
    const { request } = await ctx.public.simulateContract(call as never)
    const gas = await ctx.public.estimateContractGas(call as never)
    const hash: Hex = await wallet.writeContract({ ...(request as object), gas: withMargin(gas) } as never)
    w.onSent?.(hash)
    const receipt = await ctx.public.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS })
    if (receipt.status !== 'success') {
      throw new P2pdvError(ChainErrorCode.TX_FAILED, `${w.action}: transaction ${hash} was mined but failed`, { hint: 'Retry; if it fails again, run with P2PDV_DEBUG=1.' })
    }
    return receipt
  } catch (err) {
    throw chainError(err, w.action)
  }
}

/** The block ranges, LOG_WINDOW at a time, from the deployment block to the latest. */
export async function * logWindows (ctx: ChainContext): AsyncGenerator<{ fromBlock: bigint, toBlock: bigint }> {
  // Not viem's cached block number (kept for its polling interval, 4 s): a read right after a
  // write would stop short of the write's block and miss its events.
  const latest = await ctx.public.getBlockNumber({ cacheTime: 0 })
  for (let from = ctx.config.startBlock; from <= latest; from += LOG_WINDOW) {
    yield { fromBlock: from, toBlock: from + LOG_WINDOW - 1n < latest ? from + LOG_WINDOW - 1n : latest }
  }
}

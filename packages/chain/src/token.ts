/** The P2PV token (P2PVToken.sol) and what an account holds: ETH, P2PV and what it is owed. */
import { zeroAddress, type Address } from 'viem'
import { AccessManagerAbi, P2PVTokenAbi } from '@p2pdv/contracts/abis'
import { ETH } from '@p2pdv/contracts/constants'
import { signerAddress, type ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { writeContract } from './write.ts'

export type Asset = 'eth' | 'p2pv'

export interface Balances {
  eth: bigint
  p2pv: bigint
  owedEth: bigint
  owedP2pv: bigint
}

/** The asset a contract's token address stands for (the zero address is ETH). */
export function assetName (address: Address): Asset {
  return address === zeroAddress ? 'eth' : 'p2pv'
}

/** The token address the contracts take for an asset. */
export function assetAddress (ctx: ChainContext, asset: Asset): Address {
  return asset === 'eth' ? ETH : ctx.config.contracts.token
}

/**
 * Sets the P2PV allowance of `spender` (default the AccessManager) to exactly `amount`, if it is
 * not already: payments approve what they pay, never an open allowance.
 */
export async function approveExactly (ctx: ChainContext, amount: bigint, spender: Address = ctx.config.contracts.accessManager): Promise<void> {
  const c = ctx.config.contracts
  const current = await ctx.public.readContract({ address: c.token, abi: P2PVTokenAbi, functionName: 'allowance', args: [signerAddress(ctx), spender] })
  if (current === amount) return
  await writeContract(ctx, { action: 'approving P2PV', address: c.token, abi: P2PVTokenAbi, functionName: 'approve', args: [spender, amount] })
}

/** ETH and P2PV held by `address` (default the signer), and what the AccessManager owes it. */
export async function balances (ctx: ChainContext, address: Address = signerAddress(ctx)): Promise<Balances> {
  const c = ctx.config.contracts
  try {
    const [eth, p2pv, owedEth, owedP2pv] = await Promise.all([
      ctx.public.getBalance({ address }),
      ctx.public.readContract({ address: c.token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [address] }),
      ctx.public.readContract({ address: c.accessManager, abi: AccessManagerAbi, functionName: 'owed', args: [address, ETH] }),
      ctx.public.readContract({ address: c.accessManager, abi: AccessManagerAbi, functionName: 'owed', args: [address, c.token] })
    ])
    return { eth, p2pv, owedEth, owedP2pv }
  } catch (err) {
    throw chainError(err, 'reading balances')
  }
}

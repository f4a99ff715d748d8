/**
 * What every chain function takes first: the chain description, a public client for reads, and
 * (to write) a wallet with its account and the queue its writes go through. `ChainClient` is one;
 * `connectChain` makes a plain one. Viem only, so it runs in Node and in pages.
 */
import {
  createPublicClient, createWalletClient, custom, defineChain, http,
  type Account, type Address, type Chain, type EIP1193Provider, type LocalAccount, type PublicClient, type Transport, type WalletClient
} from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import type { ChainConfig } from './config.ts'
import { chainError, ChainErrorCode } from './errors.ts'

export interface ChainContextOptions {
  /** Signs transactions; reads work without one. */
  account?: LocalAccount
  /**
   * Or a browser wallet (EIP-1193) that signs and sends for `address`: writes go to the wallet
   * (`eth_sendTransaction`), reads and simulations still to `config.rpc`.
   */
  injected?: { provider: EIP1193Provider, address: Address }
  pollingIntervalMs?: number
  /** Per HTTP request (default 20 s); keepers' quorum reads use their own, shorter bound. */
  timeoutMs?: number
  /** Retries of a failed request (default 2). */
  retryCount?: number
  /** Told of each request that failed after its retries (nodes count these for their metrics). */
  onRpcError?: () => void
}

/** Writes from one account go out one at a time, so two never take the same nonce. */
export interface WriteQueue {
  tail: Promise<unknown>
}

export interface ChainContext {
  readonly config: ChainConfig
  readonly chain: Chain
  readonly public: PublicClient
  readonly account: Account | undefined
  readonly wallet: WalletClient | undefined
  readonly writes: WriteQueue
}

export const DEFAULT_RPC_TIMEOUT_MS = 20_000
export const DEFAULT_RPC_RETRIES = 2
export const DEFAULT_POLLING_INTERVAL_MS = 250

/** Builds the clients without touching the network (see `connectChain`). */
export function createChainContext (config: ChainConfig, options: ChainContextOptions = {}): ChainContext {
  const chain = defineChain({
    id: config.chainId,
    name: `p2pdv-${config.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [config.rpc] } }
  })
  const base = http(config.rpc, { timeout: options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS, retryCount: options.retryCount ?? DEFAULT_RPC_RETRIES })
  const onRpcError = options.onRpcError
  const transport: Transport = onRpcError === undefined ? base : (...args) => {
    const t = base(...args)
    const request: typeof t.request = async (req, opts) => {
      try {
        return await t.request(req, opts)
      } catch (err) {
        onRpcError()
        throw err
      }
    }
    return { ...t, request }
  }
  const injected = options.injected
  const account: Account | undefined = options.account ?? (injected === undefined ? undefined : { type: 'json-rpc', address: injected.address })
  return {
    config,
    chain,
    public: createPublicClient({ chain, transport, pollingInterval: options.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS }),
    account,
    wallet: account === undefined ? undefined : createWalletClient({ account, chain, transport: options.account === undefined && injected !== undefined ? custom(injected.provider) : transport }),
    writes: { tail: Promise.resolve() }
  }
}

/** Fails unless the endpoint serves the chain the config names (else the addresses mean nothing). */
export async function checkChainId (ctx: ChainContext): Promise<void> {
  let chainId: number
  try {
    chainId = await ctx.public.getChainId()
  } catch (err) {
    throw chainError(err, 'connecting to the chain')
  }
  if (chainId !== ctx.config.chainId) {
    throw new P2pdvError(ChainErrorCode.WRONG_CHAIN, `the RPC endpoint serves chain ${chainId}, not ${ctx.config.chainId}`, {
      hint: 'The contract addresses belong to another chain: point --rpc at the right endpoint, or pass the matching --contracts file.'
    })
  }
}

/** A context whose endpoint was checked to serve the configured chain. */
export async function connectChain (config: ChainConfig, options: ChainContextOptions = {}): Promise<ChainContext> {
  const ctx = createChainContext(config, options)
  await checkChainId(ctx)
  return ctx
}

export function requireAccount (ctx: ChainContext): Account {
  if (ctx.account === undefined) {
    throw new P2pdvError(ChainErrorCode.NO_ACCOUNT, 'this needs a wallet to sign with', { hint: 'Pick an identity with --as NAME (see `p2pdv keys ls`).' })
  }
  return ctx.account
}

/** The signer's address (ERR_CHAIN_NO_ACCOUNT without one). */
export function signerAddress (ctx: ChainContext): Address {
  return requireAccount(ctx).address
}

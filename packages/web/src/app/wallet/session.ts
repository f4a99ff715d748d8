/**
 * A connected wallet (a chunk of its own: viem and @p2pdv/chain). The chain is the one the
 * serving node describes (`GET /api/v1/chain`); reads and simulations go to its RPC, and writes
 * are signed either by an injected EIP-1193 wallet (`eth_sendTransaction`, the wallet asks the
 * person) or, on dev chains only, by the devnet page wallet the key source already uses (same
 * `localStorage` key, so what it buys is what the page asks the keepers with).
 */
import { createWalletClient, custom, getAddress, numberToHex, type Address, type EIP1193Provider, type Hex } from 'viem'
import {
  balances, buy, checkChainId, conditionMet, conditionOf, conditionTokens, createChainContext, escrowOf, getVideo, hasAccess, isLive, paidUntil, planOf, refund, refundTerms,
  refundWindowOf, subscribe, subscribedUntil, purchasesOf, subscriptionsOf, parseChainConfig, withdraw, type Asset, type ChainContext, type Condition, type TokenMetadata,
  type HeldSale, type Plan, type PurchaseRecord, type RefundTerms, type SubscriptionRecord, type VideoInfo
} from '@p2pdv/chain'
import { isDevChainId } from '@p2pdv/contracts/constants'
import { P2pdvError } from '@p2pdv/core/errors'
import { pageWalletAccount, signInToNode, type MessageSigner } from '@p2pdv/sdk/browser'
import { nodeChainDescription } from '../node-chain.ts'
import type { WalletKind } from './store.ts'
import { watchWalletChanges, type WalletChange } from './wallet-changes.ts'

/** A SIWE session on the node lasts this long (the message's expiry). */
const SIGN_IN_SECONDS = 3600
/** What "Add test ETH" sets a dev wallet's balance to (devnet only). */
const TEST_FUNDS_WEI = 10n * 10n ** 18n
/** Purchases (newest first) whose end time is read again from the contract (refunds change it). */
const CHECKED_PURCHASES = 48

/** What a video costs this viewer, and whether they may already watch it. */
export interface AccessState {
  video: VideoInfo
  /** hasAccess on chain: bought, granted, subscribed, owner, or free. */
  access: boolean
  /** For a subscribers-only video: the creator's plan, and whether this viewer's subscription is live. */
  plan?: Plan
  subscribed?: boolean
  /** The video's refund window and this viewer's purchase held under one. */
  refund?: RefundTerms
  /** The video's access condition (no clauses: none), and whether this viewer meets it now. */
  condition?: Condition
  conditionMet?: boolean
  /** decimals() and symbol() of each ERC-20 the condition names (by lower-case address). */
  tokens?: Map<string, TokenMetadata>
}

/** What anyone may read of a video's terms, without a wallet. */
export interface VideoTerms { refundWindow: bigint, condition: Condition, tokens: Map<string, TokenMetadata> }

export interface WalletSession {
  kind: WalletKind
  address: Address
  chainId: number
  balance: () => Promise<{ eth: bigint, p2pv: bigint }>
  accessState: (video: Hex) => Promise<AccessState>
  buy: (video: Hex, onSent: (hash: Hex) => void) => Promise<void>
  /** Takes back this account's purchase of `video` (credited in the AccessManager, not sent). */
  refund: (video: Hex, onSent: (hash: Hex) => void) => Promise<{ amount: bigint, asset: Asset }>
  /** Moves what the AccessManager owes this account in `asset` to the wallet. */
  withdraw: (asset: Asset, onSent: (hash: Hex) => void) => Promise<{ amount: bigint }>
  /** Purchases of this account still refundable (held under a window, paid by it, not closed). */
  refundable: (videos: readonly Hex[]) => Promise<HeldSale[]>
  subscribe: (creator: Address, onSent: (hash: Hex) => void) => Promise<void>
  purchases: () => Promise<PurchaseRecord[]>
  subscriptions: () => Promise<SubscriptionRecord[]>
  signIn: () => Promise<{ expiresAt: number, roles: string[] }>
  addTestFunds: () => Promise<void>
  /** An injected wallet's account and chain changes (a dev wallet never changes). */
  watch: (onChange: (c: WalletChange) => void) => () => void
}

async function chainConfig (origin: string): Promise<ReturnType<typeof parseChainConfig>> {
  return parseChainConfig(await nodeChainDescription(origin), 'the node\'s chain description')
}

/** The injected wallet's account, on the node's chain (asks the wallet to switch when it is elsewhere). */
async function injectedAccount (provider: EIP1193Provider, chainId: number): Promise<Address> {
  let accounts: readonly string[]
  try {
    accounts = await provider.request({ method: 'eth_requestAccounts' }) as readonly string[]
  } catch (cause) {
    throw new P2pdvError('ERR_WALLET_REFUSED', 'the wallet did not share an account', { hint: 'Allow this page in your wallet and connect again.', cause })
  }
  const first = accounts[0]
  if (first === undefined) throw new P2pdvError('ERR_WALLET_REFUSED', 'the wallet has no account', { hint: 'Create or unlock an account in your wallet.' })
  const current = Number(await provider.request({ method: 'eth_chainId' }))
  if (current !== chainId) {
    try {
      await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: numberToHex(chainId) }] })
    } catch {
      throw new P2pdvError('ERR_CHAIN_MISMATCH', `your wallet is on chain ${current}; this network is on chain ${chainId}`, { hint: `Switch your wallet to chain ${chainId} and connect again.` })
    }
  }
  return getAddress(first)
}

/** A video's refund window and condition, read from the node's chain without a wallet (the buy area shows them before connecting). */
export async function readVideoTerms (origin: string, id: Hex): Promise<VideoTerms> {
  const ctx = createChainContext(await chainConfig(origin))
  const [refundWindow, condition] = await Promise.all([refundWindowOf(ctx, id), conditionOf(ctx, id)])
  return { refundWindow, condition, tokens: await conditionTokens(ctx, condition) }
}

export async function openSession (origin: string): Promise<WalletSession> {
  const config = await chainConfig(origin)
  const provider = window.ethereum
  let ctx: ChainContext
  let signer: MessageSigner
  let kind: WalletKind
  if (provider !== undefined) {
    const address = await injectedAccount(provider, config.chainId)
    ctx = createChainContext(config, { injected: { provider, address } })
    const wallet = createWalletClient({ account: address, transport: custom(provider) })
    signer = { address, signMessage: async ({ message }) => await wallet.signMessage({ account: address, message }) }
    kind = 'injected'
  } else {
    // ERR_NO_WALLET off dev chains: a key in page storage must never hold real value.
    const account = pageWalletAccount(window.localStorage, config.chainId)
    ctx = createChainContext(config, { account })
    signer = account
    kind = 'dev'
  }
  await checkChainId(ctx)
  const address = ctx.account!.address
  return {
    kind,
    address,
    chainId: config.chainId,
    balance: async () => { const b = await balances(ctx, address); return { eth: b.eth, p2pv: b.p2pv } },
    accessState: async id => {
      const [video, access, refund, condition, met] = await Promise.all([
        getVideo(ctx, id), hasAccess(ctx, id, address), refundTerms(ctx, id, address), conditionOf(ctx, id), conditionMet(ctx, id, address)
      ])
      const state: AccessState = { video, access, refund, condition, conditionMet: met, tokens: await conditionTokens(ctx, condition) }
      if (video.policy !== 'subscribers') return state
      const [plan, until] = await Promise.all([planOf(ctx, video.owner), subscribedUntil(ctx, video.owner, address)])
      return { ...state, subscribed: isLive(until), ...(plan === undefined ? {} : { plan }) }
    },
    buy: async (id, onSent) => { await buy(ctx, id, { onSent }) },
    refund: async (id, onSent) => { const r = await refund(ctx, id, address, { onSent }); return { amount: r.amount, asset: r.asset } },
    withdraw: async (asset, onSent) => { const r = await withdraw(ctx, asset, { onSent }); return { amount: r.amount } },
    refundable: async videos => {
      const now = BigInt(Math.floor(Date.now() / 1000))
      const held: HeldSale[] = []
      // A library's worth of reads, 8 at a time.
      for (let i = 0; i < videos.length; i += 8) {
        const got = await Promise.all(videos.slice(i, i + 8).map(async v => await escrowOf(ctx, v, address)))
        for (const h of got) if (h !== undefined && h.payer.toLowerCase() === address.toLowerCase() && now < h.refundableUntil) held.push(h)
      }
      return held
    },
    subscribe: async (creator, onSent) => { await subscribe(ctx, creator, 1, { onSent }) },
    purchases: async () => {
      const list = await purchasesOf(ctx, address)
      // A refund restores paidUntil to what it was before the purchase: the event's end time is
      // stale then, and a first purchase refunded is no purchase at all (paidUntil 0).
      const checked: PurchaseRecord[] = []
      const head = list.slice(0, CHECKED_PURCHASES)
      for (let i = 0; i < head.length; i += 8) {
        checked.push(...await Promise.all(head.slice(i, i + 8).map(async p => ({ ...p, until: await paidUntil(ctx, p.video, address) }))))
      }
      return [...checked.filter(p => p.until !== 0n), ...list.slice(CHECKED_PURCHASES)]
    },
    subscriptions: async () => await subscriptionsOf(ctx, address),
    signIn: async () => {
      try {
        const s = await signInToNode(origin, signer, config.chainId, { seconds: SIGN_IN_SECONDS })
        return { expiresAt: s.expiresAt, roles: s.roles }
      } catch (err) {
        if (err instanceof P2pdvError) throw err
        throw new P2pdvError('ERR_WALLET_REFUSED', 'the wallet did not sign the sign-in message', { hint: 'Signing in costs nothing; approve the message in your wallet.', cause: err })
      }
    },
    watch: onChange => provider === undefined ? () => {} : watchWalletChanges(provider, { address }, onChange),
    addTestFunds: async () => {
      if (kind !== 'dev' || !isDevChainId(config.chainId)) throw new P2pdvError('ERR_NO_WALLET', 'test funds exist on the devnet only')
      await ctx.public.request({ method: 'anvil_setBalance' as never, params: [address, numberToHex(TEST_FUNDS_WEI)] as never })
    }
  }
}

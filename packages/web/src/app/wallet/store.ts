/**
 * The page's wallet, as the UI sees it: state plus subscribe. Connecting loads the chain code
 * (`session.ts`: viem and @p2pdv/chain, a chunk of its own), so pages that never touch a wallet
 * never load it. The choice to stay connected is kept in `localStorage`, never a key.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { userError, type UserError } from '../errors.ts'
import type { WalletSession } from './session.ts'
import type { WalletChange } from './wallet-changes.ts'

export type WalletKind = 'injected' | 'dev'

export interface WalletState {
  status: 'disconnected' | 'connecting' | 'connected' | 'error'
  kind?: WalletKind
  address?: `0x${string}`
  balance?: { eth: bigint, p2pv: bigint }
  /** After sign-in with Ethereum (EIP-4361) on the serving node. */
  signedIn?: { expiresAt: number, roles: string[] }
  error?: UserError
}

const REMEMBER_KEY = 'p2pdv.wallet'

let state: WalletState = { status: 'disconnected' }
let session: WalletSession | undefined
let unwatch: (() => void) | undefined
const listeners = new Set<() => void>()

function set (next: WalletState): void {
  state = next
  for (const l of listeners) l()
}

export function walletState (): WalletState {
  return state
}

export function subscribeWallet (listener: () => void): () => void {
  listeners.add(listener)
  return () => { listeners.delete(listener) }
}

/** The connected session (chain context with its signer), or ERR_NO_WALLET. */
export function currentSession (): WalletSession {
  if (session === undefined) throw new P2pdvError('ERR_NO_WALLET', 'no wallet is connected', { hint: 'Connect a wallet with the button at the top of the page.' })
  return session
}

/** An injected EIP-1193 wallet when the browser has one, else the devnet page wallet. */
export async function connectWallet (): Promise<void> {
  if (state.status === 'connecting') return
  set({ status: 'connecting' })
  try {
    const { openSession } = await import('./session.ts')
    const opened = await openSession(window.location.origin)
    session = opened
    window.localStorage.setItem(REMEMBER_KEY, opened.kind)
    unwatch?.()
    unwatch = opened.watch(change => { onWalletChange(opened, change) })
    set({ status: 'connected', kind: opened.kind, address: opened.address })
    await refreshBalance()
  } catch (err) {
    session = undefined
    set({ status: 'error', error: userError(err) })
  }
}

/**
 * Another account: a new session for it (purchases, balance and sign-in are per account). Locked:
 * disconnected. Another chain: nothing may be sent until the wallet is back on the network's.
 */
function onWalletChange (from: WalletSession, change: WalletChange): void {
  if (change.kind === 'chain' && change.chainId === from.chainId) {
    if (session === undefined) void connectWallet()
    return
  }
  session = undefined
  if (change.kind === 'locked') { set({ status: 'disconnected' }); return }
  if (change.kind === 'account') { void connectWallet(); return }
  set({
    status: 'error',
    kind: from.kind,
    error: userError(new P2pdvError('ERR_CHAIN_MISMATCH', `your wallet switched to chain ${change.chainId}; this network is on chain ${from.chainId}`, { hint: `Switch your wallet back to chain ${from.chainId}; the page reconnects by itself.` }))
  })
}

export function disconnectWallet (): void {
  unwatch?.()
  unwatch = undefined
  session = undefined
  window.localStorage.removeItem(REMEMBER_KEY)
  // The node's session cookie is HttpOnly: it simply expires (at most 1 h, see session.ts).
  set({ status: 'disconnected' })
}

export async function refreshBalance (): Promise<void> {
  const s = session
  if (s === undefined) return
  try {
    const balance = await s.balance()
    if (session === s) set({ ...state, balance })
  } catch {
    // A balance is informative only; the next action reports a dead RPC properly.
  }
}

/** Sign-in with Ethereum on the serving node (a nonce from the node, a message the wallet signs). */
export async function signIn (): Promise<void> {
  const s = currentSession()
  try {
    const signedIn = await s.signIn()
    const { error: _dropped, ...rest } = state
    set({ ...rest, signedIn })
  } catch (err) {
    set({ ...state, error: userError(err) })
  }
}

/** Devnet only: tops the dev wallet up with test ETH (anvil_setBalance). */
export async function addTestFunds (): Promise<void> {
  await currentSession().addTestFunds()
  await refreshBalance()
}

/** Reconnects on load when the viewer connected before (an injected wallet answers without a prompt then). */
export function restoreWallet (): void {
  if (state.status !== 'disconnected') return
  const kind = window.localStorage.getItem(REMEMBER_KEY)
  if (kind === 'dev' || (kind === 'injected' && window.ethereum !== undefined)) void connectWallet()
}

/**
 * An injected wallet can change under the page: the person picks another account, locks the
 * wallet, or switches chains. Each event says what it means for the session; anything a page
 * script could inject that is not an account list or a chain id is ignored (EIP-1193 events).
 */
export type WalletChange =
  | { kind: 'account', address: `0x${string}` }
  | { kind: 'locked' }
  | { kind: 'chain', chainId: number }

export interface EventfulProvider {
  on: (event: never, listener: never) => unknown
  removeListener: (event: never, listener: never) => unknown
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/** Calls `onChange` when the wallet's account or chain moves away from `current`; returns the unsubscribe. */
export function watchWalletChanges (provider: EventfulProvider, current: { address: string }, onChange: (c: WalletChange) => void): () => void {
  const accounts = (list: unknown): void => {
    if (!Array.isArray(list)) return
    const first: unknown = list[0]
    if (first === undefined) { onChange({ kind: 'locked' }); return }
    if (typeof first !== 'string' || !ADDRESS.test(first)) return
    if (first.toLowerCase() !== current.address.toLowerCase()) onChange({ kind: 'account', address: first as `0x${string}` })
  }
  const chain = (id: unknown): void => {
    const chainId = typeof id === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(id) ? Number(id) : typeof id === 'number' ? id : NaN
    if (Number.isSafeInteger(chainId) && chainId > 0) onChange({ kind: 'chain', chainId })
  }
  const p = provider as unknown as { on?: (e: string, l: (v: unknown) => void) => void, removeListener?: (e: string, l: (v: unknown) => void) => void }
  // EIP-1193 says a provider emits events; one that cannot is used without following it.
  if (typeof p.on !== 'function' || typeof p.removeListener !== 'function') return () => {}
  p.on('accountsChanged', accounts)
  p.on('chainChanged', chain)
  return () => {
    p.removeListener?.('accountsChanged', accounts)
    p.removeListener?.('chainChanged', chain)
  }
}

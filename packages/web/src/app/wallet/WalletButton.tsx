/**
 * The wallet in the top bar: "Connect wallet", or the account with its balance and a menu
 * (sign in, library, test funds on the devnet, disconnect). The devnet page wallet is labelled
 * as such everywhere it shows.
 */
import { useEffect, useRef, useState, useSyncExternalStore, type ReactElement } from 'react'
import { formatUnits, shortAddress } from '../discover/api.ts'
import { addTestFunds, connectWallet, disconnectWallet, restoreWallet, signIn, subscribeWallet, walletState, type WalletState } from './store.ts'
import { t } from '../i18n/index.ts'

/** How the devnet page wallet is labelled wherever it shows. */
export function devWalletLabel (): string {
  return t('wallet.devLabel')
}

export function useWallet (): WalletState {
  return useSyncExternalStore(subscribeWallet, walletState)
}

export function WalletButton (): ReactElement {
  const w = useWallet()
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const root = useRef<HTMLDivElement>(null)
  useEffect(() => { restoreWallet() }, [])
  // The menu closes on Escape and on a click elsewhere.
  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent): void => { if (e.key === 'Escape') setOpen(false) }
    const onClick = (e: MouseEvent): void => { if (root.current !== null && !root.current.contains(e.target as Node)) setOpen(false) }
    document.addEventListener('keydown', onKey)
    document.addEventListener('click', onClick)
    return () => { document.removeEventListener('keydown', onKey); document.removeEventListener('click', onClick) }
  }, [open])

  if (w.status !== 'connected') {
    return (
      <div className='wallet' ref={root}>
        <button type='button' className='primary wallet-connect' disabled={w.status === 'connecting'} onClick={() => { void connectWallet() }}>
          {w.status === 'connecting' ? t('wallet.connecting') : t('wallet.connect')}
        </button>
        {w.status === 'error' && w.error !== undefined && (
          <p className='wallet-error' role='alert' data-code={w.error.code}><strong>{w.error.title}.</strong> {w.error.hint} <code>{w.error.code}</code></p>
        )}
      </div>
    )
  }
  const run = async (f: () => Promise<void>): Promise<void> => { setBusy(true); try { await f() } finally { setBusy(false) } }
  return (
    <div className='wallet' ref={root}>
      <button type='button' className={`wallet-chip ${w.kind ?? ''}`} aria-expanded={open} aria-haspopup='true' onClick={() => { setOpen(!open) }} data-address={w.address}>
        <span className='wallet-dot' aria-hidden='true' />
        <span className='wallet-address'>{shortAddress(w.address!)}</span>
        {w.balance !== undefined && <span className='wallet-balance'>{formatUnits(w.balance.eth, 4)} ETH</span>}
        {w.kind === 'dev' && <span className='dev-badge'>{t('wallet.dev')}</span>}
      </button>
      {open && (
        <div className='wallet-menu' role='menu'>
          <p className='wallet-kind'>{w.kind === 'dev' ? devWalletLabel() : t('wallet.browser')}</p>
          <p className='wallet-full mono'>{w.address}</p>
          {w.balance !== undefined && <p className='muted small'>{formatUnits(w.balance.eth, 6)} ETH · {formatUnits(w.balance.p2pv, 4)} P2PV</p>}
          {w.kind === 'dev' && <p className='muted small'>{t('wallet.devText')}</p>}
          <div className='wallet-actions'>
            <a className='button' role='menuitem' href='/library'>{t('wallet.library')}</a>
            {w.signedIn === undefined
              ? <button type='button' role='menuitem' disabled={busy} onClick={() => { void run(signIn) }}>{t('wallet.signIn')}</button>
              : <span className='signed-in' data-signed-in='true'>{t('wallet.signedIn')}{w.signedIn.roles.length > 0 ? ` · ${w.signedIn.roles.join(', ')}` : ''}</span>}
            {w.kind === 'dev' && <button type='button' role='menuitem' disabled={busy} onClick={() => { void run(addTestFunds) }}>{t('wallet.addEth')}</button>}
            <button type='button' role='menuitem' onClick={() => { setOpen(false); disconnectWallet() }}>{t('wallet.disconnect')}</button>
          </div>
          {w.error !== undefined && <p className='wallet-error' role='alert' data-code={w.error.code}><strong>{w.error.title}.</strong> {w.error.hint} <code>{w.error.code}</code></p>}
        </div>
      )}
    </div>
  )
}

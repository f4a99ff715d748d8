/**
 * The price state of a listed video and what the viewer can do about it: free / buy for X /
 * subscribe / included in a subscription / private / owned. Buy and Subscribe send real
 * transactions through the connected wallet; the panel follows them (confirm in the wallet →
 * pending with the hash → confirmed, or what went wrong and what to do), and once the chain says
 * yes the page asks the keepers again (`onAccess`).
 */
import { useCallback, useEffect, useState, type ReactElement } from 'react'
import type { Hex } from 'viem'
import { userError, type UserError } from '../errors.ts'
import { connectWallet, currentSession, refreshBalance } from '../wallet/store.ts'
import { useWallet } from '../wallet/WalletButton.tsx'
import type { AccessState } from '../wallet/session.ts'
import type { ListedVideo } from './api.ts'
import { priceView } from './price-view.ts'

type Tx =
  | { phase: 'idle' }
  | { phase: 'wallet', action: string }
  | { phase: 'pending', action: string, hash: Hex }
  | { phase: 'confirmed', action: string }
  | { phase: 'failed', action: string, error: UserError }

export function VideoActions ({ video, onAccess }: { video: ListedVideo, onAccess?: () => void }): ReactElement {
  const wallet = useWallet()
  const [access, setAccess] = useState<AccessState | undefined>()
  const [tx, setTx] = useState<Tx>({ phase: 'idle' })
  const connected = wallet.status === 'connected'

  const load = useCallback(async (): Promise<AccessState | undefined> => {
    try {
      const a = await currentSession().accessState(video.id as Hex)
      setAccess(a)
      return a
    } catch {
      return undefined
    }
  }, [video.id])
  useEffect(() => { if (connected) void load(); else setAccess(undefined) }, [connected, wallet.address, load])

  const view = priceView(video, access)
  const act = async (action: string, send: (onSent: (hash: Hex) => void) => Promise<void>): Promise<void> => {
    setTx({ phase: 'wallet', action })
    try {
      await send(hash => { setTx({ phase: 'pending', action, hash }) })
      setTx({ phase: 'confirmed', action })
      void refreshBalance()
      await load()
      onAccess?.()
    } catch (err) {
      setTx({ phase: 'failed', action, error: userError(err) })
    }
  }
  const busy = tx.phase === 'wallet' || tx.phase === 'pending'
  let button: ReactElement | undefined
  if (!connected && (view.state === 'buy' || view.state === 'subscribe')) {
    button = <button type='button' className='primary' onClick={() => { void connectWallet() }}>Connect a wallet to {view.state === 'buy' ? 'buy' : 'subscribe'}</button>
  } else if (connected && access !== undefined && view.state === 'buy') {
    button = <button type='button' className='primary' data-action='buy' disabled={busy} onClick={() => { void act('Buying', async onSent => { await currentSession().buy(video.id as Hex, onSent) }) }}>Buy</button>
  } else if (connected && access !== undefined && view.state === 'subscribe') {
    button = <button type='button' className='primary' data-action='subscribe' disabled={busy} onClick={() => { void act('Subscribing', async onSent => { await currentSession().subscribe(access.video.owner, onSent) }) }}>Subscribe</button>
  }
  return (
    <div className={`price-state ${video.policy}`} data-price-state={view.state}>
      <strong>{view.label}</strong>
      <span className='muted small'>{view.detail}</span>
      {button}
      <TxStatus tx={tx} />
    </div>
  )
}

function TxStatus ({ tx }: { tx: Tx }): ReactElement | null {
  if (tx.phase === 'idle') return null
  return (
    <div className={`tx-status ${tx.phase}`} data-tx={tx.phase} role='status' aria-live='polite'>
      {tx.phase === 'wallet' && <p>{tx.action}: confirm the transaction in your wallet…</p>}
      {tx.phase === 'pending' && <p>{tx.action}: waiting for the chain… <code title={tx.hash}>{tx.hash.slice(0, 10)}…</code></p>}
      {tx.phase === 'confirmed' && <p>Confirmed. The keepers release the key now.</p>}
      {tx.phase === 'failed' && <p data-code={tx.error.code}><strong>{tx.error.title}.</strong> {tx.error.hint} <code>{tx.error.code}</code></p>}
    </div>
  )
}

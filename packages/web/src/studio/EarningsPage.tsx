/**
 * What viewers paid that is owed to this creator (the AccessManager's split), and withdrawing it;
 * beside it, sales made under a refund window, held in escrow until the window closes.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { call, formatWei, send, studioErrorOf, type BalanceJson, type StudioError, type WithdrawJson } from './api.ts'
import { ErrorNote } from './ErrorNote.tsx'

export function EarningsPage (): ReactElement {
  const [balance, setBalance] = useState<BalanceJson | undefined>()
  const [error, setError] = useState<StudioError | undefined>()
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<string | undefined>()

  const load = async (): Promise<void> => {
    try {
      setBalance(await call<BalanceJson>('/api/earnings'))
    } catch (e) {
      setError(studioErrorOf(e))
    }
  }
  useEffect(() => { void load() }, [])

  const withdraw = async (): Promise<void> => {
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    try {
      const r = await send<WithdrawJson>('/api/withdraw', 'POST')
      setNotice(`Withdrew ${r.withdrawn.map(w => formatWei(w.amount, w.asset)).join(' and ')} to your wallet.`)
      await load()
    } catch (e) {
      setError(studioErrorOf(e))
    } finally {
      setBusy(false)
    }
  }

  const held = balance?.held
  const owed = balance !== undefined && (BigInt(balance.owedEth) > 0n || BigInt(balance.owedP2pv) > 0n || (held?.releasable ?? 0) > 0)
  return (
    <main className='studio-main'>
      <h1>Earnings</h1>
      {notice !== undefined && <p className='studio-notice' role='status'>{notice}</p>}
      {error !== undefined && <ErrorNote error={error} />}
      {balance !== undefined && (
        <>
          <div className='earnings'>
            <div className='studio-card stat' data-owed-eth={balance.owedEth}>
              <span className='muted'>Owed to you</span>
              <strong>{formatWei(balance.owedEth, 'eth')}</strong>
              {BigInt(balance.owedP2pv) > 0n && <strong>{formatWei(balance.owedP2pv, 'p2pv')}</strong>}
            </div>
            <div className='studio-card stat' data-held-eth={held?.eth ?? '0'} data-held-sales={held?.sales ?? 0}>
              <span className='muted'>Held in refund windows</span>
              <strong>{formatWei(held?.eth ?? '0', 'eth')}</strong>
              {BigInt(held?.p2pv ?? '0') > 0n && <strong>{formatWei(held!.p2pv, 'p2pv')}</strong>}
              <span className='muted'>{(held?.sales ?? 0) === 0 ? 'no sales held' : `${held!.sales} ${held!.sales === 1 ? 'sale' : 'sales'}, before the split${held!.releasable > 0 ? `; ${held!.releasable} closed, withdrawing releases them` : '; paid to you when the window closes'}`}</span>
            </div>
            <div className='studio-card stat' data-wallet-eth={balance.eth}>
              <span className='muted'>In your wallet</span>
              <strong>{formatWei(balance.eth, 'eth')}</strong>
              <span className='muted'>{formatWei(balance.p2pv, 'p2pv')}</span>
            </div>
          </div>
          <p className='muted'>Each sale and subscription pays your share into the AccessManager contract; withdrawing sends it to <code>{balance.address}</code>. A sale under a refund window is held in escrow, not yet split, until the buyer's window closes.</p>
          <button className='primary' onClick={() => { void withdraw() }} disabled={!owed || busy}>{busy ? 'Withdrawing…' : owed ? 'Withdraw' : 'Nothing to withdraw'}</button>
        </>
      )}
    </main>
  )
}

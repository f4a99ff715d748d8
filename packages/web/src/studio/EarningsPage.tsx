/** What viewers paid that is owed to this creator (the AccessManager's split), and withdrawing it. */
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

  const owed = balance !== undefined && (BigInt(balance.owedEth) > 0n || BigInt(balance.owedP2pv) > 0n)
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
            <div className='studio-card stat' data-wallet-eth={balance.eth}>
              <span className='muted'>In your wallet</span>
              <strong>{formatWei(balance.eth, 'eth')}</strong>
              <span className='muted'>{formatWei(balance.p2pv, 'p2pv')}</span>
            </div>
          </div>
          <p className='muted'>Each sale and subscription pays your share into the AccessManager contract; withdrawing sends it to <code>{balance.address}</code>.</p>
          <button className='primary' onClick={() => { void withdraw() }} disabled={!owed || busy}>{busy ? 'Withdrawing…' : owed ? 'Withdraw' : 'Nothing to withdraw'}</button>
        </>
      )}
    </main>
  )
}

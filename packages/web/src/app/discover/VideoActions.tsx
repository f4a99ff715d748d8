/**
 * The price state of a listed video and what the viewer can do about it: free / buy for X /
 * subscribe / included in a subscription / private / owned / free for holders. Buy, Subscribe,
 * Refund and Withdraw send real transactions through the connected wallet; the panel follows
 * them (confirm in the wallet → pending with the hash → confirmed, or what went wrong and what to
 * do), and once the chain says yes the page asks the keepers again (`onAccess`). A refund ends
 * the access it bought (`onAccessLost`): the page stops playing.
 *
 * The video's terms come from the chain: its refund window ("Refundable for 7 days after you
 * buy") and its access condition, in words, with whether this wallet meets it. Every value read
 * there (token addresses, amounts, times) renders as text.
 */
import { useCallback, useEffect, useState, type ReactElement } from 'react'
import type { Hex } from 'viem'
import { userError, type UserError } from '../errors.ts'
import { connectWallet, currentSession, refreshBalance } from '../wallet/store.ts'
import { useWallet } from '../wallet/WalletButton.tsx'
import type { AccessState, VideoTerms } from '../wallet/session.ts'
import { shortAddress, type ListedVideo } from './api.ts'
import { conditionSegments, priceView, qualification, refundedNote, refundView, refundWindowLabel, withdrawnNote, type ConditionLike, type TokenLike } from './price-view.ts'
import { t } from '../i18n/index.ts'

type Tx =
  | { phase: 'idle' }
  | { phase: 'wallet', action: Action }
  | { phase: 'pending', action: Action, hash: Hex }
  | { phase: 'confirmed', action: Action, message: string }
  | { phase: 'failed', action: Action, error: UserError }

/** What a transaction does (its label is `tx.<action>` in the catalog; `data-tx-action` names it for tests). */
type Action = 'buying' | 'subscribing' | 'refunding' | 'withdrawing'

/** A refund confirmed on this page: the amount credited, then withdrawn. */
interface Credited { amount: bigint, asset: 'eth' | 'p2pv', withdrawn: boolean }


export function VideoActions ({ video, onAccess, onAccessLost }: { video: ListedVideo, onAccess?: () => void, onAccessLost?: () => void }): ReactElement {
  const wallet = useWallet()
  const [access, setAccess] = useState<AccessState | undefined>()
  const [terms, setTerms] = useState<VideoTerms | undefined>()
  const [tx, setTx] = useState<Tx>({ phase: 'idle' })
  const [credited, setCredited] = useState<Credited | undefined>()
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
  // Without a wallet the terms are read anyway (a free video has none that matter).
  useEffect(() => {
    if (connected || video.policy === 'public') return
    let live = true
    import('../wallet/session.ts').then(async m => await m.readVideoTerms(window.location.origin, video.id as Hex))
      .then(terms => { if (live) setTerms(terms) }, () => {})
    return () => { live = false }
  }, [connected, video.id, video.policy])

  const view = priceView(video, access)
  const act = async (action: Action, send: (onSent: (hash: Hex) => void) => Promise<string>, after?: () => void): Promise<void> => {
    setTx({ phase: 'wallet', action })
    try {
      const message = await send(hash => { setTx({ phase: 'pending', action, hash }) })
      setTx({ phase: 'confirmed', action, message })
      void refreshBalance()
      await load()
      after?.()
    } catch (err) {
      setTx({ phase: 'failed', action, error: userError(err) })
    }
  }
  const busy = tx.phase === 'wallet' || tx.phase === 'pending'
  const id = video.id as Hex
  let button: ReactElement | undefined
  if (!connected && (view.state === 'buy' || view.state === 'subscribe')) {
    button = <button type='button' className='primary' onClick={() => { void connectWallet() }}>{t(view.state === 'buy' ? 'tx.connectToBuy' : 'tx.connectToSubscribe')}</button>
  } else if (connected && access !== undefined && view.state === 'buy') {
    button = <button type='button' className='primary' data-action='buy' disabled={busy} onClick={() => { void act('buying', async onSent => { await currentSession().buy(id, onSent); setCredited(undefined); return t('tx.keysReleased') }, onAccess) }}>{t('tx.buy')}</button>
  } else if (connected && access !== undefined && view.state === 'subscribe') {
    button = <button type='button' className='primary' data-action='subscribe' disabled={busy} onClick={() => { void act('subscribing', async onSent => { await currentSession().subscribe(access.video.owner, onSent); return t('tx.keysReleased') }, onAccess) }}>{t('tx.subscribe')}</button>
  }

  const refundWindow = access?.refund?.window ?? terms?.refundWindow
  // A buyer is told the refund terms before paying, "Not refundable" included; a video not for
  // sale mentions its window only when it has one.
  const windowLine = view.state === 'buy' || (view.state === 'not-for-sale' && refundWindow !== undefined && refundWindow > 0n) ? refundWindowLabel(refundWindow) : undefined
  const refund = connected && access !== undefined ? refundView(access.refund?.held, wallet.address!, BigInt(Math.floor(Date.now() / 1000))) : { state: 'none' as const }
  const condition = access?.condition ?? terms?.condition
  const policy = access?.video.policy ?? video.policy
  return (
    <div className={`price-state ${video.policy}`} data-price-state={view.state}>
      <strong>{view.label}</strong>
      <span className='muted small'>{view.detail}</span>
      {windowLine !== undefined && <span className={`refund-window small${refundWindow === 0n ? ' none' : ''}`} data-refund-window={refundWindow?.toString()}>{windowLine}</span>}
      {button}
      {refund.state === 'refundable' && (
        <div className='refund' data-refund='refundable'>
          <span className='small'>{t('refund.until')} <time dateTime={new Date(Number(refund.until) * 1000).toISOString()}>{refund.deadline}</time> ({refund.left})</span>
          <button type='button' data-action='refund' disabled={busy} onClick={() => {
            void act('refunding', async onSent => {
              const r = await currentSession().refund(id, onSent)
              setCredited({ ...r, withdrawn: false })
              return refundedNote(r.amount, r.asset)
            }, onAccessLost)
          }}>{t('refund.button', { amount: refund.amount })}</button>
        </div>
      )}
      {refund.state === 'other-payer' && <span className='muted small' data-refund='other-payer'>{t('refund.otherPayer')}</span>}
      <TxStatus tx={tx} />
      {credited !== undefined && !credited.withdrawn && !busy && (
        <button type='button' data-action='withdraw' onClick={() => {
          void act('withdrawing', async onSent => {
            const w = await currentSession().withdraw(credited.asset, onSent)
            setCredited({ ...credited, withdrawn: true })
            return withdrawnNote(w.amount, credited.asset)
          })
        }}>{t('refund.withdraw')}</button>
      )}
      {policy !== 'public' && <ConditionNote condition={condition} tokens={access?.tokens ?? terms?.tokens} met={connected ? access?.conditionMet : undefined} />}
    </div>
  )
}

/** The video's access condition in words, and whether this wallet meets it (nothing when it has none). */
function ConditionNote ({ condition, tokens, met }: { condition: ConditionLike | undefined, tokens: ReadonlyMap<string, TokenLike> | undefined, met: boolean | undefined }): ReactElement | null {
  const words = conditionSegments(condition, tokens)
  if (words === undefined) return null
  const q = qualification(met)
  return (
    <div className={`condition ${q.state}`} data-condition={q.state}>
      <p className='small condition-words'>
        {words.map((w, i) => typeof w === 'string' ? w : <span key={i} className='mono' title={w.address}>{shortAddress(w.address)}</span>)}
      </p>
      <p className='small condition-status'>{q.text}</p>
    </div>
  )
}

function TxStatus ({ tx }: { tx: Tx }): ReactElement | null {
  if (tx.phase === 'idle') return null
  return (
    <div className={`tx-status ${tx.phase}`} data-tx={tx.phase} data-tx-action={tx.action} role='status' aria-live='polite'>
      {tx.phase === 'wallet' && <p>{t('tx.confirmInWallet', { action: t(`tx.${tx.action}`) })}</p>}
      {tx.phase === 'pending' && <p>{t('tx.waiting', { action: t(`tx.${tx.action}`) })} <code title={tx.hash}>{tx.hash.slice(0, 10)}…</code></p>}
      {tx.phase === 'confirmed' && <p>{tx.message}</p>}
      {tx.phase === 'failed' && <p data-code={tx.error.code}><strong>{tx.error.title}.</strong> {tx.error.hint} <code>{tx.error.code}</code></p>}
    </div>
  )
}

/**
 * `/library`: what the connected wallet bought and subscribed to (from the chain's Purchased and
 * Subscribed events), and what this browser watched (local history, never sent anywhere). Each
 * entry links to its video page, which plays it.
 */
import { useEffect, useState, type ReactElement } from 'react'
import type { Hex } from 'viem'
import { ago, listedVideo, shortAddress, type ListedVideo } from '../discover/api.ts'
import { refundView } from '../discover/price-view.ts'
import { VideoGrid } from '../discover/VideoCard.tsx'
import { userError, type UserError } from '../errors.ts'
import { TopBar } from '../TopBar.tsx'
import { connectWallet, currentSession } from '../wallet/store.ts'
import { devWalletLabel, useWallet } from '../wallet/WalletButton.tsx'
import { clearHistory, readHistory, type HistoryEntry } from './history.ts'
import { formatDate, t } from '../i18n/index.ts'

/** Listings looked up for bought videos (the rest show by id). */
const MAX_LOOKUPS = 48
const FOREVER = 2n ** 64n - 1n

interface Bought { id: Hex, until: bigint, listed?: ListedVideo }
/** A purchase this account may still refund (held under the video's refund window). */
interface Refundable { id: Hex, title?: string, payer: string, asset: 'eth' | 'p2pv', amount: bigint, refundableUntil: bigint }
interface Owned { bought: Bought[], refundable: Refundable[], subscriptions: Array<{ creator: Hex, until: bigint }> }

type Shelf = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready', owned: Owned } | { kind: 'error', error: UserError }

export function LibraryPage (): ReactElement {
  const wallet = useWallet()
  const [shelf, setShelf] = useState<Shelf>({ kind: 'idle' })
  const [history, setHistory] = useState<HistoryEntry[]>(() => readHistory())

  useEffect(() => { document.title = t('app.pageTitle', { title: t('library.docTitle') }) }, [])
  useEffect(() => {
    if (wallet.status !== 'connected') { setShelf({ kind: 'idle' }); return }
    let live = true
    setShelf({ kind: 'loading' })
    void (async () => {
      const s = currentSession()
      const [purchases, subscriptions] = await Promise.all([s.purchases(), s.subscriptions()])
      const bought = await Promise.all(purchases.map(async (p, i): Promise<Bought> => {
        const listed = i < MAX_LOOKUPS ? await listedVideo(p.video).catch(() => undefined) : undefined
        return { id: p.video, until: p.until, ...(listed === undefined ? {} : { listed }) }
      }))
      // Refund windows are at most 30 days: the newest purchases are the ones that may have one.
      const held = await s.refundable(purchases.slice(0, MAX_LOOKUPS).map(p => p.video))
      const refundable = held.map((h): Refundable => {
        const title = bought.find(b => b.id === h.video)?.listed?.title
        return { id: h.video, payer: h.payer, asset: h.asset, amount: h.amount, refundableUntil: h.refundableUntil, ...(title === undefined ? {} : { title }) }
      })
      if (live) setShelf({ kind: 'ready', owned: { bought, refundable, subscriptions } })
    })().catch(err => { if (live) setShelf({ kind: 'error', error: userError(err) }) })
    return () => { live = false }
  }, [wallet.status, wallet.address])

  return (
    <div className='page library'>
      <TopBar />
      <main>
        <h1 className='page-title'>{t('library.title')}</h1>
        {wallet.status !== 'connected' && (
          <section className='empty'>
            <p>{t('library.connectText')}</p>
            <button type='button' className='primary' onClick={() => { void connectWallet() }}>{t('library.connect')}</button>
          </section>
        )}
        {wallet.status === 'connected' && <p className='muted library-for'>{t('library.for')} <span className='mono'>{wallet.address}</span>{wallet.kind === 'dev' ? ` (${devWalletLabel()})` : ''}</p>}
        {shelf.kind === 'loading' && <p className='muted' aria-busy='true'>{t('library.reading')}</p>}
        {shelf.kind === 'error' && <p className='notice' role='alert'><strong>{shelf.error.title}.</strong> {shelf.error.hint} <code>{shelf.error.code}</code></p>}
        {shelf.kind === 'ready' && <OwnedShelves owned={shelf.owned} me={wallet.address!} />}

        <section className='shelf' aria-labelledby='history-h'>
          <div className='shelf-head'>
            <h2 id='history-h'>{t('library.history')}</h2>
            {history.length > 0 && <button type='button' onClick={() => { clearHistory(); setHistory([]) }}>{t('library.clearHistory')}</button>}
          </div>
          <p className='muted small'>{t('library.localOnly')}</p>
          {history.length === 0
            ? <p className='muted'>{t('library.nothingWatched')}</p>
            : <ul className='rows' aria-label={t('library.watched')}>{history.map(h => <li key={h.id}><a href={`/watch/video/${h.id}`} data-video={h.id}>{h.title}</a> <span className='muted small'>{ago(h.at / 1000)}</span></li>)}</ul>}
        </section>
      </main>
    </div>
  )
}

function OwnedShelves ({ owned, me }: { owned: Owned, me: string }): ReactElement {
  const listed = owned.bought.flatMap(b => b.listed === undefined ? [] : [b.listed])
  const unlisted = owned.bought.filter(b => b.listed === undefined)
  const now = BigInt(Math.floor(Date.now() / 1000))
  return (
    <>
      {owned.refundable.length > 0 && (
        <section className='shelf' aria-labelledby='refundable-h'>
          <h2 id='refundable-h'>{t('library.refundable')}</h2>
          <p className='muted small'>{t('library.refundableText')}</p>
          <ul className='rows' aria-label={t('library.refundablePurchases')}>
            {owned.refundable.map(r => {
              const v = refundView(r, me, now)
              if (v.state !== 'refundable') return null
              return (
                <li key={r.id} data-refundable={r.id}>
                  <a href={`/watch/video/${r.id}`}>{r.title ?? t('library.video', { id: shortAddress(r.id) })}</a>{' '}
                  <span className='muted small'>{v.amount} · {t('library.refundableUntil')} <time dateTime={new Date(Number(v.until) * 1000).toISOString()}>{v.deadline}</time> ({v.left})</span>{' '}
                  <a className='button' href={`/watch/video/${r.id}`} data-action='refund-on-page'>{t('library.refund')}</a>
                </li>
              )
            })}
          </ul>
        </section>
      )}
      <section className='shelf' aria-labelledby='bought-h'>
        <h2 id='bought-h'>{t('library.bought')}</h2>
        {owned.bought.length === 0 && <p className='muted'>{t('library.nothingBought')} <a href='/'>{t('library.find')}</a>.</p>}
        {listed.length > 0 && <VideoGrid videos={listed} label={t('library.boughtVideos')} />}
        {unlisted.length > 0 && (
          <ul className='rows' aria-label={t('library.boughtUnlisted')}>
            {unlisted.map(b => <li key={b.id}><a href={`/watch/video/${b.id}`} data-video={b.id}>{t('library.video', { id: shortAddress(b.id) })}</a> <span className='muted small'>{untilLabel(b.until, now)}</span></li>)}
          </ul>
        )}
      </section>
      <section className='shelf' aria-labelledby='subs-h'>
        <h2 id='subs-h'>{t('library.subscriptions')}</h2>
        {owned.subscriptions.length === 0
          ? <p className='muted'>{t('library.noSubscriptions')}</p>
          : <ul className='rows' aria-label={t('library.subscriptions')}>{owned.subscriptions.map(s => <li key={s.creator} data-creator={s.creator}><span className='mono'>{shortAddress(s.creator)}</span> <span className='muted small'>{untilLabel(s.until, now)}</span></li>)}</ul>}
      </section>
    </>
  )
}

function untilLabel (until: bigint, now: bigint): string {
  if (until === FOREVER) return t('library.forGood')
  if (until <= now) return t('library.ended')
  return t('library.until', { date: formatDate(Number(until) * 1000, { dateStyle: 'medium' }) })
}

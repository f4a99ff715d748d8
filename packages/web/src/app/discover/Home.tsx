/**
 * `/`: what is on the network — trending (when anything was bought lately), the latest videos,
 * categories — and a box for a link someone sent.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { fetchPeerDirectory } from '@p2pdv/sdk/player'
import { userError, type UserError } from '../errors.ts'
import { LockIcon } from '../icons.tsx'
import { TopBar } from '../TopBar.tsx'
import { CATEGORIES, categoryLabel, searchVideos, type ListedVideo } from './api.ts'
import { LinkForm } from './LinkForm.tsx'
import { VideoGrid } from './VideoCard.tsx'
import { t } from '../i18n/index.ts'

type Shelf = { kind: 'loading' } | { kind: 'ready', videos: ListedVideo[] } | { kind: 'error', error: UserError }

export function Home (): ReactElement {
  const [nodes, setNodes] = useState<number | undefined>()
  const [latest, setLatest] = useState<Shelf>({ kind: 'loading' })
  const [trending, setTrending] = useState<ListedVideo[]>([])

  useEffect(() => {
    document.title = t('home.docTitle')
    const ctrl = new AbortController()
    fetchPeerDirectory(window.location.origin, ctrl.signal).then(p => { setNodes(p.length) }, () => { setNodes(0) })
    searchVideos({ sort: 'latest', limit: 24 }, ctrl.signal).then(p => { setLatest({ kind: 'ready', videos: p.videos }) }, err => { if (!ctrl.signal.aborted) setLatest({ kind: 'error', error: userError(err) }) })
    searchVideos({ sort: 'trending', limit: 8 }, ctrl.signal).then(p => { setTrending(p.videos) }, () => {})
    return () => { ctrl.abort() }
  }, [])

  return (
    <div className='page home'>
      <TopBar nodes={nodes} />
      <main>
        <section className='intro'>
          <p className='eyebrow'><LockIcon /> {t('home.eyebrow')}</p>
          <h1>{t('home.headline')}</h1>
          <p className='lede'>{t('home.lede')}</p>
        </section>

        <nav className='categories' aria-label={t('home.categories')}>
          <ul>{CATEGORIES.map(c => <li key={c}><a className='chip' href={`/search?category=${c}`}>{categoryLabel(c)}</a></li>)}</ul>
        </nav>

        {trending.length > 0 && (
          <section className='shelf' aria-labelledby='trending-h'>
            <h2 id='trending-h'>{t('home.trending')}</h2>
            <VideoGrid videos={trending} label={t('home.trendingVideos')} />
          </section>
        )}

        <section className='shelf' aria-labelledby='latest-h' aria-busy={latest.kind === 'loading'}>
          <h2 id='latest-h'>{t('home.latest')}</h2>
          {latest.kind === 'loading' && <SkeletonGrid />}
          {latest.kind === 'error' && <p className='notice' role='alert'><strong>{latest.error.title}.</strong> {latest.error.hint} <code>{latest.error.code}</code></p>}
          {latest.kind === 'ready' && latest.videos.length === 0 && (
            <div className='empty'>
              <p>{t('home.empty')}</p>
              <p className='muted'>{t('home.emptyHint')} <code>{t('home.emptyCommand')}</code></p>
            </div>
          )}
          {latest.kind === 'ready' && latest.videos.length > 0 && <VideoGrid videos={latest.videos} label={t('home.latestVideos')} />}
        </section>

        <section className='have-link' aria-labelledby='link-h'>
          <h2 id='link-h'>{t('home.haveLink')}</h2>
          <p className='muted'>{t('home.haveLinkText1')} <code>#</code> {t('home.haveLinkText2')}</p>
          <LinkForm />
        </section>
      </main>
      <footer className='footer'>{t('home.footer')}</footer>
    </div>
  )
}

export function SkeletonGrid (): ReactElement {
  return <ul className='video-grid skeleton' aria-hidden='true'>{Array.from({ length: 8 }, (_, i) => <li key={i} className='video-card'><div className='cover' /><span className='bar' /><span className='bar short' /></li>)}</ul>
}

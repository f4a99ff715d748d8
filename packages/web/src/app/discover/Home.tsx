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

type Shelf = { kind: 'loading' } | { kind: 'ready', videos: ListedVideo[] } | { kind: 'error', error: UserError }

export function Home (): ReactElement {
  const [nodes, setNodes] = useState<number | undefined>()
  const [latest, setLatest] = useState<Shelf>({ kind: 'loading' })
  const [trending, setTrending] = useState<ListedVideo[]>([])

  useEffect(() => {
    document.title = 'P2PDEVIDEO — encrypted video, served by peers'
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
          <p className='eyebrow'><LockIcon /> End-to-end encrypted · peer to peer</p>
          <h1>Watch what people share, straight from the network.</h1>
          <p className='lede'>Every video is sealed on its creator's computer and opened only in your browser. Nodes run by anyone store the pieces; none of them can see the picture.</p>
        </section>

        <nav className='categories' aria-label='Categories'>
          <ul>{CATEGORIES.map(c => <li key={c}><a className='chip' href={`/search?category=${c}`}>{categoryLabel(c)}</a></li>)}</ul>
        </nav>

        {trending.length > 0 && (
          <section className='shelf' aria-labelledby='trending-h'>
            <h2 id='trending-h'>Trending</h2>
            <VideoGrid videos={trending} label='Trending videos' />
          </section>
        )}

        <section className='shelf' aria-labelledby='latest-h' aria-busy={latest.kind === 'loading'}>
          <h2 id='latest-h'>Latest</h2>
          {latest.kind === 'loading' && <SkeletonGrid />}
          {latest.kind === 'error' && <p className='notice' role='alert'><strong>{latest.error.title}.</strong> {latest.error.hint} <code>{latest.error.code}</code></p>}
          {latest.kind === 'ready' && latest.videos.length === 0 && (
            <div className='empty'>
              <p>Nothing is listed on this network yet.</p>
              <p className='muted'>Publish the first video from a terminal: <code>npx p2pdv upload ./talk.mp4 --title "My talk"</code></p>
            </div>
          )}
          {latest.kind === 'ready' && latest.videos.length > 0 && <VideoGrid videos={latest.videos} label='Latest videos' />}
        </section>

        <section className='have-link' aria-labelledby='link-h'>
          <h2 id='link-h'>Have a link?</h2>
          <p className='muted'>Private videos are not listed. Paste the link you were sent; the part after <code>#</code> is the key and never leaves this tab.</p>
          <LinkForm />
        </section>
      </main>
      <footer className='footer'>P2PDEVIDEO · open source · your key never leaves this tab</footer>
    </div>
  )
}

export function SkeletonGrid (): ReactElement {
  return <ul className='video-grid skeleton' aria-hidden='true'>{Array.from({ length: 8 }, (_, i) => <li key={i} className='video-card'><div className='cover' /><span className='bar' /><span className='bar short' /></li>)}</ul>
}

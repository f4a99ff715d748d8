/**
 * The studio: My videos `/`, Upload `/upload`, Channel `/channel`, Earnings `/earnings` and one video on chain
 * `/videos/0x…`, switched in place (history API).
 */
import { useEffect, useState, type ReactElement } from 'react'
import { call, takeToken, type Session } from './api.ts'
import { ChannelPage } from './ChannelPage.tsx'
import { EarningsPage } from './EarningsPage.tsx'
import { ManageVideoPage } from './ManageVideoPage.tsx'
import { UploadPage } from './UploadPage.tsx'
import { VideosPage } from './VideosPage.tsx'

type Route = '/' | '/upload' | '/channel' | '/earnings' | `/videos/${string}`

function routeOf (path: string): Route {
  if (path === '/upload' || path === '/channel' || path === '/earnings') return path
  if (/^\/videos\/0x[0-9a-fA-F]{64}$/.test(path)) return path as Route
  return '/'
}

export function StudioApp (): ReactElement {
  const [token] = useState(() => takeToken())
  const [route, setRoute] = useState<Route>(routeOf(window.location.pathname))
  const [session, setSession] = useState<Session | undefined>()
  useEffect(() => {
    const onPop = (): void => { setRoute(routeOf(window.location.pathname)) }
    window.addEventListener('popstate', onPop)
    return () => { window.removeEventListener('popstate', onPop) }
  }, [])
  useEffect(() => { if (token !== undefined) call<Session>('/api/session').then(setSession, () => {}) }, [token])
  const go = (to: Route) => (e?: { preventDefault: () => void }): void => {
    e?.preventDefault()
    history.pushState(null, '', to)
    setRoute(to)
  }
  return (
    <div className='page studio'>
      <header className='topbar'>
        <a href='/' className='brand' onClick={go('/')}><img src='/assets/favicon.svg' alt='' width={28} height={28} /> <span className='brand-name'>P2PDEVIDEO</span> <span className='studio-tag'>Studio</span></a>
        <nav className='studio-nav' aria-label='Studio'>
          <a href='/' className={route === '/' ? 'on' : ''} aria-current={route === '/' ? 'page' : undefined} onClick={go('/')}>My videos</a>
          <a href='/upload' className={route === '/upload' ? 'on' : ''} aria-current={route === '/upload' ? 'page' : undefined} onClick={go('/upload')}>Upload</a>
          {session?.chain === true && <a href='/channel' className={route === '/channel' ? 'on' : ''} aria-current={route === '/channel' ? 'page' : undefined} onClick={go('/channel')}>Channel</a>}
          {session?.chain === true && <a href='/earnings' className={route === '/earnings' ? 'on' : ''} aria-current={route === '/earnings' ? 'page' : undefined} onClick={go('/earnings')}>Earnings</a>}
        </nav>
        <span className='net up' title='Sealed on this machine with your keys; nodes only ever see ciphertext'>
          <span className='dot' /><span className='net-label'>{session?.account === null || session?.account === undefined ? 'local studio' : `as ${session.account}`}</span>
        </span>
      </header>
      {token === undefined
        ? (
          <section className='error-panel' role='alert'>
            <h2>This page needs the studio's link</h2>
            <p className='error-hint'>Open the link <code>p2pdv studio</code> printed in your terminal: its <code>#token=…</code> part lets this page use your studio. [ERR_STUDIO_TOKEN]</p>
          </section>
          )
        : route === '/upload'
          ? <UploadPage session={session} onDone={go('/')} />
          : route === '/earnings'
            ? <EarningsPage />
            : route === '/channel'
              ? <ChannelPage />
            : route.startsWith('/videos/')
              ? <ManageVideoPage id={route.slice('/videos/'.length)} onBack={go('/')} />
              : <VideosPage session={session} onUpload={go('/upload')} onManage={id => { go(`/videos/${id}`)() }} />}
      <footer className='footer studio-foot'>Everything here runs on this computer: your video is transcoded and encrypted before it leaves it.</footer>
    </div>
  )
}

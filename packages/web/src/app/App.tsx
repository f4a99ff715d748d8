/** Routes: home `/`, search `/search`, a creator's channel `/channel/<address>`, the library `/library`, settings `/settings`, the node dashboard `/node`, the watch page `/watch/<manifest CID>#<key>` or `/watch/video/<id>`, a live stream `/watch/live/<stream>#<key>` (or without `#<key>` for a stream on chain: keys from its keepers). */
import { lazy, Suspense, type ReactElement } from 'react'
import { Home } from './discover/Home.tsx'
import { SearchPage } from './discover/SearchPage.tsx'
import { LibraryPage } from './library/LibraryPage.tsx'
import { NodePage } from './node/NodePage.tsx'
import { WatchPage } from './watch/WatchPage.tsx'
import { RatingGate } from './settings/RatingGate.tsx'
import { MAX_RATING, maxRating } from './settings/preferences.ts'
import { SettingsPage } from './settings/SettingsPage.tsx'
import { LiveWatchPage } from './watch/LiveWatchPage.tsx'

// Its own chunk: loaded only when a channel is opened.
const ChannelPage = lazy(async () => ({ default: (await import('./discover/ChannelPage.tsx')).ChannelPage }))

export function App (): ReactElement {
  const path = window.location.pathname
  const channel = /^\/channel\/(0x[0-9a-fA-F]{40})\/?$/.exec(path)?.[1]
  if (channel !== undefined) return <Suspense fallback={<div className='page' />}><ChannelPage address={channel} /></Suspense>
  if (path.startsWith('/watch/live/')) return <LiveWatchPage />
  // A viewer who limits ratings gets a video on chain only once its rating is known to be allowed.
  const video = /^\/watch\/video\/(0x[0-9a-fA-F]{64})$/.exec(path)?.[1]
  if (video !== undefined && maxRating() < MAX_RATING) return <RatingGate id={video}>{() => <WatchPage />}</RatingGate>
  if (path.startsWith('/watch/')) return <WatchPage />
  if (path === '/settings') return <SettingsPage />
  if (path === '/search') return <SearchPage />
  if (path === '/library') return <LibraryPage />
  if (path === '/node') return <NodePage />
  return <Home />
}

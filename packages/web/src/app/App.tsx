/** Routes: home `/`, search `/search`, the library `/library`, the node dashboard `/node`, the watch page `/watch/<manifest CID>#<key>` or `/watch/video/<id>`, a live stream `/watch/live/<stream>#<key>` (or without `#<key>` for a stream on chain: keys from its keepers). */
import type { ReactElement } from 'react'
import { Home } from './discover/Home.tsx'
import { SearchPage } from './discover/SearchPage.tsx'
import { LibraryPage } from './library/LibraryPage.tsx'
import { NodePage } from './node/NodePage.tsx'
import { WatchPage } from './watch/WatchPage.tsx'
import { LiveWatchPage } from './watch/LiveWatchPage.tsx'

export function App (): ReactElement {
  const path = window.location.pathname
  if (path.startsWith('/watch/live/')) return <LiveWatchPage />
  if (path.startsWith('/watch/')) return <WatchPage />
  if (path === '/search') return <SearchPage />
  if (path === '/library') return <LibraryPage />
  if (path === '/node') return <NodePage />
  return <Home />
}

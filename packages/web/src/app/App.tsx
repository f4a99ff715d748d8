/** Two pages: the landing page at `/`, the watch page at `/watch/<manifest CID>#<key>`. */
import type { ReactElement } from 'react'
import { Landing } from './Landing.tsx'
import { WatchPage } from './watch/WatchPage.tsx'

export function App (): ReactElement {
  const path = window.location.pathname
  if (path.startsWith('/watch/')) return <WatchPage />
  return <Landing />
}

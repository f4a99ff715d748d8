/**
 * Routes: home `/`, search `/search`, a creator's channel `/channel/<address>`, the library `/library`, settings `/settings`, the node
 * dashboard `/node`, the watch page `/watch/<manifest CID>#<key>` or `/watch/video/<id>`, a live
 * stream `/watch/live/<stream>#<key>` (or without `#<key>` for a stream on chain: keys from its
 * keepers).
 *
 * Each route's page is a chunk of its own, loaded for that route only: the player (hls.js alone is
 * ~580 KB minified) is not downloaded and compiled to show the home page's cards. The node names a
 * route's chunks in its HTML (`modulepreload`, server/web-app.ts `ROUTE_MODULES`), so they download
 * beside the entry instead of after it has run: a watch page starts no later than before.
 */
import type { ReactElement } from 'react'
import { MAX_RATING, maxRating } from './settings/preferences.ts'

export type Page = (props: object) => ReactElement

/** The page for a path (a full page load per route: links are plain `<a href>`). */
export async function pageFor (path: string): Promise<Page> {
  const channel = /^\/channel\/(0x[0-9a-fA-F]{40})\/?$/.exec(path)?.[1]
  if (channel !== undefined) {
    const { ChannelPage } = await import('./discover/ChannelPage.tsx')
    return () => <ChannelPage address={channel} />
  }
  if (path.startsWith('/watch/live/')) return (await import('./watch/LiveWatchPage.tsx')).LiveWatchPage
  // A viewer who limits ratings gets a video on chain only once its rating is known to be allowed.
  const video = /^\/watch\/video\/(0x[0-9a-fA-F]{64})$/.exec(path)?.[1]
  if (video !== undefined && maxRating() < MAX_RATING) {
    const [{ RatingGate }, { WatchPage }] = await Promise.all([import('./settings/RatingGate.tsx'), import('./watch/WatchPage.tsx')])
    return () => <RatingGate id={video}>{() => <WatchPage />}</RatingGate>
  }
  if (path.startsWith('/watch/')) return (await import('./watch/WatchPage.tsx')).WatchPage
  if (path === '/settings') return (await import('./settings/SettingsPage.tsx')).SettingsPage
  if (path === '/search') return (await import('./discover/SearchPage.tsx')).SearchPage
  if (path === '/library') return (await import('./library/LibraryPage.tsx')).LibraryPage
  if (path === '/node') return (await import('./node/NodePage.tsx')).NodePage
  return (await import('./discover/Home.tsx')).Home
}

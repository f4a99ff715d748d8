/**
 * `/watch/live/<stream id>#<link secret>`: a live stream (the link `p2pdv live start` prints).
 * Learns the nodes from the node that served the page, follows the stream's announcements
 * (LiveSource: each one signature-checked), and plays its sliding playlist near the live edge.
 *
 * `/watch/live/<stream id>` without a fragment: a stream registered on chain (paid, subscribers,
 * private). Its announcements name its video; the page asks the keepers for each epoch key as this
 * page's viewer (the injected wallet, else the devnet wallet the page keeps), prefetching the next
 * one when an announcement says it is handed over. A refused key stops playback at that epoch's
 * first segment with ERR_ACCESS_DENIED, and the panel below says what opens the stream. A viewer
 * who limits ratings (Settings) gets no epoch key until the stream's rating on chain is known to be
 * within the limit: above it, or not known, playback stops with ERR_RATING_HIDDEN /
 * ERR_RATING_UNKNOWN before anything is decrypted. A stream opened by a link with its key has no
 * rating (it is not on chain) and plays, as a VOD link does.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ReactElement } from 'react'
import { LiveSource, PeerSet, fetchPeerDirectory, type LiveEpochKeyProvider, type LiveSourceStats, type PendingSource } from '@p2pdv/sdk/player'
import { parseLiveLink, type LiveAnnouncement } from '@p2pdv/core/live'
import { P2pdvError } from '@p2pdv/core/errors'
import type { VideoId } from '@p2pdv/core/keys'
import type { VideoInfo } from '@p2pdv/chain'
import type { ListedVideo } from '../discover/api.ts'
import { VideoActions } from '../discover/VideoActions.tsx'
import { userError, type UserError } from '../errors.ts'
import { formatBytes } from '../format.ts'
import { LockIcon } from '../icons.tsx'
import { liveFromPath } from '../links.ts'
import { MAX_RATING, RATINGS, maxRating } from '../settings/preferences.ts'
import { ratingOf } from '../settings/rating-of.ts'
import { TopBar } from '../TopBar.tsx'
import { ErrorPanel } from './ErrorPanel.tsx'
import { LiveChatPanel } from './LiveChatPanel.tsx'
import { Player } from './Player.tsx'
import type { PlayerController, PlayerState } from './controller.ts'
import { useReloadOnHashChange } from './reload-on-hash.ts'
import { formatNumber, locale, t } from '../i18n/index.ts'

/** The player has less than this buffered at the edge: time to ask whether the stream ended. */
const EDGE_BUFFER_SECONDS = 0.5
const WATCHDOG_MS = 1000

/** What the page exposes for diagnostics and tests (no key material). */
export interface LiveDiagnostics {
  stats: () => LiveSourceStats
  controller: () => PlayerController | undefined
}

declare global {
  interface Window { p2pdvLive?: LiveDiagnostics }
}

interface Opening extends PendingSource { source: LiveSource | undefined, error: UserError | undefined, keeper: KeeperKeys | undefined }

/** Announcements kept while the keepers' code loads. */
const MAX_EARLY_ANNOUNCEMENTS = 512

/**
 * The keepers' side (live-keeper-keys.ts, a chunk loaded only for such streams): announcements
 * are handed on once it has loaded; the video id is reported from the first one that names it.
 */
interface KeeperKeys extends LiveEpochKeyProvider {
  videoInfo: (video: VideoId) => Promise<VideoInfo>
  close: () => void
}

/** Resolves when the stream's rating on chain is at most `limit`; a coded error otherwise (fails closed). */
async function ratingWithin (video: VideoId, limit: number): Promise<void> {
  const rating = await ratingOf(video).catch(() => undefined)
  if (rating === undefined) throw new P2pdvError('ERR_RATING_UNKNOWN', 'the stream\'s rating could not be read from the chain, and your settings limit ratings', { hint: 'Reload the page to try again; Settings can lift the limit (with the PIN, if one is set).' })
  if (rating > limit) throw new P2pdvError('ERR_RATING_HIDDEN', `this stream is rated ${RATINGS[rating] ?? rating}; this browser shows up to ${RATINGS[limit]}`, { hint: 'Settings can change the limit (with the PIN, if one is set).' })
}

function keeperKeys (stream: string, onVideo: (video: VideoId) => void): KeeperKeys {
  const loaded = import('../live-keeper-keys.ts').then(m => new m.BrowserLiveKeys({ stream, origin: window.location.origin }))
  let impl: Awaited<typeof loaded> | undefined
  let early: LiveAnnouncement[] = []
  let video: VideoId | undefined
  let named: (v: VideoId) => void = () => {}
  const videoNamed = new Promise<VideoId>(resolve => { named = resolve })
  // With a rating limit, the keepers' side sees no announcement (it prefetches keys from them)
  // and no key is asked for until the stream's rating is known to be within the limit.
  const limit = maxRating()
  const allowed = limit >= MAX_RATING ? Promise.resolve() : videoNamed.then(async v => { await ratingWithin(v, limit) })
  // Key requests go through `ready`, so the announcements kept so far reach the keepers' side first.
  const ready = Promise.all([loaded, allowed]).then(([k]) => { impl = k; for (const a of early) k.observe(a); early = []; return k })
  ready.catch(() => {})
  return {
    observe: a => {
      if (video === undefined && a.key.kind === 'keeper') { onVideo(video = a.key.video as VideoId); named(video) }
      if (impl !== undefined) impl.observe(a)
      else if (early.length < MAX_EARLY_ANNOUNCEMENTS) early.push(a)
    },
    keyFor: async epoch => await (await ready).keyFor(epoch),
    videoInfo: async v => await (await loaded).videoInfo(v),
    // Also when the rating gate never handed it an announcement.
    close: () => { void loaded.then(k => { k.close() }, () => {}) }
  }
}

function openFromLocation (onVideo: (video: VideoId) => void): Opening {
  const stream = liveFromPath(window.location.pathname) ?? ''
  let resolve: (s: LiveSource) => void = () => {}
  const ready = new Promise<LiveSource>(r => { resolve = r })
  try {
    const peers = new PeerSet([])
    let source: LiveSource
    let keeper: KeeperKeys | undefined
    if (window.location.hash.length <= 1 && stream !== '') {
      // No key in the link: a stream registered on chain; its keepers give each epoch key.
      keeper = keeperKeys(stream, onVideo)
      source = LiveSource.open({ keeper: { stream, keys: keeper }, peers })
    } else {
      const link = parseLiveLink(`p2pdv://live/${stream}${window.location.hash}`)
      source = LiveSource.open({ link, peers })
      link.secret.fill(0)
    }
    // The nodes come from the serving node's directory; the feed waits for them.
    void fetchPeerDirectory(window.location.origin).then(list => { for (const p of list) peers.add(p) }, () => {})
    resolve(source)
    return { manifestCid: source.manifestCid, ready, source, error: undefined, keeper }
  } catch (err) {
    return { manifestCid: `live-${stream}`, ready, source: undefined, error: userError(err), keeper: undefined }
  }
}

export function LiveWatchPage (): ReactElement {
  // A keeper-gated stream's video id, from its first announcement (for the access panel).
  const [video, setVideo] = useState<VideoId | undefined>()
  const [opening] = useState(() => openFromLocation(v => { setVideo(v) }))
  const controllerRef = useRef<PlayerController | undefined>(undefined)
  const [controller, setController] = useState<PlayerController | undefined>()
  const playerState: PlayerState | undefined = useSyncExternalStore(controller?.subscribe ?? noSubscribe, controller?.snapshot ?? noSnapshot)
  const onController = useCallback((c: PlayerController | undefined) => { controllerRef.current = c; setController(c) }, [])

  useLayoutEffect(() => {
    const source = opening.source
    if (source === undefined) return
    window.p2pdvLive = { stats: () => structuredClone(source.stats), controller: () => controllerRef.current }
    document.title = t('app.pageTitle', { title: t('live.docTitle') })
    // A player waiting at the live edge with nothing coming: the stream ended, or never existed.
    const watchdog = setInterval(() => {
      const c = controllerRef.current
      if (c === undefined || c.snapshot().error !== undefined) return
      const err = source.edgeError()
      if (err !== undefined && c.bufferAhead() < EDGE_BUFFER_SECONDS) c.fail(err)
    }, WATCHDOG_MS)
    return () => { clearInterval(watchdog); source.close(); opening.keeper?.close() }
  }, [opening])

  useReloadOnHashChange()

  return (
    <div className='page watch'>
      <TopBar nodes={undefined} />
      <main className='watch-main'>
        {opening.error === undefined
          ? <Player video={opening} source={opening.source} live onController={onController} />
          : <div className='player placeholder'><ErrorPanel error={opening.error} /></div>}
        {video !== undefined && opening.keeper !== undefined && playerState?.error?.code === 'ERR_ACCESS_DENIED' && <LiveAccess video={video} keeper={opening.keeper} />}
        {opening.source !== undefined && <LiveInfo source={opening.source} controller={controller} />}
        {opening.source !== undefined && <LiveChatPanel source={opening.source} />}
      </main>
    </div>
  )
}

const noSubscribe = (): (() => void) => () => {}
const noSnapshot = (): undefined => undefined

function LiveInfo ({ source, controller }: { source: LiveSource, controller: PlayerController | undefined }): ReactElement {
  const [stats, setStats] = useState<LiveSourceStats>(() => structuredClone(source.stats))
  const state: PlayerState | undefined = useSyncExternalStore(controller?.subscribe ?? noSubscribe, controller?.snapshot ?? noSnapshot)
  useEffect(() => {
    const timer = setInterval(() => { setStats(structuredClone(source.stats)) }, 1000)
    return () => { clearInterval(timer) }
  }, [source])
  const renditions = source.renditionList()
  return (
    <section className='video-info'>
      <h1>{t('live.title')}</h1>
      <p className='meta'>
        {renditions.length > 0 && <span>{renditions.map(r => r.name).join(' · ')}</span>}
        <span className='badge'><LockIcon size={14} /> {t('watch.decrypted')}</span>
      </p>
      <dl className='net-stats' aria-label={t('watch.network')}>
        <div><dt>{t('live.latency')}</dt><dd data-stat='latency'>{state?.latency === undefined ? '–' : t('live.seconds', { n: formatNumber(state.latency, locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) })}</dd></div>
        <div><dt>{t('live.announcements')}</dt><dd data-stat='announcements'>{stats.announcements}</dd></div>
        <div><dt>{t('watch.blocks')}</dt><dd data-stat='blocks'>{stats.blocks}</dd></div>
        <div><dt>{t('watch.received')}</dt><dd>{formatBytes(stats.bytes)}</dd></div>
        <div><dt>{t('live.epochs')}</dt><dd data-stat='epochs'>{stats.epochs}</dd></div>
        <div><dt>{t('watch.rejected')}</dt><dd data-stat='rejected'>{stats.rejectedBlocks}</dd></div>
        <div><dt>{t('watch.failovers')}</dt><dd>{stats.failedAttempts}</dd></div>
        {stats.refusedAnnouncements > 0 && <div><dt>{t('live.refused')}</dt><dd>{stats.refusedAnnouncements}</dd></div>}
      </dl>
    </section>
  )
}

/**
 * Under a keeper-gated stream this account may not watch: what opens it (Buy / Subscribe, as on a
 * listed video's page, from the stream's policy and price on chain). Access confirmed → reload:
 * the keepers are asked again.
 */
function LiveAccess ({ video, keeper }: { video: VideoId, keeper: KeeperKeys }): ReactElement | null {
  const [info, setInfo] = useState<VideoInfo | undefined>()
  useEffect(() => {
    let live = true
    keeper.videoInfo(video).then(v => { if (live) setInfo(v) }, () => {})
    return () => { live = false }
  }, [video, keeper])
  if (info === undefined) return null
  if (info.policy === 'private') {
    return <section className='video-details live-access' data-price-state='private'><p><strong>{t('live.private')}</strong> <span className='muted small'>{t('live.privateText', { address: window.p2pdvViewer?.address ?? t('live.yourAddress') })}</span></p></section>
  }
  const listed: ListedVideo = {
    id: video, owner: info.owner, listingCid: info.listingCid, manifestCid: info.manifestCid,
    policy: info.policy === 'subscribers' ? 'subscribers' : info.policy === 'public' ? 'public' : 'paid',
    rating: info.rating, registeredAt: Number(info.registeredAt), title: t('live.title'), tags: [], durationSeconds: 0,
    createdAt: 0, updatedAt: 0, recentPurchases: 0,
    ...(info.price === undefined ? {} : { price: { asset: info.price.asset, amount: info.price.amount, durationSeconds: info.price.duration } })
  }
  return <section className='video-details live-access'><VideoActions video={listed} onAccess={() => { window.location.reload() }} /></section>
}

/**
 * `/watch/live/<stream id>#<link secret>`: a live stream (the link `p2pdv live start` prints).
 * Learns the nodes from the node that served the page, follows the stream's announcements
 * (LiveSource: each one signature-checked), and plays its sliding playlist near the live edge.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ReactElement } from 'react'
import { LiveSource, PeerSet, fetchPeerDirectory, type LiveSourceStats, type PendingSource } from '@p2pdv/sdk/player'
import { parseLiveLink } from '@p2pdv/core/live'
import { userError, type UserError } from '../errors.ts'
import { formatBytes } from '../format.ts'
import { LockIcon } from '../icons.tsx'
import { liveFromPath } from '../links.ts'
import { TopBar } from '../TopBar.tsx'
import { ErrorPanel } from './ErrorPanel.tsx'
import { Player } from './Player.tsx'
import type { PlayerController, PlayerState } from './controller.ts'
import { useReloadOnHashChange } from './reload-on-hash.ts'

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

interface Opening extends PendingSource { source: LiveSource | undefined, error: UserError | undefined }

function openFromLocation (): Opening {
  const stream = liveFromPath(window.location.pathname) ?? ''
  let resolve: (s: LiveSource) => void = () => {}
  const ready = new Promise<LiveSource>(r => { resolve = r })
  try {
    const link = parseLiveLink(`p2pdv://live/${stream}${window.location.hash}`)
    const peers = new PeerSet([])
    const source = LiveSource.open({ link, peers })
    link.secret.fill(0)
    // The nodes come from the serving node's directory; the feed waits for them.
    void fetchPeerDirectory(window.location.origin).then(list => { for (const p of list) peers.add(p) }, () => {})
    resolve(source)
    return { manifestCid: source.manifestCid, ready, source, error: undefined }
  } catch (err) {
    return { manifestCid: `live-${stream}`, ready, source: undefined, error: userError(err) }
  }
}

export function LiveWatchPage (): ReactElement {
  const [opening] = useState(openFromLocation)
  const controllerRef = useRef<PlayerController | undefined>(undefined)
  const [controller, setController] = useState<PlayerController | undefined>()
  const onController = useCallback((c: PlayerController | undefined) => { controllerRef.current = c; setController(c) }, [])

  useLayoutEffect(() => {
    const source = opening.source
    if (source === undefined) return
    window.p2pdvLive = { stats: () => structuredClone(source.stats), controller: () => controllerRef.current }
    document.title = 'Live · P2PDEVIDEO'
    // A player waiting at the live edge with nothing coming: the stream ended, or never existed.
    const watchdog = setInterval(() => {
      const c = controllerRef.current
      if (c === undefined || c.snapshot().error !== undefined) return
      const err = source.edgeError()
      if (err !== undefined && c.bufferAhead() < EDGE_BUFFER_SECONDS) c.fail(err)
    }, WATCHDOG_MS)
    return () => { clearInterval(watchdog); source.close() }
  }, [opening])

  useReloadOnHashChange()

  return (
    <div className='page watch'>
      <TopBar nodes={undefined} />
      <main className='watch-main'>
        {opening.error === undefined
          ? <Player video={opening} source={opening.source} live onController={onController} />
          : <div className='player placeholder'><ErrorPanel error={opening.error} /></div>}
        {opening.source !== undefined && <LiveInfo source={opening.source} controller={controller} />}
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
    const t = setInterval(() => { setStats(structuredClone(source.stats)) }, 1000)
    return () => { clearInterval(t) }
  }, [source])
  const renditions = source.renditionList()
  return (
    <section className='video-info'>
      <h1>Live stream</h1>
      <p className='meta'>
        {renditions.length > 0 && <span>{renditions.map(r => r.name).join(' · ')}</span>}
        <span className='badge'><LockIcon size={14} /> decrypted in this browser</span>
      </p>
      <dl className='net-stats' aria-label='Network'>
        <div><dt>latency</dt><dd data-stat='latency'>{state?.latency === undefined ? '–' : `${state.latency.toFixed(1)} s`}</dd></div>
        <div><dt>segments announced</dt><dd data-stat='announcements'>{stats.announcements}</dd></div>
        <div><dt>blocks verified</dt><dd data-stat='blocks'>{stats.blocks}</dd></div>
        <div><dt>received</dt><dd>{formatBytes(stats.bytes)}</dd></div>
        <div><dt>epoch keys</dt><dd data-stat='epochs'>{stats.epochs}</dd></div>
        <div><dt>bad copies dropped</dt><dd data-stat='rejected'>{stats.rejectedBlocks}</dd></div>
        <div><dt>failovers</dt><dd>{stats.failedAttempts}</dd></div>
        {stats.refusedAnnouncements > 0 && <div><dt>forged announcements refused</dt><dd>{stats.refusedAnnouncements}</dd></div>}
      </dl>
    </section>
  )
}

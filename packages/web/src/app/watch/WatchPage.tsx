/**
 * `/watch/<manifest CID>#<key>`: obtains the key (KeySource), learns the nodes from the node that
 * served the page, opens the sealed manifest, then hands the video to the player.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactElement } from 'react'
import { P2pdvError } from '@p2pdv/core/errors'
import type { CID } from '@p2pdv/core'
import { fetchPeerDirectory, PeerDelivery, PeerSet, prefetchBlock, VideoSource, type PeerDeliveryStats, type PendingVideo, type VideoSourceStats } from '@p2pdv/sdk/player'
import { userError, type UserError } from '../errors.ts'
import { formatBytes, formatTime } from '../format.ts'
import { LockIcon } from '../icons.tsx'
import { FragmentKeySource, type KeySource } from '../key-source.ts'
import { manifestFromPath, videoFromPath } from '../links.ts'
import { takeBoot } from '../early.ts'
import { TopBar } from '../TopBar.tsx'
import { posterUrl } from './media-extras.ts'
import { Player } from './Player.tsx'
import { VideoDetails } from '../discover/VideoDetails.tsx'
import { ErrorPanel } from './ErrorPanel.tsx'
import type { PlayerController } from './controller.ts'
import { p2pAllowed, SwarmSession } from './p2p.ts'
import { P2pPanel } from './P2pPanel.tsx'
import { useReloadOnHashChange } from './reload-on-hash.ts'
import { t } from '../i18n/index.ts'

type Stage =
  | { kind: 'opening', step: OpeningStep }
  | { kind: 'ready', source: VideoSource }
  | { kind: 'error', error: UserError }

/** What the page exposes for diagnostics and tests (no key material). */
export interface PlayerDiagnostics {
  stats: () => VideoSourceStats
  sources: () => Array<{ peerId: string, http: string }>
  controller: () => PlayerController | undefined
  /** P2P delivery: bytes from peers and nodes, peers connected, the swarm's state. */
  p2p: () => PeerDeliveryStats & { state: string }
}

declare global {
  interface Window { p2pdvPlayer?: PlayerDiagnostics }
}

export function WatchPage ({ keySource }: { keySource?: KeySource }): ReactElement {
  const [stage, setStage] = useState<Stage>({ kind: 'opening', step: 'watch.starting' })
  // One object, so the page knows its own refund notice from the keepers' refusal.
  const [refunded] = useState(refundedError)
  // Set as soon as the manifest CID is known (at once for a capability link, after the keepers
  // for a video link): the player starts its media pipeline before the video is open.
  const [pending, setPending] = useState<Opening | undefined>(() => {
    const manifest = manifestFromPath(window.location.pathname)
    return manifest === undefined ? undefined : opening(manifest)
  })
  const [poster, setPoster] = useState<string | undefined>()
  const [nodes, setNodes] = useState<number | undefined>()
  // A video link (`/watch/video/<id>`) may be listed: its title, creator and price show below.
  const [listed] = useState(() => videoFromPath(window.location.pathname))
  const [hasListing, setHasListing] = useState(false)
  const [swarm, setSwarm] = useState<SwarmSession | undefined>()
  const controllerRef = useRef<PlayerController | undefined>(undefined)
  // Stops the open video (its requests, its swarm): a refund on this page ends the access.
  const stopRef = useRef<(() => void) | undefined>(undefined)
  const onController = useCallback((c: PlayerController | undefined) => { controllerRef.current = c }, [])

  // A layout effect: it starts before the first paint (the requests are asynchronous anyway).
  useLayoutEffect(() => {
    const ctrl = new AbortController()
    let source: VideoSource | undefined
    let session: SwarmSession | undefined
    // Segment blocks ahead of the playhead may come from other viewers; urgent ones from nodes.
    const delivery = new PeerDelivery({ bufferAhead: () => controllerRef.current?.bufferAhead() ?? 0 })
    const keys = keySource ?? new FragmentKeySource(window.location.hash)
    stopRef.current = () => { ctrl.abort(); source?.close(); void session?.stop() }
    void (async () => {
      // `/watch/video/<id>`: no key in the link; the chain names the manifest, the keepers give the key.
      const video = videoFromPath(window.location.pathname)
      let keyed: { manifest: CID, key: Uint8Array } | undefined
      if (video !== undefined) {
        setStage({ kind: 'opening', step: 'watch.askingKeepers' })
        const { KeeperKeySource } = await import('../keeper-key-source.ts')
        keyed = await new KeeperKeySource(video, window.location.origin).open(ctrl.signal)
      }
      const manifest = keyed?.manifest ?? manifestFromPath(window.location.pathname)
      if (manifest === undefined) throw new P2pdvError('ERR_BAD_LINK', 'the address does not contain a video id', { hint: 'Watch links look like …/watch/bafkrei…#…; open the link you were sent again.' })
      const target = pending?.manifestCid.equals(manifest) === true ? pending : opening(manifest)
      if (target !== pending) setPending(target)
      setStage({ kind: 'opening', step: 'watch.findingNodes' })
      try {
        source = await openSource(manifest, keyed?.key)
      } catch (err) {
        target.fail(err)
        throw err
      }
      target.open(source)
      performance.mark('p2pdv:manifest-opened')
      const opened = source
      const p2p = session = new SwarmSession(delivery, manifest, () => opened.peers.ranked().map(p => ({ peerId: p.peerId, http: p.http })), p2pAllowed())
      setSwarm(p2p)
      window.p2pdvPlayer = {
        stats: () => structuredClone(source!.stats),
        sources: () => source!.peers.ranked().map(p => ({ peerId: p.peerId, http: p.http })),
        controller: () => controllerRef.current,
        p2p: () => p2p.stats()
      }
      // The swarm (and its code) only after the first frame: it never competes with start-up.
      void startedAt(() => controllerRef.current, ctrl.signal).then(started => { if (started) p2p.firstFrame() })
      document.title = `${source.video.title ?? t('watch.untitled')} · P2PDEVIDEO`
      setStage({ kind: 'ready', source })
      // The poster is for a video that does not start at once (autoplay refused, a slow network):
      // asked for only then, so it never competes with the first segments.
      if (await startsWithin(controllerRef.current, POSTER_DELAY_MS, ctrl.signal)) return
      const url = await posterUrl(source, ctrl.signal)
      if (url !== undefined && !ctrl.signal.aborted) setPoster(url)
    })().catch(err => { if (!ctrl.signal.aborted) setStage({ kind: 'error', error: userError(err) }) })

    /** Learns the nodes, fetches and opens the sealed manifest; `given`: a key from the keepers. */
    async function openSource (manifest: CID, given: Uint8Array | undefined): Promise<VideoSource> {
      // The manifest is asked of the serving node while the peer list loads (one round trip
      // saved); on a watch link the boot script has asked for both before the app even ran.
      const boot = takeBoot(manifest)
      const [key, peers, manifestBlock, placementBlock] = await Promise.all([
        given !== undefined ? Promise.resolve(given) : keys.key(manifest, ctrl.signal),
        fetchPeerDirectory(window.location.origin, ctrl.signal, boot?.peers),
        (async () => await boot?.block ?? await prefetchBlock(window.location.origin, manifest, ctrl.signal))(),
        boot?.placement
      ])
      performance.mark('p2pdv:peers')
      setNodes(peers.length)
      setStage({ kind: 'opening', step: 'watch.openingManifest' })
      try {
        return await VideoSource.open({ peers: new PeerSet(peers), manifest, key, signal: ctrl.signal, manifestBlock, placementBlock, delivery })
      } finally {
        key.fill(0)
      }
    }
    return () => {
      ctrl.abort()
      source?.close()
      void session?.stop()
    }
    // `pending` is read once: a page opens one video (a new fragment reloads the page).
  }, [keySource])

  useEffect(() => () => { if (poster !== undefined) URL.revokeObjectURL(poster) }, [poster])

  useReloadOnHashChange()

  return (
    <div className='page watch'>
      <TopBar nodes={nodes} />
      <main className='watch-main'>
        {stage.kind !== 'error' && pending !== undefined
          ? (
            <Player
              video={pending}
              source={stage.kind === 'ready' ? stage.source : undefined}
              opening={stage.kind === 'opening' ? <OpeningStatus step={stage.step} /> : undefined}
              poster={poster}
              onController={onController}
            />
            )
          : (
            <div className='player placeholder' aria-busy={stage.kind === 'opening'}>
              {stage.kind === 'error' ? <ErrorPanel error={stage.error.code === 'ERR_ACCESS_DENIED' && hasListing && stage.error !== refunded ? lockedError(stage.error) : stage.error} /> : <OpeningStatus step={stage.kind === 'opening' ? stage.step : 'watch.starting'} />}
            </div>
            )}
        {/* After a purchase or subscription the chain says yes: ask the keepers again (a reload). */}
        {/* After a refund the key this page holds is no longer this viewer's: stop playing. */}
        {listed !== undefined && <VideoDetails id={listed} onFound={setHasListing} onAccess={() => { if (stage.kind === 'error') window.location.reload() }} onAccessLost={() => { stopRef.current?.(); setStage({ kind: 'error', error: refunded }) }} />}
        {stage.kind === 'ready' && <VideoInfo source={stage.source} listed={hasListing} />}
        {stage.kind === 'ready' && swarm !== undefined && <P2pPanel session={swarm} source={stage.source} />}
      </main>
    </div>
  )
}

/** Shown in the player's place once this page refunded the purchase (the keepers would say the same). */
function refundedError (): UserError {
  return {
    code: 'ERR_ACCESS_DENIED',
    title: t('watch.refundedTitle'),
    detail: 'the purchase was refunded: this account no longer has access',
    hint: t('watch.refundedHint')
  }
}

/**
 * A listed video this account may not watch yet is not an error to the viewer: say what opens it
 * (the actions under the player), keeping the code and the keepers' answer for those who look.
 */
function lockedError (e: UserError): UserError {
  return { ...e, title: t('watch.lockedTitle'), hint: `${e.hint.replace(/; buy or be granted access for that address, then try again\.$/, '.')} ${t('watch.lockedHint')}` }
}

/** How long a video may take to show its first frame before its poster is fetched. */
const POSTER_DELAY_MS = 1000

/** True if the player shows a frame within `ms` (false on timeout or abort). */
async function startsWithin (c: PlayerController | undefined, ms: number, signal: AbortSignal): Promise<boolean> {
  if (c === undefined) return false
  if (c.snapshot().started) return true
  return await new Promise<boolean>(resolve => {
    const done = (v: boolean): void => { clearTimeout(timer); unsubscribe(); signal.removeEventListener('abort', onAbort); resolve(v) }
    const onAbort = (): void => { done(false) }
    const timer = setTimeout(() => { done(false) }, ms)
    const unsubscribe = c.subscribe(() => { if (c.snapshot().started) done(true) })
    signal.addEventListener('abort', onAbort)
  })
}

/** Resolves true once the player shows its first frame (false if the page goes away first). */
async function startedAt (controller: () => PlayerController | undefined, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (controller()?.snapshot().started === true) return true
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  return false
}

/** A video being opened: the player's PendingVideo, and the opener's side of its promise. */
interface Opening extends PendingVideo { open: (s: VideoSource) => void, fail: (e: unknown) => void }

function opening (manifestCid: CID): Opening {
  let open: (s: VideoSource) => void = () => {}
  let fail: (e: unknown) => void = () => {}
  const ready = new Promise<VideoSource>((resolve, reject) => { open = resolve; fail = reject })
  return { manifestCid, ready, open, fail }
}

type OpeningStep = 'watch.starting' | 'watch.askingKeepers' | 'watch.findingNodes' | 'watch.openingManifest'

function OpeningStatus ({ step }: { step: OpeningStep }): ReactElement {
  return <div className='status' aria-busy='true'><div className='spinner' /><p>{t('watch.step', { step: t(step) })}</p></div>
}

function VideoInfo ({ source, listed }: { source: VideoSource, listed: boolean }): ReactElement {
  const [stats, setStats] = useState<VideoSourceStats>(() => structuredClone(source.stats))
  useEffect(() => {
    const timer = setInterval(() => { setStats(structuredClone(source.stats)) }, 1000)
    return () => { clearInterval(timer) }
  }, [source])
  const v = source.video
  // Rungs are named by their short side (a portrait 720×1280 rung is "720p"), as the ladder names them.
  const heights = v.renditions.filter(r => r.kind === 'video' && r.height !== undefined).map(r => Math.min(r.height!, r.width ?? r.height!)).sort((a, b) => b - a)
  const used = Object.entries(stats.bySource).filter(([, c]) => c.blocks > 0).length
  return (
    <section className='video-info'>
      {!listed && <h1>{v.title ?? t('watch.untitled')}</h1>}
      <p className='meta'>
        <span>{formatTime(v.durationSeconds)}</span>
        {heights.length > 0 && <span>{t('watch.upTo', { height: String(heights[0]) })}</span>}
        <span className='badge'><LockIcon size={14} /> {t('watch.decrypted')}</span>
      </p>
      <dl className='net-stats' aria-label={t('watch.network')}>
        <div><dt>{t('watch.blocks')}</dt><dd data-stat='blocks'>{stats.blocks}</dd></div>
        <div><dt>{t('watch.received')}</dt><dd>{formatBytes(stats.bytes)}</dd></div>
        <div><dt>{t('watch.nodesUsed')}</dt><dd>{t('watch.nodesOf', { used, total: source.peers.peers.length })}</dd></div>
        <div><dt>{t('watch.rejected')}</dt><dd data-stat='rejected'>{stats.rejectedBlocks}</dd></div>
        <div><dt>{t('watch.failovers')}</dt><dd>{stats.failedAttempts}</dd></div>
        {stats.rebuiltBlocks > 0 && <div><dt>{t('watch.rebuilt')}</dt><dd>{stats.rebuiltBlocks}</dd></div>}
      </dl>
    </section>
  )
}

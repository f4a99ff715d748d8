/**
 * The player: a <video> driven by PlayerController (hls.js + the p2pdv loader) under custom
 * controls: big play, seek bar with buffered ranges and sprite previews, time, volume, quality
 * (Auto + each rendition) and subtitle menus, fullscreen, keyboard shortcuts, buffering and error
 * states.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactElement, type ReactNode, type PointerEvent as ReactPointerEvent } from 'react'
import type { LiveSource, PendingSource, PendingVideo, VideoSource } from '@p2pdv/sdk/player'
import { formatTime } from '../format.ts'
import { CaptionsIcon, CheckIcon, LanguageIcon, ExitFullscreenIcon, FullscreenIcon, MuteIcon, PauseIcon, PlayIcon, ReplayIcon, SettingsIcon, VolumeIcon } from '../icons.tsx'
import { BEHIND_LIVE_SECONDS, PlayerController, type PlayerState } from './controller.ts'
import { thumbnailGrid, ThumbnailSprites, type Tile } from './media-extras.ts'
import { ErrorPanel } from './ErrorPanel.tsx'
import { formatNumber, locale, t } from '../i18n/index.ts'

const HIDE_CONTROLS_MS = 2500
const noSubscribe = (): (() => void) => () => {}
const noSnapshot = (): undefined => undefined

export interface PlayerProps {
  /** The video, from the moment its link is known: the player starts its media pipeline at once. */
  video: PendingVideo | PendingSource
  /** The opened video (undefined while it opens; `opening` is shown meanwhile). */
  source: VideoSource | LiveSource | undefined
  /** A live stream: LIVE badge, "go live", the seek bar over the DVR window. */
  live?: boolean
  opening?: ReactNode
  poster?: string | undefined
  onController?: (c: PlayerController | undefined) => void
}

export function Player ({ video, source, opening, poster, onController, live = false }: PlayerProps): ReactElement {
  const root = useRef<HTMLDivElement>(null)
  const videoRef = useRef<HTMLVideoElement>(null)
  const [controller, setController] = useState<PlayerController | undefined>()
  const state = useSyncExternalStore(controller?.subscribe ?? noSubscribe, controller?.snapshot ?? noSnapshot)
  const [menu, setMenu] = useState<'quality' | 'subtitles' | 'audio' | undefined>()
  const [active, setActive] = useState(true)
  const hideTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)

  const sprites = useMemo(() => {
    const vod = source !== undefined && 'video' in source ? source : undefined
    const grid = vod === undefined ? undefined : thumbnailGrid(vod.video)
    return grid === undefined || vod === undefined ? undefined : new ThumbnailSprites(vod, grid)
  }, [source])
  useEffect(() => () => { sprites?.dispose() }, [sprites])

  useEffect(() => {
    const c = new PlayerController(videoRef.current!, video, { live })
    setController(c)
    onController?.(c)
    return () => { onController?.(undefined); c.destroy() }
  }, [video, onController, live])

  const poke = useCallback(() => {
    setActive(true)
    clearTimeout(hideTimer.current)
    hideTimer.current = setTimeout(() => { setActive(false) }, HIDE_CONTROLS_MS)
  }, [])
  useEffect(() => () => { clearTimeout(hideTimer.current) }, [])

  const toggleFullscreen = useCallback(() => {
    if (document.fullscreenElement !== null) void document.exitFullscreen()
    else void root.current?.requestFullscreen().catch(() => {})
  }, [])

  useEffect(() => {
    if (controller === undefined) return
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null
      if (e.ctrlKey || e.metaKey || e.altKey || target?.closest('input, textarea, select, [contenteditable]') != null) return
      const c = controller
      const s = c.snapshot()
      let handled = true
      switch (e.key) {
        case ' ': case 'k': case 'K': c.toggle(); break
        case 'ArrowLeft': c.seekBy(-5); break
        case 'ArrowRight': c.seekBy(5); break
        case 'j': case 'J': c.seekBy(-10); break
        case 'l': case 'L': c.seekBy(10); break
        case 'ArrowUp': c.setVolume(s.volume + 0.1); break
        case 'ArrowDown': c.setVolume(s.volume - 0.1); break
        case 'm': case 'M': c.toggleMute(); break
        case 'f': case 'F': toggleFullscreen(); break
        case 'c': case 'C': c.toggleSubtitles(); break
        case 'Home': c.seek(0); break
        case 'End': if (s.live) c.goLive(); else c.seek(s.duration); break
        case 'Escape': setMenu(undefined); handled = false; break
        default:
          if (/^[0-9]$/.test(e.key)) c.seek(s.duration * Number(e.key) / 10)
          else handled = false
      }
      if (handled) { e.preventDefault(); poke() }
    }
    window.addEventListener('keydown', onKey)
    return () => { window.removeEventListener('keydown', onKey) }
  }, [controller, poke, toggleFullscreen])

  // Until the video is open there is nothing to control: the opening status shows instead.
  const s = source === undefined ? undefined : state
  const showControls = s === undefined || !s.playing || active || menu !== undefined
  const showBigPlay = s !== undefined && s.error === undefined && (s.needsClick || (!s.playing && !s.waiting))
  const quality = s === undefined ? undefined : s.qualities.find(q => q.index === s.activeQuality)

  return (
    <div
      ref={root}
      className={`player ${showControls ? 'controls-on' : 'controls-off'} ${s?.started === true ? 'started' : ''}`}
      onPointerMove={poke}
      onPointerDown={poke}
    >
      <video
        ref={videoRef}
        className='video'
        playsInline
        poster={poster}
        onClick={() => { if (menu !== undefined) setMenu(undefined); else controller?.toggle() }}
        onDoubleClick={toggleFullscreen}
      />
      {s?.started !== true && poster !== undefined && <img className='poster' src={poster} alt='' />}
      {source === undefined && opening !== undefined && <div className='opening'>{opening}</div>}
      {s !== undefined && s.waiting && s.error === undefined && <div className='buffering' role='status' aria-label={t('player.loading')}><div className='spinner' /></div>}
      {showBigPlay && (
        <button type='button' className='big-play' aria-label={s.ended ? t('player.replay') : t('player.play')} onClick={() => { controller?.play() }}>
          {s.ended ? <ReplayIcon /> : <PlayIcon size={44} />}
        </button>
      )}
      {s?.autoplayMuted === true && (
        <button type='button' className='unmute-chip' onClick={() => { controller?.toggleMute() }}><MuteIcon /> {t('player.tapUnmute')}</button>
      )}
      {s?.error !== undefined && <div className='error-overlay'><ErrorPanel error={s.error} /></div>}

      {s !== undefined && controller !== undefined && (
        <div className='controls' onPointerDown={e => { e.stopPropagation(); poke() }}>
          <SeekBar state={s} controller={controller} sprites={sprites} />
          <div className='control-row'>
            <button type='button' className='ctl' aria-label={s.playing ? t('player.pause') : t('player.play')} title={s.playing ? t('player.pauseKey') : t('player.playKey')} onClick={() => { controller.toggle() }}>
              {s.playing ? <PauseIcon /> : <PlayIcon />}
            </button>
            <div className='volume'>
              <button type='button' className='ctl' aria-label={s.muted ? t('player.unmute') : t('player.mute')} title={t('player.muteKey')} onClick={() => { controller.toggleMute() }}>
                {s.muted || s.volume === 0 ? <MuteIcon /> : <VolumeIcon />}
              </button>
              <input
                type='range' min={0} max={1} step={0.05} aria-label={t('player.volume')}
                value={s.muted ? 0 : s.volume}
                onChange={e => { controller.setVolume(Number(e.target.value)) }}
              />
            </div>
            {s.live
              ? (
                <button
                  type='button' className={`live-badge ${s.behindLive > BEHIND_LIVE_SECONDS ? 'behind' : 'at-edge'}`}
                  aria-label={s.behindLive > BEHIND_LIVE_SECONDS ? t('player.goLive') : t('player.live')} title={t('player.goLiveKey')}
                  onClick={() => { controller.goLive() }}
                >
                  {t('player.liveBadge')}{s.behindLive > BEHIND_LIVE_SECONDS && <span className='muted'> −{formatTime(s.behindLive)} · {t('player.behind')}</span>}
                </button>
                )
              : <span className='time' aria-live='off'><span data-role='current'>{formatTime(s.currentTime)}</span> / {formatTime(s.duration)}</span>}
            <span className='spacer' />
            {s.audioTracks.length > 1 && (
              <MenuButton
                label={t('player.audio')} title={t('player.audioTitle')} open={menu === 'audio'}
                onToggle={() => { setMenu(menu === 'audio' ? undefined : 'audio') }}
                icon={<LanguageIcon />}
                badge={(s.audioTracks[s.selectedAudio]?.lang ?? '') === '' ? undefined : s.audioTracks[s.selectedAudio]!.lang.split('-')[0]!.toUpperCase()}
              >
                {s.audioTracks.map(tr => (
                  <MenuItem key={tr.index} checked={s.selectedAudio === tr.index} onSelect={() => { controller.setAudio(tr.index); setMenu(undefined) }}>
                    {tr.label}{tr.lang !== '' && tr.lang !== tr.label ? <span className='muted'> {tr.lang}</span> : null}
                  </MenuItem>
                ))}
              </MenuButton>
            )}
            {s.subtitles.length > 0 && (
              <MenuButton
                label={t('player.subtitles')} title={t('player.subtitlesKey')} open={menu === 'subtitles'} pressed={s.selectedSubtitle >= 0}
                onToggle={() => { setMenu(menu === 'subtitles' ? undefined : 'subtitles') }}
                icon={<CaptionsIcon />}
              >
                <MenuItem checked={s.selectedSubtitle < 0} onSelect={() => { controller.setSubtitle(-1); setMenu(undefined) }}>{t('player.off')}</MenuItem>
                {s.subtitles.map(tr => (
                  <MenuItem key={tr.index} checked={s.selectedSubtitle === tr.index} onSelect={() => { controller.setSubtitle(tr.index); setMenu(undefined) }}>
                    {tr.label}{tr.lang !== '' && tr.lang !== tr.label ? <span className='muted'> {tr.lang}</span> : null}
                  </MenuItem>
                ))}
              </MenuButton>
            )}
            {s.qualities.length > 0 && (
              <MenuButton
                label={t('player.quality')} title={t('player.quality')} open={menu === 'quality'}
                onToggle={() => { setMenu(menu === 'quality' ? undefined : 'quality') }}
                icon={<SettingsIcon />}
                badge={s.selectedQuality < 0 ? t('player.auto') : quality?.label}
              >
                <MenuItem checked={s.selectedQuality < 0} onSelect={() => { controller.setQuality(-1); setMenu(undefined) }}>
                  {t('player.auto')}{s.selectedQuality < 0 && quality !== undefined ? <span className='muted'> ({quality.label})</span> : null}
                </MenuItem>
                {s.qualities.map(q => (
                  <MenuItem key={q.index} checked={s.selectedQuality === q.index} onSelect={() => { controller.setQuality(q.index); setMenu(undefined) }}>
                    {q.label}<span className='muted'> {t('player.mbps', { n: formatNumber(q.bitrate / 1e6, locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) })}</span>
                  </MenuItem>
                ))}
              </MenuButton>
            )}
            <button type='button' className='ctl' aria-label={s.fullscreen ? t('player.exitFullscreen') : t('player.fullscreen')} title={t('player.fullscreenKey')} onClick={toggleFullscreen}>
              {s.fullscreen ? <ExitFullscreenIcon /> : <FullscreenIcon />}
            </button>
          </div>
        </div>
      )}
    </div>
  )
}

function MenuButton ({ label, title, icon, badge, open, pressed, onToggle, children }: {
  label: string, title: string, icon: ReactElement, badge?: string | undefined, open: boolean, pressed?: boolean, onToggle: () => void, children: ReactElement | Array<ReactElement | ReactElement[]>
}): ReactElement {
  return (
    <div className='menu-wrap'>
      {/* The name includes the badge the button shows ("Quality: 720p"): what is read is what is seen. */}
      <button type='button' className={`ctl ${pressed === true ? 'on' : ''}`} aria-label={badge === undefined ? label : t('player.menuLabel', { label, badge })} title={title} aria-haspopup='menu' aria-expanded={open} onClick={onToggle}>
        {icon}{badge !== undefined && <span className='ctl-badge'>{badge}</span>}
      </button>
      {open && <div className='menu' role='menu' aria-label={label}><div className='menu-title'>{label}</div>{children}</div>}
    </div>
  )
}

function MenuItem ({ checked, onSelect, children }: { checked: boolean, onSelect: () => void, children: ReactElement | string | Array<ReactElement | string | null> }): ReactElement {
  return (
    <button type='button' role='menuitemradio' aria-checked={checked} className='menu-item' onClick={onSelect}>
      <span className='check'>{checked && <CheckIcon />}</span><span>{children}</span>
    </button>
  )
}

function SeekBar ({ state, controller, sprites }: { state: PlayerState, controller: PlayerController, sprites: ThumbnailSprites | undefined }): ReactElement {
  const bar = useRef<HTMLDivElement>(null)
  const [hover, setHover] = useState<{ x: number, width: number, t: number } | undefined>()
  const [drag, setDrag] = useState<number | undefined>()
  const [, setSheetsLoaded] = useState(0)
  const d = state.duration
  const at = (clientX: number): { x: number, width: number, t: number } => {
    const r = bar.current!.getBoundingClientRect()
    const x = Math.max(0, Math.min(r.width, clientX - r.left))
    return { x, width: r.width, t: r.width > 0 ? x / r.width * d : 0 }
  }
  const onDown = (e: ReactPointerEvent<HTMLDivElement>): void => {
    if (d <= 0) return
    e.currentTarget.setPointerCapture(e.pointerId)
    setDrag(at(e.clientX).t)
  }
  const onMove = (e: ReactPointerEvent<HTMLDivElement>): void => {
    if (d <= 0) return
    const h = at(e.clientX)
    setHover(h)
    if (drag !== undefined) setDrag(h.t)
  }
  const onUp = (e: ReactPointerEvent<HTMLDivElement>): void => {
    if (drag === undefined) return
    controller.seek(at(e.clientX).t)
    setDrag(undefined)
  }
  const shown = drag ?? state.currentTime
  const pct = (at: number): string => `${d > 0 ? Math.max(0, Math.min(100, at / d * 100)) : 0}%`
  const preview = hover ?? (drag !== undefined && bar.current !== null ? { x: drag / d * bar.current.clientWidth, width: bar.current.clientWidth, t: drag } : undefined)
  const tile: Tile | undefined = preview === undefined ? undefined : sprites?.tile(preview.t, () => { setSheetsLoaded(n => n + 1) })
  const previewWidth = tile?.width ?? 64
  const left = preview === undefined ? 0 : Math.max(0, Math.min(preview.width - previewWidth, preview.x - previewWidth / 2))

  return (
    <div
      ref={bar}
      className={`seek ${drag !== undefined ? 'dragging' : ''}`}
      role='slider'
      aria-label={t('player.seek')}
      aria-valuemin={0}
      aria-valuemax={Math.round(d)}
      aria-valuenow={Math.round(shown)}
      aria-valuetext={t('player.timeOf', { time: formatTime(shown), duration: formatTime(d) })}
      tabIndex={0}
      onPointerDown={onDown}
      onPointerMove={onMove}
      onPointerUp={onUp}
      onPointerLeave={() => { setHover(undefined) }}
    >
      <div className='seek-track'>
        {state.buffered.map(([a, b], i) => <div key={i} className='seek-buffered' style={{ left: pct(a), width: `calc(${pct(b)} - ${pct(a)})` }} />)}
        <div className='seek-played' style={{ width: pct(shown) }} />
        <div className='seek-thumb' style={{ left: pct(shown) }} />
      </div>
      {preview !== undefined && (
        <div className='seek-preview' style={{ left }}>
          {tile !== undefined && (
            <div
              className='seek-tile'
              style={{
                width: tile.width,
                height: tile.height,
                backgroundImage: `url("${tile.url}")`,
                backgroundPosition: `-${tile.x}px -${tile.y}px`,
                backgroundSize: `${tile.sheetWidth}px ${tile.sheetHeight}px`
              }}
            />
          )}
          <span className='seek-time'>{formatTime(preview.t)}</span>
        </div>
      )}
    </div>
  )
}

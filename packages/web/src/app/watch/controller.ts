/**
 * The player's logic without React: hls.js on a <video>, fed by the p2pdv loader, and a state
 * snapshot that the UI renders (a new object on every change, for useSyncExternalStore).
 */
import Hls, { ErrorTypes, Events, type ErrorData } from 'hls.js'
import { P2pdvError } from '@p2pdv/core/errors'
import { createHlsLoader, masterPlaylistUrl, renditionOfPlaylist, type LoaderFailure, type LoaderSource, type PendingSource, type PendingVideo, type VideoSource } from '@p2pdv/sdk/player'
import { userError, type UserError } from '../errors.ts'
import { t as i18n } from '../i18n/index.ts'

export interface QualityOption { index: number, label: string, height: number, bitrate: number }
export interface SubtitleOption { index: number, label: string, lang: string }
/** An audio track (a language) of the video; hls.js switches between them without a reload. */
export interface AudioOption { index: number, label: string, lang: string }

export interface PlayerState {
  /** Played at least one frame. */
  started: boolean
  playing: boolean
  /** Waiting for data (buffering, seeking). */
  waiting: boolean
  ended: boolean
  currentTime: number
  duration: number
  /** Buffered ranges, seconds. */
  buffered: Array<[number, number]>
  volume: number
  muted: boolean
  /** The browser refused sound without a click, so playback started muted. */
  autoplayMuted: boolean
  /** The browser refused to start without a click. */
  needsClick: boolean
  qualities: QualityOption[]
  /** -1 = automatic. */
  selectedQuality: number
  /** The level being played now (-1 before the first). */
  activeQuality: number
  subtitles: SubtitleOption[]
  /** -1 = off. */
  selectedSubtitle: number
  audioTracks: AudioOption[]
  /** The audio track playing (-1 before the first). */
  selectedAudio: number
  fullscreen: boolean
  error: UserError | undefined
  /** A live stream (the seek bar covers the DVR window; "go live" jumps to the edge). */
  live: boolean
  /** Live: seconds from the creator's clock to the frame shown (from PROGRAM-DATE-TIME). */
  latency: number | undefined
  /** Live: seconds behind the live sync point (0 at the edge). */
  behindLive: number
}

/** Forward buffer: enough to ride out a slow node, small enough to stay fair to the network. */
export const MAX_BUFFER_SECONDS = 30

const INITIAL: PlayerState = {
  started: false,
  playing: false,
  waiting: true,
  ended: false,
  currentTime: 0,
  duration: 0,
  buffered: [],
  volume: 1,
  muted: false,
  autoplayMuted: false,
  needsClick: false,
  qualities: [],
  selectedQuality: -1,
  activeQuality: -1,
  subtitles: [],
  selectedSubtitle: -1,
  audioTracks: [],
  selectedAudio: -1,
  fullscreen: false,
  error: undefined,
  live: false,
  latency: undefined,
  behindLive: 0
}

/**
 * Live: hls.js plays this many target durations (~1 s segments) behind the newest segment, and
 * catches up (playing a little faster) when it drifts past the maximum.
 */
export const LIVE_SYNC_SEGMENTS = 2
export const LIVE_MAX_LATENCY_SEGMENTS = 6
/** Behind the live sync point by more than this, the "go live" button shows. */
export const BEHIND_LIVE_SECONDS = 3

export class PlayerController {
  readonly video: HTMLVideoElement
  readonly hls: Hls
  private state: PlayerState = INITIAL
  private readonly listeners = new Set<() => void>()
  private lastFailure: LoaderFailure | undefined
  private recoveredMedia = false
  private readonly cleanups: Array<() => void> = []
  private readonly ready: Promise<LoaderSource>

  /**
   * `video` may still be opening: the MediaSource is attached and the master playlist asked for
   * at once, and the loader answers when the video is open (the media pipeline's start-up then
   * overlaps fetching and opening the manifest).
   */
  constructor (element: HTMLVideoElement, video: VideoSource | PendingVideo | PendingSource, options: { live?: boolean } = {}) {
    this.video = element
    const live = options.live === true
    this.hls = new Hls({
      loader: createHlsLoader(video, { onFailure: f => { this.lastFailure = f } }),
      // No blob: workers (the page's CSP allows none); fMP4 needs no transmuxing anyway.
      enableWorker: false,
      maxBufferLength: MAX_BUFFER_SECONDS,
      capLevelToPlayerSize: true,
      renderTextTracksNatively: true,
      ...(live ? { liveSyncDurationCount: LIVE_SYNC_SEGMENTS, liveMaxLatencyDurationCount: LIVE_MAX_LATENCY_SEGMENTS, maxLiveSyncPlaybackRate: 1.1 } : {})
    })
    if (live) this.state = { ...this.state, live: true }
    this.ready = 'ready' in video ? video.ready : Promise.resolve(video)
    this.wireVideo()
    this.wireHls()
    performance.mark('p2pdv:player')
    this.hls.attachMedia(element)
    this.hls.loadSource(masterPlaylistUrl(video))
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  snapshot = (): PlayerState => this.state

  private set (patch: Partial<PlayerState>): void {
    this.state = { ...this.state, ...patch }
    for (const fn of this.listeners) fn()
  }

  private on<K extends keyof HTMLMediaElementEventMap> (type: K, fn: () => void): void {
    this.video.addEventListener(type, fn)
    this.cleanups.push(() => { this.video.removeEventListener(type, fn) })
  }

  private times (): Partial<PlayerState> {
    const v = this.video
    const buffered: Array<[number, number]> = []
    for (let i = 0; i < v.buffered.length; i++) buffered.push([v.buffered.start(i), v.buffered.end(i)])
    const times: Partial<PlayerState> = { currentTime: v.currentTime, duration: Number.isFinite(v.duration) ? v.duration : this.state.duration, buffered }
    if (this.state.live) {
      const date = this.hls.playingDate
      const sync = this.hls.liveSyncPosition
      times.latency = date === null ? undefined : Math.max(0, (Date.now() - date.getTime()) / 1000)
      times.behindLive = sync === null ? 0 : Math.max(0, sync - v.currentTime)
    }
    return times
  }

  private wireVideo (): void {
    this.on('playing', () => { this.set({ started: true, playing: true, waiting: false, ended: false, needsClick: false, ...this.times() }) })
    this.on('play', () => { this.set({ playing: true, ended: false }) })
    this.on('pause', () => { this.set({ playing: false, ...this.times() }) })
    this.on('waiting', () => { this.set({ waiting: true }) })
    this.on('seeking', () => { this.set({ waiting: true, ...this.times() }) })
    this.on('seeked', () => { this.set({ waiting: this.video.readyState < 3, ...this.times() }) })
    this.on('canplay', () => { this.set({ waiting: false, ...this.times() }) })
    this.on('timeupdate', () => { this.set(this.times()) })
    this.on('progress', () => { this.set(this.times()) })
    this.on('durationchange', () => { this.set(this.times()) })
    this.on('ended', () => { this.set({ ended: true, playing: false }) })
    this.on('volumechange', () => { this.set({ volume: this.video.volume, muted: this.video.muted, autoplayMuted: this.state.autoplayMuted && this.video.muted }) })
    const onFullscreen = (): void => { this.set({ fullscreen: document.fullscreenElement !== null }) }
    document.addEventListener('fullscreenchange', onFullscreen)
    this.cleanups.push(() => { document.removeEventListener('fullscreenchange', onFullscreen) })
  }

  private wireHls (): void {
    const hls = this.hls
    hls.on(Events.MANIFEST_PARSED, (_e, data) => {
      // The first level and the default audio are known now: start their first segments while
      // hls.js waits for the media pipeline and loads the level playlists.
      const start = hls.levels[hls.startLevel] ?? hls.levels[0]
      const audio = data.audioTracks.find(t => t.default) ?? data.audioTracks[0]
      void this.ready.then(source => {
        for (const url of [start?.url[0], audio?.url]) {
          const id = url === undefined ? undefined : renditionOfPlaylist(url)
          if (id !== undefined && 'warm' in source) (source as VideoSource).warm(id)
        }
      }, () => {})
      const qualities = hls.levels
        // Named by the short side, as the ladder names them: a portrait 720×1280 rung is "720p".
        .map((l, index) => ({ index, height: l.height, bitrate: l.bitrate, label: l.height > 0 ? `${l.width > 0 ? Math.min(l.width, l.height) : l.height}p` : `${Math.round(l.bitrate / 1000)} kb/s` }))
        .filter(q => q.height > 0)
        .sort((a, b) => b.height - a.height)
      this.set({ qualities })
      void this.autoplay()
    })
    hls.on(Events.LEVEL_SWITCHED, (_e, data) => { this.set({ activeQuality: data.level }) })
    hls.on(Events.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
      this.set({ subtitles: data.subtitleTracks.map((t, index) => ({ index, lang: t.lang ?? '', label: t.name !== '' ? t.name : (t.lang ?? i18n('player.track', { n: index + 1 })) })) })
    })
    hls.on(Events.SUBTITLE_TRACK_SWITCH, (_e, data) => { this.set({ selectedSubtitle: hls.subtitleDisplay ? data.id : -1 }) })
    hls.on(Events.AUDIO_TRACKS_UPDATED, (_e, data) => {
      this.set({ audioTracks: data.audioTracks.map((t, index) => ({ index, lang: t.lang ?? '', label: t.name !== '' ? t.name : (t.lang ?? i18n('player.track', { n: index + 1 })) })), selectedAudio: hls.audioTrack })
    })
    hls.on(Events.AUDIO_TRACK_SWITCHED, (_e, data) => { this.set({ selectedAudio: data.id }) })
    hls.on(Events.ERROR, (_e, data) => { this.onHlsError(data) })
  }

  private onHlsError (data: ErrorData): void {
    if (!data.fatal) return
    if (data.type === ErrorTypes.MEDIA_ERROR && !this.recoveredMedia) {
      // One decoder hiccup is worth a recovery; a second one is reported.
      this.recoveredMedia = true
      this.hls.recoverMediaError()
      return
    }
    const why = `${data.details}${data.error?.message === undefined ? '' : `: ${data.error.message}`}`.slice(0, 300)
    let err: P2pdvError
    if (data.type === ErrorTypes.NETWORK_ERROR && this.lastFailure !== undefined) err = this.lastFailure.error
    else if (data.type === ErrorTypes.MEDIA_ERROR) err = new P2pdvError('ERR_PLAYBACK', `the browser's decoder failed (${why})`, { hint: 'Reload the page; if it happens again, try another browser.' })
    else err = new P2pdvError('ERR_PLAYBACK', `playback failed (${why})`, { hint: 'Reload the page. If it keeps happening, the nodes holding this video may be offline.' })
    this.fail(err)
  }

  fail (err: unknown): void {
    this.hls.stopLoad()
    this.set({ error: userError(err), waiting: false, playing: false })
  }

  private async autoplay (): Promise<void> {
    try {
      await this.video.play()
    } catch (err) {
      if ((err as DOMException).name !== 'NotAllowedError') return
      // Sound needs a click in most browsers: start muted and offer to unmute.
      this.video.muted = true
      try {
        await this.video.play()
        this.set({ autoplayMuted: true })
      } catch {
        this.set({ needsClick: true, waiting: false })
      }
    }
  }

  /**
   * Seconds buffered ahead of the playhead; 0 before the first frame (P2P delivery sends blocks
   * needed sooner than ~2 s to the nodes, so start-up and seeks never wait on peers).
   */
  bufferAhead (): number {
    if (!this.state.started) return 0
    const v = this.video
    const t = v.currentTime
    for (let i = 0; i < v.buffered.length; i++) {
      if (v.buffered.start(i) <= t + 0.1 && t < v.buffered.end(i)) return v.buffered.end(i) - t
    }
    return 0
  }

  play (): void { void this.video.play().catch(() => {}) }
  pause (): void { this.video.pause() }
  toggle (): void { if (this.video.paused || this.video.ended) this.play(); else this.pause() }

  seek (seconds: number): void {
    const d = this.state.duration
    this.video.currentTime = Math.max(0, Math.min(d > 0 ? d - 0.05 : seconds, seconds))
    this.set(this.times())
  }

  seekBy (delta: number): void { this.seek(this.video.currentTime + delta) }

  /** Live: back to the live sync point (and playing). */
  goLive (): void {
    const sync = this.hls.liveSyncPosition
    if (sync !== null) this.video.currentTime = sync
    this.play()
    this.set(this.times())
  }

  setVolume (v: number): void {
    this.video.volume = Math.max(0, Math.min(1, v))
    if (this.video.volume > 0) this.video.muted = false
  }

  toggleMute (): void { this.video.muted = !this.video.muted }

  /** -1 = automatic; otherwise an hls.js level index (switches now, flushing what is buffered). */
  setQuality (index: number): void {
    this.hls.currentLevel = index
    this.set({ selectedQuality: index })
  }

  /** -1 = off. */
  setSubtitle (index: number): void {
    this.hls.subtitleDisplay = index >= 0
    this.hls.subtitleTrack = index
    this.set({ selectedSubtitle: index })
  }

  /** An hls.js audio track index: the language switches at the next segment. */
  setAudio (index: number): void {
    this.hls.audioTrack = index
    this.set({ selectedAudio: index })
  }

  toggleSubtitles (): void {
    if (this.state.subtitles.length === 0) return
    this.setSubtitle(this.state.selectedSubtitle >= 0 ? -1 : 0)
  }

  destroy (): void {
    for (const c of this.cleanups.splice(0)) c()
    this.hls.destroy()
    this.listeners.clear()
  }
}

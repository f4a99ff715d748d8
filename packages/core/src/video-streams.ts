/**
 * The sealed streams of a video, in one place: for each init segment, media segment, poster,
 * subtitle file and sprite sheet, its URL path (the layout of playlists/video-paths.ts), its media
 * type and the AAD context it is sealed under. Upload, re-key, path lookup and the canonical block
 * order (objectBlocks) all derive streams from here, so a context cannot differ between sealing
 * and opening.
 *
 * Contexts: `"<rendition>/init"`, `"<rendition>/<i>"`, `"poster"`, `"subtitles:<lang>"`,
 * `"thumbnails:<i>"`. ':' never appears in rendition ids, so they never collide.
 */
import { P2pdvError } from './errors.ts'
import type { StreamRef, SubtitleTrack, ThumbnailSprites, VideoRendition } from './manifest.ts'
import { liveStreamContext, liveStreamPosition, type LiveArchive } from './live-archive.ts'

export const WEBVTT_TYPE = 'text/vtt'
const JPEG_TYPE = 'image/jpeg'

const enc = new TextEncoder()

/** The AAD context of a rendition's init segment (`'init'`) or media segment `index`. */
export function videoStreamContext (rendition: string, index: number | 'init'): Uint8Array {
  return enc.encode(`${rendition}/${index}`)
}
export const POSTER_CONTEXT = enc.encode('poster')
/** The AAD context of a subtitle file. */
export function subtitleContext (lang: string): Uint8Array {
  return enc.encode(`subtitles:${lang}`)
}
/** The AAD context of sprite sheet `i`. */
export function thumbnailSheetContext (i: number): Uint8Array {
  return enc.encode(`thumbnails:${i}`)
}

/**
 * A video's stream slots holding `S`: a manifest holds StreamRefs, an upload holds the source
 * files' paths, and every other field of the manifest comes along unchanged.
 */
export interface VideoStreamsOf<S> {
  renditions: Array<Omit<VideoRendition, 'init' | 'segments'> & { init: S, segments: Array<{ duration: number, stream: S, epoch?: number }> }>
  poster: S
  subtitles?: Array<Omit<SubtitleTrack, 'stream'> & { stream: S }>
  thumbnails?: Omit<ThumbnailSprites, 'sheets'> & { sheets: S[] }
  /** A live archive (live-archive.ts): its renditions' streams are live-sealed. */
  live?: LiveArchive
}

/** One sealed stream of a video: where it is served, as what, and the context it is sealed under. */
export interface VideoStream<S = StreamRef> {
  path: string
  type: string
  stream: S
  context: Uint8Array
  /** A live archive's live-sealed stream: the epoch whose key opens it (streamOpeningKey). */
  epoch?: number
}

type Rendition<S> = VideoStreamsOf<S>['renditions'][number]

const mediaType = (r: { kind: 'video' | 'audio' }): string => r.kind === 'audio' ? 'audio/mp4' : 'video/mp4'

export function initStream<S> (r: Rendition<S>): VideoStream<S> {
  return { path: `${r.id}/init.mp4`, type: mediaType(r), stream: r.init, context: videoStreamContext(r.id, 'init') }
}
export function segmentStream<S> (r: Rendition<S>, i: number, stream: S): VideoStream<S> {
  return { path: `${r.id}/${i}.m4s`, type: mediaType(r), stream, context: videoStreamContext(r.id, i) }
}
export function posterStream<S> (stream: S): VideoStream<S> {
  return { path: 'poster.jpg', type: JPEG_TYPE, stream, context: POSTER_CONTEXT }
}
export function subtitleStream<S> (t: { lang: string, stream: S }): VideoStream<S> {
  return { path: `subtitles/${t.lang}.vtt`, type: WEBVTT_TYPE, stream: t.stream, context: subtitleContext(t.lang) }
}
export function thumbnailSheetStream<S> (i: number, stream: S): VideoStream<S> {
  return { path: `thumbnails/${i}.jpg`, type: JPEG_TYPE, stream, context: thumbnailSheetContext(i) }
}

/**
 * A rendition's init or media segment as it was sealed: in a live archive, at its live position
 * (the context follows from the stream number) under its epoch's key (`epoch`: the media
 * segment's; an init segment's is in its stream number). Other videos: unchanged.
 */
export function asSealed<S> (video: { live?: LiveArchive }, s: VideoStream<S>, epoch?: number): VideoStream<S> {
  if (video.live === undefined) return s
  const n = (s.stream as StreamRef).n
  return { ...s, context: liveStreamContext(n), epoch: epoch ?? liveStreamPosition(n).value }
}

/**
 * Replaces every stream slot with `f(stream)`, visiting them in canonical order: renditions in
 * manifest order (init, then segments), poster, subtitles, sprite sheets. Erasure stripes run
 * over this order, so it never changes.
 */
function mapStreams<S, T> (video: VideoStreamsOf<S>, f: (s: VideoStream<S>) => T): VideoStreamsOf<T> {
  const renditions = video.renditions.map(r => ({
    ...r,
    init: f(asSealed(video, initStream(r))),
    segments: r.segments.map((s, i) => ({ ...s, stream: f(asSealed(video, segmentStream(r, i, s.stream), s.epoch ?? -1)) }))
  }))
  const poster = f(posterStream(video.poster))
  const subtitles = video.subtitles?.map(t => ({ ...t, stream: f(subtitleStream(t)) }))
  const thumbnails = video.thumbnails === undefined ? undefined : { ...video.thumbnails, sheets: video.thumbnails.sheets.map((s, i) => f(thumbnailSheetStream(i, s))) }
  return {
    renditions,
    poster,
    ...(subtitles === undefined ? {} : { subtitles }),
    ...(thumbnails === undefined ? {} : { thumbnails })
  }
}

/** Every sealed stream of a video, in canonical order. */
export function videoStreams<S = StreamRef> (video: VideoStreamsOf<S>): Array<VideoStream<S>> {
  const out: Array<VideoStream<S>> = []
  mapStreams(video, s => { out.push(s) })
  return out
}

/**
 * The video's stream slots filled with `refs`, given in videoStreams order (e.g. what sealing each
 * of `videoStreams(video)` gave). Other fields are kept.
 */
export function withVideoStreams<S, T> (video: VideoStreamsOf<S>, refs: readonly T[]): VideoStreamsOf<T> {
  let i = 0
  const filled = mapStreams(video, () => refs[i++])
  if (i !== refs.length) throw new P2pdvError('ERR_BAD_ARGUMENT', `the video has ${i} streams, not ${refs.length}`)
  return filled as VideoStreamsOf<T>
}

/**
 * The URL layout of a video, shared by every server and loader that presents one (the local
 * gateway for any HLS player, the browser loader): each path maps either to a playlist rendered
 * from the manifest or to one sealed stream with the AAD context it was sealed under. Stream paths,
 * types and contexts come from video-streams.ts (the same ones `videoStreams` enumerates).
 *
 *   master.m3u8                       master playlist
 *   <rendition>/index.m3u8            media playlist
 *   <rendition>/init.mp4              init segment          context "<rendition>/init"
 *   <rendition>/<i>.m4s               media segment i       context "<rendition>/<i>"
 *   poster.jpg                        poster image          context "poster"
 *   subtitles/<lang>.m3u8             subtitle media playlist (one segment: the whole file)
 *   subtitles/<lang>.vtt              WebVTT file           context "subtitles:<lang>"
 *   thumbnails.vtt                    WebVTT thumbnails track (cues → thumbnails/<i>.jpg#xywh=…)
 *   thumbnails/<i>.jpg                sprite sheet i        context "thumbnails:<i>"
 *   manifest.mpd                      DASH MPD over the same segments
 */
import type { StreamRef, VideoManifest } from '../manifest.ts'
import { asSealed, initStream, posterStream, segmentStream, subtitleStream, thumbnailSheetStream, WEBVTT_TYPE, type VideoStream } from '../video-streams.ts'
import { renderDashMpd } from './dash.ts'
import { renderMasterPlaylist, renderMediaPlaylist, renderSubtitlePlaylist } from './hls.ts'
import { renderThumbnailsVtt } from './thumbnails.ts'

export const HLS_PLAYLIST_TYPE = 'application/vnd.apple.mpegurl'
export const DASH_MPD_TYPE = 'application/dash+xml'
export { WEBVTT_TYPE }

export type VideoResource =
  | { kind: 'text', type: string, body: string }
  | { kind: 'stream', type: string, stream: StreamRef, context: Uint8Array, epoch?: number }

/** `epoch`: a live archive's segment, opened with that epoch's key (streamOpeningKey). */
const resource = (s: VideoStream): VideoResource => ({ kind: 'stream', type: s.type, stream: s.stream, context: s.context, ...(s.epoch === undefined ? {} : { epoch: s.epoch }) })

const MAX_PATH = 128
const RENDITION_PATH = /^([a-z0-9][a-z0-9_-]{0,31})\/(index\.m3u8|init\.mp4|(\d{1,6})\.m4s)$/
const SUBTITLE_PATH = /^subtitles\/([A-Za-z0-9-]{2,35})\.(m3u8|vtt)$/
const SHEET_PATH = /^thumbnails\/(\d{1,5})\.jpg$/

/** What `path` (relative, no leading slash, no query) names in this video, or undefined. */
export function resolveVideoPath (video: VideoManifest, path: string): VideoResource | undefined {
  if (path.length > MAX_PATH) return undefined
  if (path === 'master.m3u8') return { kind: 'text', type: HLS_PLAYLIST_TYPE, body: renderMasterPlaylist(video) }
  if (path === 'poster.jpg') return resource(posterStream(video.poster))
  if (path === 'manifest.mpd') return { kind: 'text', type: DASH_MPD_TYPE, body: renderDashMpd(video) }
  if (path === 'thumbnails.vtt') {
    const body = renderThumbnailsVtt(video)
    return body === undefined ? undefined : { kind: 'text', type: WEBVTT_TYPE, body }
  }
  const sub = SUBTITLE_PATH.exec(path)
  if (sub !== null) {
    const track = video.subtitles?.find(t => t.lang === sub[1])
    if (track === undefined) return undefined
    return sub[2] === 'm3u8'
      ? { kind: 'text', type: HLS_PLAYLIST_TYPE, body: renderSubtitlePlaylist(video, track) }
      : resource(subtitleStream(track))
  }
  const sheet = SHEET_PATH.exec(path)
  if (sheet !== null) {
    // Leading zeros would name one sheet twice; only the canonical number resolves.
    const i = Number(sheet[1])
    const ref = String(i) === sheet[1] ? video.thumbnails?.sheets[i] : undefined
    return ref === undefined ? undefined : resource(thumbnailSheetStream(i, ref))
  }
  const m = RENDITION_PATH.exec(path)
  const r = m === null ? undefined : video.renditions.find(x => x.id === m[1])
  if (m === null || r === undefined) return undefined
  if (m[2] === 'index.m3u8') return { kind: 'text', type: HLS_PLAYLIST_TYPE, body: renderMediaPlaylist(r) }
  if (m[2] === 'init.mp4') return resource(asSealed(video, initStream(r)))
  const i = Number(m[3])
  const seg = r.segments[i]
  return seg === undefined ? undefined : resource(asSealed(video, segmentStream(r, i, seg.stream), seg.epoch ?? -1))
}

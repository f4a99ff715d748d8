/**
 * The URL layout of a video, shared by every server and loader that presents one (the local
 * gateway for any HLS player, the browser loader): each path maps either to a playlist rendered
 * from the manifest or to one sealed stream with the AAD context it was sealed under.
 *
 *   master.m3u8                       master playlist
 *   <rendition>/index.m3u8            media playlist
 *   <rendition>/init.mp4              init segment          context "<rendition>/init"
 *   <rendition>/<i>.m4s               media segment i       context "<rendition>/<i>"
 *   poster.jpg                        poster image          context "poster"
 */
import { POSTER_CONTEXT, videoStreamContext, type StreamRef, type VideoManifest } from '../manifest.ts'
import { renderMasterPlaylist, renderMediaPlaylist } from './hls.ts'

export const HLS_PLAYLIST_TYPE = 'application/vnd.apple.mpegurl'

export type VideoResource =
  | { kind: 'text', type: string, body: string }
  | { kind: 'stream', type: string, stream: StreamRef, context: Uint8Array }

const MAX_PATH = 128
const RENDITION_PATH = /^([a-z0-9][a-z0-9_-]{0,31})\/(index\.m3u8|init\.mp4|(\d{1,6})\.m4s)$/

/** What `path` (relative, no leading slash, no query) names in this video, or undefined. */
export function resolveVideoPath (video: VideoManifest, path: string): VideoResource | undefined {
  if (path.length > MAX_PATH) return undefined
  if (path === 'master.m3u8') return { kind: 'text', type: HLS_PLAYLIST_TYPE, body: renderMasterPlaylist(video) }
  if (path === 'poster.jpg') return { kind: 'stream', type: 'image/jpeg', stream: video.poster, context: POSTER_CONTEXT }
  const m = RENDITION_PATH.exec(path)
  const r = m === null ? undefined : video.renditions.find(x => x.id === m[1])
  if (m === null || r === undefined) return undefined
  if (m[2] === 'index.m3u8') return { kind: 'text', type: HLS_PLAYLIST_TYPE, body: renderMediaPlaylist(r) }
  const mime = r.kind === 'audio' ? 'audio/mp4' : 'video/mp4'
  if (m[2] === 'init.mp4') return { kind: 'stream', type: mime, stream: r.init, context: videoStreamContext(r.id, 'init') }
  const i = Number(m[3])
  const seg = r.segments[i]
  return seg === undefined ? undefined : { kind: 'stream', type: mime, stream: seg.stream, context: videoStreamContext(r.id, i) }
}

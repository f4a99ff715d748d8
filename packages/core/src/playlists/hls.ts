/**
 * HLS playlists rendered from a video manifest (pure; used by the local gateway and, later, the
 * browser loader). URIs are relative: `<rendition>/index.m3u8`, `<rendition>/init.mp4`,
 * `<rendition>/<index>.m4s`.
 */
import type { VideoManifest, VideoRendition } from '../manifest.ts'

export function renderMasterPlaylist (video: VideoManifest): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']
  // Video variants first, best first; the audio-only variant last (players start at the top).
  const ordered = [...video.renditions].sort((a, b) => (a.kind === b.kind ? b.bandwidth - a.bandwidth : a.kind === 'video' ? -1 : 1))
  for (const r of ordered) {
    const attrs = [`BANDWIDTH=${r.bandwidth}`, `CODECS="${r.codecs}"`]
    if (r.width !== undefined && r.height !== undefined) attrs.push(`RESOLUTION=${r.width}x${r.height}`)
    if (r.frameRate !== undefined) attrs.push(`FRAME-RATE=${r.frameRate.toFixed(3)}`)
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${r.id}/index.m3u8`)
  }
  return lines.join('\n') + '\n'
}

export function renderMediaPlaylist (r: VideoRendition): string {
  const target = Math.ceil(Math.max(...r.segments.map(s => s.duration)))
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-MAP:URI="init.mp4"',
    ...r.segments.flatMap((s, i) => [`#EXTINF:${s.duration.toFixed(6)},`, `${i}.m4s`]),
    '#EXT-X-ENDLIST'
  ].join('\n') + '\n'
}

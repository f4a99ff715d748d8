/**
 * HLS playlists rendered from a video manifest (pure; used by the local gateway and the browser
 * loader). URIs are relative to the master playlist: `<rendition>/index.m3u8`,
 * `<rendition>/init.mp4`, `<rendition>/<index>.m4s`, `subtitles/<lang>.m3u8`.
 *
 * Video renditions that carry no audio of their own (CMAF: one track per rendition) are tied to
 * the audio rendition through an `EXT-X-MEDIA` audio group; their `CODECS` and `BANDWIDTH` then
 * count the audio too, as RFC 8216 requires. Manifests whose video renditions mux their audio
 * are rendered as plain variants.
 */
import type { SubtitleTrack, VideoManifest, VideoRendition } from '../manifest.ts'

export const AUDIO_GROUP = 'audio'
export const SUBTITLE_GROUP = 'subs'
const AUDIO_CODEC = /^(mp4a|ac-3|ec-3|opus|flac|alac)\b/i

/** True when a rendition's CODECS list names an audio codec (its segments carry audio). */
export function hasAudioCodec (codecs: string): boolean {
  return codecs.split(',').some(c => AUDIO_CODEC.test(c.trim()))
}

/** A value safe inside an HLS quoted-string: no double quotes, no line breaks. */
function quoted (value: string): string {
  return `"${value.replace(/["\r\n]/g, "'")}"`
}

export function renderMasterPlaylist (video: VideoManifest): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']
  const audio = video.renditions.filter(r => r.kind === 'audio')
  // A variant's BANDWIDTH counts the most demanding member of its audio group (RFC 8216 §4.3.4.2).
  const best = audio.reduce<VideoRendition | undefined>((a, r) => a === undefined || r.bandwidth > a.bandwidth ? r : a, undefined)
  // The group exists only when some video rendition needs it (legacy manifests mux audio in).
  const topAudio = video.renditions.some(r => r.kind === 'video' && !hasAudioCodec(r.codecs)) ? best : undefined
  const defaultAudio = Math.max(0, audio.findIndex(r => r.default === true))
  if (topAudio !== undefined) audio.forEach((r, i) => lines.push(audioMedia(r, i === defaultAudio, audio.length)))
  const subtitles = video.subtitles ?? []
  for (const t of subtitles) lines.push(subtitleMedia(t))
  // Video variants first, best first; the audio-only variant last (players start at the top).
  const ordered = [...video.renditions].sort((a, b) => (a.kind === b.kind ? b.bandwidth - a.bandwidth : a.kind === 'video' ? -1 : 1))
  for (const r of ordered) {
    const grouped = r.kind === 'video' && topAudio !== undefined && !hasAudioCodec(r.codecs)
    const bandwidth = grouped ? r.bandwidth + topAudio.bandwidth : r.bandwidth
    const codecs = grouped ? `${r.codecs},${topAudio.codecs}` : r.codecs
    const attrs = [`BANDWIDTH=${bandwidth}`, `CODECS="${codecs}"`]
    if (r.width !== undefined && r.height !== undefined) attrs.push(`RESOLUTION=${r.width}x${r.height}`)
    if (r.frameRate !== undefined) attrs.push(`FRAME-RATE=${r.frameRate.toFixed(3)}`)
    if (grouped) attrs.push(`AUDIO="${AUDIO_GROUP}"`)
    if (subtitles.length > 0) attrs.push(`SUBTITLES="${SUBTITLE_GROUP}"`)
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${r.id}/index.m3u8`)
  }
  return lines.join('\n') + '\n'
}

/** One audio track of the group: each language its own rendition, one of them the default. */
function audioMedia (r: VideoRendition, isDefault: boolean, tracks: number): string {
  const name = r.name ?? (tracks === 1 ? 'Audio' : `Audio ${r.id}`)
  const lang = r.lang === undefined ? '' : `,LANGUAGE=${quoted(r.lang)}`
  return `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",NAME=${quoted(name)}${lang},DEFAULT=${isDefault ? 'YES' : 'NO'},AUTOSELECT=YES,URI="${r.id}/index.m3u8"`
}

function subtitleMedia (t: SubtitleTrack): string {
  const isDefault = t.default === true
  return `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${SUBTITLE_GROUP}",NAME=${quoted(t.name)},LANGUAGE=${quoted(t.lang)},DEFAULT=${isDefault ? 'YES' : 'NO'},AUTOSELECT=YES,FORCED=NO,URI="subtitles/${t.lang}.m3u8"`
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

/**
 * A subtitle track's media playlist: one segment, the whole WebVTT file, spanning the video.
 * (The file's `X-TIMESTAMP-MAP` header, written at upload, ties cue times to the media timeline.)
 */
export function renderSubtitlePlaylist (video: VideoManifest, track: SubtitleTrack): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(video.durationSeconds)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${video.durationSeconds.toFixed(6)},`,
    `${track.lang}.vtt`,
    '#EXT-X-ENDLIST'
  ].join('\n') + '\n'
}

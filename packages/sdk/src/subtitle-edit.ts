/**
 * One subtitle track changed in a video manifest (`p2pdv captions edit`): replaced by new WebVTT
 * text, added, or removed. Pure: the caller re-seals the result (client.resealVideo), so the new
 * track gets a stream number no other stream of the video uses.
 */
import { isSubtitleLang, MAX_SUBTITLE_NAME_LENGTH, MAX_SUBTITLE_TRACKS, P2pdvError, type SubtitleTrack, type VideoManifest } from '@p2pdv/core'

/** What to do to the track in `lang` (matched ignoring case, as the manifest keeps them unique). */
export type SubtitleEdit =
  | { lang: string, remove: true }
  /** Replace (or add) the track with `vtt` (UTF-8 WebVTT, already checked); name and default default to the old track's. */
  | { lang: string, vtt: Uint8Array, name?: string, default?: boolean }

export function findSubtitleTrack (video: VideoManifest, lang: string): SubtitleTrack {
  const track = video.subtitles?.find(t => t.lang.toLowerCase() === lang.toLowerCase())
  if (track === undefined) {
    const have = video.subtitles?.map(t => t.lang).join(', ') ?? ''
    throw new P2pdvError('ERR_SUBTITLE_NOT_FOUND', `the video has no "${lang}" subtitle track${have === '' ? '' : ` (it has: ${have})`}`, { hint: 'List the tracks with `p2pdv captions ls`.' })
  }
  return track
}

/**
 * The manifest with the edit applied. A new or replaced track is last in the list (its stream
 * number is one past every stream of the video; its stream ref is a placeholder the re-seal fills)
 * and is returned as `added` with its text.
 */
export function editSubtitles (video: VideoManifest, edit: SubtitleEdit): { video: VideoManifest, added?: { track: SubtitleTrack, vtt: Uint8Array } } {
  if (!isSubtitleLang(edit.lang)) throw new P2pdvError('ERR_SUBTITLE_LANG', `"${edit.lang.slice(0, 40)}" is not a language tag`)
  const old = video.subtitles ?? []
  const same = (t: SubtitleTrack): boolean => t.lang.toLowerCase() === edit.lang.toLowerCase()
  const previous = old.find(same)
  const others = old.filter(t => !same(t))
  if ('remove' in edit) {
    findSubtitleTrack(video, edit.lang)
    const { subtitles: _gone, ...rest } = video
    return { video: others.length === 0 ? rest : { ...rest, subtitles: others } }
  }
  const name = edit.name ?? previous?.name ?? edit.lang
  if (name.trim() === '' || name.length > MAX_SUBTITLE_NAME_LENGTH || /\p{Cc}/u.test(name)) {
    throw new P2pdvError('ERR_SUBTITLE_NAME', `a track name must be 1 to ${MAX_SUBTITLE_NAME_LENGTH} characters without control characters`, { hint: 'e.g. --name "English"' })
  }
  if (previous === undefined && old.length >= MAX_SUBTITLE_TRACKS) {
    throw new P2pdvError('ERR_SUBTITLE_TOO_MANY', `a video carries at most ${MAX_SUBTITLE_TRACKS} subtitle tracks`, { hint: 'Remove a track first: `p2pdv captions edit VIDEO LANG --remove`.' })
  }
  const isDefault = edit.default ?? previous?.default === true
  const n = 1 + Math.max(...allStreamNumbers(video))
  const track: SubtitleTrack = { lang: previous?.lang ?? edit.lang, name, ...(isDefault ? { default: true } : {}), stream: { n, size: 0, chunks: [] } }
  // A new default takes the flag from whichever track had it.
  const kept = isDefault ? others.map(({ default: _d, ...t }) => t) : others
  return { video: { ...video, subtitles: [...kept, track] }, added: { track, vtt: edit.vtt } }
}

function allStreamNumbers (video: VideoManifest): number[] {
  return [
    ...video.renditions.flatMap(r => [r.init.n, ...r.segments.map(s => s.stream.n)]),
    video.poster.n,
    ...(video.subtitles ?? []).map(t => t.stream.n),
    ...(video.thumbnails?.sheets ?? []).map(s => s.n)
  ]
}

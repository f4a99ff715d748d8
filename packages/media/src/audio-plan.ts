/**
 * Which audio tracks of a source are published, and how each is labelled. Every track is by
 * default (a second language dropped silently was a bug); `--audio-lang` picks and relabels
 * them. Each published track is its own CMAF audio rendition, tied to the video renditions by
 * the HLS audio group and listed by language in DASH.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import type { SourceAudioTrack } from './probe.ts'
import { MediaErrorCode } from './run-tool.ts'
import { languageName } from './subtitles.ts'

/** More is a mistake far more often than a need (players list them all in one menu). */
export const MAX_AUDIO_TRACKS = 8

/** One `--audio-lang` entry: tracks tagged `lang`, or source audio track `track` labelled `lang`. */
export interface AudioChoice { lang: string, track?: number }

export interface AudioRendition {
  /** "audio" for a single track; "audio-<lang>" (or "audio-<n>") for each of several. */
  id: string
  /** The source's audio stream number (ffmpeg's `0:a:<track>`). */
  track: number
  lang?: string
  name: string
  default: boolean
}

const LANG = /^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$/

/** A canonical BCP-47 tag ("eng" → "en"), or undefined for what is not one. */
export function canonicalLang (tag: string): string | undefined {
  if (!LANG.test(tag) || tag.length > 35) return undefined
  try {
    return Intl.getCanonicalLocales(tag)[0]
  } catch {
    return undefined
  }
}

/** A track's language as a canonical tag; "und" (undetermined) is no language. */
function tagOf (track: SourceAudioTrack): string | undefined {
  const lang = track.lang === undefined ? undefined : canonicalLang(track.lang)
  return lang === 'und' ? undefined : lang
}

/**
 * Parses `--audio-lang`: comma-separated `LANG` (keep the tracks tagged LANG) or `N=LANG` (keep
 * audio track N, counted from 0 in source order, as LANG). Refuses anything else with a code.
 */
export function parseAudioChoices (spec: string): AudioChoice[] {
  const choices = spec.split(',').map(s => s.trim()).filter(s => s !== '').map((entry): AudioChoice => {
    const m = /^(?:(\d{1,2})=)?(.+)$/.exec(entry)!
    const lang = canonicalLang(m[2]!)
    if (lang === undefined) throw new P2pdvError(MediaErrorCode.BAD_OPTION, `--audio-lang: "${entry.slice(0, 40)}" is not LANG or N=LANG`, { hint: 'Use language tags like en, es, pt-BR; e.g. --audio-lang en,es or --audio-lang 0=en,1=es.' })
    return m[1] === undefined ? { lang } : { lang, track: Number(m[1]) }
  })
  if (choices.length === 0) throw new P2pdvError(MediaErrorCode.BAD_OPTION, '--audio-lang names no track', { hint: 'e.g. --audio-lang en,es or --audio-lang 0=en' })
  return choices
}

/** The audio renditions to publish for `tracks`, given the uploader's choices (if any). */
export function planAudio (tracks: readonly SourceAudioTrack[], choices?: readonly AudioChoice[]): AudioRendition[] {
  const describe = (): string => tracks.map(t => `${t.index}=${t.lang ?? 'untagged'}`).join(', ') || 'none'
  let picked: Array<{ track: SourceAudioTrack, lang?: string }>
  if (choices === undefined || choices.length === 0) {
    picked = tracks.map(track => { const lang = tagOf(track); return lang === undefined ? { track } : { track, lang } })
    if (picked.length > MAX_AUDIO_TRACKS) {
      throw new P2pdvError(MediaErrorCode.TOO_MANY_TRACKS, `the file has ${tracks.length} audio tracks; at most ${MAX_AUDIO_TRACKS} are published`, { hint: `Pick the ones to publish with --audio-lang (tracks: ${describe()}).` })
    }
  } else {
    picked = []
    for (const c of choices) {
      const found = c.track !== undefined
        ? tracks.filter(t => t.index === c.track)
        : tracks.filter(t => tagOf(t) === c.lang)
      if (found.length === 0) {
        throw new P2pdvError(MediaErrorCode.BAD_OPTION, c.track !== undefined ? `--audio-lang: the file has no audio track ${c.track}` : `--audio-lang: no audio track is tagged "${c.lang}"`, { hint: `The file's audio tracks: ${describe()}. Name untagged ones by number (N=LANG).` })
      }
      for (const track of found) if (!picked.some(p => p.track === track)) picked.push({ track, lang: c.lang })
    }
    if (picked.length > MAX_AUDIO_TRACKS) throw new P2pdvError(MediaErrorCode.TOO_MANY_TRACKS, `--audio-lang picks ${picked.length} tracks; at most ${MAX_AUDIO_TRACKS} are published`)
  }
  if (picked.length === 0) return []
  // The default: the uploader's first choice, else the track the file marks default, else the first.
  const defaultAt = choices !== undefined && choices.length > 0 ? 0 : Math.max(0, picked.findIndex(p => p.track.default))
  const ids = new Set<string>()
  return picked.map(({ track, lang }, i) => {
    let id = picked.length === 1 ? 'audio' : `audio-${(lang ?? String(track.index)).toLowerCase()}`
    if (ids.has(id)) id = `${id}-${track.index}`
    ids.add(id)
    // A track relabelled by the uploader is named by its new language, not its old title.
    const chosen = choices !== undefined && choices.length > 0
    const name = lang !== undefined && chosen ? languageName(lang) : track.title ?? (lang === undefined ? (picked.length === 1 ? 'Audio' : `Audio ${i + 1}`) : languageName(lang))
    return { id, track: track.index, ...(lang === undefined ? {} : { lang }), name, default: i === defaultAt }
  })
}

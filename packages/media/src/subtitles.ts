/**
 * Subtitle files in, normalised WebVTT out. Accepts WebVTT (`.vtt`) and SubRip (`.srt`, converted),
 * checks them before any transcoding starts (size, UTF-8, parseable cues, times within the video)
 * and refuses with a typed error naming the file and line. Output is one WebVTT file per track
 * with an `X-TIMESTAMP-MAP` header tying cue time 0 to the start of the video's media timeline
 * (what hls.js and Safari need to place cues over CMAF video whose timestamps may not start at 0).
 */
import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { isSubtitleLang, MAX_SUBTITLE_NAME_LENGTH, MAX_SUBTITLE_TRACKS, P2pdvError } from '@p2pdv/core'

export const SubtitleErrorCode = {
  FORMAT: 'ERR_SUBTITLE_FORMAT',
  TOO_LARGE: 'ERR_SUBTITLE_TOO_LARGE',
  NOT_UTF8: 'ERR_SUBTITLE_NOT_UTF8',
  SYNTAX: 'ERR_SUBTITLE_SYNTAX',
  TIMING: 'ERR_SUBTITLE_TIMING',
  EMPTY: 'ERR_SUBTITLE_EMPTY',
  LANG: 'ERR_SUBTITLE_LANG',
  UNREADABLE: 'ERR_SUBTITLE_UNREADABLE'
} as const

/** A 2-hour film's subtitles are ~100 KB; anything near this limit is not a subtitle file. */
export const MAX_SUBTITLE_BYTES = 2 * 1024 * 1024

export interface SubtitleInput {
  /** BCP-47 tag: "en", "pt-BR". */
  lang: string
  path: string
  /** Display name; defaults to the language's own name for itself ("English", "français"). */
  name?: string
  default?: boolean
}

export interface Cue {
  id?: string
  start: number
  end: number
  /** WebVTT cue settings ("align:start line:0"), kept as written. */
  settings?: string
  text: string
}

export interface ParsedSubtitles {
  /** STYLE and REGION blocks (WebVTT only), kept verbatim. */
  blocks: string[]
  cues: Cue[]
}

function fail (code: string, file: string, line: number | undefined, what: string, hint: string): P2pdvError {
  return new P2pdvError(code, `${file}${line === undefined ? '' : `:${line}`}: ${what}`, { hint, details: { file, ...(line === undefined ? {} : { line }) } })
}

const VTT_TIME = /^(?:(\d{1,4}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/
const SRT_TIME = /^(\d{1,4}):([0-5]\d):([0-5]\d)[,.](\d{1,3})$/

function seconds (m: RegExpExecArray): number {
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]!.padEnd(3, '0')) / 1000
}

/** Splits into blocks separated by blank lines, remembering each block's first line number. */
/** Where each cue's timing line was, for error messages (kept out of the Cue shape). */
const cueLines = new WeakMap<Cue, number>()

function blocksOf (text: string): Array<{ line: number, lines: string[] }> {
  const out: Array<{ line: number, lines: string[] }> = []
  let cur: { line: number, lines: string[] } | undefined
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') { cur = undefined; return }
    if (cur === undefined) { cur = { line: i + 1, lines: [] }; out.push(cur) }
    cur.lines.push(l)
  })
  return out
}

export function parseWebVtt (text: string, file: string): ParsedSubtitles {
  const first = text.split('\n', 1)[0] ?? ''
  if (!/^WEBVTT([ \t].*)?$/.test(first)) {
    throw fail(SubtitleErrorCode.SYNTAX, file, 1, 'a WebVTT file must start with the line "WEBVTT"', 'Check that the file is WebVTT; SubRip files need the .srt extension.')
  }
  const all = blocksOf(text)
  all.shift() // the header block: "WEBVTT" and header lines (an old X-TIMESTAMP-MAP is dropped)
  const blocks: string[] = []
  const cues: Cue[] = []
  for (const b of all) {
    const head = b.lines[0]!
    if (/^NOTE($|[ \t])/.test(head)) continue
    if (/^(STYLE|REGION)[ \t]*$/.test(head) && !b.lines.some(l => l.includes('-->'))) {
      if (cues.length === 0) blocks.push(b.lines.join('\n'))
      continue
    }
    const hasId = !head.includes('-->')
    const timingAt = hasId ? 1 : 0
    const timing = b.lines[timingAt]
    const lineNo = b.line + timingAt
    if (timing === undefined || !timing.includes('-->')) {
      throw fail(SubtitleErrorCode.SYNTAX, file, lineNo, 'expected a cue timing line like "00:00:01.000 --> 00:00:02.500"', 'Each cue is an optional id line, a timing line, then its text.')
    }
    const m = /^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(timing)
    const s = m === null ? null : VTT_TIME.exec(m[1]!)
    const e = m === null ? null : VTT_TIME.exec(m[2]!)
    if (m === null || s === null || e === null) {
      throw fail(SubtitleErrorCode.SYNTAX, file, lineNo, `bad cue timing "${timing.slice(0, 60)}"`, 'WebVTT times look like 00:01.000 or 01:02:03.456 (a dot before the milliseconds).')
    }
    const payload = b.lines.slice(timingAt + 1)
    const arrow = payload.findIndex(l => l.includes('-->'))
    if (arrow >= 0) throw fail(SubtitleErrorCode.SYNTAX, file, lineNo + 1 + arrow, 'cue text must not contain "-->" (is a blank line missing between two cues?)', 'Separate cues with a blank line.')
    cues.push({
      ...(hasId ? { id: head } : {}),
      start: seconds(s),
      end: seconds(e),
      ...(m[3] === undefined || m[3].trim() === '' ? {} : { settings: m[3].trim() }),
      text: payload.join('\n')
    })
    cueLines.set(cues[cues.length - 1]!, lineNo)
  }
  return { blocks, cues }
}

/** SubRip text to WebVTT cue text: entities escaped, <i>/<b>/<u> kept, other tags dropped. */
function srtText (lines: string[]): string {
  return lines.join('\n')
    .replace(/\{\\[^}]*\}/g, '') // ASS overrides such as {\an8}
    .replace(/&(?!(amp|lt|gt|nbsp|lrm|rlm|#\d+|#x[0-9a-fA-F]+);)/g, '&amp;')
    .replace(/<(\/?)([a-zA-Z]+)[^>]*>/g, (all, slash: string, tag: string) => ['i', 'b', 'u'].includes(tag.toLowerCase()) ? `<${slash}${tag.toLowerCase()}>` : '')
    .replace(/<(?![/]?[ibu]>)/g, '&lt;')
    .replace(/-->/g, '--&gt;')
}

export function parseSrt (text: string, file: string): ParsedSubtitles {
  const cues: Cue[] = []
  for (const b of blocksOf(text)) {
    // The counter line is optional in practice; the timing line is not.
    const timingAt = /^\d+$/.test(b.lines[0]!.trim()) ? 1 : 0
    const timing = b.lines[timingAt]
    const lineNo = b.line + timingAt
    const m = timing === undefined ? null : /^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$/.exec(timing)
    const s = m === null ? null : SRT_TIME.exec(m[1]!)
    const e = m === null ? null : SRT_TIME.exec(m[2]!)
    if (m === null || s === null || e === null) {
      throw fail(SubtitleErrorCode.SYNTAX, file, lineNo, `expected a SubRip timing line like "00:00:01,000 --> 00:00:02,500", got "${(timing ?? '').slice(0, 60)}"`, 'Each SubRip cue is a counter, a timing line, its text, then a blank line.')
    }
    const cue: Cue = { start: seconds(s), end: seconds(e), text: srtText(b.lines.slice(timingAt + 1)) }
    cues.push(cue)
    cueLines.set(cue, lineNo)
  }
  return { blocks: [], cues }
}

/**
 * Checks timing against the video: every cue must end after it starts and start before the video
 * ends; an end past the video's end is cut there. Cues are put in start order (players expect it).
 */
export function checkCueTimes (parsed: ParsedSubtitles, file: string, durationSeconds: number): ParsedSubtitles {
  if (parsed.cues.length === 0) throw fail(SubtitleErrorCode.EMPTY, file, undefined, 'has no cues', 'Pass a subtitle file with at least one cue.')
  const cues = parsed.cues.map(c => {
    const line = cueLines.get(c)
    if (!(c.end > c.start)) throw fail(SubtitleErrorCode.TIMING, file, line, `a cue ends (${c.end.toFixed(3)} s) before it starts (${c.start.toFixed(3)} s)`, 'Fix the cue times.')
    if (c.start >= durationSeconds) {
      throw fail(SubtitleErrorCode.TIMING, file, line, `a cue starts at ${c.start.toFixed(3)} s, after the video ends (${durationSeconds.toFixed(3)} s)`, 'Is this the subtitle file for this video?')
    }
    return c.end > durationSeconds ? { ...c, end: durationSeconds } : c
  })
  return { blocks: parsed.blocks, cues: cues.map((c, i) => ({ c, i })).sort((a, b) => a.c.start - b.c.start || a.i - b.i).map(x => x.c) }
}

function vttTime (t: number): string {
  const ms = Math.round(t * 1000)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`
}

/** MPEG-TS timestamps are 33-bit counters of a 90 kHz clock. */
const MPEGTS_WRAP = 2 ** 33

/**
 * Normalised WebVTT. `timelineStartSeconds` is where the video's media timeline starts (its first
 * decode time): cue time 0 is mapped to it with `X-TIMESTAMP-MAP=MPEGTS:…,LOCAL:00:00:00.000`.
 */
export function renderWebVtt (parsed: ParsedSubtitles, timelineStartSeconds: number): string {
  const mpegts = Math.round(timelineStartSeconds * 90_000) % MPEGTS_WRAP
  const out = ['WEBVTT', `X-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000`, '']
  for (const b of parsed.blocks) out.push(b, '')
  for (const c of parsed.cues) {
    if (c.id !== undefined) out.push(c.id)
    out.push(`${vttTime(c.start)} --> ${vttTime(c.end)}${c.settings === undefined ? '' : ` ${c.settings}`}`)
    if (c.text !== '') out.push(c.text)
    out.push('')
  }
  return out.join('\n')
}

/** The language's name in itself ("English", "français", "português (Brasil)"), else the tag. */
export function languageName (lang: string): string {
  try {
    const name = new Intl.DisplayNames([lang], { type: 'language' }).of(lang)
    if (name !== undefined && name !== '') return (name.charAt(0).toLocaleUpperCase(lang) + name.slice(1)).slice(0, MAX_SUBTITLE_NAME_LENGTH)
  } catch {}
  return lang
}

/** A subtitle track read and checked against the video, ready to be rendered. */
export interface LoadedSubtitles {
  lang: string
  name: string
  default: boolean
  parsed: ParsedSubtitles
}

/** Reads and checks one file: size, UTF-8, syntax (by extension), times within the video. */
export async function loadSubtitles (input: SubtitleInput, durationSeconds: number): Promise<LoadedSubtitles> {
  const file = input.path
  const ext = extname(file).toLowerCase()
  if (ext !== '.vtt' && ext !== '.srt') {
    throw fail(SubtitleErrorCode.FORMAT, file, undefined, `is neither WebVTT (.vtt) nor SubRip (.srt)`, 'Convert the subtitles to WebVTT or SubRip first.')
  }
  const info = await stat(file).catch(cause => { throw Object.assign(fail(SubtitleErrorCode.UNREADABLE, file, undefined, 'cannot be read', 'Check the path.'), { cause }) })
  if (!info.isFile()) throw fail(SubtitleErrorCode.UNREADABLE, file, undefined, 'is not a file', 'Check the path.')
  if (info.size > MAX_SUBTITLE_BYTES) throw fail(SubtitleErrorCode.TOO_LARGE, file, undefined, `is ${info.size} bytes, more than the ${MAX_SUBTITLE_BYTES}-byte limit for subtitles`, 'Is this really a subtitle file?')
  const bytes = await readFile(file)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    const line = bytes.subarray(0, firstInvalidUtf8(bytes)).toString('latin1').split('\n').length
    throw fail(SubtitleErrorCode.NOT_UTF8, file, line, 'is not valid UTF-8', 'Re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8).')
  }
  if (text.includes('\u0000')) throw fail(SubtitleErrorCode.SYNTAX, file, text.slice(0, text.indexOf('\u0000')).split('\n').length, 'contains a NUL character', 'Re-save the file as plain UTF-8 text.')
  text = text.replace(/\r\n?/g, '\n')
  const parsed = ext === '.vtt' ? parseWebVtt(text, file) : parseSrt(text, file)
  return {
    lang: input.lang,
    name: input.name ?? languageName(input.lang),
    default: input.default === true,
    parsed: checkCueTimes(parsed, file, durationSeconds)
  }
}

function firstInvalidUtf8 (bytes: Uint8Array): number {
  let lo = 0
  let hi = bytes.byteLength
  const ok = (n: number): boolean => { try { new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true }); return true } catch { return false } }
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ok(mid)) lo = mid; else hi = mid - 1 }
  return lo
}

/** Checks the track list itself: count, language tags (unique ignoring case), names, one default. */
export function checkSubtitleInputs (inputs: SubtitleInput[]): void {
  if (inputs.length > MAX_SUBTITLE_TRACKS) throw new P2pdvError(SubtitleErrorCode.LANG, `at most ${MAX_SUBTITLE_TRACKS} subtitle tracks, got ${inputs.length}`)
  const seen = new Set<string>()
  for (const s of inputs) {
    if (!isSubtitleLang(s.lang)) {
      throw new P2pdvError(SubtitleErrorCode.LANG, `"${s.lang.slice(0, 40)}" is not a language tag`, { hint: 'Use a BCP-47 tag such as en, fr or pt-BR.' })
    }
    if (seen.has(s.lang.toLowerCase())) throw new P2pdvError(SubtitleErrorCode.LANG, `two subtitle tracks for "${s.lang}"`, { hint: 'Give each language one file.' })
    seen.add(s.lang.toLowerCase())
    if (s.name !== undefined && (s.name.trim() === '' || s.name.length > MAX_SUBTITLE_NAME_LENGTH || /[\u0000-\u001f]/.test(s.name))) {
      throw new P2pdvError(SubtitleErrorCode.LANG, `subtitle name for "${s.lang}" must be 1–${MAX_SUBTITLE_NAME_LENGTH} characters without control characters`)
    }
  }
  if (inputs.filter(s => s.default === true).length > 1) throw new P2pdvError(SubtitleErrorCode.LANG, 'at most one subtitle track can be the default')
}

/**
 * Automatic captions, made on the creator's machine before anything is sealed (the words never
 * leave it in plaintext). Engine: Debian's pocketsphinx (`pocketsphinx_continuous` with the
 * `pocketsphinx-en-us` model): no npm package ships a whisper model (see docs/architecture.md
 * for the search and the measured word error rates). `pocketsphinx_continuous -time yes` gives
 * word times, which ffmpeg's `asr` filter does not (one text per utterance), so cues are timed
 * from the words.
 */
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { aborted, FFMPEG, FFPROBE, runTool } from './run-tool.ts'
import type { Cue, ParsedSubtitles } from './subtitles.ts'

export const CaptionErrorCode = {
  /** No speech model for the language: refused before any work. */
  LANG: 'ERR_CAPTIONS_LANG',
  /** The source has no audio track: refused before any work. */
  NO_AUDIO: 'ERR_CAPTIONS_NO_AUDIO',
  /** pocketsphinx or its model is not installed: refused before any work. */
  ENGINE_MISSING: 'ERR_CAPTIONS_ENGINE_MISSING'
} as const

export const CAPTION_ENGINE = process.env.P2PDV_POCKETSPHINX ?? 'pocketsphinx_continuous'
const MODEL_ROOT = process.env.P2PDV_POCKETSPHINX_MODELS ?? '/usr/share/pocketsphinx/model'

/** Languages with an installed model: BCP-47 primary tag → model directory (Debian layout). */
const MODELS: Record<string, { dir: string, hmm: string, lm: string, dict: string }> = {
  en: { dir: 'en-us', hmm: 'en-us', lm: 'en-us.lm.bin', dict: 'cmudict-en-us.dict' }
}

/** Cue shaping: a reader needs ~1 s per 15 characters; lines past ~42 characters wrap badly. */
export const MAX_CUE_CHARS = 42
export const MAX_CUE_SECONDS = 6
/** A pause this long starts a new cue. */
export const CUE_GAP_SECONDS = 0.7

export interface TimedWord { word: string, start: number, end: number }

export interface CaptionModel { lang: string, hmm: string, lm: string, dict: string }

/** The model for `lang` ("en", "en-US"), or ERR_CAPTIONS_LANG naming the languages there are. */
export function captionModel (lang: string): CaptionModel {
  const primary = lang.toLowerCase().split('-')[0] ?? ''
  const m = MODELS[primary]
  if (m === undefined || !/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(lang)) {
    throw new P2pdvError(CaptionErrorCode.LANG, `no speech model for "${lang.slice(0, 40)}"; automatic captions exist for: ${Object.keys(MODELS).join(', ')}`, {
      hint: 'Pass --auto-captions en, or add subtitles in that language yourself with --subs LANG=FILE.'
    })
  }
  const dir = join(MODEL_ROOT, m.dir)
  return { lang: primary, hmm: join(dir, m.hmm), lm: join(dir, m.lm), dict: join(dir, m.dict) }
}

/** Checks the engine binary and model files exist (before any transcoding starts). */
export async function checkCaptionEngine (model: CaptionModel): Promise<void> {
  const missing = new P2pdvError(CaptionErrorCode.ENGINE_MISSING, 'automatic captions need pocketsphinx and its English model', {
    hint: 'Install them (Debian: apt-get install pocketsphinx pocketsphinx-en-us), or upload without --auto-captions.'
  })
  await Promise.all([model.hmm, model.lm, model.dict].map(async p => { await access(p) })).catch(() => { throw missing })
  await runTool(CAPTION_ENGINE, ['-h']).catch(err => {
    // `-h` exits non-zero on some builds; only a missing binary matters here.
    if (err instanceof P2pdvError && err.code === 'ERR_MEDIA_TOOL_MISSING') throw missing
  })
}

/**
 * `pocketsphinx_continuous -time yes` output → words. Lines are "word start end confidence";
 * fillers (<s>, </s>, <sil>, [NOISE], ++…++) are dropped, alternate pronunciations ("read(2)")
 * lose their suffix. Anything else (the utterance's text line, log noise) is ignored.
 */
export function parsePocketsphinxTimes (stdout: string): TimedWord[] {
  const words: TimedWord[] = []
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/.exec(line.trim())
    if (m === null) continue
    const raw = m[1]!
    if (/^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(raw)) continue
    const word = raw.replace(/\(\d+\)$/, '')
    const start = Number(m[2])
    const end = Number(m[3])
    if (word === '' || !(end >= start)) continue
    words.push({ word, start, end })
  }
  return words
}

/**
 * Words → timed cues: a cue ends at a pause of CUE_GAP_SECONDS, before it would pass
 * MAX_CUE_CHARS characters or MAX_CUE_SECONDS seconds. Text is escaped for WebVTT.
 */
export function buildCues (words: TimedWord[]): Cue[] {
  const cues: Cue[] = []
  let cur: TimedWord[] = []
  const flush = (): void => {
    if (cur.length === 0) return
    const text = cur.map(w => w.word).join(' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    cues.push({ start: cur[0]!.start, end: Math.max(cur[cur.length - 1]!.end, cur[0]!.start + 0.001), text })
    cur = []
  }
  for (const w of [...words].sort((a, b) => a.start - b.start)) {
    const last = cur[cur.length - 1]
    const chars = cur.reduce((n, x) => n + x.word.length + 1, 0) + w.word.length
    if (last !== undefined && (w.start - last.end >= CUE_GAP_SECONDS || chars > MAX_CUE_CHARS || w.end - cur[0]!.start > MAX_CUE_SECONDS)) flush()
    cur.push(w)
  }
  flush()
  // Cues never overlap: a player shows overlapping cues stacked, which reads as a glitch.
  for (let i = 1; i < cues.length; i++) if (cues[i - 1]!.end > cues[i]!.start) cues[i - 1]!.end = Math.max(cues[i]!.start, cues[i - 1]!.start + 0.001)
  return cues
}

/** Word error rate: word-level edit distance / reference word count (case and punctuation ignored). */
export function wordErrorRate (reference: string, hypothesis: string): number {
  const norm = (s: string): string[] => s.toLowerCase().replace(/[^\p{L}\p{N}'\s]/gu, ' ').split(/\s+/).filter(w => w !== '')
  const ref = norm(reference)
  const hyp = norm(hypothesis)
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j)
  for (let i = 1; i <= ref.length; i++) {
    const row = [i]
    for (let j = 1; j <= hyp.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[hyp.length]! / ref.length
}

export interface TranscribeOptions {
  /** BCP-47 tag; only languages with a model ("en"). */
  lang: string
  /** Source duration (for progress). */
  durationSeconds: number
  /** Which audio stream (index among the source's audio streams); default 0. */
  audioStream?: number
  signal?: AbortSignal
  onProgress?: (p: { percent: number }) => void
}

export interface TranscribeResult {
  words: TimedWord[]
  /** Empty when nothing was recognised (silence, music): the caller publishes no track. */
  cues: Cue[]
  /** Speed in × realtime (source seconds per wall-clock second). */
  speed: number
}

/**
 * Transcribes one audio track: ffmpeg decodes it to 16 kHz mono PCM (what the model was trained
 * on) in a private temp dir, pocketsphinx recognises it. The temp dir is removed in every case.
 */
export async function transcribe (file: string, opts: TranscribeOptions): Promise<TranscribeResult> {
  const model = captionModel(opts.lang)
  await checkCaptionEngine(model)
  if (opts.signal?.aborted === true) throw aborted()
  const started = performance.now()
  const streams = await runTool(FFPROBE, ['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=index', '-of', 'csv=p=0', file], opts.signal === undefined ? {} : { signal: opts.signal })
  const audioStreams = streams.stdout.split('\n').filter(l => l.trim() !== '').length
  if (audioStreams <= (opts.audioStream ?? 0)) {
    throw new P2pdvError(CaptionErrorCode.NO_AUDIO, audioStreams === 0 ? 'the file has no audio track to caption' : `the file has no audio track ${opts.audioStream ?? 0}`, {
      hint: 'Upload without --auto-captions, or add subtitles with --subs LANG=FILE.'
    })
  }
  const work = await mkdtemp(join(tmpdir(), 'p2pdv-captions-'))
  try {
    const wav = join(work, 'audio.wav')
    await runTool(FFMPEG, ['-nostdin', '-v', 'error', '-i', file, '-map', `0:a:${opts.audioStream ?? 0}`, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', wav], opts.signal === undefined ? {} : { signal: opts.signal })
    opts.onProgress?.({ percent: 5 })
    let out = ''
    await runTool(CAPTION_ENGINE, ['-infile', wav, '-time', 'yes', '-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict, '-logfn', '/dev/null'], {
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      onStdoutLine: line => {
        out += line + '\n'
        const t = /^\S+ \d+(?:\.\d+)? (\d+(?:\.\d+)?) /.exec(line)
        if (t !== null && opts.durationSeconds > 0) opts.onProgress?.({ percent: Math.min(99, 5 + 94 * Number(t[1]) / opts.durationSeconds) })
      }
    })
    const words = parsePocketsphinxTimes(out)
    opts.onProgress?.({ percent: 100 })
    return { words, cues: buildCues(words), speed: opts.durationSeconds / ((performance.now() - started) / 1000) }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The cues as a subtitle track body (no STYLE blocks), for renderWebVtt / a review file. */
export function captionTrack (cues: Cue[]): ParsedSubtitles {
  return { blocks: [], cues }
}

/**
 * `upload --auto-captions LANG`: transcribes the source on this machine before anything is sealed,
 * writes the captions next to the source for review (`talk.en.auto.vtt`) and adds them as a
 * subtitle track named "English (automatic)". Refuses before any work when it cannot run (no
 * model for LANG, engine not installed, no audio track, a --subs track in the same language);
 * when nothing is recognised (silence, music) the upload goes on without the track.
 */
import { writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import {
  buildCues, captionModel, captionTrack, CaptionErrorCode, checkCaptionEngine, checkSubtitleInputs, languageName, renderWebVtt, transcribe,
  type ProbeResult, type SubtitleInput
} from '@p2pdv/media'
import { stringOpt, type OptionSpec, type ParsedArgs } from '../command.ts'
import type { Output } from '../output.ts'

export const AUTO_CAPTIONS_OPTIONS: OptionSpec = { 'auto-captions': { type: 'string' } }
export const AUTO_CAPTIONS_USAGE = '[--auto-captions LANG]'

export interface AutoCaptionsPlan { lang: string, name: string }

export interface AutoCaptionsResult {
  lang: string
  /** 0 when nothing was recognised: no track was published. */
  cues: number
  words: number
  /** × realtime. */
  speed: number
  /** The review copy next to the source (absent when it could not be written). */
  file?: string
}

/** Cheap checks, run before anything else: a model for LANG, the engine installed, no clash with --subs. */
export async function planAutoCaptions (args: ParsedArgs, subtitles: SubtitleInput[]): Promise<AutoCaptionsPlan | undefined> {
  const lang = stringOpt(args, 'auto-captions')
  if (lang === undefined) return undefined
  const model = captionModel(lang)
  const name = `${languageName(model.lang)} (automatic)`
  // Two tracks in one language would be refused after the transcription: refuse now.
  checkSubtitleInputs([...subtitles, { lang: model.lang, path: '', name }])
  await checkCaptionEngine(model)
  return { lang: model.lang, name }
}

/** `dir/talk.mp4` → `dir/talk.en.auto.vtt`. */
export function reviewPath (source: string, lang: string): string {
  return join(dirname(source), `${basename(source, extname(source))}.${lang}.auto.vtt`)
}

/**
 * Transcribes the published default audio track (else the first), writes the track into `work`
 * and the review copy beside the source; returns the subtitle input to add (none when nothing
 * was recognised).
 */
export async function runAutoCaptions (plan: AutoCaptionsPlan, file: string, source: ProbeResult, audioTrack: number, work: string, out: Output, signal: AbortSignal): Promise<{ input?: SubtitleInput, result: AutoCaptionsResult }> {
  if (source.audioTracks.length === 0) {
    throw new P2pdvError(CaptionErrorCode.NO_AUDIO, `${basename(file)} has no audio track to caption`, { hint: 'Upload without --auto-captions, or add subtitles with --subs LANG=FILE.' })
  }
  const bar = out.progress('captions')
  const t = await transcribe(file, {
    lang: plan.lang,
    durationSeconds: source.durationSeconds,
    audioStream: audioTrack,
    signal,
    onProgress: p => { bar.update({ done: p.percent, total: 100 }) }
  }).finally(() => bar.finish())
  const cues = buildCues(t.words.filter(w => w.start < source.durationSeconds))
  const result: AutoCaptionsResult = { lang: plan.lang, cues: cues.length, words: t.words.length, speed: t.speed }
  if (cues.length === 0) {
    out.note(`captions: no speech was recognised in ${basename(file)}; publishing without automatic captions`)
    return { result }
  }
  const body = renderWebVtt(captionTrack(cues), 0).split('\n').slice(2).join('\n')
  const vtt = `WEBVTT\n\nNOTE automatic captions (${plan.lang}); review them, then publish with: p2pdv captions edit VIDEO ${plan.lang} --file THIS_FILE\n\n${body}`
  const track = join(work, `auto-captions.${plan.lang}.vtt`)
  await writeFile(track, vtt, { mode: 0o600 })
  const review = reviewPath(file, plan.lang)
  try {
    // Never over a file the creator may have edited: delete it to get a fresh copy.
    await writeFile(review, vtt, { flag: 'wx' })
    result.file = review
    out.note(`captions: ${cues.length} cues (${t.words.length} words, ${t.speed.toFixed(1)}× realtime) written to ${review} for review`)
  } catch (err) {
    // A read-only source directory must not stop the upload; the track is still published.
    out.note(`captions: ${cues.length} cues; could not write the review copy ${review} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return { input: { lang: plan.lang, path: track, name: plan.name }, result }
}

// Automatic captions on a spoken clip (espeak-ng from a known script, under a lavfi video):
// speed (× realtime) and word error rate of `transcribe` (ffprobe + ffmpeg decode + pocketsphinx
// + cue building) beside the engine's own command-line tool (`pocketsphinx_continuous` on a
// ready 16 kHz WAV) and ffmpeg's `asr` filter (the same engine inside ffmpeg), same clip, same run.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { captionModel, parsePocketsphinxTimes, probe, transcribe, wordErrorRate } from '@p2pdv/media'
import { printTable, timed } from '../../../scripts/bench-util.ts'
import { makeSpeechClip, speechScript } from '../test/fixtures/speech-clip.ts'

const run = promisify(execFile)
const dir = await mkdtemp(join(tmpdir(), 'p2pdv-captions-bench-'))
try {
  const clip = await makeSpeechClip(dir)
  const script = await speechScript()
  const { durationSeconds } = await probe(clip)
  const model = captionModel('en')

  const ours = await timed(async () => await transcribe(clip, { lang: 'en', durationSeconds }))
  const oursWer = wordErrorRate(script, ours.result.words.map(w => w.word).join(' '))

  const wav = join(dir, 'speech16k.wav')
  await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', wav])
  const cli = await timed(async () => await run('pocketsphinx_continuous', ['-infile', wav, '-time', 'yes', '-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict, '-logfn', '/dev/null'], { maxBuffer: 16 << 20 }))
  const cliWer = wordErrorRate(script, parsePocketsphinxTimes(cli.result.stdout).map(w => w.word).join(' '))

  // The asr filter only emits text at an utterance's end, hence the trailing silence (apad).
  const asr = await timed(async () => await run('ffmpeg', ['-hide_banner', '-nostats', '-i', clip, '-vn', '-af',
    `aresample=16000,apad=pad_dur=2,asr=hmm=${model.hmm}:lm=${model.lm}:dict=${model.dict},ametadata=mode=print:key=lavfi.asr.text:file=-`, '-f', 'null', '-'], { maxBuffer: 16 << 20 }))
  const asrText = asr.result.stdout.split('\n').filter(l => l.startsWith('lavfi.asr.text=')).map(l => l.slice('lavfi.asr.text='.length)).join(' ')
  const asrWer = wordErrorRate(script, asrText)

  printTable(`Automatic captions: a ${durationSeconds.toFixed(1)} s espeak-ng clip (${script.split(/\s+/).length} words), pocketsphinx en-us (Debian)`, [
    { name: 'transcribe (decode + recognise + cues)', value: durationSeconds / ours.seconds, baselineName: 'pocketsphinx_continuous on a 16 kHz WAV', baseline: durationSeconds / cli.seconds, unit: '× realtime', better: 'higher' },
    { name: 'transcribe: word error rate', value: oursWer, baselineName: 'pocketsphinx_continuous WER', baseline: cliWer, unit: 'WER', better: 'lower' },
    { name: 'transcribe (decode + recognise + cues)', value: durationSeconds / ours.seconds, baselineName: 'ffmpeg asr filter', baseline: durationSeconds / asr.seconds, unit: '× realtime', better: 'higher' },
    { name: 'transcribe: word error rate', value: oursWer, baselineName: 'ffmpeg asr filter WER', baseline: asrWer, unit: 'WER', better: 'lower' }
  ])
} finally {
  await rm(dir, { recursive: true, force: true })
}

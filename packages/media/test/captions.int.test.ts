// Automatic captions on a real spoken clip (espeak-ng from a known script, muxed under a lavfi
// video) through ffmpeg and pocketsphinx: a broken pipeline (wrong audio, wrong model, wrong
// rate) has a word error rate near 1 or no cues.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { CaptionErrorCode, transcribe, wordErrorRate } from '@p2pdv/media'
import { makeSpeechClip, speechScript } from './fixtures/speech-clip.ts'

const run = promisify(execFile)
let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pdv-captions-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function lavfi (name: string, args: string[]): Promise<string> {
  const out = join(dir, name)
  await run('ffmpeg', ['-v', 'error', '-y', ...args, out])
  return out
}

const tmpCaptionDirs = async (): Promise<string[]> => (await readdir(tmpdir())).filter(n => n.startsWith('p2pdv-captions-') && join(tmpdir(), n) !== dir)

describe('transcribe', () => {
  it('captions a spoken clip with timed cues and a bounded word error rate, leaving no temp files', async () => {
    const clip = await makeSpeechClip(dir)
    const before = new Set(await tmpCaptionDirs())
    const percents: number[] = []
    const r = await transcribe(clip, { lang: 'en', durationSeconds: 15, onProgress: p => percents.push(p.percent) })
    const wer = wordErrorRate(await speechScript(), r.words.map(w => w.word).join(' '))
    assert.ok(wer < 0.8, `WER ${wer.toFixed(3)}`)
    assert.ok(r.cues.length >= 2, 'more than one cue: timed, not one blob')
    assert.ok(r.cues.every(c => c.text.trim() !== '' && c.end > c.start && c.start >= 0 && c.end <= 16))
    assert.equal(percents.at(-1), 100)
    assert.deepEqual((await tmpCaptionDirs()).filter(n => !before.has(n)), [])
  })

  it('silence-only audio gives no words and no cues (the upload goes on without the track)', async () => {
    const silent = await lavfi('silent.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'])
    const r = await transcribe(silent, { lang: 'en', durationSeconds: 4 })
    assert.deepEqual(r.cues, [])
  })

  it('a video without audio is refused with ERR_CAPTIONS_NO_AUDIO; a language without a model with ERR_CAPTIONS_LANG', async () => {
    const mute = await lavfi('mute.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast'])
    await assert.rejects(transcribe(mute, { lang: 'en', durationSeconds: 2 }), (e: { code?: string }) => e.code === CaptionErrorCode.NO_AUDIO)
    await assert.rejects(transcribe(mute, { lang: 'de', durationSeconds: 2 }), (e: { code?: string }) => e.code === CaptionErrorCode.LANG)
  })
})

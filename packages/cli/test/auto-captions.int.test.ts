// `p2pdv upload --auto-captions en` as a user runs it, on a real devnet: a spoken clip (espeak-ng
// from a known script) is transcribed before sealing and published as an "English (automatic)"
// track with a review copy beside the source; what cannot be captioned is refused before any
// work, and silence publishes the video without the track.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { parseWebVtt, wordErrorRate } from '@p2pdv/media'
import { Client } from '@p2pdv/sdk'
import { makeSpeechClip, speechScript } from '../../media/test/fixtures/speech-clip.ts'
import { runCli, startDevnet, storedBlocks, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)

describe('p2pdv upload --auto-captions', () => {
  let devnet: RunningDevnet
  let env: NodeJS.ProcessEnv

  before(async () => {
    devnet = await startDevnet(3)
    env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('publishes an "English (automatic)" track of timed cues and writes the review copy beside the source', async () => {
    const clip = await makeSpeechClip(devnet.dir)
    const r = await runCli(['upload', clip, '--replicas', '3', '--no-chain', '--unlisted', '--thumbnails-interval', '0', '--auto-captions', 'en', '--json'], env, 300_000)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(r.json.subtitles, ['en'])
    assert.ok(r.json.autoCaptions.cues >= 2)
    assert.equal(r.json.autoCaptions.file, join(devnet.dir, 'speech.en.auto.vtt'))
    const review = parseWebVtt(await readFile(r.json.autoCaptions.file, 'utf8'), 'review')
    assert.equal(review.cues.length, r.json.autoCaptions.cues)
    assert.ok(wordErrorRate(await speechScript(), review.cues.map(c => c.text).join(' ')) < 0.8)
    const client = await Client.create({ peers: devnet.state.nodes })
    try {
      const { manifest, key } = await client.manifest(r.json.capability)
      key.fill(0)
      assert.ok(manifest.type === 'video')
      assert.deepEqual(manifest.subtitles?.map(s => [s.lang, s.name]), [['en', 'English (automatic)']])
    } finally {
      await client.close()
    }
    // The reviewed file replaces the track on re-upload; an existing review copy is never overwritten.
    await writeFile(r.json.autoCaptions.file, 'WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nThe quick brown fox\n')
    const again = await runCli(['upload', clip, '--replicas', '3', '--no-chain', '--unlisted', '--force', '--thumbnails-interval', '0', '--subs', `en=${r.json.autoCaptions.file}`, '--json'], env, 300_000)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.deepEqual(again.json.subtitles, ['en'])
    assert.equal(again.json.autoCaptions, undefined)
  })

  it('refuses before any work: no model for the language, no audio track, a --subs track in the same language', async () => {
    const mute = join(devnet.dir, 'mute.mp4')
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', mute])
    const vtt = join(devnet.dir, 'en.vtt')
    await writeFile(vtt, 'WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nhi\n')
    const stored = await storedBlocks(devnet)
    const base = ['upload', mute, '--replicas', '3', '--no-chain', '--unlisted', '--force', '--json']
    assert.equal((await runCli([...base, '--auto-captions', 'de'], env)).json.error.code, 'ERR_CAPTIONS_LANG')
    assert.equal((await runCli([...base, '--auto-captions', 'en'], env)).json.error.code, 'ERR_CAPTIONS_NO_AUDIO')
    assert.equal((await runCli([...base, '--auto-captions', 'en', '--subs', `en=${vtt}`], env)).json.error.code, 'ERR_SUBTITLE_LANG')
    assert.equal(await storedBlocks(devnet), stored)
  })

  it('silence-only audio: the video is published without the track, and says so', async () => {
    const silent = join(devnet.dir, 'silent.mp4')
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', silent])
    const r = await runCli(['upload', silent, '--replicas', '3', '--no-chain', '--unlisted', '--thumbnails-interval', '0', '--auto-captions', 'en', '--json'], env, 300_000)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(r.json.subtitles, [])
    assert.deepEqual({ cues: r.json.autoCaptions.cues, file: r.json.autoCaptions.file }, { cues: 0, file: undefined })
  })
})

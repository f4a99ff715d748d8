// `p2pdv captions ls|get|edit` on a real devnet, without a chain: a track is read back, replaced,
// added and removed by re-sealing the video (no transcode); the old capability keeps the old track;
// a bad file or an unknown track is refused before anything is stored.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { Client } from '@p2pdv/sdk'
import { runCli, startDevnet, storedBlocks, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)

describe('p2pdv captions', () => {
  let devnet: RunningDevnet
  let env: NodeJS.ProcessEnv
  let capability: string
  const cli = async (args: string[]) => await runCli([...args, '--json'], env, 300_000)

  before(async () => {
    devnet = await startDevnet(3)
    env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const clip = join(devnet.dir, 'clip.mp4')
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip])
    const subs = join(devnet.dir, 'clip.en.vtt')
    await writeFile(subs, 'WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nthe automatic guess\n')
    const r = await cli(['upload', clip, '--replicas', '3', '--no-chain', '--unlisted', '--thumbnails-interval', '0', '--subs', `en=${subs}`])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    capability = r.json.capability
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('lists and reads a track, replaces it from a reviewed file, and the old capability keeps the old text', async () => {
    const ls = await cli(['captions', 'ls', capability])
    assert.equal(ls.code, 0, ls.stderr)
    assert.deepEqual(ls.json.tracks.map((t: { lang: string }) => t.lang), ['en'])
    const got = await cli(['captions', 'get', capability, 'EN'])
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.json.vtt, /the automatic guess/)
    const reviewed = join(devnet.dir, 'reviewed.srt')
    await writeFile(reviewed, '1\n00:00:00,500 --> 00:00:02,000\nwhat was really said\n')
    const edit = await cli(['captions', 'edit', capability, 'en', '--file', reviewed, '--name', 'English (reviewed)'])
    assert.equal(edit.code, 0, edit.stderr)
    assert.notEqual(edit.json.capability, capability)
    const client = await Client.create({ peers: devnet.state.nodes })
    try {
      const text = new TextDecoder().decode(await client.readVideoFile(edit.json.capability, 'subtitles/en.vtt'))
      assert.match(text, /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\d+,LOCAL:00:00:00\.000\n/)
      assert.match(text, /00:00:00\.500 --> 00:00:02\.000\nwhat was really said/)
      // Every other stream came across intact: the first segment of each rendition opens under the new key.
      const { manifest, key } = await client.manifest(edit.json.capability)
      key.fill(0)
      assert.ok(manifest.type === 'video')
      assert.deepEqual(manifest.subtitles?.map(t => t.name), ['English (reviewed)'])
      for (const r of manifest.renditions) assert.ok((await client.readVideoFile(edit.json.capability, `${r.id}/0.m4s`, { maxBytes: 64 << 20 })).byteLength > 100)
      assert.match(new TextDecoder().decode(await client.readVideoFile(capability, 'subtitles/en.vtt')), /the automatic guess/)
    } finally {
      await client.close()
    }
    capability = edit.json.capability
  })

  it('adds a track in a new language and removes one', async () => {
    const fr = join(devnet.dir, 'fr.vtt')
    await writeFile(fr, 'WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nbonjour\n')
    const add = await cli(['captions', 'edit', capability, 'fr', '--file', fr, '--default'])
    assert.equal(add.code, 0, add.stderr)
    const ls = await cli(['captions', 'ls', add.json.capability])
    assert.deepEqual(ls.json.tracks.map((t: { lang: string, default: boolean }) => [t.lang, t.default]), [['en', false], ['fr', true]])
    const rm = await cli(['captions', 'edit', add.json.capability, 'en', '--remove'])
    assert.equal(rm.code, 0, rm.stderr)
    const after = await cli(['captions', 'ls', rm.json.capability])
    assert.deepEqual(after.json.tracks.map((t: { lang: string }) => t.lang), ['fr'])
  })

  it('refuses a bad file, a cue past the end, an unknown track and a missing editor before storing anything', async () => {
    const stored = await storedBlocks(devnet)
    const broken = join(devnet.dir, 'broken.vtt')
    await writeFile(broken, 'WEBVTT\n\n00:00:01.000 --> banana\nhello\n')
    assert.equal((await cli(['captions', 'edit', capability, 'en', '--file', broken])).json.error.code, 'ERR_SUBTITLE_SYNTAX')
    const late = join(devnet.dir, 'late.vtt')
    await writeFile(late, 'WEBVTT\n\n00:10:00.000 --> 00:10:02.000\ntoo late\n')
    assert.equal((await cli(['captions', 'edit', capability, 'en', '--file', late])).json.error.code, 'ERR_SUBTITLE_TIMING')
    const latin1 = join(devnet.dir, 'latin1.vtt')
    await writeFile(latin1, Buffer.from('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ncaf\xe9\n', 'latin1'))
    assert.equal((await cli(['captions', 'edit', capability, 'en', '--file', latin1])).json.error.code, 'ERR_SUBTITLE_NOT_UTF8')
    assert.equal((await cli(['captions', 'edit', capability, 'de', '--remove'])).json.error.code, 'ERR_SUBTITLE_NOT_FOUND')
    assert.equal((await cli(['captions', 'get', capability, 'de'])).json.error.code, 'ERR_SUBTITLE_NOT_FOUND')
    assert.equal((await cli(['captions', 'edit', capability, 'en', '--file', broken, '--remove'])).json.error.code, 'ERR_USAGE')
    const noEditor = await runCli(['captions', 'edit', capability, 'en', '--json'], { ...env, EDITOR: 'true', VISUAL: '' }, 120_000)
    assert.equal(noEditor.json.error.code, 'ERR_USAGE', 'stdin is not a terminal: no editor is opened')
    assert.equal(await storedBlocks(devnet), stored)
  })
})

// The real ffmpeg on generated media (lavfi testsrc2 + sine): nothing large is committed.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { MediaErrorCode, planLadder, probe, transcode, type TranscodeProgress } from '@p2pdv/media'

const run = promisify(execFile)
let dir: string
let video: string

async function lavfi (name: string, args: string[]): Promise<string> {
  const path = join(dir, name)
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, path])
  return path
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pdv-media-'))
  video = await lavfi('src.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '9', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest'])
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('probe', () => {
  it('describes a video', async () => {
    const p = await probe(video)
    assert.equal(p.width, 1280)
    assert.equal(p.height, 720)
    assert.equal(p.frameRate, 30)
    assert.equal(p.hasAudio, true)
    assert.ok(Math.abs(p.durationSeconds - 9) < 0.1)
  })

  it('refuses what is not a video, with codes', async () => {
    const text = join(dir, 'notes.txt')
    await writeFile(text, 'not a video at all\n')
    await assert.rejects(probe(text), { code: MediaErrorCode.UNREADABLE })
    const empty = join(dir, 'empty.mp4')
    await writeFile(empty, '')
    await assert.rejects(probe(empty), { code: MediaErrorCode.NOT_VIDEO })
    const audio = await lavfi('tone.m4a', ['-f', 'lavfi', '-i', 'sine=frequency=300', '-t', '2', '-c:a', 'aac'])
    await assert.rejects(probe(audio), { code: MediaErrorCode.NOT_VIDEO })
    await assert.rejects(probe(join(dir, 'missing.mp4')), { code: MediaErrorCode.UNREADABLE })
  })
})

describe('planLadder', () => {
  it('caps by the source, never upscales, keeps even dimensions', () => {
    assert.deepEqual(planLadder({ width: 1280, height: 720 }).map(r => `${r.width}x${r.height}`), ['1280x720', '854x480', '640x360'])
    assert.deepEqual(planLadder({ width: 1920, height: 1080 }).map(r => r.height), [1080, 720, 480, 360])
    assert.deepEqual(planLadder({ width: 321, height: 241 }).map(r => `${r.width}x${r.height}`), ['322x242'])
    for (const r of planLadder({ width: 1000, height: 750 })) assert.equal(r.width % 2 + r.height % 2, 0)
  })
})

describe('transcode', () => {
  it('produces an aligned CMAF HLS ladder that ffmpeg plays back without errors', async () => {
    const out = join(dir, 'ladder')
    const progress: TranscodeProgress[] = []
    const r = await transcode(video, out, { onProgress: p => progress.push(p) })
    assert.deepEqual(r.renditions.map(x => x.id), ['720p', '480p', '360p', 'audio'])
    for (const rendition of r.renditions) {
      const total = rendition.segments.reduce((a, s) => a + s.duration, 0)
      assert.ok(Math.abs(total - 9) < 0.1, `${rendition.id}: segments sum to ${total}`)
      for (const s of rendition.segments.slice(0, -1)) assert.ok(s.duration >= 2 && s.duration <= 4.1, `${rendition.id} segment of ${s.duration}s`)
      assert.match(rendition.codecs, rendition.kind === 'video' ? /^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/ : /^mp4a\.40\.2$/)
    }
    // Aligned: every video rendition cuts its segments at the same times.
    const cuts = r.renditions.filter(x => x.kind === 'video').map(x => x.segments.map(s => s.duration).join(','))
    assert.equal(new Set(cuts).size, 1)
    // Each rendition decodes at its own height.
    for (const rendition of r.renditions.filter(x => x.kind === 'video')) {
      const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=height', '-of', 'csv=p=0', join(out, rendition.id, 'index.m3u8')])
      assert.equal(Number(stdout.trim().split('\n')[0]), rendition.height)
    }
    const decoded = await run('ffmpeg', ['-v', 'error', '-i', join(out, r.master), '-map', '0:v:0', '-map', '0:a:0', '-f', 'null', '-'])
    assert.equal(decoded.stderr.trim(), '')
    assert.ok(progress.some(p => p.stage === 'transcode' && p.percent === 100))
    assert.ok(progress.filter(p => p.stage === 'transcode').every((p, i, all) => i === 0 || p.percent >= all[i - 1]!.percent))
    assert.ok((await readdir(out)).includes('poster.jpg'))
  })

  it('cancels cleanly: ERR_ABORTED and nothing left on disk', async () => {
    const out = join(dir, 'cancelled')
    const controller = new AbortController()
    await assert.rejects(transcode(video, out, { signal: controller.signal, preset: 'slow', onProgress: () => { controller.abort() } }), { code: MediaErrorCode.ABORTED })
    assert.deepEqual((await readdir(dir)).filter(f => f.includes('cancelled')), [])
  })

  it('never overwrites an existing output and refuses odd segment lengths', async () => {
    await assert.rejects(transcode(video, dir), { code: MediaErrorCode.BAD_OPTION })
    await assert.rejects(transcode(video, join(dir, 'x'), { segmentSeconds: 30 }), { code: MediaErrorCode.BAD_OPTION })
  })
})

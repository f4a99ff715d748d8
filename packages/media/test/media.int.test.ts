// The real ffmpeg on generated media (lavfi testsrc2 + sine): nothing large is committed.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { withDisplayRotation } from './fixtures/rotation.ts'
import { displayRotation, firstDecodeTime, MediaErrorCode, planLadder, planSprites, probe, SubtitleErrorCode, transcode, type TranscodeProgress } from '@p2pdv/media'

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
    assert.deepEqual(planLadder({ width: 321, height: 241 }).map(r => `${r.width}x${r.height}`), ['320x240'])
    for (const r of planLadder({ width: 1000, height: 750 })) assert.equal(r.width % 2 + r.height % 2, 0)
  })

  it('names portrait rungs by the short side and sizes them like their landscape twins, turned', () => {
    const portrait = planLadder({ width: 720, height: 1280 })
    assert.deepEqual(portrait.map(r => r.id), ['720p', '480p', '360p'])
    assert.deepEqual(portrait.map(r => `${r.width}x${r.height}`), ['720x1280', '480x854', '360x640'])
    assert.deepEqual(planLadder({ width: 1080, height: 1920 }).map(r => r.id), ['1080p', '720p', '480p', '360p'])
  })

  it('never exceeds the source on either side, for any shape', () => {
    for (const [width, height] of [[853, 481], [481, 853], [1279, 719], [719, 1279], [17, 4000], [4000, 17], [1080, 1080], [16, 16]] as const) {
      for (const r of planLadder({ width, height })) {
        assert.ok(r.width <= width && r.height <= height, `${width}x${height} → ${r.id} ${r.width}x${r.height}`)
        assert.equal(r.width % 2 + r.height % 2, 0, `${width}x${height} → ${r.width}x${r.height}`)
      }
    }
  })
})

describe('displayRotation', () => {
  it('reads the display matrix (counter-clockwise in ffprobe) or the old rotate tag; other angles count as none', () => {
    const matrix = (rotation: number) => ({ side_data_list: [{ side_data_type: 'Display Matrix', rotation }] })
    assert.equal(displayRotation(matrix(-90)), 90)
    assert.equal(displayRotation(matrix(90)), 270)
    assert.equal(displayRotation(matrix(-180)), 180)
    assert.equal(displayRotation(matrix(180)), 180)
    assert.equal(displayRotation(matrix(-89.6)), 90)
    assert.equal(displayRotation(matrix(-45)), 0)
    assert.equal(displayRotation(matrix(-360)), 0)
    assert.equal(displayRotation({ tags: { rotate: '270' } }), 270)
    assert.equal(displayRotation({ tags: { rotate: 'sideways' } }), 0)
    // The matrix is what ffmpeg applies, so it wins over a conflicting tag.
    assert.equal(displayRotation({ ...matrix(-90), tags: { rotate: '180' } }), 90)
    assert.equal(displayRotation({}), 0)
  })
})

async function rotated (src: string, degrees: 90 | 180 | 270, name: string): Promise<string> {
  const out = join(dir, name)
  await withDisplayRotation(src, out, degrees)
  return out
}

describe('phone videos (rotation)', () => {
  let landscape: string
  before(async () => {
    landscape = await lavfi('landscape.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast'])
  })

  it('probes the displayed size: a quarter turn swaps width and height, a half turn does not', async () => {
    for (const [degrees, size] of [[90, '720x1280'], [180, '1280x720'], [270, '720x1280']] as const) {
      const p = await probe(await rotated(landscape, degrees, `r${degrees}.mp4`))
      assert.equal(p.rotation, degrees)
      assert.equal(`${p.width}x${p.height}`, size, `rotation ${degrees}`)
    }
    assert.equal((await probe(landscape)).rotation, 0)
  })

  it('publishes a 1280×720 recording turned 90° as a 720×1280 "720p", never upscaled, and it decodes at that size', async () => {
    const src = await rotated(landscape, 90, 'phone.mp4')
    const out = join(dir, 'phone')
    const r = await transcode(src, out, { thumbnails: { intervalSeconds: 2, columns: 2, rows: 1 } })
    const video = r.renditions.filter(x => x.kind === 'video')
    assert.deepEqual(video.map(x => `${x.id} ${x.width}x${x.height}`), ['720p 720x1280', '480p 480x854', '360p 360x640'])
    for (const rendition of video) {
      const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', join(out, rendition.id, 'index.m3u8')])
      assert.equal(stdout.trim().split('\n')[0], `${rendition.width},${rendition.height}`)
    }
    // Seek previews and the poster are upright too.
    assert.ok(r.thumbnails !== undefined && r.thumbnails.tileHeight > r.thumbnails.tileWidth)
    const { stdout: poster } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', join(out, r.poster)])
    const [pw, ph] = poster.trim().split(',').map(Number)
    assert.ok(ph! > pw!, `poster ${poster.trim()}`)
  })

  it('keeps a portrait source without rotation as it is', async () => {
    const src = await lavfi('portrait.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=720x1280:rate=30', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast'])
    const p = await probe(src)
    assert.deepEqual([p.width, p.height, p.rotation], [720, 1280, 0])
    assert.deepEqual(planLadder(p).map(x => `${x.id} ${x.width}x${x.height}`), ['720p 720x1280', '480p 480x854', '360p 360x640'])
  })
})

/** A tile of a sprite sheet, or a frame of the source, as 8-bit gray pixels. */
async function gray (args: string[]): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('ffmpeg', ['-v', 'error', ...args, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 })
  return stdout as unknown as Buffer
}
const meanDiff = (a: Buffer, b: Buffer): number => a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length

describe('transcode', () => {
  it('produces an aligned CMAF HLS ladder, one track per rendition, that ffmpeg plays back without errors', async () => {
    const out = join(dir, 'ladder')
    const progress: TranscodeProgress[] = []
    const r = await transcode(video, out, { onProgress: p => progress.push(p), thumbnails: false })
    assert.deepEqual(r.renditions.map(x => x.id), ['720p', '480p', '360p', 'audio'])
    for (const rendition of r.renditions) {
      const total = rendition.segments.reduce((a, s) => a + s.duration, 0)
      assert.ok(Math.abs(total - 9) < 0.1, `${rendition.id}: segments sum to ${total}`)
      for (const s of rendition.segments.slice(0, -1)) assert.ok(s.duration >= 2 && s.duration <= 4.1, `${rendition.id} segment of ${s.duration}s`)
      // CMAF: each rendition is one track (video renditions no longer carry the audio).
      assert.match(rendition.codecs, rendition.kind === 'video' ? /^avc1\.64[0-9a-f]{4}$/ : /^mp4a\.40\.2$/)
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', join(out, rendition.id, 'index.m3u8')])
      assert.deepEqual([...new Set(stdout.split('\n').filter(l => l !== ''))], [rendition.kind])
    }
    assert.equal(r.thumbnails, undefined)
    assert.deepEqual(r.subtitles, [])
    // ffmpeg's fMP4 timeline starts at decode time 0 here; subtitles are mapped to whatever it is.
    assert.equal(r.timelineStartSeconds, firstDecodeTime(await readFile(join(out, r.renditions[0]!.init)), await readFile(join(out, r.renditions[0]!.segments[0]!.path))))
    // Aligned: every video rendition cuts its segments at the same times.
    const cuts = r.renditions.filter(x => x.kind === 'video').map(x => x.segments.map(s => s.duration).join(','))
    assert.equal(new Set(cuts).size, 1)
    // Each rendition decodes at its own height.
    for (const rendition of r.renditions.filter(x => x.kind === 'video')) {
      const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=height', '-of', 'csv=p=0', join(out, rendition.id, 'index.m3u8')])
      assert.equal(Number(stdout.trim().split('\n')[0]), rendition.height)
    }
    for (const rendition of r.renditions) {
      const decoded = await run('ffmpeg', ['-v', 'error', '-i', join(out, rendition.id, 'index.m3u8'), '-f', 'null', '-'])
      assert.equal(decoded.stderr.trim(), '')
    }
    assert.ok(progress.some(p => p.stage === 'transcode' && p.percent === 100))
    assert.ok(progress.filter(p => p.stage === 'transcode').every((p, i, all) => i === 0 || p.percent >= all[i - 1]!.percent))
    assert.ok((await readdir(out)).includes('poster.jpg'))
    const { stdout: pub } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width', '-of', 'csv=p=0', join(out, r.publicPoster)])
    assert.equal(Number(pub.trim()), 480)
  })

  it('writes sprite sheets whose tiles are the frames at each interval, and subtitle files mapped to the timeline', async () => {
    const out = join(dir, 'extras')
    const vtt = join(dir, 'en.vtt')
    await writeFile(vtt, 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n')
    const srt = join(dir, 'fr.srt')
    await writeFile(srt, '1\n00:00:03,000 --> 00:00:20,000\nBonjour & au revoir\n')
    const stages = new Set<string>()
    const r = await transcode(video, out, {
      ladder: planLadder({ width: 1280, height: 720 }).slice(-1),
      thumbnails: { intervalSeconds: 2, columns: 2, rows: 2 },
      subtitles: [{ lang: 'en', path: vtt }, { lang: 'fr', path: srt, default: true }],
      onProgress: p => stages.add(p.stage)
    })
    assert.deepEqual([...stages].sort(), ['poster', 'sprites', 'subtitles', 'transcode'])
    // 9 s every 2 s: 5 tiles, 2×2 per sheet → 2 sheets.
    assert.deepEqual(r.thumbnails, { intervalSeconds: 2, tileWidth: 160, tileHeight: 90, columns: 2, rows: 2, sheets: ['thumbnails/0.jpg', 'thumbnails/1.jpg'] })
    const { stdout: dims } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', join(out, 'thumbnails/0.jpg')])
    assert.equal(dims.trim(), '320,180')
    // Tile k (row-major) shows the source frame at k × 2 s, not the one a second earlier.
    for (const k of [1, 3, 4]) {
      const sheet = join(out, `thumbnails/${Math.floor(k / 4)}.jpg`)
      const x = (k % 4 % 2) * 160
      const y = Math.floor(k % 4 / 2) * 90
      const tile = await gray(['-i', sheet, '-vf', `crop=160:90:${x}:${y}`])
      const at = await gray(['-ss', String(k * 2), '-i', video, '-vf', 'scale=160:90'])
      const earlier = await gray(['-ss', String(k * 2 - 1), '-i', video, '-vf', 'scale=160:90'])
      assert.ok(meanDiff(tile, at) < meanDiff(tile, earlier), `tile ${k}`)
    }
    assert.deepEqual(r.subtitles, [
      { lang: 'en', name: 'English', default: false, path: 'subtitles/en.vtt' },
      { lang: 'fr', name: 'Français', default: true, path: 'subtitles/fr.vtt' }
    ])
    const fr = await readFile(join(out, 'subtitles/fr.vtt'), 'utf8')
    assert.equal(fr, `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${Math.round(r.timelineStartSeconds * 90000)},LOCAL:00:00:00.000\n\n00:00:03.000 --> 00:00:09.000\nBonjour &amp; au revoir\n`)
    // ffmpeg's own WebVTT reader finds the one cue where it belongs, without complaint.
    const check = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', join(out, 'subtitles/fr.vtt')])
    assert.equal(check.stderr.trim(), '')
    assert.equal(check.stdout.trim(), '3.000000,6.000000')
  })

  it('refuses a bad subtitle file before transcoding, leaving nothing behind', async () => {
    const bad = join(dir, 'bad.srt')
    await writeFile(bad, '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nnot a timing\nx\n')
    await assert.rejects(transcode(video, join(dir, 'badsubs'), { subtitles: [{ lang: 'en', path: bad }] }), { code: SubtitleErrorCode.SYNTAX, details: { file: bad, line: 6 } })
    assert.deepEqual((await readdir(dir)).filter(f => f.includes('badsubs')), [])
  })

  it('cancels cleanly at any stage: ERR_ABORTED and nothing left on disk', async () => {
    for (const stage of ['transcode', 'sprites', 'poster']) {
      const out = join(dir, `cancelled-${stage}`)
      const controller = new AbortController()
      // The first stage is cancelled mid-encode (slow preset); later ones between steps (fast).
      const fast = { ladder: planLadder({ width: 1280, height: 720 }).slice(-1), preset: 'ultrafast' }
      await assert.rejects(transcode(video, out, {
        signal: controller.signal,
        ...(stage === 'transcode' ? { preset: 'slow' } : fast),
        onProgress: p => { if (p.stage === stage) controller.abort() }
      }), { code: MediaErrorCode.ABORTED }, stage)
      assert.deepEqual((await readdir(dir)).filter(f => f.includes('cancelled')), [], stage)
    }
  })

  it('never overwrites an existing output and refuses odd segment lengths and sprite options', async () => {
    await assert.rejects(transcode(video, dir), { code: MediaErrorCode.BAD_OPTION })
    await assert.rejects(transcode(video, join(dir, 'x'), { segmentSeconds: 30 }), { code: MediaErrorCode.BAD_OPTION })
    await assert.rejects(transcode(video, join(dir, 'x'), { thumbnails: { intervalSeconds: 0.1 } }), { code: MediaErrorCode.BAD_OPTION })
    assert.throws(() => planSprites({ width: 1920, height: 1080, durationSeconds: 86_400 }, { intervalSeconds: 1 }), { code: MediaErrorCode.BAD_OPTION })
    // Portrait video: the tile's longer side is its height.
    assert.deepEqual(planSprites({ width: 1080, height: 1920, durationSeconds: 10 }), { intervalSeconds: 5, tileWidth: 90, tileHeight: 160, columns: 5, rows: 5, tiles: 2, sheets: 1 })
  })
})

describe('every audio track', () => {
  let bilingual: string
  before(async () => {
    // English at 440 Hz, Spanish at 880 Hz, the file marking Spanish the default.
    bilingual = await lavfi('bilingual.mp4', [
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-f', 'lavfi', '-i', 'sine=frequency=880:sample_rate=48000',
      '-map', '0:v', '-map', '1:a', '-map', '2:a', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac',
      '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=spa', '-disposition:a:0', '0', '-disposition:a:1', 'default'])
  })

  it('publishes each as its own audio rendition with its language, name and the file\'s default; each carries its own sound', async () => {
    const p = await probe(bilingual)
    assert.deepEqual(p.audioTracks.map(t => [t.index, t.lang, t.default]), [[0, 'eng', false], [1, 'spa', true]])
    const out = join(dir, 'bilingual')
    const r = await transcode(bilingual, out, { ladder: planLadder(p).slice(-1), thumbnails: false })
    const audio = r.renditions.filter(x => x.kind === 'audio')
    assert.deepEqual(audio.map(a => [a.id, a.lang, a.name, a.default]), [['audio-en', 'en', 'English', false], ['audio-es', 'es', 'Español', true]])
    // The Spanish rendition is the 880 Hz track: its spectrum peaks an octave above the English one.
    const peak = async (id: string): Promise<number> => {
      const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', join(out, id, 'index.m3u8'), '-t', '1', '-ac', '1', '-ar', '8000', '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 }) as unknown as { stdout: Buffer }
      // Zero crossings per second ≈ 2 × frequency for a pure tone.
      let crossings = 0
      for (let i = 2; i < stdout.length; i += 2) if ((stdout.readInt16LE(i - 2) < 0) !== (stdout.readInt16LE(i) < 0)) crossings++
      return crossings / 2 / (stdout.length / 2 / 8000)
    }
    assert.ok(Math.abs(await peak('audio-en') - 440) < 40)
    assert.ok(Math.abs(await peak('audio-es') - 880) < 40)
  })

  it('--audio-lang keeps only what it names, and a name the file lacks is refused before any work', async () => {
    const r = await transcode(bilingual, join(dir, 'spanish-only'), { ladder: planLadder({ width: 640, height: 360 }), thumbnails: false, audio: [{ lang: 'es' }] })
    assert.deepEqual(r.renditions.filter(x => x.kind === 'audio').map(a => [a.id, a.lang, a.default]), [['audio', 'es', true]])
    const before = await readdir(dir)
    await assert.rejects(transcode(bilingual, join(dir, 'french'), { audio: [{ lang: 'fr' }] }), { code: MediaErrorCode.BAD_OPTION })
    assert.deepEqual(await readdir(dir), before)
  })
})

describe('audio-only sources (--audio-only)', () => {
  it('are refused as videos with a hint, and published over a plain card when asked: one still 720p rendition and the sound', async () => {
    const tone = await lavfi('podcast.m4a', ['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=48000', '-t', '5', '-c:a', 'aac'])
    await assert.rejects(probe(tone), (err: { code: string, hint: string }) => err.code === MediaErrorCode.NOT_VIDEO && err.hint.includes('--audio-only'))
    await assert.rejects(probe(video, { audioOnly: true }), { code: MediaErrorCode.BAD_OPTION })
    const out = join(dir, 'podcast')
    const r = await transcode(tone, out, { audioOnly: true })
    assert.deepEqual(r.renditions.map(x => `${x.id} ${x.kind} ${x.width ?? ''}x${x.height ?? ''}`), ['720p video 1280x720', 'audio audio x'])
    assert.equal(r.thumbnails, undefined)
    for (const rendition of r.renditions) {
      const total = rendition.segments.reduce((a, s) => a + s.duration, 0)
      assert.ok(Math.abs(total - 5) < 0.3, `${rendition.id} lasts ${total} s`)
      const decoded = await run('ffmpeg', ['-v', 'error', '-i', join(out, rendition.id, 'index.m3u8'), '-f', 'null', '-'])
      assert.equal(decoded.stderr.trim(), '')
    }
    assert.ok((await readdir(out)).includes('poster.jpg'))
  })

  it('use the file\'s cover art as the picture and the poster', async () => {
    const withCover = await lavfi('episode.mp3', ['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=44100', '-f', 'lavfi', '-i', 'color=c=red:size=600x600:rate=1',
      '-map', '0:a', '-map', '1:v', '-t', '3', '-frames:v', '1', '-c:a', 'libmp3lame', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic', '-id3v2_version', '3'])
    const p = await probe(withCover, { audioOnly: true })
    assert.equal(p.still?.coverStream, 1)
    const out = join(dir, 'episode')
    const r = await transcode(withCover, out, { audioOnly: true })
    // The middle of the frame is the red cover (letterboxed to 16:9), not the grey card.
    const frame = await gray(['-i', join(out, '720p', 'index.m3u8'), '-vf', 'crop=64:64:608:328'])
    const card = await gray(['-f', 'lavfi', '-i', 'color=c=0x111827:size=64x64'])
    assert.ok(meanDiff(frame, card) > 20, 'the picture is the cover art')
    const poster = await gray(['-i', join(out, r.poster), '-vf', 'scale=64:64'])
    const red = await gray(['-f', 'lavfi', '-i', 'color=c=red:size=64x64'])
    assert.ok(meanDiff(poster, red) < 10, 'the poster is the cover art')
  })
})

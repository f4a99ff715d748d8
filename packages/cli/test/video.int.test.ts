// Video on demand end to end, as a user runs it: upload (ladder, sprites, a WebVTT and a SubRip
// subtitle file, a signed public listing) on a real devnet, then watch through the local gateway
// with ffmpeg as the HLS and the DASH client, and with hls.js in Chromium for subtitle timing.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { chromium } from 'playwright-core'
import { blockCid, parseCid } from '@p2pdv/core'
import { Client } from '@p2pdv/sdk'
import { CLI, runCli, startDevnet, storedBlocks, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)
const SECONDS = 8

async function startWatch (capability: string, env: NodeJS.ProcessEnv): Promise<{ url: string, base: string, stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [CLI, 'watch', capability, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('watch not ready')), 60_000)
    createInterface({ input: proc.stdout }).on('line', line => {
      try { const m = JSON.parse(line); if (m.event === 'ready') { clearTimeout(timer); resolve(m.url) } } catch {}
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error('watch exited')) })
  })
  return { url, base: url.replace(/master\.m3u8$/, ''), stop: async () => { proc.kill('SIGTERM'); await exited } }
}

describe('p2pdv upload / watch', () => {
  let devnet: RunningDevnet
  let env: NodeJS.ProcessEnv
  let video: string
  let capability: string
  let uploaded: any

  before(async () => {
    devnet = await startDevnet(3)
    env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    video = join(devnet.dir, 'clip.mp4')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', video])
    await writeFile(join(devnet.dir, 'en.vtt'), 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello from WebVTT\n\n00:00:05.000 --> 00:00:06.500\nSecond cue\n')
    await writeFile(join(devnet.dir, 'fr.srt'), '1\n00:00:03,000 --> 00:00:04,000\nBonjour & <i>salut</i>\n')
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('upload transcodes, writes sprites and subtitles, seals and stores everything, signs a listing, prints a capability and a watch link', async () => {
    const r = await runCli(['upload', video, '--replicas', '3', '--title', 'Test card', '--description', 'A generated\ntest card', '--tags', 'Test, lavfi',
      '--subs', `en=${join(devnet.dir, 'en.vtt')}`, '--subs', `fr=${join(devnet.dir, 'fr.srt')}`, '--thumbnails-interval', '2', '--json'], env, 300_000)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    uploaded = r.json
    assert.deepEqual(uploaded.renditions, ['480p', '360p', 'audio'])
    assert.deepEqual(uploaded.subtitles, ['en', 'fr'])
    assert.equal(uploaded.thumbnailSheets, 1) // 4 tiles of a 5×5 sheet
    assert.equal(uploaded.receipts, (uploaded.blocks + 1) * 3)
    assert.ok(uploaded.transcodeSpeed > 0)
    capability = uploaded.capability
    assert.match(capability, /^p2pdv:\/\/b[a-z2-7]+#[A-Za-z0-9_-]{43}$/)
    const key = capability.split('#')[1]
    assert.equal(uploaded.watchUrl, `${devnet.state.nodes[0]!.http}/watch/${uploaded.manifestCid}#${key}`)
    // On a devnet with a chain, the chain wallet (alice) signs the listing, and the registry
    // records that listing beside the manifest.
    assert.deepEqual(uploaded.identity, { name: 'alice', created: false })
    assert.equal(uploaded.chain.listingCid, uploaded.listingCid)
    assert.equal(uploaded.chain.manifestCid, uploaded.manifestCid)
    assert.equal(uploaded.creator, uploaded.chain.owner)
    const client = await Client.create({ peers: devnet.state.nodes })
    try {
      const listing = await client.listing(uploaded.listingCid)
      assert.equal(listing.title, 'Test card')
      assert.equal(listing.description, 'A generated\ntest card')
      assert.deepEqual(listing.tags, ['test', 'lavfi'])
      assert.equal(listing.durationSeconds, uploaded.durationSeconds)
      assert.equal(`0x${Buffer.from(listing.creator).toString('hex')}`, uploaded.creator.toLowerCase())
      // The public poster is a plain JPEG block anyone can fetch.
      const poster = await fetch(`${devnet.state.nodes[1]!.http}/ipfs/${listing.poster!.toString()}`)
      const jpeg = new Uint8Array(await poster.arrayBuffer())
      assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff])
      assert.equal((await blockCid(jpeg)).toString(), uploaded.posterCid)
      // The sealed manifest carries the subtitle tracks and sprites.
      const { manifest, key: k } = await client.manifest(capability)
      k.fill(0)
      assert.ok(manifest.type === 'video')
      assert.deepEqual(manifest.subtitles?.map(s => [s.lang, s.name]), [['en', 'English'], ['fr', 'Français']])
      assert.deepEqual({ ...manifest.thumbnails, sheets: manifest.thumbnails?.sheets.length }, { intervalSeconds: 2, tileWidth: 160, tileHeight: 90, columns: 5, rows: 5, sheets: 1 })
    } finally {
      await client.close()
    }
  })

  it('recognises a re-upload of the same file and stops, unless --force', async () => {
    const before = await storedBlocks(devnet)
    const again = await runCli(['upload', video, '--json'], env)
    assert.equal(again.code, 1)
    assert.equal(again.json.error.code, 'ERR_ALREADY_UPLOADED')
    assert.equal(again.json.error.details.manifestCid, uploaded.manifestCid)
    assert.equal(again.json.error.details.listingCid, uploaded.listingCid)
    assert.equal(JSON.stringify(again.json).includes(capability.split('#')[1]!), false, 'the key is never stored or echoed')
    assert.equal(await storedBlocks(devnet), before)
    // Without a chain, a local "default" identity is created on first use and signs the listing.
    const forced = await runCli(['upload', video, '--replicas', '3', '--force', '--no-chain', '--thumbnails-interval', '0', '--json'], env, 300_000)
    assert.equal(forced.code, 0, forced.stdout + forced.stderr)
    assert.equal(forced.json.replaces, uploaded.manifestCid)
    assert.notEqual(forced.json.manifestCid, uploaded.manifestCid)
    assert.equal(forced.json.chain, undefined)
    assert.deepEqual(forced.json.identity, { name: 'default', created: true })
    assert.match(await readFile(join(devnet.dir, 'home', 'keys', 'default.json'), 'utf8'), new RegExp(forced.json.creator.slice(2), 'i'))
  })

  it('refuses bad subtitle files with codes naming file and line, and publishes nothing', async () => {
    const bad = join(devnet.dir, 'bad.srt')
    await writeFile(bad, '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03.000 -> 00:00:04,000\nbroken arrow\n')
    const late = join(devnet.dir, 'late.vtt')
    await writeFile(late, 'WEBVTT\n\n00:00:30.000 --> 00:00:31.000\nafter the end\n')
    const before = await storedBlocks(devnet)
    const syntax = await runCli(['upload', video, '--replicas', '3', '--force', '--subs', `en=${bad}`, '--json'], env)
    assert.equal(syntax.json.error.code, 'ERR_SUBTITLE_SYNTAX')
    assert.deepEqual(syntax.json.error.details, { file: bad, line: 6 })
    const timing = await runCli(['upload', video, '--replicas', '3', '--force', '--subs', `en=${late}`, '--json'], env)
    assert.equal(timing.json.error.code, 'ERR_SUBTITLE_TIMING')
    assert.equal(timing.json.error.details.line, 3)
    const lang = await runCli(['upload', video, '--replicas', '3', '--force', '--subs', `english!=${late}`, '--json'], env)
    assert.equal(lang.json.error.code, 'ERR_SUBTITLE_LANG')
    const usage = await runCli(['upload', video, '--subs', 'en', '--json'], env)
    assert.equal(usage.json.error.code, 'ERR_USAGE')
    assert.equal(await storedBlocks(devnet), before)
  })

  it('watch serves HLS with subtitles, a thumbnails track and a DASH MPD that ffmpeg decodes whole, with zero errors and the same duration', async () => {
    const w = await startWatch(capability, env)
    try {
      const decoded = await run('ffmpeg', ['-v', 'error', '-i', w.url, '-map', '0:v:0', '-map', '0:a:0', '-f', 'null', '-'])
      assert.equal(decoded.stderr.trim(), '')
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', w.url])
      assert.ok(Math.abs(Number(stdout.trim()) - SECONDS) < 0.1, `HLS duration ${stdout}`)

      // DASH over the same segments: ffmpeg's DASH demuxer reads every representation, including
      // the side-loaded WebVTT subtitles, with zero errors and the same duration.
      const mpd = `${w.base}manifest.mpd`
      const dash = await run('ffmpeg', ['-v', 'error', '-i', mpd, '-map', '0', '-c:s', 'webvtt', '-f', 'null', '-'])
      assert.equal(dash.stderr.trim(), '')
      const probed = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', mpd])
      const info = JSON.parse(probed.stdout)
      assert.ok(Math.abs(Number(info.format.duration) - SECONDS) < 0.1, `DASH duration ${info.format.duration}`)
      assert.deepEqual([...new Set(info.streams.map((s: any) => s.codec_type))].sort(), ['audio', 'subtitle', 'video'])
      assert.equal((await fetch(mpd)).headers.get('content-type'), 'application/dash+xml')

      const master = await (await fetch(w.url)).text()
      assert.match(master, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",.*URI="subtitles\/en\.m3u8"/)
      assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",.*URI="audio\/index\.m3u8"/)
      assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=854x480,.*AUDIO="audio",SUBTITLES="subs"/)
      const fr = await fetch(`${w.base}subtitles/fr.vtt`)
      assert.equal(fr.headers.get('content-type'), 'text/vtt')
      assert.match(await fr.text(), /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\d+,LOCAL:00:00:00\.000\n\n00:00:03\.000 --> 00:00:04\.000\nBonjour &amp; <i>salut<\/i>\n/)
      assert.match(await (await fetch(`${w.base}subtitles/en.m3u8`)).text(), /\nen\.vtt\n#EXT-X-ENDLIST\n$/)
      const thumbs = await (await fetch(`${w.base}thumbnails.vtt`)).text()
      assert.equal(thumbs.match(/-->/g)?.length, Math.ceil(SECONDS / 2))
      assert.match(thumbs, /00:00:06\.000 --> 00:00:08\.000\nthumbnails\/0\.jpg#xywh=480,0,160,90\n/)
      const sheet = await fetch(`${w.base}thumbnails/0.jpg`)
      assert.equal(sheet.headers.get('content-type'), 'image/jpeg')
      assert.deepEqual([...new Uint8Array(await sheet.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8])
      assert.equal((await fetch(`${w.base}thumbnails/1.jpg`)).status, 404)
      // The stream is guarded by the random token in its URL.
      const forged = w.url.replace(/\/[0-9a-f]{32}\//, '/00000000000000000000000000000000/')
      assert.equal((await fetch(forged)).status, 403)
    } finally {
      await w.stop()
    }
  })

  it('hls.js in Chromium shows the subtitle cues at their times over the CMAF video', async () => {
    const w = await startWatch(capability, env)
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    })
    try {
      const hlsJs = await readFile(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'), 'utf8')
      const page = await browser.newPage()
      // A page on the gateway's own origin (served by the test, not the gateway) runs hls.js.
      await page.route(`${w.base}player.html`, async route => await route.fulfill({ contentType: 'text/html', body: '<!doctype html><video muted playsinline></video>' }))
      await page.goto(`${w.base}player.html`)
      await page.addScriptTag({ content: hlsJs })
      const result = await page.evaluate(async (src: string) => {
        const video = document.querySelector('video')!
        const Hls = (window as any).Hls
        const hls = new Hls({ subtitleDisplay: true })
        hls.loadSource(src)
        hls.attachMedia(video)
        await new Promise<void>(resolve => hls.once(Hls.Events.MANIFEST_PARSED, () => resolve()))
        hls.subtitleTrack = hls.subtitleTracks.findIndex((t: any) => t.lang === 'en')
        void video.play()
        const deadline = Date.now() + 60_000
        while (Date.now() < deadline) {
          const track = [...video.textTracks].find(t => t.language === 'en' && (t.cues?.length ?? 0) >= 2)
          if (track !== undefined && video.buffered.length > 0) {
            return {
              cues: [...track.cues!].map(c => [c.startTime, c.endTime, (c as VTTCue).text] as [number, number, string]),
              bufferedStart: video.buffered.start(0),
              tracks: hls.subtitleTracks.map((t: any) => t.lang)
            }
          }
          await new Promise(resolve => setTimeout(resolve, 100))
        }
        throw new Error('no cues')
      }, w.url)
      assert.deepEqual(result.tracks, ['en', 'fr'])
      // The video's presentation starts at 0, and each cue sits at the time written in the file.
      assert.ok(result.bufferedStart < 0.1, `buffered from ${result.bufferedStart}`)
      const expected: Array<[number, number, string]> = [[1, 2, 'Hello from WebVTT'], [5, 6.5, 'Second cue']]
      assert.equal(result.cues.length, expected.length)
      result.cues.forEach(([start, end, text]: [number, number, string], i: number) => {
        assert.ok(Math.abs(start - expected[i]![0]) < 0.01 && Math.abs(end - expected[i]![1]) < 0.01, `cue ${i}: ${start}–${end}`)
        assert.equal(text, expected[i]![2])
      })
    } finally {
      await browser.close()
      await w.stop()
    }
  })

  it('download keeps the blocks, and watch plays from them with every node stopped', async () => {
    const cacheEnv = { ...env, P2PDV_CACHE_DIR: join(devnet.dir, 'cache') }
    const d = await runCli(['download', capability, '--json'], cacheEnv)
    assert.equal(d.code, 0, d.stdout + d.stderr)
    assert.ok(d.json.blocks > 5)
    await devnet.stop()
    try {
      const w = await startWatch(capability, cacheEnv)
      try {
        const decoded = await run('ffmpeg', ['-v', 'error', '-i', w.url, '-map', '0:v:0', '-map', '0:a:0', '-f', 'null', '-'])
        assert.equal(decoded.stderr.trim(), '')
        // Subtitles and sprite sheets were kept too.
        assert.equal((await fetch(`${w.base}subtitles/en.vtt`)).status, 200)
        assert.equal((await fetch(`${w.base}thumbnails/0.jpg`)).status, 200)
      } finally {
        await w.stop()
      }
    } finally {
      devnet = await startDevnet(3, devnet.dir)
    }
  })

  it('refuses to mix up files and videos, with hints', async () => {
    const r = await runCli(['get', capability, '-o', join(devnet.dir, 'x.bin'), '--json'], env)
    assert.equal(r.json.error.code, 'ERR_NOT_A_FILE')
    assert.match(r.json.error.hint, /p2pdv watch/)
    const notes = join(devnet.dir, 'notes.txt')
    await writeFile(notes, 'hello')
    const put = await runCli(['put', notes, '--replicas', '3', '--json'], env)
    assert.equal(put.code, 0, put.stderr + put.stdout)
    const w = await runCli(['watch', put.json.capability, '--json'], env)
    assert.equal(w.json.error.code, 'ERR_NOT_A_VIDEO')
    const bad = await runCli(['upload', notes, '--json'], env)
    assert.equal(bad.json.error.code, 'ERR_MEDIA_UNREADABLE')
    assert.ok(parseCid(uploaded.listingCid))
  })
})

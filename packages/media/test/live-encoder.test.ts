import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { completeSegments, ingestArgs, LiveEncoder, liveEncoderArgs, parseLiveLadder } from '../src/live-encoder.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

describe('live encoder', () => {
  it('parses a ladder highest first and refuses unknown, repeated or too many renditions', () => {
    assert.deepEqual(parseLiveLadder('360p,720p').map(r => [r.index, r.name]), [[0, '720p'], [1, '360p']])
    for (const bad of ['', '999p', '720p,720p', 'x', '1080p,720p,480p,360p,240p', '720p;rm -rf /']) assert.throws(() => parseLiveLadder(bad), code('ERR_MEDIA_OPTION'))
  })

  it('lists only complete segments with ffmpeg\'s own names (nothing else is read from disk)', () => {
    const text = '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:1.000000,\nseg_0.m4s\n#EXTINF:0.5,\n../../etc/passwd\n#EXTINF:1.0,\nseg_1.m4s\n#EXTINF:1.0,\n'
    assert.deepEqual(completeSegments(text), [{ uri: 'seg_0.m4s', duration: 1 }, { uri: 'seg_1.m4s', duration: 1 }])
  })

  it('paces a file with -re, listens for SRT and RTMP on the given address, one HLS output per rendition', () => {
    assert.deepEqual(ingestArgs({ kind: 'input', input: 'a.ts' }).args.slice(0, 1), ['-re'])
    assert.equal(ingestArgs({ kind: 'input', input: 'srt://h:1' }).args.includes('-re'), false)
    assert.equal(ingestArgs({ kind: 'srt', host: '127.0.0.1', port: 9000 }).ingestUrl, 'srt://127.0.0.1:9000')
    assert.equal(ingestArgs({ kind: 'rtmp', host: '127.0.0.1', port: 1935 }).ingestUrl, 'rtmp://127.0.0.1:1935/live/stream')
    const args = liveEncoderArgs({ kind: 'input', input: 'a.ts' }, parseLiveLadder('720p,360p'), '/tmp/x')
    assert.equal(args.filter(a => a === 'hls').length, 2)
  })

  it('stopped before it ran (a SIGTERM right after start), it ends at once and starts no ffmpeg', { timeout: 20_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-live-encoder-'))
    try {
      let segments = 0
      // An SRT listener nobody pushes to: an ffmpeg started for it would wait for ever.
      const e = new LiveEncoder({ ingest: { kind: 'srt', host: '127.0.0.1', port: 9 }, ladder: parseLiveLadder('360p'), workDir: dir, onSegment: async () => { segments++ } })
      e.stop()
      await e.run()
      assert.equal(segments, 0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

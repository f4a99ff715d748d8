// Transcode speed (× real time) per ladder, each beside a plain single-rendition ffmpeg encode of
// the top rung with the same x264 settings, on the same generated clip; then the sealing of the
// resulting segment files (one stream per segment, as publishVideo does) beside raw node:crypto
// AES-256-GCM + SHA-256 over the same files.
import { execFile } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { generateContentKey, generateObjectId, MAX_CHUNK_PLAINTEXT } from '@p2pdv/core'
import { DEFAULT_SEGMENT_SECONDS, planLadder, probe, transcode, type TranscodeResult } from '@p2pdv/media'
// The sdk's sealing pool (a workspace package; media itself does not depend on it).
import { CryptoPool, SealPipeline } from '@p2pdv/sdk/sealing'
import { merkleRootFast } from '../../sdk/src/merkle.ts'
import { mbps, printTable, timed, type Row } from '../../../scripts/bench-util.ts'
import { withDisplayRotation } from '../test/fixtures/rotation.ts'

const run = promisify(execFile)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20)
const dir = await mkdtemp(join(tmpdir(), 'p2pdv-media-bench-'))
try {
  const src = join(dir, 'src.mp4')
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-c:a', 'aac', '-shortest', src])
  const source = await probe(src)
  const rungs = planLadder(source)
  const top = rungs[0]!
  const baseline = SECONDS / (await timed(async () => await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', src, '-map', '0:v:0', '-map', '0:a:0',
    '-vf', `scale=${top.width}:${top.height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', `${top.videoKbps}k`,
    '-g', String(30 * DEFAULT_SEGMENT_SECONDS), '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '128k', join(dir, 'top.mp4')]))).seconds
  const rows: Row[] = []
  const row = (name: string, seconds: number): void => {
    rows.push({ name, value: SECONDS / seconds, baselineName: `plain ffmpeg, ${top.id} only`, baseline, unit: '× realtime', better: 'higher' })
  }
  // Growing ladders (video only, no sprites), then the full default pipeline.
  for (const n of [1, 2, rungs.length].filter((n, i, all) => n <= rungs.length && all.indexOf(n) === i)) {
    const t = await timed(async () => await transcode(src, join(dir, `ladder-${n}`), { ladder: rungs.slice(0, n), thumbnails: false }))
    row(`ladder ${rungs.slice(0, n).map(r => r.id).join('+')} + audio`, t.seconds)
  }
  const full = await timed(async () => await transcode(src, join(dir, 'full'), {}))
  row(`full ladder + sprites (every 5 s) + posters`, full.seconds)
  printTable(`Transcoding a ${SECONDS} s 1080p30 clip (libx264 veryfast), ${availableParallelism()} cores`, rows)
  await benchPhone(src)

  await benchSealing(full.result)
} finally {
  await rm(dir, { recursive: true, force: true })
}

/**
 * A phone clip (the same frames, turned 90° by its display matrix): our whole ladder beside one
 * ffmpeg process encoding the same upright ladder to plain MP4 files with the same x264 settings.
 */
async function benchPhone (landscape: string): Promise<void> {
  const phone = join(dir, 'phone.mp4')
  await withDisplayRotation(landscape, phone, 90)
  const source = await probe(phone)
  const rungs = planLadder(source)
  const gop = String(30 * DEFAULT_SEGMENT_SECONDS)
  const direct = ['-hide_banner', '-loglevel', 'error', '-y', '-i', phone,
    '-filter_complex', `[0:v]split=${rungs.length}${rungs.map((_, i) => `[v${i}]`).join('')};${rungs.map((r, i) => `[v${i}]scale=${r.width}:${r.height}[o${i}]`).join(';')}`,
    ...rungs.flatMap((r, i) => ['-map', `[o${i}]`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', `${r.videoKbps}k`, '-g', gop, '-sc_threshold', '0', join(dir, `phone-${r.id}.mp4`)]),
    '-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', join(dir, 'phone-audio.mp4')]
  const baseline = SECONDS / (await timed(async () => await run('ffmpeg', direct))).seconds
  const ours = SECONDS / (await timed(async () => await transcode(phone, join(dir, 'phone-ladder'), { thumbnails: false }))).seconds
  printTable(`A ${SECONDS} s 1080p30 phone clip turned 90° (published ${rungs.map(r => `${r.id} ${r.width}×${r.height}`).join(', ')})`, [
    { name: 'transcode: probe, upright CMAF ladder + audio, playlists', value: ours, baselineName: 'one ffmpeg process, same ladder to MP4 files', baseline, unit: '× realtime', better: 'higher' }
  ])
}

/** Seals every init and media segment of the ladder as its own stream, against raw crypto. */
async function benchSealing (t: TranscodeResult): Promise<void> {
  const paths = t.renditions.flatMap(r => [r.init, ...r.segments.map(s => s.path)])
  const files = await Promise.all(paths.map(async p => new Uint8Array(await readFile(join(t.dir, p)))))
  const total = files.reduce((a, f) => a + f.byteLength, 0)
  const key = generateContentKey()
  const nonce = new Uint8Array(12)

  const view = new DataView(nonce.buffer)
  const raw = (): void => {
    for (const [n, f] of files.entries()) {
      const chunks = Math.max(1, Math.ceil(f.byteLength / MAX_CHUNK_PLAINTEXT))
      for (let i = 0; i < chunks; i++) {
        view.setUint32(0, n) // a distinct nonce per stream and chunk, as the real format
        view.setUint32(7, i)
        const cipher = createCipheriv('aes-256-gcm', key, nonce)
        const sealed = Buffer.concat([cipher.update(f.subarray(i * MAX_CHUNK_PLAINTEXT, (i + 1) * MAX_CHUNK_PLAINTEXT)), cipher.final(), cipher.getAuthTag()])
        createHash('sha256').update(sealed).digest()
        merkleRootFast(sealed) // publishVideo computes each block's audit root too
      }
    }
  }
  raw() // warm-up: JIT and first touch of memory, for a fair baseline
  const rawT = (await timed(async () => { raw() })).seconds

  const sealAll = async (workers: number): Promise<number> => {
    const pool = new CryptoPool(workers)
    const objectId = generateObjectId()
    // As publishVideo: the SealPipeline, blocks handed over in order (and dropped, as once sent).
    const once = async (): Promise<void> => {
      const pipeline = new SealPipeline({ key, objectId, pool, write: async () => {} })
      await Promise.all(files.map(async (f, n) => await pipeline.add(() => (async function * () { yield f })(), new TextEncoder().encode(`bench/${n}`))))
    }
    await once() // starts the workers (module loading is paid once per process)
    const { seconds } = await timed(once)
    await pool.close()
    return seconds
  }
  const one = await sealAll(1)
  const all = await sealAll(availableParallelism())
  const base = mbps(total, rawT)
  printTable(`Sealing the ladder's ${files.length} segment files (${(total / 1e6).toFixed(1)} MB, one stream each, AES-256-GCM + SHA-256 CID + audit root)`, [
    { name: 'publishVideo sealing, 1 worker', value: mbps(total, one), baselineName: 'raw node:crypto, same work, 1 thread', baseline: base, unit: 'MB/s', better: 'higher', target: '≥ 0.8×' },
    { name: `publishVideo sealing, ${availableParallelism()} workers`, value: mbps(total, all), baselineName: 'raw node:crypto, same work, 1 thread', baseline: base, unit: 'MB/s', better: 'higher' }
  ])
}

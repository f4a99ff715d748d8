// Transcode speed (× real time) of the whole ladder, beside a plain ffmpeg encode of the top
// rendition alone with the same x264 settings, on the same generated clip.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DEFAULT_SEGMENT_SECONDS, planLadder, probe, transcode } from '@p2pdv/media'
import { printTable, timed } from '../../../scripts/bench-util.ts'

const run = promisify(execFile)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30)
const dir = await mkdtemp(join(tmpdir(), 'p2pdv-media-bench-'))
try {
  const src = join(dir, 'src.mp4')
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-c:a', 'aac', '-shortest', src])
  const source = await probe(src)
  const top = planLadder(source)[0]!
  const baseline = await timed(async () => await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', src, '-map', '0:v:0', '-map', '0:a:0',
    '-vf', `scale=${top.width}:${top.height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', `${top.videoKbps}k`,
    '-g', String(30 * DEFAULT_SEGMENT_SECONDS), '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '128k', join(dir, 'top.mp4')]))
  const ladder = await timed(async () => await transcode(src, join(dir, 'out')))
  printTable(`Transcoding a ${SECONDS} s 1080p30 clip (libx264 veryfast)`, [
    { name: `full ladder (${ladder.result.renditions.map(r => r.id).join(', ')}) + poster`, value: SECONDS / ladder.seconds, baselineName: `plain ffmpeg, ${top.id} only`, baseline: SECONDS / baseline.seconds, unit: '× realtime', better: 'higher' }
  ])
} finally {
  await rm(dir, { recursive: true, force: true })
}

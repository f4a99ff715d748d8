/**
 * Transcodes a video into a CMAF (fragmented MP4) HLS ladder with one ffmpeg process: the
 * decoded frames are split and scaled once per rendition, keyframes are forced at the same times
 * in every rendition (so players switch seamlessly at segment boundaries), and AAC audio is muxed
 * into each variant plus an audio-only variant. Work happens in a temporary directory renamed
 * into place only on success, so a cancelled or failed run leaves nothing behind.
 */
import { randomBytes } from 'node:crypto'
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { parseMasterPlaylist, parseMediaPlaylist } from './hls-playlist.ts'
import { AUDIO_KBPS, planLadder, type Rendition } from './ladder.ts'
import { probe, type ProbeResult } from './probe.ts'
import { FFMPEG, MediaErrorCode, runTool } from './run-tool.ts'

export const DEFAULT_SEGMENT_SECONDS = 4
export const MIN_SEGMENT_SECONDS = 2
export const MAX_SEGMENT_SECONDS = 6
export const DEFAULT_PRESET = 'veryfast'

export interface TranscodeProgress {
  stage: 'transcode' | 'poster'
  percent: number
  outTimeSeconds: number
  /** Encoding speed as a multiple of real time. */
  speed: number
}

export interface TranscodeOptions {
  ladder?: Rendition[]
  segmentSeconds?: number
  preset?: string
  signal?: AbortSignal
  onProgress?: (p: TranscodeProgress) => void
}

export interface OutputRendition {
  id: string
  kind: 'video' | 'audio'
  width?: number
  height?: number
  bandwidth: number
  codecs: string
  frameRate?: number
  /** Paths relative to the output directory. */
  init: string
  segments: Array<{ path: string, duration: number }>
}

export interface TranscodeResult {
  dir: string
  source: ProbeResult
  durationSeconds: number
  segmentSeconds: number
  renditions: OutputRendition[]
  /** ffmpeg's master playlist (relative path), playable as is by any HLS player. */
  master: string
  poster: string
}

function progressParser (durationSeconds: number, onProgress: TranscodeOptions['onProgress']): (line: string) => void {
  let outTime = 0
  let speed = 0
  return line => {
    const eq = line.indexOf('=')
    if (eq < 0) return
    const key = line.slice(0, eq)
    const value = line.slice(eq + 1).trim()
    if (key === 'out_time_us' || key === 'out_time_ms') outTime = Math.max(0, Number(value) / 1e6)
    else if (key === 'speed') speed = Number.parseFloat(value) || 0
    else if (key === 'progress') {
      const percent = value === 'end' ? 100 : Math.min(99.9, (outTime / durationSeconds) * 100)
      onProgress?.({ stage: 'transcode', percent, outTimeSeconds: outTime, speed })
    }
  }
}

export function ffmpegLadderArgs (input: string, source: ProbeResult, ladder: Rendition[], segmentSeconds: number, preset: string): string[] {
  const gop = Math.max(1, Math.round(source.frameRate * segmentSeconds))
  const n = ladder.length
  const filter = [`[0:v]split=${n}${ladder.map((_, i) => `[v${i}]`).join('')}`,
    ...ladder.map((r, i) => `[v${i}]scale=${r.width}:${r.height}:flags=bicubic,format=yuv420p[o${i}]`)].join(';')
  const maps: string[] = []
  const streamMap: string[] = []
  ladder.forEach((r, i) => {
    maps.push('-map', `[o${i}]`)
    if (source.hasAudio) maps.push('-map', '0:a:0')
    streamMap.push(source.hasAudio ? `v:${i},a:${i},name:${r.id}` : `v:${i},name:${r.id}`)
  })
  if (source.hasAudio) {
    maps.push('-map', '0:a:0')
    streamMap.push(`a:${n},name:audio`)
  }
  const rates = ladder.flatMap((r, i) => [`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.1)}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`])
  return [
    '-hide_banner', '-nostats', '-loglevel', 'error', '-y', '-i', input,
    '-filter_complex', filter, ...maps,
    '-c:v', 'libx264', '-preset', preset, '-profile:v', 'high',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    '-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`,
    ...rates,
    ...(source.hasAudio ? ['-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2'] : []),
    '-f', 'hls', '-hls_time', String(segmentSeconds), '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4', '-hls_flags', 'independent_segments',
    '-master_pl_name', 'master.m3u8',
    '-hls_segment_filename', '%v/seg_%05d.m4s', '-hls_fmp4_init_filename', 'init.mp4',
    '-var_stream_map', streamMap.join(' '),
    '-progress', 'pipe:1',
    '%v/index.m3u8'
  ]
}

export async function transcode (input: string, outDir: string, opts: TranscodeOptions = {}): Promise<TranscodeResult> {
  const segmentSeconds = opts.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS
  if (!(segmentSeconds >= MIN_SEGMENT_SECONDS && segmentSeconds <= MAX_SEGMENT_SECONDS)) {
    throw new P2pdvError(MediaErrorCode.BAD_OPTION, `segments must last ${MIN_SEGMENT_SECONDS}–${MAX_SEGMENT_SECONDS} s, not ${segmentSeconds}`)
  }
  if (await access(outDir).then(() => true, () => false)) {
    throw new P2pdvError(MediaErrorCode.BAD_OPTION, `${outDir} already exists`, { hint: 'Choose a new output directory; nothing is overwritten.' })
  }
  const source = await probe(input, opts.signal === undefined ? {} : { signal: opts.signal })
  const ladder = opts.ladder ?? planLadder(source)
  const work = join(dirname(outDir), `.${basename(outDir)}.partial-${randomBytes(4).toString('hex')}`)
  await mkdir(work, { recursive: true })
  try {
    // ffmpeg writes relative paths (%v/…), so it runs with the work directory as cwd via -i absolute input.
    const args = ffmpegLadderArgs(input, source, ladder, segmentSeconds, opts.preset ?? DEFAULT_PRESET)
      .map(a => a.startsWith('%v/') ? join(work, a) : a)
    await runTool(FFMPEG, args, { ...(opts.signal === undefined ? {} : { signal: opts.signal }), onStdoutLine: progressParser(source.durationSeconds, opts.onProgress) })
    const posterAt = Math.min(source.durationSeconds * 0.1, Math.max(0, source.durationSeconds - 0.1))
    await runTool(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-ss', posterAt.toFixed(3), '-i', input, '-frames:v', '1', '-vf', `scale=-2:${Math.min(720, source.height - (source.height % 2))}`, '-q:v', '3', join(work, 'poster.jpg')],
      opts.signal === undefined ? {} : { signal: opts.signal })
    opts.onProgress?.({ stage: 'poster', percent: 100, outTimeSeconds: source.durationSeconds, speed: 0 })

    const variants = parseMasterPlaylist(await readFile(join(work, 'master.m3u8'), 'utf8'))
    const renditions: OutputRendition[] = []
    for (const v of variants) {
      const id = v.uri.split('/')[0] ?? ''
      const media = parseMediaPlaylist(await readFile(join(work, v.uri), 'utf8'))
      const rung = ladder.find(r => r.id === id)
      renditions.push({
        id,
        kind: rung === undefined ? 'audio' : 'video',
        ...(rung === undefined ? {} : { width: rung.width, height: rung.height, frameRate: source.frameRate }),
        bandwidth: v.bandwidth,
        codecs: v.codecs,
        init: join(id, media.init),
        segments: media.segments.map(s => ({ path: join(id, s.uri), duration: s.duration }))
      })
    }
    await rename(work, outDir)
    return {
      dir: outDir,
      source,
      durationSeconds: source.durationSeconds,
      segmentSeconds,
      renditions,
      master: 'master.m3u8',
      poster: 'poster.jpg'
    }
  } catch (err) {
    await rm(work, { recursive: true, force: true })
    throw err
  }
}

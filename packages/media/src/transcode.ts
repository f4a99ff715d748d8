/**
 * Transcodes a video into a CMAF (fragmented MP4) ladder with one ffmpeg process: the decoded
 * frames are split and scaled once per rendition, keyframes are forced at the same times in every
 * rendition (so players switch seamlessly at segment boundaries), every rendition carries one
 * track (H.264 video renditions and an AAC rendition per published audio track, as CMAF wants, so HLS and DASH can
 * share the segments), and the same process picks the seek-preview tiles. Then sprite sheets,
 * posters and subtitle files are written beside the segments. Subtitle files are checked before
 * ffmpeg starts. Work happens in a temporary directory renamed into place only on success, so a
 * cancelled or failed run leaves nothing behind.
 */
import { randomBytes } from 'node:crypto'
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { firstDecodeTime } from './fmp4.ts'
import { parseMasterPlaylist, parseMediaPlaylist } from './hls-playlist.ts'
import { planAudio, type AudioChoice, type AudioRendition } from './audio-plan.ts'
import { AUDIO_KBPS, planLadder, type Rendition } from './ladder.ts'
import { probe, STILL_SIZE, type ProbeResult } from './probe.ts'
import { aborted, FFMPEG, MediaErrorCode, runTool } from './run-tool.ts'
import { packSprites, planSprites, spriteFilter, spriteOutputArgs, type SpritePlan, type ThumbnailOptions } from './sprites.ts'
import { checkSubtitleInputs, loadSubtitles, renderWebVtt, type LoadedSubtitles, type SubtitleInput } from './subtitles.ts'

export const DEFAULT_SEGMENT_SECONDS = 4
export const MIN_SEGMENT_SECONDS = 2
export const MAX_SEGMENT_SECONDS = 6
export const DEFAULT_PRESET = 'veryfast'

/** The public poster (a deliberate disclosure for listings) is at most this wide. */
export const PUBLIC_POSTER_WIDTH = 480

export interface TranscodeProgress {
  stage: 'transcode' | 'sprites' | 'poster' | 'subtitles'
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
  /** Subtitle files (.vtt or .srt), checked before transcoding starts. */
  subtitles?: SubtitleInput[]
  /** Seek-preview sprites (default on, one tile every 5 s); false for none. */
  thumbnails?: ThumbnailOptions | false
  /** Which audio tracks to publish, labelled how (`--audio-lang`); default: every track. */
  audio?: AudioChoice[]
  /** Publish a file with sound only (a podcast) over a still: its cover art, or a plain card. */
  audioOnly?: boolean
}

/** A still's one rendition: 720p at a bitrate a picture that never moves needs. */
const STILL_RUNG: Rendition = { id: '720p', ...STILL_SIZE, videoKbps: 300 }
/** The card behind an audio-only video without cover art (the page's own dark slate). */
const STILL_CARD = '0x111827'

export interface OutputRendition {
  id: string
  kind: 'video' | 'audio'
  width?: number
  height?: number
  bandwidth: number
  codecs: string
  frameRate?: number
  /** Audio renditions: language (BCP-47), display name, and whether players start with it. */
  lang?: string
  name?: string
  default?: boolean
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
  /** A small JPEG (≤ 480 px wide) for public listings. */
  publicPoster: string
  /** Where the media timeline starts (earliest first-segment decode time), in seconds. */
  timelineStartSeconds: number
  /** Normalised WebVTT files, `subtitles/<lang>.vtt`. */
  subtitles: Array<{ lang: string, name: string, default: boolean, path: string }>
  thumbnails?: {
    intervalSeconds: number
    tileWidth: number
    tileHeight: number
    columns: number
    rows: number
    /** `thumbnails/<i>.jpg`, in order. */
    sheets: string[]
  }
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

/**
 * The one ffmpeg command for the ladder: video renditions v:0…, then one audio rendition per
 * published audio track (audio-plan.ts), each its own CMAF rendition; with `sprites`, a last branch of the split
 * writes the thumbnail tiles as raw frames to `sprites.path`.
 */
export function ffmpegLadderArgs (input: string, source: ProbeResult, ladder: Rendition[], segmentSeconds: number, preset: string, sprites?: { plan: SpritePlan, path: string }, audio: AudioRendition[] = planAudio(source.audioTracks), cover?: string): string[] {
  const gop = Math.max(1, Math.round(source.frameRate * segmentSeconds))
  const n = ladder.length
  const branches = n + (sprites === undefined ? 0 : 1)
  // An audio-only source: the picture is input 1, a looped cover (fitted, letterboxed) or a card.
  const { width: W, height: H } = STILL_SIZE
  const inputs = source.still === undefined
    ? ['-i', input]
    : ['-i', input, ...(cover === undefined ? ['-f', 'lavfi', '-i', `color=c=${STILL_CARD}:s=${W}x${H}:r=${source.frameRate}`] : ['-loop', '1', '-framerate', String(source.frameRate), '-i', cover])]
  const picture = source.still === undefined
    ? '[0:v]'
    : `[1:v]scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=${STILL_CARD},setsar=1,fps=${source.frameRate},`
  const filter = [`${picture}split=${branches}${Array.from({ length: branches }, (_, i) => `[v${i}]`).join('')}`,
    ...ladder.map((r, i) => `[v${i}]scale=${r.width}:${r.height}:flags=bicubic,format=yuv420p[o${i}]`),
    ...(sprites === undefined ? [] : [`[v${n}]${spriteFilter(sprites.plan)}[thumbs]`])].join(';')
  const maps: string[] = []
  const streamMap: string[] = []
  ladder.forEach((r, i) => {
    maps.push('-map', `[o${i}]`)
    streamMap.push(`v:${i},name:${r.id}`)
  })
  audio.forEach((a, j) => {
    maps.push('-map', `0:a:${a.track}`)
    streamMap.push(`a:${j},name:${a.id}`)
  })
  // -b:v per rendition also makes ffmpeg write BANDWIDTH for it in its master playlist.
  const rates = ladder.flatMap((r, i) => [`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.1)}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`])
  return [
    '-hide_banner', '-nostats', '-loglevel', 'error', '-y', ...inputs,
    '-filter_complex', filter, ...maps,
    // A looped picture never ends: the sound sets the length.
    ...(source.still === undefined ? [] : ['-t', source.durationSeconds.toFixed(3)]),
    '-c:v', 'libx264', '-preset', preset, '-profile:v', 'high',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    '-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`,
    ...rates,
    ...(audio.length > 0 ? ['-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2'] : []),
    '-f', 'hls', '-hls_time', String(segmentSeconds), '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4', '-hls_flags', 'independent_segments',
    '-master_pl_name', 'master.m3u8',
    '-hls_segment_filename', '%v/seg_%05d.m4s', '-hls_fmp4_init_filename', 'init.mp4',
    '-var_stream_map', streamMap.join(' '),
    '-progress', 'pipe:1',
    '%v/index.m3u8',
    ...(sprites === undefined ? [] : ['-map', '[thumbs]', ...spriteOutputArgs(sprites.path)])
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
  const signal = opts.signal === undefined ? {} : { signal: opts.signal }
  const source = await probe(input, { ...signal, ...(opts.audioOnly === true ? { audioOnly: true } : {}) })
  // Subtitle files are checked first: a bad file must not cost a whole transcode.
  const subtitleInputs = opts.subtitles ?? []
  checkSubtitleInputs(subtitleInputs)
  const subtitles: LoadedSubtitles[] = []
  for (const s of subtitleInputs) subtitles.push(await loadSubtitles(s, source.durationSeconds))
  const ladder = opts.ladder ?? (source.still === undefined ? planLadder(source) : [STILL_RUNG])
  const audio = planAudio(source.audioTracks, opts.audio)
  // Seek previews of a still would all show the same picture.
  const plan = opts.thumbnails === false || source.still !== undefined ? undefined : planSprites(source, opts.thumbnails ?? {})
  const work = join(dirname(outDir), `.${basename(outDir)}.partial-${randomBytes(4).toString('hex')}`)
  // Stages that do not run ffmpeg still stop at the next step when cancelled.
  const step = (p: TranscodeProgress): void => {
    opts.onProgress?.(p)
    if (opts.signal?.aborted === true) throw aborted()
  }
  await mkdir(work, { recursive: true })
  try {
    const rawTiles = join(work, 'tiles.yuv')
    // The cover art of an audio-only file, as a picture ffmpeg can loop.
    let cover: string | undefined
    if (source.still?.coverStream !== undefined) {
      cover = join(work, 'cover.png')
      await runTool(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', `0:${source.still.coverStream}`, '-frames:v', '1', cover], signal)
    }
    // ffmpeg writes relative paths (%v/…); they are made absolute inside the work directory.
    const args = ffmpegLadderArgs(input, source, ladder, segmentSeconds, opts.preset ?? DEFAULT_PRESET, plan === undefined ? undefined : { plan, path: rawTiles }, audio, cover)
      .map(a => a.startsWith('%v/') ? join(work, a) : a)
    await runTool(FFMPEG, args, { ...signal, onStdoutLine: progressParser(source.durationSeconds, opts.onProgress) })

    let thumbnails: TranscodeResult['thumbnails']
    if (plan !== undefined) {
      step({ stage: 'sprites', percent: 0, outTimeSeconds: source.durationSeconds, speed: 0 })
      await mkdir(join(work, 'thumbnails'))
      const sheets = await packSprites(rawTiles, plan, join(work, 'thumbnails'), signal)
      thumbnails = {
        intervalSeconds: plan.intervalSeconds,
        tileWidth: plan.tileWidth,
        tileHeight: plan.tileHeight,
        columns: plan.columns,
        rows: plan.rows,
        sheets: sheets.map(f => join('thumbnails', f))
      }
      step({ stage: 'sprites', percent: 100, outTimeSeconds: source.durationSeconds, speed: 0 })
    }

    const posterAt = Math.min(source.durationSeconds * 0.1, Math.max(0, source.durationSeconds - 0.1))
    const pictureInput = source.still === undefined
      ? ['-ss', posterAt.toFixed(3), '-i', input]
      : cover === undefined ? ['-f', 'lavfi', '-i', `color=c=${STILL_CARD}:s=${STILL_SIZE.width}x${STILL_SIZE.height}:d=1`] : ['-i', cover]
    await runTool(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...pictureInput,
      '-map', '0:v:0', '-frames:v', '1', '-vf', `scale=-2:${Math.min(720, source.height - (source.height % 2))}`, '-q:v', '3', join(work, 'poster.jpg'),
      '-map', '0:v:0', '-frames:v', '1', '-vf', `scale='min(${PUBLIC_POSTER_WIDTH},iw)':-2`, '-q:v', '5', join(work, 'poster-public.jpg')], signal)
    step({ stage: 'poster', percent: 100, outTimeSeconds: source.durationSeconds, speed: 0 })

    const variants = parseMasterPlaylist(await readFile(join(work, 'master.m3u8'), 'utf8'))
    const renditions: OutputRendition[] = []
    for (const v of variants) {
      const id = v.uri.split('/')[0] ?? ''
      const media = parseMediaPlaylist(await readFile(join(work, v.uri), 'utf8'))
      const rung = ladder.find(r => r.id === id)
      const track = audio.find(a => a.id === id)
      renditions.push({
        id,
        kind: rung === undefined ? 'audio' : 'video',
        ...(rung === undefined ? {} : { width: rung.width, height: rung.height, frameRate: source.frameRate }),
        ...(track === undefined ? {} : { ...(track.lang === undefined ? {} : { lang: track.lang }), name: track.name, default: track.default }),
        bandwidth: v.bandwidth,
        codecs: v.codecs,
        init: join(id, media.init),
        segments: media.segments.map(s => ({ path: join(id, s.uri), duration: s.duration }))
      })
    }
    if (renditions.length !== ladder.length + audio.length) {
      throw new P2pdvError(MediaErrorCode.TOOL_FAILED, `ffmpeg's master playlist lists ${renditions.length} renditions, expected ${ladder.length + audio.length}`)
    }

    // Where the media timeline starts, as hls.js sees it: the earliest tfdt of any first segment.
    let timelineStartSeconds = Infinity
    for (const r of renditions) {
      timelineStartSeconds = Math.min(timelineStartSeconds, firstDecodeTime(await readFile(join(work, r.init)), await readFile(join(work, r.segments[0]!.path))))
    }
    const subtitleFiles: TranscodeResult['subtitles'] = []
    if (subtitles.length > 0) {
      await mkdir(join(work, 'subtitles'))
      for (const s of subtitles) {
        const path = join('subtitles', `${s.lang}.vtt`)
        await writeFile(join(work, path), renderWebVtt(s.parsed, timelineStartSeconds))
        subtitleFiles.push({ lang: s.lang, name: s.name, default: s.default, path })
      }
      step({ stage: 'subtitles', percent: 100, outTimeSeconds: source.durationSeconds, speed: 0 })
    }
    if (opts.signal?.aborted === true) throw aborted()

    await rename(work, outDir)
    return {
      dir: outDir,
      source,
      durationSeconds: source.durationSeconds,
      segmentSeconds,
      renditions,
      master: 'master.m3u8',
      poster: 'poster.jpg',
      publicPoster: 'poster-public.jpg',
      timelineStartSeconds,
      subtitles: subtitleFiles,
      ...(thumbnails === undefined ? {} : { thumbnails })
    }
  } catch (err) {
    await rm(work, { recursive: true, force: true })
    throw err
  }
}

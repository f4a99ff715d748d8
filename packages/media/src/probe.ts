/** What a media file is, from ffprobe, validated: refuses anything that is not a playable video. */
import { stat } from 'node:fs/promises'
import { P2pdvError } from '@p2pdv/core/errors'
import { FFPROBE, MediaErrorCode, runTool } from './run-tool.ts'

export const MAX_DIMENSION = 8192
export const MAX_DURATION_SECONDS = 24 * 3600

/** An audio track of the source, in source order (`index` is its number among audio streams). */
export interface SourceAudioTrack {
  index: number
  codec: string
  /** The track's language tag, when the file names one (never "und"). */
  lang?: string
  /** The track's title tag, when it has one (trimmed, at most 64 characters). */
  title?: string
  /** The file marks it default. */
  default: boolean
}

export interface ProbeResult {
  durationSeconds: number
  width: number
  height: number
  frameRate: number
  videoCodec: string
  audioCodec?: string
  hasAudio: boolean
  /** Every audio track, in source order (empty without audio). */
  audioTracks: SourceAudioTrack[]
  /**
   * Clockwise display rotation the file asks for (0, 90, 180 or 270). `width` and `height` are
   * the displayed size, after it: ffmpeg rotates decoded frames before any filter, so every plan
   * (ladder, sprites, poster) is made from what the viewer sees, not from the coded size.
   */
  rotation: 0 | 90 | 180 | 270
  /**
   * Set for an audio-only source probed with `audioOnly`: the video is a still picture of
   * `width`×`height` at `frameRate`, made from the file's cover art (its stream index) or a
   * plain card.
   */
  still?: { coverStream?: number }
}

/** The picture an audio-only source is published with: 720p, a few frames a second (it never moves). */
export const STILL_SIZE = { width: 1280, height: 720 } as const
export const STILL_FPS = 5

interface FfprobeStream {
  index?: number
  codec_type?: string
  codec_name?: string
  width?: number
  height?: number
  avg_frame_rate?: string
  r_frame_rate?: string
  duration?: string
  disposition?: { attached_pic?: number, default?: number }
  tags?: { rotate?: string, language?: string, title?: string }
  side_data_list?: Array<{ side_data_type?: string, rotation?: number }>
}

/**
 * The clockwise rotation of a stream, from its display matrix (ffprobe reports it
 * counter-clockwise) or an old-style `rotate` tag. ffmpeg turns frames only for angles within a
 * degree of a quarter turn (other angles it rotates inside the frame, keeping its size), so
 * anything else counts as 0 here: the planned size is then the size ffmpeg produces.
 */
export function displayRotation (stream: Pick<FfprobeStream, 'tags' | 'side_data_list'>): 0 | 90 | 180 | 270 {
  const matrix = stream.side_data_list?.find(d => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number')
  const tag = Number(stream.tags?.rotate)
  const clockwise = matrix !== undefined ? -matrix.rotation! : Number.isFinite(tag) ? tag : 0
  const turned = ((clockwise % 360) + 360) % 360
  for (const quarter of [0, 90, 180, 270, 360] as const) {
    if (Math.abs(turned - quarter) <= 1) return quarter === 360 ? 0 : quarter
  }
  return 0
}

function rate (r: string | undefined): number {
  if (r === undefined) return 0
  const [n, d] = r.split('/').map(Number)
  return n !== undefined && d !== undefined && d > 0 ? n / d : Number(r) || 0
}

/** `audioOnly`: accept a file with sound and no video (a podcast), to publish over a still. */
export async function probe (file: string, opts: { signal?: AbortSignal, audioOnly?: boolean } = {}): Promise<ProbeResult> {
  const info = await stat(file).catch(cause => {
    throw new P2pdvError(MediaErrorCode.UNREADABLE, `cannot read ${file}`, { hint: 'Check the path.', cause })
  })
  if (!info.isFile() || info.size === 0) throw new P2pdvError(MediaErrorCode.NOT_VIDEO, `${file} is empty or not a file`, { hint: 'Pass a video file.' })
  let out
  try {
    out = await runTool(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], opts)
  } catch (err) {
    if (err instanceof P2pdvError && err.code === MediaErrorCode.TOOL_FAILED) {
      throw new P2pdvError(MediaErrorCode.UNREADABLE, `${file} is not a media file ffmpeg can read`, { hint: 'Pass a video file (MP4, MKV, WebM, MOV…).', cause: err })
    }
    throw err
  }
  let parsed: { streams?: FfprobeStream[], format?: { duration?: string } }
  try { parsed = JSON.parse(out.stdout) } catch { throw new P2pdvError(MediaErrorCode.UNREADABLE, 'ffprobe returned no description') }
  const streams = parsed.streams ?? []
  const video = streams.find(s => s.codec_type === 'video' && s.disposition?.attached_pic !== 1)
  const audios = streams.filter(s => s.codec_type === 'audio')
  const audio = audios[0]
  if (video === undefined) {
    if (audio === undefined) throw new P2pdvError(MediaErrorCode.NOT_VIDEO, `${file} has no video stream`, { hint: 'Pass a video file; image files cannot be published as videos.' })
    if (opts.audioOnly !== true) throw new P2pdvError(MediaErrorCode.NOT_VIDEO, `${file} has sound but no video`, { hint: 'Publish it with --audio-only: its cover art (or a plain card) stands in for the picture.' })
    const durationSeconds = Number(parsed.format?.duration ?? audio.duration ?? 0)
    if (!(durationSeconds > 0) || durationSeconds > MAX_DURATION_SECONDS) throw new P2pdvError(MediaErrorCode.NOT_VIDEO, `${file} has no usable duration`, { hint: 'The file may be truncated; re-export it.' })
    const cover = streams.find(s => s.codec_type === 'video' && s.disposition?.attached_pic === 1)
    return {
      durationSeconds,
      ...STILL_SIZE,
      frameRate: STILL_FPS,
      videoCodec: 'none',
      audioCodec: audio.codec_name ?? 'unknown',
      hasAudio: true,
      audioTracks: audios.map((a, index) => audioTrack(a, index)),
      rotation: 0,
      still: cover?.index === undefined ? {} : { coverStream: cover.index }
    }
  }
  if (opts.audioOnly === true) throw new P2pdvError(MediaErrorCode.BAD_OPTION, `${file} has video: --audio-only is for files with sound only`, { hint: 'Drop --audio-only.' })
  const rotation = displayRotation(video)
  const turned = rotation === 90 || rotation === 270
  const width = (turned ? video.height : video.width) ?? 0
  const height = (turned ? video.width : video.height) ?? 0
  const durationSeconds = Number(parsed.format?.duration ?? video.duration ?? 0)
  if (width < 16 || height < 16 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw new P2pdvError(MediaErrorCode.NOT_VIDEO, `${file} has unusable dimensions ${width}×${height}`, { hint: `Videos must be between 16 and ${MAX_DIMENSION} pixels on each side.` })
  }
  if (!(durationSeconds > 0) || durationSeconds > MAX_DURATION_SECONDS) {
    throw new P2pdvError(MediaErrorCode.NOT_VIDEO, `${file} has no usable duration`, { hint: 'The file may be truncated; re-export it.' })
  }
  return {
    durationSeconds,
    width,
    height,
    frameRate: rate(video.avg_frame_rate) || rate(video.r_frame_rate) || 30,
    videoCodec: video.codec_name ?? 'unknown',
    ...(audio?.codec_name === undefined ? {} : { audioCodec: audio.codec_name }),
    hasAudio: audio !== undefined,
    audioTracks: audios.map((a, index) => audioTrack(a, index)),
    rotation
  }
}

/** Printable text only, trimmed and bounded: tags are whatever the file's author wrote. */
function tagText (v: string | undefined, max: number): string | undefined {
  // eslint-disable-next-line no-control-regex
  const t = v?.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, max)
  return t === undefined || t === '' ? undefined : t
}

function audioTrack (s: FfprobeStream, index: number): SourceAudioTrack {
  const lang = tagText(s.tags?.language, 35)
  const title = tagText(s.tags?.title, 64)
  return {
    index,
    codec: s.codec_name ?? 'unknown',
    ...(lang === undefined || lang.toLowerCase() === 'und' ? {} : { lang }),
    ...(title === undefined ? {} : { title }),
    default: s.disposition?.default === 1
  }
}

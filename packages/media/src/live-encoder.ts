/**
 * The live encoder: one ffmpeg process that reads an ingest (a file paced as live with `-re`, any
 * ffmpeg URL, an SRT or RTMP listener on the creator's machine) and writes, per rendition of the
 * ladder, ~1 s fMP4 (CMAF) segments with audio and video muxed together, via ffmpeg's HLS muxer.
 * ffmpeg rewrites a rendition's playlist only once a segment is complete, so every segment the
 * playlist names can be read whole; `LiveEncoder` polls the playlists and reports each new one.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { DEFAULT_RUNGS, AUDIO_KBPS } from './ladder.ts'
import { FFMPEG, MediaErrorCode } from './run-tool.ts'

export const LIVE_SEGMENT_SECONDS = 1
export const DEFAULT_LIVE_LADDER = ['720p', '360p'] as const
const POLL_MS = 100
const STDERR_TAIL = 4000
const MAX_LADDER = 4

export type LiveIngest =
  | { kind: 'input', input: string }
  | { kind: 'srt', host: string, port: number }
  | { kind: 'rtmp', host: string, port: number }

export interface LiveRendition { index: number, name: string, height: number, videoKbps: number }

export interface LiveSegment {
  rendition: LiveRendition
  /** 0, 1, 2 … per rendition, in the order ffmpeg wrote them. */
  seq: number
  durationMs: number
  bytes: Uint8Array
  /** The rendition's init segment (the same for every segment of a run). */
  init: Uint8Array
  /** ffmpeg closed the rendition (EXT-X-ENDLIST): this is its final segment. */
  last: boolean
}

function badOption (message: string, hint: string): P2pdvError {
  return new P2pdvError(MediaErrorCode.BAD_OPTION, message, { hint })
}

/** `720p,360p` → renditions, highest first (bitrates from the VOD ladder). */
export function parseLiveLadder (text: string): LiveRendition[] {
  const names = text.split(',').map(s => s.trim()).filter(s => s !== '')
  if (names.length === 0 || names.length > MAX_LADDER) throw badOption(`--ladder takes 1 to ${MAX_LADDER} renditions`, 'e.g. --ladder 720p,360p')
  const heights = names.map(n => {
    const m = /^(\d{3,4})p$/.exec(n)
    const rung = m === null ? undefined : DEFAULT_RUNGS.find(r => r.height === Number(m[1]))
    if (rung === undefined) throw badOption(`unknown rendition "${n.slice(0, 20)}"`, `use some of ${DEFAULT_RUNGS.map(r => `${r.height}p`).join(', ')}`)
    return rung
  })
  if (new Set(heights.map(h => h.height)).size !== heights.length) throw badOption('a rendition is named twice in --ladder', 'e.g. --ladder 720p,360p')
  return heights.sort((a, b) => b.height - a.height).map((r, index) => ({ index, name: `${r.height}p`, height: r.height, videoKbps: r.videoKbps }))
}

/**
 * ffmpeg probes 5 s of a network input before it starts encoding by default: that much latency
 * before the first segment. Half a second finds the streams OBS and ffmpeg send.
 */
const NETWORK_PROBE = ['-probesize', '500000', '-analyzeduration', '500000']

/** The ffmpeg input arguments and the URL the creator points OBS/ffmpeg at (none for a file). */
export function ingestArgs (ingest: LiveIngest): { args: string[], ingestUrl?: string } {
  switch (ingest.kind) {
    case 'input':
      // A local file is paced at its own speed (as a camera would deliver it); URLs already are.
      return /^[a-z][a-z0-9+.-]*:\/\//i.test(ingest.input) ? { args: ['-i', ingest.input] } : { args: ['-re', '-i', ingest.input] }
    case 'srt':
      return { args: [...NETWORK_PROBE, '-i', `srt://${ingest.host}:${ingest.port}?mode=listener`], ingestUrl: `srt://${ingest.host}:${ingest.port}` }
    case 'rtmp':
      return { args: [...NETWORK_PROBE, '-listen', '1', '-i', `rtmp://${ingest.host}:${ingest.port}/live/stream`], ingestUrl: `rtmp://${ingest.host}:${ingest.port}/live/stream` }
  }
}

/** The whole ffmpeg command line: one HLS (fMP4) output per rendition under outDir/r<i>/. */
export function liveEncoderArgs (ingest: LiveIngest, ladder: LiveRendition[], outDir: string, preset = 'veryfast'): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...ingestArgs(ingest).args]
  for (const r of ladder) {
    const dir = join(outDir, `r${r.index}`)
    args.push(
      '-map', '0:v:0', '-map', '0:a:0?',
      '-vf', `scale=-2:${r.height}`,
      '-c:v', 'libx264', '-preset', preset, '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-b:v', `${r.videoKbps}k`, '-maxrate', `${r.videoKbps}k`, '-bufsize', `${r.videoKbps}k`,
      // A key frame at every segment boundary, and nowhere a scene cut would add one.
      '-force_key_frames', `expr:gte(t,n_forced*${LIVE_SEGMENT_SECONDS})`, '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2',
      '-f', 'hls', '-hls_time', String(LIVE_SEGMENT_SECONDS), '-hls_list_size', '0',
      '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', join(dir, 'seg_%d.m4s'),
      join(dir, 'index.m3u8')
    )
  }
  return args
}

export interface LiveEncoderOptions {
  ingest: LiveIngest
  ladder: LiveRendition[]
  /** A private directory for ffmpeg's output (the caller removes it). */
  workDir: string
  /** Called for each complete segment, in order per rendition; the encoder waits for it. */
  onSegment: (s: LiveSegment) => Promise<void>
  preset?: string
}

/** Runs ffmpeg and reports segments until the input ends or `stop` is called. */
export class LiveEncoder {
  private readonly opts: LiveEncoderOptions
  private proc: ChildProcess | undefined
  private stderr = ''
  private readonly seen: number[]
  private readonly inits: Array<Uint8Array | undefined>
  private stopping = false

  constructor (opts: LiveEncoderOptions) {
    this.opts = opts
    this.seen = opts.ladder.map(() => 0)
    this.inits = opts.ladder.map(() => undefined)
  }

  /** Resolves when ffmpeg has ended and every segment it wrote was handed to onSegment. */
  async run (): Promise<void> {
    for (const r of this.opts.ladder) await mkdir(join(this.opts.workDir, `r${r.index}`), { recursive: true })
    // Stopped before ffmpeg was started (a SIGTERM right after start): there is nothing to end.
    if (this.stopping) return
    const proc = spawn(FFMPEG, liveEncoderArgs(this.opts.ingest, this.opts.ladder, this.opts.workDir, this.opts.preset), { stdio: ['ignore', 'ignore', 'pipe'] })
    this.proc = proc
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-STDERR_TAIL) })
    const exited = new Promise<number | null>((resolve, reject) => {
      proc.once('error', err => {
        reject((err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new P2pdvError(MediaErrorCode.TOOL_MISSING, `${FFMPEG} is not installed`, { hint: 'Install ffmpeg (Debian: apt-get install ffmpeg).' })
          : err)
      })
      proc.once('close', code => { resolve(code) })
    })
    let done = false
    let code: number | null = null
    const ended = exited.then(c => { code = c; done = true }, err => { done = true; throw err })
    while (!done) {
      await this.poll()
      await Promise.race([ended, new Promise(resolve => setTimeout(resolve, POLL_MS))])
    }
    await ended
    await this.poll() // what ffmpeg finished while it exited
    if (code !== 0 && !this.stopping) {
      throw new P2pdvError(MediaErrorCode.TOOL_FAILED, `ffmpeg stopped (exit ${String(code)}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`, {
        hint: 'The ingest ended, or sent a codec or container ffmpeg cannot read.'
      })
    }
  }

  /** Ends the encoder: ffmpeg finishes its current segments and exits. */
  stop (): void {
    this.stopping = true
    // SIGINT lets ffmpeg close its outputs (the last segment is written and listed).
    this.proc?.kill('SIGINT')
  }

  private async poll (): Promise<void> {
    for (const r of this.opts.ladder) {
      const dir = join(this.opts.workDir, `r${r.index}`)
      let text: string
      try { text = await readFile(join(dir, 'index.m3u8'), 'utf8') } catch { continue }
      const segments = completeSegments(text)
      // ffmpeg lists ENDLIST when it closes the output (the input ended, or stop()): the last
      // segment listed then is the rendition's final one.
      const closed = /^#EXT-X-ENDLIST\s*$/m.test(text)
      while (this.seen[r.index]! < segments.length) {
        const seq = this.seen[r.index]!
        const s = segments[seq]!
        this.inits[r.index] ??= new Uint8Array(await readFile(join(dir, 'init.mp4')))
        const bytes = new Uint8Array(await readFile(join(dir, s.uri)))
        this.seen[r.index] = seq + 1
        await this.opts.onSegment({ rendition: r, seq, durationMs: Math.max(1, Math.round(s.duration * 1000)), bytes, init: this.inits[r.index]!, last: closed && seq === segments.length - 1 })
      }
    }
  }
}

/** The segments a (growing) media playlist lists, in order. */
export function completeSegments (text: string): Array<{ uri: string, duration: number }> {
  const out: Array<{ uri: string, duration: number }> = []
  let pending: number | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice(8))
    else if (line !== '' && !line.startsWith('#') && pending !== undefined) {
      // Only names ffmpeg writes (seg_<n>.m4s): nothing else is read from the directory.
      if (/^seg_\d+\.m4s$/.test(line)) out.push({ uri: line, duration: pending })
      pending = undefined
    }
  }
  return out
}

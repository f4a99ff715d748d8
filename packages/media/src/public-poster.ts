/**
 * A new public poster for a listing from any picture or video ffmpeg reads: one frame (at `atSeconds`
 * for a video), at most PUBLIC_POSTER_WIDTH wide, as a JPEG within the listing's poster limit. It is
 * what cards and search show, a deliberate disclosure: the sealed poster inside the manifest stays.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_LISTING_POSTER_BYTES } from '@p2pdv/core'
import { FFMPEG, MediaErrorCode, runTool } from './run-tool.ts'
import { PUBLIC_POSTER_WIDTH } from './transcode.ts'

/** JPEG quality steps (ffmpeg's -q:v, 2 best … 31 worst) tried until the poster fits its limit. */
const QUALITIES = [4, 8, 14]

export async function publicPosterFrom (input: string, o: { atSeconds?: number, signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const info = await stat(input).catch(() => undefined)
  if (info?.isFile() !== true) throw new P2pdvError('ERR_FILE_NOT_FOUND', `${input} is not a file`, { hint: 'Give the path of a picture (JPEG, PNG, WebP…) or of a video with --poster-at.' })
  if (o.atSeconds !== undefined && !(Number.isFinite(o.atSeconds) && o.atSeconds >= 0)) throw new P2pdvError(MediaErrorCode.BAD_OPTION, 'the poster time must be 0 or more seconds')
  const work = await mkdtemp(join(tmpdir(), 'p2pdv-poster-'))
  try {
    for (const q of QUALITIES) {
      const out = join(work, `poster-${q}.jpg`)
      try {
        await runTool(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
          ...(o.atSeconds === undefined ? [] : ['-ss', o.atSeconds.toFixed(3)]), '-i', input,
          '-map', '0:v:0', '-frames:v', '1', '-vf', `scale='min(${PUBLIC_POSTER_WIDTH},iw)':-2`, '-q:v', String(q), out], o.signal === undefined ? {} : { signal: o.signal })
      } catch (cause) {
        if (cause instanceof P2pdvError && cause.code !== MediaErrorCode.TOOL_FAILED) throw cause
        throw new P2pdvError(MediaErrorCode.UNREADABLE, `no picture could be read from ${input}`, { hint: 'Give a JPEG, PNG or WebP picture, or a video (with --poster-at inside its length).', cause })
      }
      const bytes = new Uint8Array(await readFile(out).catch(() => Buffer.alloc(0)))
      // A -ss past a video's end writes nothing (and ffmpeg exits 0).
      if (bytes.byteLength === 0) throw new P2pdvError(MediaErrorCode.UNREADABLE, `no frame at ${o.atSeconds ?? 0} s in ${input}`, { hint: 'Pick a --poster-at inside the video.' })
      if (bytes.byteLength <= MAX_LISTING_POSTER_BYTES) return bytes
    }
    throw new P2pdvError(MediaErrorCode.UNREADABLE, `the poster from ${input} stays above ${MAX_LISTING_POSTER_BYTES} bytes even at low quality`, { hint: 'Use a simpler picture.' })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

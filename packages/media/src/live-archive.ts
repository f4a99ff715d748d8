/**
 * What a live stream's archive needs from its media that the encoder does not say: each
 * rendition's CODECS string (read from its init segment) and a poster frame.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FFMPEG, runTool } from './run-tool.ts'

/** libx264 High profile, level 3.1, with AAC-LC: what the live ladder encodes when no avcC is found. */
const FALLBACK_VIDEO = 'avc1.64001f'
const AAC_LC = 'mp4a.40.2'

function indexOf (b: Uint8Array, tag: string, from = 0): number {
  const t = [...tag].map(c => c.charCodeAt(0))
  outer: for (let i = from; i + t.length <= b.byteLength; i++) {
    for (let j = 0; j < t.length; j++) if (b[i + j] !== t[j]) continue outer
    return i
  }
  return -1
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

/**
 * RFC 6381 codecs of a CMAF init segment with H.264 (and AAC): `avc1.PPCCLL` from the avcC
 * record's profile, constraint flags and level, plus `mp4a.40.2` when an mp4a entry is present.
 */
export function initCodecs (init: Uint8Array): string {
  const at = indexOf(init, 'avcC')
  // avcC payload: configurationVersion, AVCProfileIndication, profile_compatibility, AVCLevelIndication.
  const video = at >= 0 && at + 8 <= init.byteLength ? `avc1.${hex2(init[at + 5]!)}${hex2(init[at + 6]!)}${hex2(init[at + 7]!)}` : FALLBACK_VIDEO
  return indexOf(init, 'mp4a') >= 0 ? `${video},${AAC_LC}` : video
}

/** A JPEG of the first frame of `segment` (with its `init`), at most 720 lines high. */
export async function posterFromSegment (init: Uint8Array, segment: Uint8Array, workDir: string, signal?: AbortSignal): Promise<Uint8Array> {
  const input = join(workDir, 'poster-source.mp4')
  const output = join(workDir, 'poster.jpg')
  await writeFile(input, Buffer.concat([init, segment]))
  await runTool(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', input, '-map', '0:v:0', '-frames:v', '1', '-vf', 'scale=-2:\'min(720,ih)\'', '-q:v', '3', '-y', output], signal === undefined ? {} : { signal })
  return new Uint8Array(await readFile(output))
}

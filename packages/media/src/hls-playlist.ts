/** Reads the media playlists ffmpeg wrote back into a typed description (never assumed). */
import { P2pdvError } from '@p2pdv/core/errors'
import { MediaErrorCode } from './run-tool.ts'

export interface MediaPlaylist {
  targetDuration: number
  init: string
  segments: Array<{ uri: string, duration: number }>
}

export function parseMediaPlaylist (text: string): MediaPlaylist {
  const lines = text.split('\n').map(l => l.trim()).filter(l => l !== '')
  if (lines[0] !== '#EXTM3U') throw new P2pdvError(MediaErrorCode.TOOL_FAILED, 'ffmpeg wrote a playlist without #EXTM3U')
  let targetDuration = 0
  let init = ''
  let pending: number | undefined
  const segments: MediaPlaylist['segments'] = []
  for (const line of lines) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.slice(22))
    else if (line.startsWith('#EXT-X-MAP:')) init = /URI="([^"]+)"/.exec(line)?.[1] ?? ''
    else if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice(8))
    else if (!line.startsWith('#') && pending !== undefined) { segments.push({ uri: line, duration: pending }); pending = undefined }
  }
  if (init === '' || segments.length === 0) throw new P2pdvError(MediaErrorCode.TOOL_FAILED, 'ffmpeg wrote a playlist without an init segment or segments')
  return { targetDuration, init, segments }
}

/** CODECS, BANDWIDTH and RESOLUTION per variant, from ffmpeg's master playlist, in order. */
export function parseMasterPlaylist (text: string): Array<{ bandwidth: number, codecs: string, resolution?: string, uri: string }> {
  const out: Array<{ bandwidth: number, codecs: string, resolution?: string, uri: string }> = []
  const lines = text.split('\n').map(l => l.trim()).filter(l => l !== '')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue
    const attr = (name: string): string | undefined => new RegExp(`${name}=("([^"]*)"|[^,]*)`).exec(line)?.[2] ?? new RegExp(`${name}=([^,]*)`).exec(line)?.[1]
    const resolution = attr('RESOLUTION')
    out.push({ bandwidth: Number(attr('BANDWIDTH') ?? 0), codecs: attr('CODECS') ?? '', ...(resolution === undefined ? {} : { resolution }), uri: lines[i + 1] ?? '' })
  }
  return out
}

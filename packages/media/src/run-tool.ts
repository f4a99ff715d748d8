/** Runs ffmpeg/ffprobe with an AbortSignal, bounded stderr capture and typed errors. */
import { spawn } from 'node:child_process'
import { P2pdvError } from '@p2pdv/core/errors'

export const MediaErrorCode = {
  TOOL_MISSING: 'ERR_MEDIA_TOOL_MISSING',
  TOOL_FAILED: 'ERR_MEDIA_TOOL_FAILED',
  NOT_VIDEO: 'ERR_MEDIA_NOT_VIDEO',
  UNREADABLE: 'ERR_MEDIA_UNREADABLE',
  ABORTED: 'ERR_ABORTED',
  BAD_OPTION: 'ERR_MEDIA_OPTION',
  TOO_MANY_TRACKS: 'ERR_MEDIA_TOO_MANY_TRACKS'
} as const

export const FFMPEG = process.env.P2PDV_FFMPEG ?? 'ffmpeg'
export const FFPROBE = process.env.P2PDV_FFPROBE ?? 'ffprobe'
const STDERR_TAIL = 4000

export interface ToolRun { stdout: string, stderr: string }

export async function runTool (tool: string, args: string[], opts: { signal?: AbortSignal, onStdoutLine?: (line: string) => void } = {}): Promise<ToolRun> {
  if (opts.signal?.aborted === true) throw aborted()
  return await new Promise<ToolRun>((resolve, reject) => {
    const proc = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let pending = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (opts.onStdoutLine === undefined) { stdout += d; return }
      pending += d
      let nl
      while ((nl = pending.indexOf('\n')) >= 0) { opts.onStdoutLine(pending.slice(0, nl)); pending = pending.slice(nl + 1) }
    })
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-STDERR_TAIL) })
    const onAbort = (): void => { proc.kill('SIGKILL') }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    proc.on('error', err => {
      opts.signal?.removeEventListener('abort', onAbort)
      reject((err as NodeJS.ErrnoException).code === 'ENOENT'
        ? new P2pdvError(MediaErrorCode.TOOL_MISSING, `${tool} is not installed`, { hint: 'Install ffmpeg (Debian: apt-get install ffmpeg).' })
        : err)
    })
    proc.on('close', code => {
      opts.signal?.removeEventListener('abort', onAbort)
      if (opts.signal?.aborted === true) { reject(aborted()); return }
      if (code === 0) { resolve({ stdout, stderr }); return }
      reject(new P2pdvError(MediaErrorCode.TOOL_FAILED, `${tool} failed (exit ${String(code)}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`, {
        hint: 'The input may be damaged or in a format this ffmpeg cannot decode.'
      }))
    })
  })
}

export function aborted (): P2pdvError {
  return new P2pdvError(MediaErrorCode.ABORTED, 'cancelled', { hint: 'Nothing was written; run the command again to retry.' })
}

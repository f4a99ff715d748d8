/**
 * Runs the real `p2pdv` CLI as a child process, as a user does, and classifies how it ended:
 * a JSON result, a typed error (`{"error":{"code":"ERR_…"}}` on stdout with `--json`), or a crash
 * (no typed error: killed, an unhandled rejection, a stack trace, or a hang the harness killed).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../packages/cli/src/bin.js', import.meta.url))
/** The node flags on bin.js's `#!` line: the ones a user's `p2pdv` starts with. */
export const CLI_NODE_FLAGS = (readFileSync(CLI, 'utf8').split('\n')[0]?.match(/^#!\/usr\/bin\/env -S node(.*)$/)?.[1] ?? '')
  .trim().split(/\s+/).filter(f => f !== '')

export type CliEnd =
  | { type: 'ok', json: unknown, code: number }
  | { type: 'error', code: string, exit: number | null }
  | { type: 'crash', reason: string }

/** Keeps the last part of a child's stderr for the crash reason. */
const STDERR_TAIL = 4000

export interface RunCliOptions {
  env: NodeJS.ProcessEnv
  /** A command still running after this long is killed and counted as a crash (a hang). */
  timeoutMs: number
  /** Exit codes that still carry a JSON result (check: 1 lost, 3 unknown). */
  resultCodes?: number[]
}

export async function runCli (args: string[], opts: RunCliOptions): Promise<CliEnd> {
  const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, ...args, '--json'], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', d => { stdout += String(d) })
  proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-STDERR_TAIL) })
  let hung = false
  const timer = setTimeout(() => { hung = true; proc.kill('SIGKILL') }, opts.timeoutMs)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => proc.once('close', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  if (hung) return { type: 'crash', reason: `hung: killed after ${opts.timeoutMs / 1000} s` }
  if (signal !== null) return { type: 'crash', reason: `killed by ${signal}` }
  let json: unknown
  try { json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') } catch { json = undefined }
  return classify(code, json, stderr, opts.resultCodes ?? [])
}

/** How one CLI run ended, from its exit code, last stdout line (JSON) and stderr. Exported for tests. */
export function classify (code: number | null, json: unknown, stderr: string, resultCodes: number[]): CliEnd {
  // Node prints this when a promise rejection nobody handled ends the process: a crash even if
  // a typed error was printed before it.
  if (/unhandled|UnhandledPromiseRejection|uncaught/i.test(stderr)) return { type: 'crash', reason: `unhandled rejection: ${lastLine(stderr)}` }
  const errorCode = (json as { error?: { code?: unknown } } | undefined)?.error?.code
  if (typeof errorCode === 'string' && /^ERR_[A-Z0-9_]+$/.test(errorCode)) {
    // ERR_UNEXPECTED is the CLI's wrapper for an error that was not a P2pdvError: an untyped failure.
    if (errorCode === 'ERR_UNEXPECTED') return { type: 'crash', reason: `untyped error: ${lastLine(stderr)}` }
    return { type: 'error', code: errorCode, exit: code }
  }
  if (json !== undefined && (code === 0 || (code !== null && resultCodes.includes(code)))) return { type: 'ok', json, code }
  return { type: 'crash', reason: `exit ${String(code)} without a typed error: ${lastLine(stderr)}` }
}

/** The error line of a stack trace (what failed), else the last lines. */
function lastLine (text: string): string {
  const lines = text.trim().split('\n').map(l => l.trim()).filter(l => l !== '')
  const error = lines.find(l => /^(\w*Error|\[\w+|Uncaught|node:internal)/.test(l) || /Error:/.test(l))
  return (error ?? lines.slice(-3).join(' | ')).slice(0, 300)
}

/**
 * Starts child processes that announce readiness with one JSON line on stdout, sends their logs to
 * files, and stops them all (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { P2pdvError } from '@p2pdv/core/errors'

export const READY_TIMEOUT_MS = 60_000
export const STOP_GRACE_MS = 5_000

export interface Child<Ready> {
  name: string
  proc: ChildProcess
  ready: Ready
  exited: Promise<number | null>
}

export interface SpawnReadyOptions {
  name: string
  args: string[]
  env?: NodeJS.ProcessEnv
  logFile: string
  timeoutMs?: number
}

export async function spawnReady<Ready> (opts: SpawnReadyOptions): Promise<Child<Ready>> {
  // stdin stays an open pipe that the child watches: if this process dies, even by SIGKILL, the
  // pipe closes and the child stops rather than living on orphaned.
  const proc = spawn(process.execPath, opts.args, {
    env: { ...process.env, P2PDV_EXIT_WITH_PARENT: '1', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  const log = createWriteStream(opts.logFile, { flags: 'a', mode: 0o600 })
  proc.stderr?.pipe(log)
  const exited = new Promise<number | null>(resolve => proc.once('exit', code => resolve(code)))
  const lines = createInterface({ input: proc.stdout! })
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new P2pdvError('ERR_CHILD_TIMEOUT', `${opts.name} did not become ready within ${(opts.timeoutMs ?? READY_TIMEOUT_MS) / 1000} s`, {
        hint: `See its log: ${opts.logFile}`
      }))
    }, opts.timeoutMs ?? READY_TIMEOUT_MS)
    lines.on('line', line => {
      try {
        const msg = JSON.parse(line) as { event?: string }
        if (msg.event === 'ready') { clearTimeout(timer); resolve(msg as Ready) }
      } catch { /* not a JSON line: ignore */ }
    })
    void exited.then(code => {
      clearTimeout(timer)
      reject(new P2pdvError('ERR_CHILD_EXITED', `${opts.name} exited with code ${String(code)} before it was ready`, {
        hint: `See its log: ${opts.logFile}`
      }))
    })
  })
  return { name: opts.name, proc, ready, exited }
}

export async function stopAll (children: Array<Child<unknown>>, graceMs = STOP_GRACE_MS): Promise<void> {
  await Promise.all(children.map(async c => {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) return
    c.proc.kill('SIGTERM')
    const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs)
    await c.exited
    clearTimeout(timer)
  }))
}

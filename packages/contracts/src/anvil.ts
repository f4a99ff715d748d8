/**
 * A local EVM chain for the devnet and the tests: anvil from the npm package `@foundry-rs/anvil`.
 *
 * That package's `anvil` bin is a Node wrapper that spawns the real binary from a per-platform
 * package. We spawn the real binary directly when it resolves (one process, one PID to stop);
 * otherwise we run the wrapper as the leader of its own process group and stop the whole group,
 * so neither process outlives `stop()`. Node-only (child processes): import it from
 * `@p2pdv/contracts/anvil`, never from browser code.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, type WriteStream } from 'node:fs'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { P2pdvError } from '@p2pdv/core/errors'

const require = createRequire(import.meta.url)

export const ANVIL_HOST = '127.0.0.1'
export const ANVIL_CHAIN_ID = 31337
export const ANVIL_READY_TIMEOUT_MS = 30_000
export const ANVIL_STOP_GRACE_MS = 3_000

/** anvil's well-known development keys (mnemonic "test test … junk"), each funded with 10 000 ETH. */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6'
] as const

export const AnvilErrorCode = {
  NOT_INSTALLED: 'ERR_ANVIL_NOT_INSTALLED',
  START: 'ERR_ANVIL_START'
} as const

export interface StartAnvilOptions {
  /** 0 (default) lets the OS pick a free port. */
  port?: number
  chainId?: number
  /** Seconds between blocks; omitted = a block per transaction (automine). */
  blockTime?: number
  /** anvil's own output (one line per RPC call) goes here; otherwise it is discarded. */
  logFile?: string
  /** Extra command-line arguments. */
  args?: string[]
  timeoutMs?: number
  /** Run through the npm wrapper even when the binary resolves (tests the group stop). */
  viaWrapper?: boolean
}

export interface Anvil {
  /** http://127.0.0.1:PORT */
  rpc: string
  port: number
  chainId: number
  pid: number
  /** Resolves when the process exited. */
  exited: Promise<void>
  /** SIGTERM, then SIGKILL after a grace period; resolves once the chain is gone. Idempotent. */
  stop: () => Promise<void>
}

const PLATFORM_PACKAGES: Record<string, string | undefined> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64'
}

/** The command that runs anvil: the platform binary if installed, else the npm wrapper. */
export function anvilCommand (viaWrapper = false): { file: string, args: string[], wrapper: boolean } {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`]
  if (pkg !== undefined && !viaWrapper) {
    try {
      const bin = require.resolve(`${pkg}/bin/${process.platform === 'win32' ? 'anvil.exe' : 'anvil'}`)
      if (existsSync(bin)) return { file: bin, args: [], wrapper: false }
    } catch {}
  }
  try {
    return { file: process.execPath, args: [require.resolve('@foundry-rs/anvil/bin.mjs')], wrapper: true }
  } catch {
    throw new P2pdvError(AnvilErrorCode.NOT_INSTALLED, 'anvil is not installed', {
      hint: 'Run `npm install` (the @foundry-rs/anvil package brings the binary), or pass --rpc URL to use another chain.'
    })
  }
}

/** Starts anvil on 127.0.0.1 and resolves once it accepts JSON-RPC. */
export async function startAnvil (options: StartAnvilOptions = {}): Promise<Anvil> {
  const cmd = anvilCommand(options.viaWrapper)
  const chainId = options.chainId ?? ANVIL_CHAIN_ID
  const args = [
    ...cmd.args,
    '--host', ANVIL_HOST,
    '--port', String(options.port ?? 0),
    '--chain-id', String(chainId),
    ...(options.blockTime === undefined ? [] : ['--block-time', String(options.blockTime)]),
    ...(options.args ?? [])
  ]
  const proc = spawn(cmd.file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The wrapper leads its own process group so that stop() reaches the binary it spawned.
    detached: cmd.wrapper
  })
  const log: WriteStream | undefined = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a', mode: 0o600 })
  const exited = new Promise<void>(resolve => proc.once('exit', () => { log?.end(); resolve() }))
  // Kill the chain if this process exits without stopping it (a crashed test, an uncaught error).
  const killOnExit = (): void => { signal(proc, cmd.wrapper, 'SIGKILL') }
  process.once('exit', killOnExit)
  void exited.then(() => process.removeListener('exit', killOnExit))

  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += String(d)
    log?.write(d)
  })
  const lines = createInterface({ input: proc.stdout! })
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return await exited
    signal(proc, cmd.wrapper, 'SIGTERM')
    const timer = setTimeout(() => { signal(proc, cmd.wrapper, 'SIGKILL') }, ANVIL_STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
    // The wrapper forwards SIGTERM; make sure nothing of the group is left.
    if (cmd.wrapper) signal(proc, true, 'SIGKILL')
  }

  const timeoutMs = options.timeoutMs ?? ANVIL_READY_TIMEOUT_MS
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new P2pdvError(AnvilErrorCode.START, `anvil did not start within ${timeoutMs / 1000} s`, { hint: 'Is the machine overloaded? Try again.' }))
    }, timeoutMs)
    lines.on('line', line => {
      log?.write(line + '\n')
      const m = /Listening on [\d.]+:(\d+)/.exec(line)
      if (m !== null) { clearTimeout(timer); resolve(Number(m[1])) }
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new P2pdvError(AnvilErrorCode.START, `anvil exited before it was ready: ${stderr.trim().split('\n').at(-1) ?? ''}`, {
        hint: 'Check that the port is free, or pass another one.'
      }))
    })
  }).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  // Keep draining stdout (anvil prints every call) so the pipe never fills and stalls it.
  return { rpc: `http://${ANVIL_HOST}:${port}`, port, chainId, pid: proc.pid ?? -1, exited, stop }
}

function signal (proc: ChildProcess, group: boolean, sig: NodeJS.Signals): void {
  if (proc.pid === undefined) return
  try {
    if (group) process.kill(-proc.pid, sig)
    else if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig)
  } catch {}
}

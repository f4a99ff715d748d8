/**
 * The cluster under test: a real `p2pdv devnet --no-chain` in its own directory, as users start
 * it, plus the power to kill -9, pause (SIGSTOP) and resume (SIGCONT) any of its nodes, and to
 * restart a killed node with the SAME command line (read from /proc/PID/cmdline before the kill)
 * and the same data dir, as an operator's supervisor would. The devnet's devnet.json is left as
 * the devnet wrote it: clients see what users' clients see.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { CLI } from './cli.ts'

export type NodeStatus = 'up' | 'paused' | 'down'

export interface ClusterNode {
  name: string
  peerId: string
  dataDir: string
  /** Where the node's stderr (its log) goes. */
  logFile: string
  /** The node's HTTP API now (a restarted node may listen elsewhere). */
  http: string
  /** The HTTP API devnet.json gives clients. */
  advertisedHttp: string
  pid: number
  status: NodeStatus
  /** argv of the node process as first started ([0] is the node executable). */
  argv: string[]
  /** Set once the harness restarted the node (the devnet no longer owns it). */
  proc?: ChildProcess
  restarts: number
}

/** A devnet start or node restart must be ready within this long. */
export const READY_TIMEOUT_MS = 180_000
/** How long a node gets to exit on SIGTERM at the end before SIGKILL. */
const STOP_GRACE_MS = 10_000

export interface Cluster {
  dir: string
  /** Environment for CLI commands against this devnet. */
  env: NodeJS.ProcessEnv
  nodes: ClusterNode[]
  kill: (node: ClusterNode) => Promise<void>
  pause: (node: ClusterNode) => void
  resume: (node: ClusterNode) => void
  restart: (node: ClusterNode) => Promise<void>
  stop: () => Promise<void>
}

interface ReadyNode { name: string, peerId: string, http: string, dataDir: string, pid: number }

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

async function waitExit (pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (alive(pid)) {
    // A zombie (exited, not yet reaped by its parent) counts as gone.
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(s => s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3), () => 'X')
    if (state === 'Z' || state === 'X') return true
    if (Date.now() > until) return false
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return true
}

async function cmdline (pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8')
  return raw.split('\0').filter(a => a !== '')
}

/** Devnet starts tried before giving up. */
const START_ATTEMPTS = 3

/**
 * Starts the devnet. On a loaded machine a node may miss the devnet's own 60 s start timeout
 * (ERR_CHILD_TIMEOUT; seen at a load average of 20 on 2 cores), so a failed start is retried on a
 * fresh devnet dir.
 */
export async function startCluster (dir: string, count: number): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(dir, count)
    } catch (err) {
      if (attempt >= START_ATTEMPTS) throw err
    }
  }
}

async function startClusterOnce (dir: string, count: number): Promise<Cluster> {
  const devnetDir = join(dir, 'devnet')
  const env = { P2PDV_DEVNET_DIR: devnetDir, P2PDV_HOME: join(dir, 'home') }
  const devnet = spawn(process.execPath, [CLI, 'devnet', '--nodes', String(count), '--no-chain', '--fresh', '--json'], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  devnet.stderr.pipe(createWriteStream(join(dir, 'devnet.stderr.log')))
  const devnetExited = new Promise<void>(resolve => devnet.once('exit', () => resolve()))
  let lastLine = ''
  const ready = await new Promise<{ nodes: ReadyNode[] }>((resolve, reject) => {
    const timer = setTimeout(() => { devnet.kill('SIGKILL'); reject(new Error(`devnet not ready in ${READY_TIMEOUT_MS / 1000} s; see ${dir}`)) }, READY_TIMEOUT_MS)
    createInterface({ input: devnet.stdout }).on('line', line => {
      lastLine = line
      try {
        const msg = JSON.parse(line) as { event?: string, nodes: ReadyNode[] }
        if (msg.event === 'ready') { clearTimeout(timer); resolve(msg) }
      } catch { /* not JSON */ }
    })
    void devnetExited.then(() => { clearTimeout(timer); reject(new Error(`devnet exited before ready (${lastLine.slice(0, 300)}); see ${devnetDir}`)) })
  })
  const passphrase = (await readFile(join(devnetDir, 'passphrase'), 'utf8')).trim()
  const nodes: ClusterNode[] = await Promise.all(ready.nodes.map(async n => ({
    name: n.name, peerId: n.peerId, dataDir: n.dataDir, logFile: join(devnetDir, `${n.name}.log`), http: n.http, advertisedHttp: n.http, pid: n.pid, status: 'up' as const, argv: await cmdline(n.pid), restarts: 0
  })))

  const kill = async (node: ClusterNode): Promise<void> => {
    process.kill(node.pid, 'SIGKILL')
    node.status = 'down'
    await waitExit(node.pid, 10_000)
  }
  const pause = (node: ClusterNode): void => { process.kill(node.pid, 'SIGSTOP'); node.status = 'paused' }
  const resume = (node: ClusterNode): void => { process.kill(node.pid, 'SIGCONT'); node.status = 'up' }
  const restart = async (node: ClusterNode): Promise<void> => {
    const [exe, ...args] = node.argv
    // The devnet's own environment for its nodes: its passphrase, and exit when the parent (here
    // the harness) goes away.
    const proc = spawn(exe!, args, { env: { ...process.env, P2PDV_PASSPHRASE: passphrase, P2PDV_EXIT_WITH_PARENT: '1' }, stdio: ['pipe', 'pipe', 'pipe'] })
    proc.stderr.pipe(createWriteStream(node.logFile, { flags: 'a' }))
    const info = await new Promise<{ http: string }>((resolve, reject) => {
      const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${node.name} not ready after restart`)) }, READY_TIMEOUT_MS)
      createInterface({ input: proc.stdout }).on('line', line => {
        try {
          const msg = JSON.parse(line) as { event?: string, http: string }
          if (msg.event === 'ready') { clearTimeout(timer); resolve(msg) }
        } catch { /* not JSON */ }
      })
      proc.once('exit', code => { clearTimeout(timer); reject(new Error(`${node.name} exited (code ${String(code)}) before ready after restart`)) })
    })
    node.proc = proc
    node.pid = proc.pid!
    node.http = info.http
    node.status = 'up'
    node.restarts++
  }
  const stop = async (): Promise<void> => {
    for (const n of nodes) if (n.status === 'paused') resume(n)
    const own = nodes.filter(n => n.proc !== undefined && n.status === 'up')
    for (const n of own) n.proc!.kill('SIGTERM')
    if (devnet.exitCode === null && devnet.signalCode === null) devnet.kill('SIGTERM')
    await Promise.all([
      ...own.map(async n => { if (!await waitExit(n.pid, STOP_GRACE_MS)) n.proc!.kill('SIGKILL') }),
      Promise.race([devnetExited, new Promise(resolve => setTimeout(resolve, STOP_GRACE_MS * 2))])
    ])
    if (devnet.exitCode === null && devnet.signalCode === null) devnet.kill('SIGKILL')
    for (const n of nodes) if (n.status !== 'down' && alive(n.pid)) process.kill(n.pid, 'SIGKILL')
  }
  return { dir, env, nodes, kill, pause, resume, restart, stop }
}

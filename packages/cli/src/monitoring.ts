/**
 * `p2pdv devnet --monitoring`: a real Prometheus (Debian's `prometheus` package) on 127.0.0.1,
 * scraping every devnet node with the alert rules of deploy/prometheus/. Loaded only with the flag.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { P2pdvError } from '@p2pdv/core/errors'

export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url))
export const DEVNET_SCRAPE_INTERVAL = '5s'
const READY_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 5_000

export interface MonitoringTarget { name: string, http: string }

export interface Monitoring {
  url: string
  proc: ChildProcess
  /** Rewrites the scrape targets (Prometheus rereads the file within 5 s). */
  setTargets: (targets: MonitoringTarget[]) => Promise<void>
  stop: () => Promise<void>
}

/** The prometheus binary: $P2PDV_PROMETHEUS, else `prometheus` on the PATH. */
export function findPrometheus (env: NodeJS.ProcessEnv = process.env): string {
  const named = env.P2PDV_PROMETHEUS
  if (named !== undefined && named !== '') {
    if (existsSync(named)) return named
    throw new P2pdvError('ERR_PROMETHEUS_MISSING', `P2PDV_PROMETHEUS names ${named}, which does not exist`)
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'prometheus'))) return join(dir, 'prometheus')
  }
  throw new P2pdvError('ERR_PROMETHEUS_MISSING', '--monitoring runs Prometheus, which is not installed', {
    hint: 'Install it (Debian/Ubuntu: sudo apt-get install prometheus; stop the service it starts), or set P2PDV_PROMETHEUS to its path.'
  })
}

/** A port free on 127.0.0.1 now (Prometheus cannot report the port it got for :0). */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => { resolve(port) })
    })
  })
}

/** Node targets as Prometheus file_sd JSON: host:port of each HTTP plane, labelled with its name. */
export function fileSdTargets (targets: MonitoringTarget[]): string {
  return JSON.stringify(targets.map(t => ({ targets: [new URL(t.http).host], labels: { node: t.name } })), null, 2) + '\n'
}

export function renderConfig (template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    const v = values[key]
    if (v === undefined) throw new Error(`no value for {{${key}}} in the Prometheus template`)
    return v
  })
}

/**
 * Prometheus runs under a watchdog Node process whose stdin is a pipe from this one: if this
 * process dies, even by SIGKILL, the pipe closes and the watchdog stops Prometheus.
 */
const WATCHDOG = `
const { spawn } = require('node:child_process')
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'inherit', 'inherit'] })
const stop = () => { child.kill('SIGTERM') }
process.stdin.on('close', stop); process.stdin.on('end', stop); process.stdin.resume()
process.on('SIGTERM', stop); process.on('SIGINT', stop)
child.on('exit', code => { process.exit(code ?? 1) })
`

async function waitReady (url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline && !exited()) {
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })
      await r.arrayBuffer()
      if (r.ok) return
    } catch { /* not listening yet */ }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new P2pdvError(exited() ? 'ERR_CHILD_EXITED' : 'ERR_CHILD_TIMEOUT', exited() ? 'Prometheus exited before it was ready' : 'Prometheus was not ready in time')
}

/** Starts Prometheus for the devnet in `dir` (config, targets, TSDB and log live there). */
export async function startMonitoring (dir: string, targets: MonitoringTarget[], options: { scrapeInterval?: string } = {}): Promise<Monitoring> {
  const bin = findPrometheus()
  const home = join(dir, 'prometheus')
  await mkdir(join(home, 'data'), { recursive: true, mode: 0o700 })
  const targetsFile = join(home, 'targets.json')
  const setTargets = async (list: MonitoringTarget[]): Promise<void> => { await writeFile(targetsFile, fileSdTargets(list)) }
  await setTargets(targets)
  const template = await readFile(join(DEPLOY_DIR, 'prometheus', 'devnet.yml.tmpl'), 'utf8')
  const logFile = join(dir, 'prometheus.log')
  let lastError: unknown
  // The port is free when picked but may be taken before Prometheus binds it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const address = `127.0.0.1:${await freePort()}`
    const configFile = join(home, 'prometheus.yml')
    await writeFile(configFile, renderConfig(template, {
      SCRAPE_INTERVAL: options.scrapeInterval ?? DEVNET_SCRAPE_INTERVAL,
      RULES_FILE: JSON.stringify(join(DEPLOY_DIR, 'prometheus', 'rules.yml')),
      TARGETS_FILE: JSON.stringify(targetsFile),
      PROMETHEUS_ADDRESS: address
    }))
    const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 })
    const proc = spawn(process.execPath, ['-e', WATCHDOG, bin,
      `--config.file=${configFile}`, `--storage.tsdb.path=${join(home, 'data')}`,
      `--web.listen-address=${address}`, '--storage.tsdb.retention.time=7d', '--log.level=warn'
    ], { stdio: ['pipe', 'pipe', 'pipe'] })
    proc.stdout?.pipe(log)
    proc.stderr?.pipe(log)
    const exited = new Promise<void>(resolve => proc.once('exit', () => { resolve() }))
    const url = `http://${address}`
    try {
      await waitReady(url, () => proc.exitCode !== null || proc.signalCode !== null)
    } catch (err) {
      lastError = err
      proc.kill('SIGTERM')
      await exited
      continue
    }
    return {
      url,
      proc,
      setTargets,
      stop: async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return
        proc.kill('SIGTERM')
        const timer = setTimeout(() => { proc.kill('SIGKILL') }, STOP_GRACE_MS)
        await exited
        clearTimeout(timer)
      }
    }
  }
  const code = lastError instanceof P2pdvError ? lastError.code : 'ERR_CHILD_EXITED'
  throw new P2pdvError(code, 'Prometheus did not start (three tries)', { hint: `See its log: ${logFile}` })
}

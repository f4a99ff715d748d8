// `npm run sim:durability`: annual object-loss probability (nines) and repair traffic per node
// for replication ×3, RS(4,6), RS(10,16) and RS(29,80) at 10 % monthly churn, from the closed-form
// Markov model, checked by a Monte Carlo of a whole network. Monte Carlo tasks run in worker
// threads, one per core. Options override the defaults; --json prints the raw results.
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import type { MonteCarloOptions, MonteCarloResult } from './monte-carlo.ts'
import type { DurabilityParams, Scheme } from './params.ts'
import { DEFAULT_BASE, DEFAULT_PRODUCTION_MC, DEFAULT_SCHEMES, DEFAULT_VALIDATION_MC, durabilityReport, formatReport, type Base, type RunMonteCarlo } from './report.ts'

const USAGE = `usage: npm run sim:durability -- [--churn 0.10] [--detection-hours 4] [--bandwidth-mbps 100] [--node-data-gb 1000]
       [--groups-per-node 100] [--nodes 3000] [--scheme k:n:threshold …] [--seed 1] [--json]`

function num (v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number\n${USAGE}`)
  return n
}

function parseScheme (text: string): Scheme {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text)
  if (m === null) throw new Error(`--scheme takes k:n:threshold, e.g. 10:16:14\n${USAGE}`)
  const [k, n, t] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return { name: k === 1 ? `replication ×${n}` : `RS(${k},${n})`, k, n, repairThreshold: t }
}

/** Runs Monte Carlo tasks on a pool of worker threads. */
function workerPool (size: number): { run: RunMonteCarlo, close: () => Promise<void> } {
  const workers = Array.from({ length: size }, () => new Worker(new URL('./mc-worker.ts', import.meta.url)))
  const idle = [...workers]
  const queue: Array<() => void> = []
  const waiting = new Map<number, { resolve: (r: MonteCarloResult) => void, reject: (e: Error) => void, worker: Worker }>()
  let nextId = 0
  for (const w of workers) {
    w.on('message', (msg: { id: number, result?: MonteCarloResult, error?: string }) => {
      const job = waiting.get(msg.id)
      if (job === undefined) return
      waiting.delete(msg.id)
      idle.push(job.worker)
      queue.shift()?.()
      if (msg.error !== undefined) job.reject(new Error(msg.error))
      else job.resolve(msg.result!)
    })
  }
  const run: RunMonteCarlo = async (params: DurabilityParams, options: Partial<MonteCarloOptions>) => {
    while (idle.length === 0) await new Promise<void>(resolve => queue.push(resolve))
    const worker = idle.pop()!
    const id = nextId++
    return await new Promise<MonteCarloResult>((resolve, reject) => {
      waiting.set(id, { resolve, reject, worker })
      worker.postMessage({ id, params, options })
    })
  }
  return { run, close: async () => { await Promise.all(workers.map(async w => await w.terminate())) } }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      churn: { type: 'string' },
      'detection-hours': { type: 'string' },
      'bandwidth-mbps': { type: 'string' },
      'node-data-gb': { type: 'string' },
      'groups-per-node': { type: 'string' },
      nodes: { type: 'string' },
      scheme: { type: 'string', multiple: true },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help === true) { process.stdout.write(USAGE + '\n'); return }
  const base: Base = {
    monthlyChurn: num(values.churn, 'churn', DEFAULT_BASE.monthlyChurn),
    detectionHours: num(values['detection-hours'], 'detection-hours', DEFAULT_BASE.detectionHours),
    repairBandwidthMbps: num(values['bandwidth-mbps'], 'bandwidth-mbps', DEFAULT_BASE.repairBandwidthMbps),
    nodeDataGB: num(values['node-data-gb'], 'node-data-gb', DEFAULT_BASE.nodeDataGB),
    groupsPerNode: num(values['groups-per-node'], 'groups-per-node', DEFAULT_BASE.groupsPerNode)
  }
  if (base.monthlyChurn >= 1) throw new Error('--churn is a share of nodes per month, below 1')
  const schemes = values.scheme === undefined ? DEFAULT_SCHEMES : values.scheme.map(parseScheme)
  const seed = num(values.seed, 'seed', 1)
  const production = { ...DEFAULT_PRODUCTION_MC, nodes: num(values.nodes, 'nodes', DEFAULT_PRODUCTION_MC.nodes), seed }
  const validation = { ...DEFAULT_VALIDATION_MC, seed: seed + 1 }
  const started = performance.now()
  const pool = workerPool(Math.max(1, Math.min(availableParallelism(), 4)))
  try {
    const reports = await durabilityReport(base, schemes, pool.run, production, validation)
    if (values.json === true) process.stdout.write(JSON.stringify({ base, reports }, (_k, v: unknown) => v === Infinity ? 'Infinity' : v, 2) + '\n')
    else process.stdout.write(formatReport(base, reports, production, validation) + `\n(${((performance.now() - started) / 1000).toFixed(1)} s)\n`)
  } finally {
    await pool.close()
  }
}

main().catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`)
  process.exit(1)
})

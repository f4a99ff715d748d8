/**
 * One soak run: a fresh devnet, the workload and the nemesis for `minutes`, then the faults stop,
 * every node comes back, repair gets a bounded wait to bring every object to healthy, every
 * acknowledged write is read back, the disks are read, and the checker judges the history.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { judge, violations, type CheckJson, type Verdict } from './checker.ts'
import { startCluster } from './cluster.ts'
import { compareRecordsWithDisk, readDisks } from './disk.ts'
import { History } from './history.ts'
import { sampleLiveHeaps, startMemorySampler } from './memory.ts'
import { DEFAULT_NEMESIS, startNemesis, type NemesisOptions } from './nemesis.ts'
import { createPrng } from './prng.ts'
import { Workload, type Acked, type WorkloadOptions } from './workload.ts'

export interface SoakOptions {
  seed: number
  minutes: number
  nodes: number
  lanes: number
  minBytes: number
  maxBytes: number
  nemesis: NemesisOptions
  /** After the faults stop: how long repair may take to bring every object back to healthy. */
  repairWaitMs: number
  /** Where to work (history.jsonl, the devnet); a temp dir when absent. */
  dir?: string
  /** Keep the devnet's data dirs and logs at the end (else only history.jsonl stays). */
  keep: boolean
  /**
   * Measure each node's live heap (forced full GC through its inspector, live-heap.ts) before the
   * load and at the end: the leak question. Off in tests (it opens 127.0.0.1:9229 in turn).
   */
  liveHeap: boolean
  /** Called with progress lines (stderr in the CLI; nothing in the test). */
  log?: (line: string) => void
}

/** The run: 6 nodes, 1 KiB–24 MiB, two at a time, faults every 30–60 s, ≤ 2 down. */
export const SOAK_DEFAULTS: Omit<SoakOptions, 'seed' | 'minutes'> = {
  nodes: 6,
  lanes: 2,
  minBytes: 1024,
  maxBytes: 24 * 1024 * 1024,
  nemesis: DEFAULT_NEMESIS,
  // Nodes scan for repairs once a minute (DEFAULT_REPAIR_INTERVAL_MS): a few scans' worth.
  repairWaitMs: 6 * 60_000,
  keep: false,
  liveHeap: false
}

export interface SoakResult {
  options: SoakOptions
  dir: string
  startedAt: number
  seconds: number
  verdict: Verdict
  violations: string[]
}

/**
 * The redundancy every put asks for: as much as the nodes left up (at most `maxDown` faulty) can
 * always give honestly — k + m = nodes − maxDown with m = 2 (6 nodes, 2 down: k = 2, m = 2), or
 * replicas when that is under 4. Asking for k + m = 6 on 6 nodes would make every put during a
 * fault fail (correctly) and leave nothing to check.
 */
export function redundancyFor (nodes: number, maxDown: number): WorkloadOptions['redundancy'] {
  const room = nodes - maxDown
  if (room >= 4) {
    const k = Math.min(4, room - 2)
    return { args: ['--k', String(k), '--m', '2'], wanted: `k=${k},m=2` }
  }
  const replicas = Math.max(1, Math.min(3, room))
  return { args: ['--replicas', String(replicas)], wanted: `replicas=${replicas}` }
}

async function eachInLanes<T> (items: T[], lanes: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) await fn(items[next++]!)
  }))
}

export async function runSoak (options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {})
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'p2pdv-soak-'))
  await mkdir(join(dir, 'work'), { recursive: true })
  const history = new History(join(dir, 'history.jsonl'))
  const prng = createPrng(options.seed)
  const nemesisPrng = prng.fork()
  const workloadPrng = prng.fork()
  log(`soak: seed ${options.seed}, ${options.minutes} min, ${options.nodes} nodes, files ${options.minBytes}–${options.maxBytes} B; working in ${dir}`)
  const cluster = await startCluster(dir, options.nodes)
  const startedAt = Date.now()
  const stopSampler = startMemorySampler(cluster, history)
  try {
    if (options.liveHeap) await sampleLiveHeaps(cluster, history, 'start')
    const workload = new Workload({
      dir: join(dir, 'work'),
      env: cluster.env,
      lanes: options.lanes,
      minBytes: options.minBytes,
      maxBytes: options.maxBytes,
      redundancy: redundancyFor(options.nodes, options.nemesis.maxDown),
      commandTimeoutMs: 5 * 60_000,
      mix: { put: 2, get: 7, check: 1 }
    }, history, workloadPrng)
    const nemesis = startNemesis(cluster, history, nemesisPrng, options.nemesis)
    const running = workload.run()
    await new Promise(resolve => setTimeout(resolve, options.minutes * 60_000))
    workload.stop()
    await running
    log(`soak: load done (${history.ops().length} operations); stopping the nemesis, bringing every node back`)
    await nemesis.stop()

    // Repair gets a bounded wait: check every acknowledged object until all are healthy.
    const checks = new Map<string, CheckJson>()
    const pending = new Set<Acked>(workload.acked)
    const deadline = Date.now() + options.repairWaitMs
    for (let round = 1; pending.size > 0; round++) {
      await eachInLanes([...pending], options.lanes, async target => {
        const { report } = await workload.check('final-check', target)
        if (report !== undefined) checks.set(target.object, report as unknown as CheckJson)
        if (report?.healthy === true) pending.delete(target)
      })
      log(`soak: repair wait round ${round}: ${workload.acked.length - pending.size}/${workload.acked.length} objects healthy`)
      if (pending.size === 0 || Date.now() > deadline) break
      await new Promise(resolve => setTimeout(resolve, 15_000))
    }
    log(`soak: reading back ${workload.acked.length} acknowledged writes`)
    await eachInLanes(workload.acked, options.lanes, async target => { await workload.get('final-get', target) })

    if (options.liveHeap) await sampleLiveHeaps(cluster, history, 'end')
    const diskNodes = cluster.nodes.map(n => ({ name: n.name, peerId: n.peerId, dataDir: n.dataDir }))
    const disk = await readDisks(diskNodes)
    const { phantom, dropped } = compareRecordsWithDisk(disk, diskNodes)
    await stopSampler()
    const verdict = judge(history.entries, { checks, disk, nodes: diskNodes, phantom, dropped }, startedAt)
    return { options, dir, startedAt, seconds: (Date.now() - startedAt) / 1000, verdict, violations: violations(verdict) }
  } finally {
    await stopSampler()
    await cluster.stop()
    // The nodes' data (GiBs after a long run) goes unless asked to keep it; history.jsonl stays.
    await rm(join(dir, 'work'), { recursive: true, force: true })
    if (!options.keep) await rm(join(dir, 'devnet'), { recursive: true, force: true })
  }
}

/**
 * Samples each live node's memory: VmRSS from /proc/PID/status (what the OS charges), and V8's
 * heap used and external memory from the node's /metrics (prom-client's default metrics), which
 * tell a leak (heap or external keeps climbing) from the heap growing factor (RSS settles).
 */
import { readFile } from 'node:fs/promises'
import type { Cluster } from './cluster.ts'
import type { History } from './history.ts'
import { liveHeapBytes } from './live-heap.ts'

export const MEMORY_SAMPLE_INTERVAL_MS = 10_000
const METRICS_TIMEOUT_MS = 3000

export async function rssKiB (pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m === null ? undefined : Number(m[1])
}

function metric (text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)
  return m === null ? undefined : Number(m[1])
}

export async function sampleOnce (cluster: Cluster, history: History): Promise<void> {
  await Promise.all(cluster.nodes.map(async node => {
    if (node.status === 'down') return
    const rss = await rssKiB(node.pid)
    if (rss === undefined) return
    let heapUsed: number | undefined
    let external: number | undefined
    if (node.status === 'up') {
      const text = await fetch(`${node.http}/metrics`, { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) }).then(async r => await r.text(), () => '')
      heapUsed = metric(text, 'p2pdv_node_process_nodejs_heap_size_used_bytes')
      external = metric(text, 'p2pdv_node_process_nodejs_external_memory_bytes')
    }
    history.add({ kind: 'memory', at: Date.now(), node: node.name, rssKiB: rss, ...(heapUsed === undefined ? {} : { heapUsed }), ...(external === undefined ? {} : { external }) })
  }))
}

/** Samples every `intervalMs` until the returned stop function is called. */
export function startMemorySampler (cluster: Cluster, history: History, intervalMs = MEMORY_SAMPLE_INTERVAL_MS): () => Promise<void> {
  let running: Promise<void> = sampleOnce(cluster, history)
  const timer = setInterval(() => { running = running.then(async () => await sampleOnce(cluster, history)) }, intervalMs)
  return async () => { clearInterval(timer); await running }
}

/** Each up node's live heap after a forced full GC, one node at a time. */
export async function sampleLiveHeaps (cluster: Cluster, history: History, phase: 'start' | 'end'): Promise<void> {
  for (const node of cluster.nodes) {
    if (node.status !== 'up') continue
    const bytes = await liveHeapBytes(node.pid, node.logFile)
    if (bytes !== undefined) history.add({ kind: 'live-heap', at: Date.now(), node: node.name, phase, bytes })
  }
}

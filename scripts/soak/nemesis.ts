/**
 * The nemesis: at seeded random intervals it kill -9s a node, pauses one (SIGSTOP) for a while
 * then resumes it (SIGCONT), or restarts a killed node with its own command line and data dir.
 * Never more than `maxDown` nodes are down or paused at once. `stop()` ends the faults and brings
 * every node back (resumes the paused, restarts the killed).
 */
import type { Cluster, ClusterNode } from './cluster.ts'
import type { History, NemesisAction } from './history.ts'
import type { Prng } from './prng.ts'

export interface NemesisOptions {
  /** Seconds between two faults (uniform in the range). The run: 30–60. */
  intervalS: [number, number]
  /** Seconds a paused node stays paused. The run: 20–40. */
  pauseS: [number, number]
  maxDown: number
}

export const DEFAULT_NEMESIS: NemesisOptions = { intervalS: [30, 60], pauseS: [20, 40], maxDown: 2 }

export interface Nemesis {
  /** Resolves once the faults have stopped and every node is back up. */
  stop: () => Promise<void>
}

export function startNemesis (cluster: Cluster, history: History, prng: Prng, opts: NemesisOptions): Nemesis {
  let stopping = false
  let wake: (() => void) | undefined
  const resumeTimers = new Set<NodeJS.Timeout>()
  const record = (action: NemesisAction, node: ClusterNode, detail?: string): void => {
    history.add({ kind: 'nemesis', at: Date.now(), action, node: node.name, ...(detail === undefined ? {} : { detail }) })
  }
  const sleep = async (ms: number): Promise<void> => {
    await new Promise<void>(resolve => { const t = setTimeout(resolve, ms); wake = () => { clearTimeout(t); resolve() } })
    wake = undefined
  }
  const restart = async (node: ClusterNode): Promise<void> => {
    try {
      await cluster.restart(node)
      record('restart', node, node.http === node.advertisedHttp ? 'same HTTP address' : `HTTP moved ${node.advertisedHttp} -> ${node.http}`)
    } catch (err) {
      record('restart-failed', node, (err as Error).message)
    }
  }

  const step = async (): Promise<void> => {
    const up = cluster.nodes.filter(n => n.status === 'up')
    const down = cluster.nodes.filter(n => n.status === 'down')
    const faulty = cluster.nodes.length - up.length
    const choices: Array<'kill' | 'pause' | 'restart'> = []
    if (faulty < opts.maxDown && up.length > 0) choices.push('kill', 'pause')
    if (down.length > 0) choices.push('restart')
    if (choices.length === 0) return
    const action = prng.pick(choices)
    if (action === 'restart') { await restart(prng.pick(down)); return }
    const node = prng.pick(up)
    if (action === 'kill') {
      await cluster.kill(node)
      record('kill', node)
      return
    }
    const seconds = prng.int(opts.pauseS[0], opts.pauseS[1])
    cluster.pause(node)
    record('pause', node, `${seconds} s`)
    const timer = setTimeout(() => {
      resumeTimers.delete(timer)
      if (node.status === 'paused') { cluster.resume(node); record('resume', node) }
    }, seconds * 1000)
    resumeTimers.add(timer)
  }

  const loop = (async () => {
    while (!stopping) {
      await sleep(prng.int(opts.intervalS[0] * 1000, opts.intervalS[1] * 1000))
      if (stopping) break
      await step()
    }
  })()

  return {
    stop: async () => {
      stopping = true
      wake?.()
      await loop
      for (const t of resumeTimers) clearTimeout(t)
      resumeTimers.clear()
      for (const n of cluster.nodes) if (n.status === 'paused') { cluster.resume(n); record('resume', n) }
      for (const n of cluster.nodes) if (n.status === 'down') await restart(n)
    }
  }
}

/**
 * Monte Carlo of a whole network: N nodes, each holding `groupsPerNode` fragments; every group
 * (stripe) sits on n distinct nodes chosen at random. Nodes leave as a Poisson process at the
 * churn rate, taking their fragments with them, and are replaced by empty nodes. A group whose
 * live fragments fall to the threshold is queued for repair; when the repair completes, its
 * missing fragments are rebuilt on random live nodes that do not hold it yet. A group with fewer
 * than k fragments is lost.
 *
 * What it adds over the chain (`markov.ts`): a finite network where one departure hits a hundred
 * groups at once, groups that share nodes, repairs placed on real nodes, measured traffic. The
 * repair delay is drawn like the chain assumes (exponential with mean detection + transfer) or,
 * with `repairDelay: 'fixed'`, constant — real delays are closer to fixed, and lose less.
 */
import { EventQueue } from './event-queue.ts'
import { churnRatePerYear, fragmentGB, meanRepairYears, SECONDS_PER_YEAR, validateParams, type DurabilityParams } from './params.ts'
import { Rng } from './rng.ts'

export interface MonteCarloOptions {
  /** Nodes in the network. */
  nodes: number
  /** Independent runs (more runs, more groups observed). */
  runs: number
  /** Years simulated before the observed year (from full, to reach the steady state). */
  warmupYears: number
  seed: number
  repairDelay: 'exponential' | 'fixed'
}

export const DEFAULT_MC_OPTIONS: MonteCarloOptions = { nodes: 3000, runs: 8, seed: 1, repairDelay: 'exponential', warmupYears: 0 }

export interface MonteCarloResult {
  /** Groups observed (over all runs): alive after the warm-up, then watched for a year. */
  groups: number
  lost: number
  /** lost / groups: P(a group is lost within a year). */
  annualLoss: number
  /**
   * 95 % interval for annualLoss from the spread between independent runs (Student t). Losses
   * are clustered — one departure hits a hundred groups at once — so the groups of one run are
   * not independent trials and a binomial interval would be too narrow. With no loss at all: the
   * rule of three over all groups observed (which assumes independence: optimistic).
   */
  low: number
  high: number
  /** Standard error of annualLoss, from the spread between runs. */
  standardError: number
  /** Runs (the interval has runs − 1 degrees of freedom). */
  runs: number
  /** Observed variance between runs over the binomial variance: how clustered losses are (1 = independent). */
  dispersion: number
  repairs: number
  /** Mean repair traffic per node (fragments read + written), Mbit/s. */
  repairMbpsPerNode: number
  departures: number
  /** Fragments per node at the end of the last run: mean and maximum. */
  meanLoad: number
  maxLoad: number
}

/** Two-sided 95 % Student t quantiles by degrees of freedom (1 … 30; 1.96 beyond). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
  2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

/** Two-sided 99 % Student t quantiles by degrees of freedom (1 … 30; 2.576 beyond). */
const T99 = [63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845,
  2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750]

export function t95 (df: number): number {
  return df >= 1 && df <= T95.length ? T95[df - 1]! : 1.96
}

export function t99 (df: number): number {
  return df >= 1 && df <= T99.length ? T99[df - 1]! : 2.576
}

interface RunResult { groups: number, lost: number, repairs: number, fragmentsMoved: number, departures: number, meanLoad: number, maxLoad: number }

function runYear (p: DurabilityParams, o: MonteCarloOptions, rng: Rng): RunResult {
  const { k, n, repairThreshold: threshold } = p
  const N = o.nodes
  if (N < n + 1) throw new RangeError(`need more than n = ${n} nodes`)
  const groups = Math.max(1, Math.round(N * p.groupsPerNode / n))
  const lambda = churnRatePerYear(p.monthlyChurn)
  const meanDelay = meanRepairYears(p)
  const holder = new Int32Array(groups * n) // node of each fragment slot, −1 when lost
  const live = new Uint16Array(groups)
  const lost = new Uint8Array(groups)
  const pending = new Uint8Array(groups)
  // Each node's fragments as g·256 + slot (entries go stale when a group is lost; checked on use).
  const frags: number[][] = Array.from({ length: N }, () => [])

  const inGroup = (g: number, node: number): boolean => {
    for (let s = 0; s < n; s++) if (holder[g * n + s] === node) return true
    return false
  }
  const place = (g: number, slot: number): void => {
    let node: number
    do node = rng.int(N); while (inGroup(g, node))
    holder[g * n + slot] = node
    frags[node]!.push(g * 256 + slot)
  }
  for (let g = 0; g < groups; g++) {
    for (let s = 0; s < n; s++) holder[g * n + s] = -1
    for (let s = 0; s < n; s++) place(g, s)
    live[g] = n
  }

  const queue = new EventQueue(groups)
  let t = 0
  let nextDeparture = rng.exp(1 / (N * lambda))
  const warmup = o.warmupYears
  let lostCount = 0
  let lostInWarmup = 0
  let repairs = 0
  let moved = 0
  let departures = 0
  while (true) {
    const nextRepair = queue.peekTime()
    t = Math.min(nextDeparture, nextRepair)
    if (t > warmup + 1) break
    const counting = t > warmup
    if (nextRepair <= nextDeparture) {
      const g = queue.pop()
      pending[g] = 0
      if (lost[g] === 1) continue
      const missing = n - live[g]!
      for (let s = 0; s < n; s++) if (holder[g * n + s] === -1) place(g, s)
      live[g] = n
      if (counting) {
        repairs++
        moved += k + missing
      }
      continue
    }
    // A node leaves; an empty one takes its index.
    if (counting) departures++
    const node = rng.int(N)
    for (const entry of frags[node]!) {
      const g = Math.floor(entry / 256)
      const at = g * n + (entry % 256)
      if (lost[g] === 1 || holder[at] !== node) continue
      holder[at] = -1
      live[g] = live[g]! - 1
      if (live[g]! < k) {
        lost[g] = 1
        if (counting) lostCount++
        else lostInWarmup++
      } else if (live[g]! <= threshold && pending[g] === 0) {
        pending[g] = 1
        queue.push(t + (o.repairDelay === 'fixed' ? meanDelay : rng.exp(meanDelay)), g)
      }
    }
    frags[node] = []
    nextDeparture = t + rng.exp(1 / (N * lambda))
  }
  let total = 0
  let maxLoad = 0
  for (const f of frags) {
    let count = 0
    for (const entry of f) { const g = Math.floor(entry / 256); if (lost[g] === 0 && holder[g * n + (entry % 256)] !== -1) count++ }
    total += count
    maxLoad = Math.max(maxLoad, count)
  }
  return { groups: groups - lostInWarmup, lost: lostCount, repairs, fragmentsMoved: moved, departures, meanLoad: total / N, maxLoad }
}

export function monteCarlo (p: DurabilityParams, options: Partial<MonteCarloOptions> = {}): MonteCarloResult {
  validateParams(p)
  const o = { ...DEFAULT_MC_OPTIONS, ...options }
  if (!Number.isSafeInteger(o.runs) || o.runs < 2) throw new RangeError('need at least 2 runs (the interval comes from their spread)')
  const rng = new Rng(o.seed)
  let groups = 0
  let lost = 0
  let repairs = 0
  let moved = 0
  let departures = 0
  let last: RunResult | undefined
  const perRun: number[] = []
  for (let r = 0; r < o.runs; r++) {
    last = runYear(p, o, rng)
    groups += last.groups
    lost += last.lost
    repairs += last.repairs
    moved += last.fragmentsMoved
    departures += last.departures
    perRun.push(last.lost / last.groups)
  }
  const annualLoss = lost / groups
  const mean = perRun.reduce((a, b) => a + b, 0) / perRun.length
  const variance = perRun.reduce((a, x) => a + (x - mean) ** 2, 0) / (perRun.length - 1)
  const binomial = annualLoss * (1 - annualLoss) / (groups / o.runs)
  // Clustering only widens the spread; a handful of runs can still show less than independent
  // groups would by chance, so the error never goes below the binomial one.
  const standardError = Math.sqrt(Math.max(variance, binomial) / perRun.length)
  const half = t95(perRun.length - 1) * standardError
  return {
    groups,
    lost,
    annualLoss,
    low: lost === 0 ? 0 : Math.max(0, annualLoss - half),
    high: lost === 0 ? Math.min(1, 3 / groups) : Math.min(1, annualLoss + half),
    standardError,
    runs: o.runs,
    dispersion: binomial > 0 ? variance / binomial : 1,
    repairs,
    repairMbpsPerNode: moved * fragmentGB(p) * 8e3 / (o.nodes * o.runs) / SECONDS_PER_YEAR,
    departures,
    meanLoad: last?.meanLoad ?? 0,
    maxLoad: last?.maxLoad ?? 0
  }
}

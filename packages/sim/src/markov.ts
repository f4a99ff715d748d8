/**
 * The closed-form model: one group as a continuous-time Markov chain on its number of live
 * fragments i ∈ {k, …, n}, plus an absorbing "lost" state (i < k).
 *
 *   i → i − 1   at rate i·λ          (a node holding a fragment leaves; λ from the churn)
 *   i → n       at rate μ, if i ≤ t  (repair of all missing fragments; 1/μ = mean repair delay)
 *
 * Two answers from it:
 * - `transientLoss`: P(lost within T | full at 0), exactly, by uniformization (P = I + Q/q) and
 *   repeated squaring of e^{QΔ}. Every matrix involved is non-negative, so even 1e-40 comes out
 *   with full relative precision (no 1 − (1 − ε) cancellation). `settledLoss` does the same for a
 *   group that has already lived a while (the steady state of a running network).
 * - `mttdl`: the mean time to data loss in closed form, by renewal: a cycle starts full, drops to
 *   the threshold, and ends either repaired (back to full) or lost. With r_t = 1 and
 *   r_{i−1} = r_i · iλ/(iλ + μ), a cycle is lost with probability p = r_k · kλ/(kλ + μ) and lasts
 *   E[C] = 1/(nλ) + Σ_{t<i<n} 1/(iλ) + Σ_{k≤i≤t} r_i/(iλ + μ) on average; by Wald, MTTDL = E[C]/p.
 *   Losses are then nearly a Poisson process: P(lost within T) ≈ 1 − e^{−T/MTTDL}.
 * The same renewal argument gives repair traffic: a repair from state i moves (k + n − i)
 * fragments (k read, n − i written).
 */
import { churnRatePerYear, fragmentGB, meanRepairYears, SECONDS_PER_YEAR, validateParams, type DurabilityParams } from './params.ts'

export interface ChainRates {
  k: number
  n: number
  threshold: number
  /** Per-fragment departure rate, per year. */
  lambda: number
  /** Repair rate, per year (0: no repair). */
  mu: number
}

export function chainRates (p: DurabilityParams): ChainRates {
  validateParams(p)
  return { k: p.k, n: p.n, threshold: p.repairThreshold, lambda: churnRatePerYear(p.monthlyChurn), mu: 1 / meanRepairYears(p) }
}

type Matrix = Float64Array[]

function zeros (s: number): Matrix {
  return Array.from({ length: s }, () => new Float64Array(s))
}

function multiply (a: Matrix, b: Matrix): Matrix {
  const s = a.length
  const out = zeros(s)
  for (let i = 0; i < s; i++) {
    const ai = a[i]!
    const oi = out[i]!
    for (let x = 0; x < s; x++) {
      const v = ai[x]!
      if (v === 0) continue
      const bx = b[x]!
      for (let j = 0; j < s; j++) oi[j]! += v * bx[j]!
    }
  }
  return out
}

/** Generator rows as lists of [to, rate]; state index = live fragments − (k − 1), 0 = lost. */
function transitions (c: ChainRates): Array<Array<[number, number]>> {
  const s = c.n - c.k + 2
  const rows: Array<Array<[number, number]>> = Array.from({ length: s }, () => [])
  for (let i = c.k; i <= c.n; i++) {
    const from = i - c.k + 1
    rows[from]!.push([from - 1, i * c.lambda])
    if (c.mu > 0 && i <= c.threshold && i < c.n) rows[from]!.push([s - 1, c.mu])
  }
  return rows
}

/** e^{Q·years}: row i is the state distribution after `years` from state i. */
function transitionMatrix (c: ChainRates, years: number): Matrix {
  const rows = transitions(c)
  const s = rows.length
  const q = Math.max(...rows.map(r => r.reduce((acc, [, rate]) => acc + rate, 0)))
  if (q === 0 || years === 0) {
    const I = zeros(s)
    for (let i = 0; i < s; i++) I[i]![i] = 1
    return I
  }
  // Uniformized jump matrix P = I + Q/q: non-negative, rows sum to 1.
  const P = zeros(s)
  for (let i = 0; i < s; i++) {
    let out = 0
    for (const [to, rate] of rows[i]!) { P[i]![to]! += rate / q; out += rate / q }
    P[i]![i]! += 1 - out
  }
  // e^{QΔ} = e^{−qΔ} Σ_j (qΔ)^j / j! · P^j with qΔ ≤ 1/2, then squared back up to `years`.
  let squarings = 0
  while (q * years / 2 ** squarings > 0.5) squarings++
  const x = q * years / 2 ** squarings
  let term: Matrix = zeros(s)
  for (let i = 0; i < s; i++) term[i]![i] = 1
  const E = zeros(s)
  let weight = Math.exp(-x)
  // Enough terms for a path through every state within one step, and far past convergence.
  const terms = Math.max(40, 2 * s)
  for (let j = 0; j <= terms; j++) {
    for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) E[a]![b]! += weight * term[a]![b]!
    term = multiply(term, P)
    weight *= x / (j + 1)
  }
  let M = E
  for (let i = 0; i < squarings; i++) M = multiply(M, M)
  return M
}

/** P(the group is lost within `years`, starting with all n fragments). */
export function transientLoss (c: ChainRates, years: number): number {
  const M = transitionMatrix(c, years)
  return Math.min(1, M[M.length - 1]![0]!)
}

/**
 * P(lost within `years`) for a group that has already survived `warmupYears` from full: the
 * steady state a long-lived network is in (a fresh group cannot be lost before its first repair
 * is due, so the first year from full understates the loss of older groups).
 */
export function settledLoss (c: ChainRates, years: number, warmupYears: number): number {
  const W = transitionMatrix(c, warmupYears)
  const s = W.length
  const start = W[s - 1]!
  const alive = 1 - start[0]!
  const M = transitionMatrix(c, years)
  let lost = 0
  for (let x = 1; x < s; x++) lost += start[x]! * M[x]![0]!
  return Math.min(1, lost / alive)
}

/** A warm-up long enough to forget the full start: three mean renewal cycles, within [¼, 4] years. */
export function warmupYears (c: ChainRates): number {
  return Math.min(4, Math.max(0.25, 3 * renewal(c).cycleYears))
}

export interface Renewal {
  /** Mean time to data loss, years. */
  mttdlYears: number
  /** P(a cycle ends in loss). */
  lossPerCycle: number
  /** Mean cycle length, years. */
  cycleYears: number
  /** Mean fragments moved per cycle (reads + writes). */
  fragmentsMovedPerCycle: number
  /** Mean repairs per cycle. */
  repairsPerCycle: number
}

export function renewal (c: ChainRates): Renewal {
  const { k, n, threshold: t, lambda: l, mu } = c
  if (n === k || mu === 0) {
    // Without redundancy or repair a cycle is the whole life: MTTDL = Σ_{i=k..n} 1/(iλ).
    let years = 0
    for (let i = k; i <= n; i++) years += 1 / (i * l)
    return { mttdlYears: years, lossPerCycle: 1, cycleYears: years, fragmentsMovedPerCycle: 0, repairsPerCycle: 0 }
  }
  let cycle = 1 / (n * l)
  for (let i = t + 1; i < n; i++) cycle += 1 / (i * l)
  let reach = 1
  let moved = 0
  let repairs = 0
  for (let i = t; i >= k; i--) {
    const out = i * l + mu
    cycle += reach / out
    repairs += reach * mu / out
    moved += reach * (mu / out) * (k + n - i)
    reach *= i * l / out
  }
  const lossPerCycle = reach
  return { mttdlYears: cycle / lossPerCycle, lossPerCycle, cycleYears: cycle, fragmentsMovedPerCycle: moved, repairsPerCycle: repairs }
}

export interface AnalyticResult {
  /** P(a group is lost within a year) in the steady state (after `warmupYears`), exact for the chain. */
  annualLoss: number
  /** P(a new group, full at 0, is lost within its first year). */
  firstYearLoss: number
  warmupYears: number
  /** The same from the MTTDL and the Poisson approximation. */
  poissonAnnualLoss: number
  mttdlYears: number
  /** Mean repair traffic each node carries (fragments read + written), Mbit/s. */
  repairMbpsPerNode: number
  /** Repairs per group per year. */
  repairsPerGroupYear: number
}

export function analytic (p: DurabilityParams): AnalyticResult {
  const c = chainRates(p)
  const r = renewal(c)
  // A node holds groupsPerNode fragments, so it takes part in as many groups' traffic, shared by n nodes.
  const fragmentsPerGroupYear = r.fragmentsMovedPerCycle / r.cycleYears
  const repairMbpsPerNode = fragmentsPerGroupYear * fragmentGB(p) * 8e3 * (p.groupsPerNode / p.n) / SECONDS_PER_YEAR
  const warmup = warmupYears(c)
  return {
    annualLoss: settledLoss(c, 1, warmup),
    firstYearLoss: transientLoss(c, 1),
    warmupYears: warmup,
    poissonAnnualLoss: -Math.expm1(-1 / r.mttdlYears),
    mttdlYears: r.mttdlYears,
    repairMbpsPerNode,
    repairsPerGroupYear: r.repairsPerCycle / r.cycleYears
  }
}

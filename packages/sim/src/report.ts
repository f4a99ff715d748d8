/**
 * The durability report: for each scheme, the chain's annual loss at the given parameters
 * (production), a Monte Carlo run of the whole network at the same parameters (where losses are
 * far too rare to observe: it checks traffic and gives an upper bound), and a validation pair at
 * stressed parameters — the same churn with slower repair, chosen so that about
 * VALIDATION_TARGET_LOSS of groups are lost a year — where both are measurable and must agree.
 */
import { analytic, chainRates, renewal, type AnalyticResult } from './markov.ts'
import { t99, type MonteCarloOptions, type MonteCarloResult } from './monte-carlo.ts'
import { HOURS_PER_YEAR, meanRepairYears, nines, overhead, type DurabilityParams, type Scheme } from './params.ts'

/** Annual loss the stressed validation runs aim for: common enough to count, rare enough to matter. */
export const VALIDATION_TARGET_LOSS = 0.03
/** The durability goal for production parameters. */
export const TARGET_NINES = 11

export type Base = Omit<DurabilityParams, 'k' | 'n' | 'repairThreshold'>

export const DEFAULT_BASE: Base = {
  monthlyChurn: 0.10,
  detectionHours: 4,
  repairBandwidthMbps: 100,
  nodeDataGB: 1000,
  groupsPerNode: 100
}

export const DEFAULT_SCHEMES: Scheme[] = [
  { name: 'replication ×3', k: 1, n: 3, repairThreshold: 2 },
  { name: 'RS(4,6)', k: 4, n: 6, repairThreshold: 5 },
  { name: 'RS(10,16)', k: 10, n: 16, repairThreshold: 14 },
  { name: 'RS(29,80)', k: 29, n: 80, repairThreshold: 52 }
]

/** The scheme the production defaults use. */
export const PRODUCTION_SCHEME = 'RS(29,80)'

export interface McSettings { nodes: number, runs: number, seed: number }
export const DEFAULT_PRODUCTION_MC: McSettings = { nodes: 3000, runs: 2, seed: 1 }
export const DEFAULT_VALIDATION_MC: McSettings = { nodes: 2000, runs: 12, seed: 2 }
/** Runs of the fixed-delay comparison (it only shows the direction of the difference). */
export const FIXED_DELAY_RUNS = 3

export type RunMonteCarlo = (params: DurabilityParams, options: Partial<MonteCarloOptions>) => Promise<MonteCarloResult>

export interface SchemeReport {
  scheme: Scheme
  overhead: number
  production: { params: DurabilityParams, analytic: AnalyticResult, nines: number, meetsTarget: boolean, mc: MonteCarloResult }
  validation: {
    params: DurabilityParams
    analytic: AnalyticResult
    mc: MonteCarloResult
    mcFixedDelay: MonteCarloResult
    /** (MC − model) / standard error of the MC. */
    t: number
    /** |t| within the two-sided 99 % Student t quantile. */
    agrees: boolean
  }
}

/** Detection delay (hours) at which the closed form puts the annual loss near `target`. */
export function stressedDetectionHours (p: DurabilityParams, target = VALIDATION_TARGET_LOSS): number {
  const loss = (hours: number): number => -Math.expm1(-1 / renewal(chainRates({ ...p, detectionHours: hours })).mttdlYears)
  let lo = Math.log(p.detectionHours)
  let hi = Math.log(1e7)
  if (loss(Math.exp(lo)) >= target) return p.detectionHours
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2
    if (loss(Math.exp(mid)) < target) lo = mid
    else hi = mid
  }
  return Math.exp(hi)
}

export async function durabilityReport (base: Base, schemes: Scheme[], run: RunMonteCarlo, production = DEFAULT_PRODUCTION_MC, validation = DEFAULT_VALIDATION_MC): Promise<SchemeReport[]> {
  return await Promise.all(schemes.map(async (scheme, i) => {
    const params: DurabilityParams = { ...base, k: scheme.k, n: scheme.n, repairThreshold: scheme.repairThreshold }
    const a = analytic(params)
    const stressed: DurabilityParams = { ...params, detectionHours: stressedDetectionHours(params) }
    const sa = analytic(stressed)
    const mcOptions = (s: McSettings, warmupYears: number, extra: Partial<MonteCarloOptions> = {}): Partial<MonteCarloOptions> => ({ nodes: s.nodes, runs: s.runs, seed: s.seed + 17 * i, warmupYears, ...extra })
    const [mc, vmc, fixed] = await Promise.all([
      run(params, mcOptions(production, a.warmupYears)),
      run(stressed, mcOptions(validation, sa.warmupYears)),
      run(stressed, mcOptions({ ...validation, runs: FIXED_DELAY_RUNS }, sa.warmupYears, { repairDelay: 'fixed' }))
    ])
    const n = nines(a.annualLoss)
    const t = vmc.standardError > 0 ? (vmc.annualLoss - sa.annualLoss) / vmc.standardError : (vmc.annualLoss === sa.annualLoss ? 0 : Infinity)
    return {
      scheme,
      overhead: overhead(scheme),
      production: { params, analytic: a, nines: n, meetsTarget: n >= TARGET_NINES, mc },
      validation: { params: stressed, analytic: sa, mc: vmc, mcFixedDelay: fixed, t, agrees: Math.abs(t) <= t99(vmc.runs - 1) }
    }
  }))
}

function exp (x: number): string {
  return x === 0 ? '0' : x.toExponential(2)
}

function table (head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(head), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export function formatReport (base: Base, reports: SchemeReport[], production: McSettings, validation: McSettings): string {
  const out: string[] = []
  out.push(`Durability at ${(base.monthlyChurn * 100).toFixed(1)} % monthly churn (nodes leave for good), detection ${base.detectionHours} h, repair bandwidth ${base.repairBandwidthMbps} Mbit/s per node,`)
  out.push(`${base.nodeDataGB} GB per node in ${base.groupsPerNode} placement groups. One object = one stripe (group) of n fragments on n distinct nodes.`)
  out.push('')
  out.push('Production parameters: closed-form Markov model (exact for the chain); Monte Carlo of the whole network at the same parameters.')
  out.push(table(
    ['scheme', 'overhead', 'repair at', 'repair delay', 'annual loss (model)', 'nines', `≥ ${TARGET_NINES} nines`, `MC: lost / groups (${production.nodes} nodes × ${production.runs} yr)`, 'repair Mbit/s/node model | MC'],
    reports.map(r => {
      const p = r.production
      return [
        `${r.scheme.name}${r.scheme.name === PRODUCTION_SCHEME ? ' *' : ''}`,
        `${r.overhead.toFixed(2)}×`,
        `≤ ${r.scheme.repairThreshold} of ${r.scheme.n}`,
        `${(meanRepairYears(p.params) * HOURS_PER_YEAR).toFixed(1)} h`,
        exp(p.analytic.annualLoss),
        Number.isFinite(p.nines) ? p.nines.toFixed(1) : '> 300',
        p.meetsTarget ? 'yes' : 'no',
        `${p.mc.lost} / ${p.mc.groups} (< ${exp(p.mc.high)} at 95 %)`,
        `${p.analytic.repairMbpsPerNode.toFixed(3)} | ${p.mc.repairMbpsPerNode.toFixed(3)}`
      ]
    })
  ))
  out.push('* production default. Nines = −log10(annual loss). The MC cannot observe losses this rare; it bounds them and checks the repair traffic.')
  out.push('')
  out.push(`Validation: the same churn with slower repair (detection stretched until the model loses ~${VALIDATION_TARGET_LOSS * 100} % a year), ${validation.nodes} nodes × ${validation.runs} runs.`)
  out.push(table(
    ['scheme', 'detection', 'model', 'MC (exponential delay) [95 %]', 't', 'agrees (99 %)', 'clustering', 'MC (fixed delay)'],
    reports.map(r => {
      const v = r.validation
      return [
        r.scheme.name,
        `${v.params.detectionHours.toFixed(0)} h`,
        exp(v.analytic.annualLoss),
        `${exp(v.mc.annualLoss)} [${exp(v.mc.low)}, ${exp(v.mc.high)}]`,
        v.t.toFixed(2),
        v.agrees ? 'yes' : 'NO',
        `${v.mc.dispersion.toFixed(1)}×`,
        exp(v.mcFixedDelay.annualLoss)
      ]
    })
  ))
  out.push('The model assumes exponential repair delays, as the MC draws them; with fixed delays (closer to real repair) fewer groups are lost,')
  out.push('so the model errs on the safe side. Clustering = variance between runs over binomial: a departing node hits many groups at once,')
  out.push('so losses come in bursts (the interval is taken from independent runs, not from a binomial).')
  const prod = reports.find(r => r.scheme.name === PRODUCTION_SCHEME)
  if (prod !== undefined) {
    out.push('')
    out.push(`Goal: ≥ ${TARGET_NINES} nines at production parameters. ${PRODUCTION_SCHEME}, repair at ≤ ${prod.scheme.repairThreshold} of ${prod.scheme.n}: ` +
      `${Number.isFinite(prod.production.nines) ? prod.production.nines.toFixed(1) : '> 300'} nines (model), storage overhead ${prod.overhead.toFixed(2)}×, ` +
      `${prod.production.analytic.repairMbpsPerNode.toFixed(2)} Mbit/s repair traffic per node: ${prod.production.meetsTarget ? 'met' : 'NOT met'}.`)
  }
  return out.join('\n') + '\n'
}

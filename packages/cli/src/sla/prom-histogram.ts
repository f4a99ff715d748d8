/**
 * The one thing the SLA report reads from a node's Prometheus exposition: a histogram's buckets,
 * summed over the series whose labels a filter accepts, and quantiles from them the way
 * Prometheus's `histogram_quantile` computes them (linear within the bucket). Bounded: lines
 * longer than MAX_LINE_CHARS or pages with more than MAX_SERIES series of the histogram are
 * refused, and so are counts that are not finite, negative or not cumulative.
 */
import { P2pdvError } from '@p2pdv/core/errors'

const MAX_LINE_CHARS = 16 * 1024
const MAX_SERIES = 100_000

export interface Histogram {
  /** Upper bounds in increasing order, the last one +Inf. */
  bounds: number[]
  /** Cumulative counts per bound (observations ≤ bound). */
  counts: number[]
  /** Observations in all. */
  count: number
}

export type Labels = Readonly<Record<string, string>>

function bad (why: string): P2pdvError {
  return new P2pdvError('ERR_BAD_METRICS', `the metrics page ${why}`, { hint: 'The node is faulty or runs another version; leave it out with --node, or ask its operator.' })
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

function parseLabels (text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(LABEL)) out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => c === 'n' ? '\n' : c)
  return out
}

/** The histogram `name` (its `_bucket` series), summed over the series `accept` takes. */
export function histogramFrom (text: string, name: string, accept: (labels: Labels) => boolean): Histogram {
  const byBound = new Map<number, number>()
  let series = 0
  const prefix = `${name}_bucket{`
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue
    if (line.length > MAX_LINE_CHARS) throw bad(`has a line of ${line.length} characters`)
    const close = line.lastIndexOf('}')
    if (close < 0) throw bad(`has a malformed line: ${line.slice(0, 80)}`)
    const labels = parseLabels(line.slice(prefix.length, close))
    if (++series > MAX_SERIES) throw bad(`has more than ${MAX_SERIES} series of ${name}`)
    const le = labels.le
    const value = Number(line.slice(close + 1).trim().split(/\s+/)[0])
    const bound = le === '+Inf' ? Infinity : Number(le)
    if (le === undefined || Number.isNaN(bound) || !Number.isFinite(value) || value < 0) throw bad(`has a malformed bucket: ${line.slice(0, 120)}`)
    if (!accept(labels)) continue
    byBound.set(bound, (byBound.get(bound) ?? 0) + value)
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b)
  if (bounds.length > 0 && bounds.at(-1) !== Infinity) throw bad(`has no +Inf bucket for ${name}`)
  const counts = bounds.map(b => byBound.get(b)!)
  for (let i = 1; i < counts.length; i++) if (counts[i]! < counts[i - 1]!) throw bad(`has buckets of ${name} that are not cumulative`)
  return { bounds, counts, count: counts.at(-1) ?? 0 }
}

/** Adds histograms with the same bounds (one per node) into the network's. */
export function sumHistograms (hs: readonly Histogram[]): Histogram {
  const byBound = new Map<number, number>()
  for (const h of hs) h.bounds.forEach((b, i) => byBound.set(b, (byBound.get(b) ?? 0) + h.counts[i]!))
  const bounds = [...byBound.keys()].sort((a, b) => a - b)
  const counts = bounds.map(b => byBound.get(b)!)
  return { bounds, counts, count: counts.at(-1) ?? 0 }
}

/**
 * The q-quantile (0 < q < 1) as Prometheus's histogram_quantile: found in the first bucket whose
 * cumulative count reaches q × count, interpolated linearly inside it (from 0 for the first
 * bucket); in the +Inf bucket it is the highest finite bound. Undefined with no observations.
 */
export function quantile (h: Histogram, q: number): number | undefined {
  if (h.count === 0 || h.bounds.length === 0) return undefined
  const rank = q * h.count
  const i = h.counts.findIndex(c => c >= rank)
  if (h.bounds[i] === Infinity) return h.bounds.length > 1 ? h.bounds[h.bounds.length - 2] : undefined
  const lower = i === 0 ? 0 : h.bounds[i - 1]!
  const below = i === 0 ? 0 : h.counts[i - 1]!
  const inBucket = h.counts[i]! - below
  return inBucket === 0 ? h.bounds[i] : lower + (h.bounds[i]! - lower) * (rank - below) / inBucket
}

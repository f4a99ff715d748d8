// Shared by the benchmarks: timing, and a plain aligned table where each figure stands beside
// its baseline, measured in the same run, with the ratio.
export interface Row {
  name: string
  value: number
  baselineName: string
  baseline: number
  unit: string
  /** 'higher' when bigger is better (throughput), 'lower' for latencies and memory. */
  better: 'higher' | 'lower'
  target?: string
}

export function printTable (title: string, rows: Row[]): void {
  const fmt = (n: number): string => n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)
  const lines = rows.map(r => {
    const ratio = r.value / r.baseline
    return [r.name, `${fmt(r.value)} ${r.unit}`, r.baselineName, `${fmt(r.baseline)} ${r.unit}`, `${ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)}×`, r.target ?? '']
  })
  const head = ['measure', 'p2pdv', 'baseline', 'baseline value', 'ratio', 'target']
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map(l => l[i]!.length)))
  const row = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  process.stdout.write(`${title}\n${row(head)}\n${row(widths.map(w => '-'.repeat(w)))}\n${lines.map(row).join('\n')}\n\n`)
}

export async function timed<T> (fn: () => Promise<T>): Promise<{ seconds: number, result: T }> {
  const t = performance.now()
  const result = await fn()
  return { seconds: (performance.now() - t) / 1000, result }
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The nearest-rank quantile (q in 0–1) of a non-empty sample. */
export function quantile (xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

export function mbps (bytes: number, seconds: number): number {
  return bytes / 1e6 / seconds
}

export function benchMegabytes (fallback: number): number {
  const v = Number(process.env.BENCH_MB ?? fallback)
  return Number.isFinite(v) && v > 0 ? v : fallback
}

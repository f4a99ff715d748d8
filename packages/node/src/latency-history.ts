/**
 * Windowed block-GET latency: what `p2pdv sla --since` needs and a cumulative Prometheus
 * histogram cannot give (it counts since the process started).
 *
 * Every SLICE_MS the node reads its `p2pdv_http_request_duration_seconds` buckets for block GETs
 * answered 2xx, subtracts the previous reading of the same process, and keeps the difference as
 * a slice `{ start, end, counts }` (per-bucket counts, not cumulative). Slices are kept for
 * RETENTION_MS (at most MAX_SLICES; empty ones are not kept) in `latency-history.json` in the data
 * directory, written whole to a temp file and renamed, so a restart loses at most the slice in
 * progress. A window `[since, now]` is the sum of the slices that end after `since` plus what the
 * running process counted since its last slice; it covers from the start of the earliest slice
 * summed (at most SLICE_MS before `since`), or from when the history begins if that is later:
 * both are reported (`from`, `complete`).
 *
 * A node restart resets the Prometheus histogram: readings are only ever subtracted within one
 * process (the first reading of a process is taken against zero), so a reset never shows as a
 * negative count.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Histogram } from 'prom-client'
import { P2pdvError } from '@p2pdv/core/errors'
import type { Logger } from 'pino'
import { PeriodicTask } from './periodic-task.ts'
import type { LatencyWindow } from '@p2pdv/node-client'

export const LATENCY_HISTORY_FILE = 'latency-history.json'
export const SLICE_MS = 10 * 60_000
export const RETENTION_MS = 35 * 86_400_000
export const MAX_SLICES = Math.ceil(RETENTION_MS / SLICE_MS)
/** A history file larger than this is not read (a fresh history starts). */
const MAX_FILE_BYTES = 8 * 1024 * 1024
export const BLOCK_ROUTE = '/ipfs/:cid'

export interface Slice {
  start: number
  end: number
  /** Observations per bucket (not cumulative), in the order of `bounds`. */
  counts: number[]
}

/** The window's shape is node-client's (the CLI's `sla` reads it there): one definition. */
export type { LatencyWindow }

interface HistoryFile { v: 1, bounds: number[], begins: number, slices: Slice[] }

/** Per-bucket (non-cumulative) counts of a reading, from cumulative ones. */
export function perBucket (cumulative: readonly number[]): number[] {
  return cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!))
}

/** Cumulative counts from per-bucket ones. */
export function cumulate (counts: readonly number[]): number[] {
  let sum = 0
  return counts.map(c => (sum += c))
}

/** `now - before` bucket by bucket; a negative difference (a reset) counts as `now` whole. */
export function subtract (now: readonly number[], before: readonly number[] | undefined): number[] {
  if (before === undefined || before.length !== now.length || now.some((c, i) => c < before[i]!)) return [...now]
  return now.map((c, i) => c - before[i]!)
}

/**
 * The window [since, until] from kept slices and the running process's unsliced counts
 * (`pending`, per bucket, counted since `pendingFrom`). Pure, for the tests.
 */
export function windowOf (o: { since: number, until: number, bounds: readonly number[], begins: number, slices: readonly Slice[], pending: readonly number[], pendingFrom: number }): LatencyWindow {
  const sum = o.bounds.map(() => 0)
  let from = o.pendingFrom
  for (const s of o.slices) {
    if (s.end <= o.since || s.start >= o.until || s.counts.length !== sum.length) continue
    s.counts.forEach((c, i) => { sum[i]! += c })
    from = Math.min(from, s.start)
  }
  o.pending.forEach((c, i) => { sum[i]! += c })
  // No slice reached back: the pending counts start at pendingFrom, or the window at since.
  from = Math.max(Math.min(from, o.since), o.begins)
  const counts = cumulate(sum)
  return { since: o.since, from, until: o.until, complete: o.begins <= o.since, bounds: [...o.bounds], counts, count: counts.at(-1) ?? 0 }
}

/** Reads the block-GET 2xx buckets (cumulative, by bound) from the node's histogram. */
export async function readBlockGetBuckets (h: Histogram<'route' | 'method' | 'status'>): Promise<{ bounds: number[], counts: number[] }> {
  const byBound = new Map<number, number>()
  for (const v of (await h.get()).values) {
    if (!v.metricName?.endsWith('_bucket')) continue
    const l = v.labels as Record<string, string | number | undefined>
    if (l.route !== BLOCK_ROUTE || l.method !== 'GET' || !/^2\d\d$/.test(String(l.status ?? ''))) continue
    const bound = l.le === '+Inf' ? Infinity : Number(l.le)
    byBound.set(bound, (byBound.get(bound) ?? 0) + v.value)
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b)
  return { bounds, counts: bounds.map(b => byBound.get(b)!) }
}

export interface LatencyHistoryDeps {
  dataDir: string
  /** The histogram's buckets now (cumulative), e.g. readBlockGetBuckets. */
  read: () => Promise<{ bounds: number[], counts: number[] }>
  /** The histogram's bucket bounds (seconds, without +Inf). */
  bounds: readonly number[]
  log: Logger
  now?: () => number
  sliceMs?: number
}

function validFile (x: unknown, bounds: readonly number[]): x is HistoryFile {
  if (typeof x !== 'object' || x === null) return false
  const f = x as Partial<HistoryFile>
  if (f.v !== 1 || !Array.isArray(f.bounds) || f.bounds.length !== bounds.length || f.bounds.some((b, i) => b !== bounds[i])) return false
  if (typeof f.begins !== 'number' || !Number.isFinite(f.begins) || !Array.isArray(f.slices) || f.slices.length > MAX_SLICES) return false
  return f.slices.every(s => typeof s === 'object' && s !== null && Number.isFinite(s.start) && Number.isFinite(s.end) && s.start <= s.end &&
    Array.isArray(s.counts) && s.counts.length === bounds.length && s.counts.every(c => Number.isSafeInteger(c) && c >= 0))
}

/** The history of one node (see the file comment); a component: `start` loads and schedules, `stop` writes the last slice. */
export class LatencyHistory {
  readonly name = 'latency history'
  private readonly deps: LatencyHistoryDeps
  /** Bounds with +Inf last. */
  private readonly bounds: number[]
  private readonly task: PeriodicTask
  private slices: Slice[] = []
  private begins = 0
  /** The last reading of this process (cumulative) and its time. */
  private last: { at: number, counts: number[] } | undefined

  constructor (deps: LatencyHistoryDeps) {
    this.deps = deps
    this.bounds = [...deps.bounds, Infinity]
    this.task = new PeriodicTask(async () => { await this.slice() }, {
      name: 'latency history',
      intervalMs: deps.sliceMs ?? SLICE_MS,
      onStop: 'finish',
      onError: err => { deps.log.warn({ err }, 'could not record a latency slice') }
    })
  }

  private get file (): string { return join(this.deps.dataDir, LATENCY_HISTORY_FILE) }
  private now (): number { return (this.deps.now ?? Date.now)() }

  async start (): Promise<void> {
    const now = this.now()
    this.begins = now
    try {
      const text = await readFile(this.file, 'utf8')
      if (text.length <= MAX_FILE_BYTES) {
        const f: unknown = JSON.parse(text.replaceAll('"+Inf"', 'null'))
        const fixed = f as { bounds?: Array<number | null> }
        if (Array.isArray(fixed.bounds)) fixed.bounds = fixed.bounds.map(b => b ?? Infinity)
        if (validFile(f, this.bounds)) {
          this.begins = Math.min(f.begins, now)
          this.slices = f.slices.filter(s => s.end > now - RETENTION_MS)
        } else this.deps.log.warn({ file: this.file }, 'the latency history does not match this version\'s buckets or is malformed: starting a new one')
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.log.warn({ err, file: this.file }, 'could not read the latency history: starting a new one')
    }
    // The first reading of this process is against zero: the histogram starts empty.
    this.last = { at: now, counts: this.bounds.map(() => 0) }
    this.task.start()
  }

  async stop (): Promise<void> {
    await this.task.stop()
    await this.slice().catch(err => { this.deps.log.warn({ err }, 'could not record the last latency slice') })
  }

  /** Takes a reading, keeps its difference from the last one as a slice (if not empty) and writes the file. */
  async slice (): Promise<void> {
    const now = this.now()
    const reading = await this.readAligned()
    const last = this.last
    this.last = { at: now, counts: reading }
    const diff = perBucket(subtract(reading, last?.counts))
    if (diff.some(c => c > 0)) this.slices.push({ start: last?.at ?? now, end: now, counts: diff })
    this.slices = this.slices.filter(s => s.end > now - RETENTION_MS).slice(-MAX_SLICES)
    const body: HistoryFile = { v: 1, bounds: this.bounds, begins: this.begins, slices: this.slices }
    const tmp = `${this.file}.tmp`
    await writeFile(tmp, JSON.stringify(body, (_k, v: unknown) => v === Infinity ? '+Inf' : v))
    await rename(tmp, this.file)
  }

  /** The window [since, now]: kept slices plus what this process counted since its last slice. */
  async window (since: number): Promise<LatencyWindow> {
    const now = this.now()
    const reading = await this.readAligned()
    const pending = perBucket(subtract(reading, this.last?.counts))
    return windowOf({ since, until: now, bounds: this.bounds, begins: this.begins, slices: this.slices, pending, pendingFrom: this.last?.at ?? now })
  }

  /** A reading in this history's bucket order (a bucket the histogram lacks counts 0). */
  private async readAligned (): Promise<number[]> {
    const r = await this.deps.read()
    const byBound = new Map(r.bounds.map((b, i) => [b, r.counts[i]!]))
    // Cumulative: a missing bound carries the count of the one below.
    let carry = 0
    return this.bounds.map(b => (carry = byBound.get(b) ?? carry))
  }
}

/** The route's answer: a LatencyWindow with the +Inf bound as a string (JSON has no Infinity). */
export function latencyWindowJson (w: LatencyWindow): Omit<LatencyWindow, 'bounds'> & { route: string, method: 'GET', status: '2xx', bounds: Array<number | '+Inf'> } {
  return { route: BLOCK_ROUTE, method: 'GET', status: '2xx', ...w, bounds: w.bounds.map(b => b === Infinity ? '+Inf' : b) }
}

/**
 * `GET /api/v1/metrics/latency?since=MS`: the block-GET (2xx) latency histogram over [since, now]
 * (docs/openapi.yaml). `since` is a Unix time in milliseconds, not in the future.
 */
export function latencyRoutes (history: () => LatencyHistory | undefined) {
  return (app: FastifyInstance): void => {
    app.get<{ Querystring: { since?: string } }>('/api/v1/metrics/latency', async (req, reply) => {
      const text = req.query.since
      const since = typeof text === 'string' && /^\d{1,15}$/.test(text) ? Number(text) : NaN
      if (!Number.isSafeInteger(since) || since > Date.now()) throw new P2pdvError('ERR_BAD_REQUEST', 'since must be a Unix time in milliseconds, not in the future', { hint: 'e.g. /api/v1/metrics/latency?since=1767225600000' })
      const h = history()
      if (h === undefined) throw new P2pdvError('ERR_NOT_READY', 'the node is starting', { hint: 'Ask again in a few seconds.' })
      return await reply.header('cache-control', 'no-store').send(latencyWindowJson(await h.window(since)))
    })
  }
}

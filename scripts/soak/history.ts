/**
 * The soak run's history: every client operation (put, get, check) with its start, end and
 * outcome, and every nemesis action. The checker judges the run from this record alone (plus the
 * nodes' disks at the end), so a run can be re-judged from its saved JSONL file.
 */
import { appendFileSync } from 'node:fs'

export type OpKind = 'put' | 'get' | 'check' | 'final-get' | 'final-check'

/**
 * ok: the command succeeded (a put/get's SHA-256 of the bytes, a check's verdict);
 * error: it failed with a typed error (a stable ERR_… code);
 * crash: it failed without one (killed, an unhandled rejection, no JSON error), or left a `.part`
 * file behind.
 */
export type Outcome =
  | { type: 'ok', sha256?: string, size?: number, capability?: string, healthy?: boolean, detail?: Record<string, unknown> }
  | { type: 'error', code: string }
  | { type: 'crash', reason: string }

export interface OpEntry {
  kind: 'op'
  id: number
  op: OpKind
  /** The object the operation is about: for a put, the local file's digest (what must read back). */
  object: string
  /** For put: the requested redundancy as passed on the command line (e.g. "k=4,m=2"). */
  wanted?: string
  start: number
  end: number
  outcome: Outcome
}

export type NemesisAction = 'kill' | 'pause' | 'resume' | 'restart' | 'restart-failed'

export interface NemesisEntry {
  kind: 'nemesis'
  at: number
  action: NemesisAction
  node: string
  detail?: string
}

export interface MemorySample {
  kind: 'memory'
  at: number
  node: string
  /** VmRSS of the node's process (KiB), from /proc/PID/status. */
  rssKiB: number
  /** V8 heap used and external memory (bytes), from the node's /metrics, when it answered. */
  heapUsed?: number
  external?: number
}

/** A node's live V8 heap (after a forced full GC) before the load and after the run. */
export interface LiveHeapSample {
  kind: 'live-heap'
  at: number
  node: string
  phase: 'start' | 'end'
  bytes: number
}

export type HistoryEntry = OpEntry | NemesisEntry | MemorySample | LiveHeapSample

export class History {
  readonly entries: HistoryEntry[] = []
  private readonly file: string | undefined
  private nextId = 1

  constructor (file?: string) { this.file = file }

  opId (): number { return this.nextId++ }

  add (entry: HistoryEntry): void {
    this.entries.push(entry)
    if (this.file !== undefined) appendFileSync(this.file, JSON.stringify(entry) + '\n')
  }

  ops (): OpEntry[] { return this.entries.filter((e): e is OpEntry => e.kind === 'op') }
}

/**
 * Judges a soak run. From the history: acknowledged writes lost (a put that succeeded whose bytes
 * do not read back bit-exact at the end), reads that returned wrong bytes, crashes (no typed
 * error), failures by code, acknowledged writes with less redundancy than asked. From the end
 * state: objects not healthy after repair, check vs disk, record vs disk.
 */
import { CID } from 'multiformats/cid'
import { blockKey, type DiskFinding, type DiskView } from './disk.ts'
import type { HistoryEntry, LiveHeapSample, MemorySample, NemesisEntry, OpEntry } from './history.ts'

/** The part of `p2pdv check --json` the checker reads. */
export interface CheckJson {
  object: string
  healthy: boolean
  placementVersion?: number
  blocks: Array<{ cid: string, holders: string[], ok: string[], timedOut: string[] }>
}

export interface CheckDiskFinding extends DiskFinding {
  /** check said the holder has it but the file is not there; or said missing while it is. */
  claim: 'ok-but-absent' | 'missing-but-present' | 'stale-record'
}

export interface Verdict {
  operations: Record<string, { ok: number, error: number, crash: number }>
  failuresByCode: Record<string, number>
  crashes: Array<{ id: number, op: string, reason: string }>
  acknowledgedWrites: number
  /** Acknowledged puts whose final read failed or returned other bytes. */
  lostWrites: Array<{ id: number, object: string, capability: string, why: string }>
  /** Reads (during the run or at the end) that returned bytes other than the acknowledged ones. */
  wrongReads: Array<{ id: number, op: string, object: string }>
  /** Acknowledged puts stored with less redundancy than asked (a silent downgrade). */
  degradedWrites: Array<{ id: number, wanted: string, got: string }>
  /** Objects whose final check was not healthy (after the repair wait). */
  underReplicated: Array<{ object: string, why: string }>
  checkVsDisk: CheckDiskFinding[]
  /** A listed holder without the block on its disk. */
  phantomHolders: DiskFinding[]
  /** A node holding a block on disk that the newest record no longer lists. */
  droppedHolders: DiskFinding[]
  nemesis: Record<string, number>
  memory: Record<string, Array<{ t: number, rssMiB: number, heapMiB?: number, externalMiB?: number }>>
  /** Per node, live V8 heap (MiB, after a forced full GC) before the load and at the end. */
  liveHeap: Record<string, { startMiB?: number, endMiB?: number }>
}

export interface FinalState {
  /** Per acknowledged object, the last `check --json` report of the repair wait, if any. */
  checks: Map<string, CheckJson>
  disk: DiskView
  nodes: Array<{ name: string, peerId: string }>
  phantom: DiskFinding[]
  dropped: DiskFinding[]
}

function redundancyOf (json: Record<string, unknown>): string {
  return json.scheme === 'rs' ? `k=${String(json.k)},m=${String(json.m)}` : `replicas=${String(json.replicas)}`
}

const MiB = 1024 * 1024

export function judge (entries: HistoryEntry[], final: FinalState, startedAt: number): Verdict {
  const ops = entries.filter((e): e is OpEntry => e.kind === 'op')
  const operations: Verdict['operations'] = {}
  const failuresByCode: Record<string, number> = {}
  const crashes: Verdict['crashes'] = []
  for (const op of ops) {
    const row = operations[op.op] ?? { ok: 0, error: 0, crash: 0 }
    row[op.outcome.type]++
    operations[op.op] = row
    if (op.outcome.type === 'error') failuresByCode[op.outcome.code] = (failuresByCode[op.outcome.code] ?? 0) + 1
    if (op.outcome.type === 'crash') crashes.push({ id: op.id, op: op.op, reason: op.outcome.reason })
  }

  // The acknowledged writes: digest of the bytes put, by object (manifest CID).
  const acked = new Map<string, { id: number, sha256: string, capability: string }>()
  const degradedWrites: Verdict['degradedWrites'] = []
  for (const op of ops) {
    if (op.op !== 'put' || op.outcome.type !== 'ok') continue
    const { capability, sha256, detail } = op.outcome
    if (capability === undefined || sha256 === undefined) continue
    const object = capability.slice('p2pdv://'.length).split('#')[0]!
    acked.set(object, { id: op.id, sha256, capability })
    const got = detail === undefined ? 'unknown' : redundancyOf(detail)
    if (op.wanted !== undefined && got !== op.wanted) degradedWrites.push({ id: op.id, wanted: op.wanted, got })
  }

  const wrongReads: Verdict['wrongReads'] = []
  const finalRead = new Map<string, OpEntry>()
  for (const op of ops) {
    if (op.op !== 'get' && op.op !== 'final-get') continue
    const want = acked.get(op.object)
    if (op.op === 'final-get') finalRead.set(op.object, op)
    if (want !== undefined && op.outcome.type === 'ok' && op.outcome.sha256 !== want.sha256) wrongReads.push({ id: op.id, op: op.op, object: op.object })
  }
  const lostWrites: Verdict['lostWrites'] = []
  for (const [object, want] of acked) {
    const read = finalRead.get(object)
    const why = read === undefined
      ? 'never read back at the end'
      : read.outcome.type === 'ok'
        ? (read.outcome.sha256 === want.sha256 ? undefined : 'read back other bytes')
        : read.outcome.type === 'error' ? `final read failed: ${read.outcome.code}` : `final read crashed: ${read.outcome.reason}`
    if (why !== undefined) lostWrites.push({ id: want.id, object, capability: want.capability.split('#')[0]!, why })
  }

  const underReplicated: Verdict['underReplicated'] = []
  const checkVsDisk: CheckDiskFinding[] = []
  for (const object of acked.keys()) {
    const report = final.checks.get(object)
    if (report === undefined) { underReplicated.push({ object, why: 'no successful check at the end' }); continue }
    if (!report.healthy) underReplicated.push({ object, why: 'check: not healthy' })
    checkVsDisk.push(...compareCheckWithDisk(report, final))
  }

  const nemesis: Record<string, number> = {}
  for (const e of entries.filter((x): x is NemesisEntry => x.kind === 'nemesis')) nemesis[e.action] = (nemesis[e.action] ?? 0) + 1
  const memory: Verdict['memory'] = {}
  for (const s of entries.filter((x): x is MemorySample => x.kind === 'memory')) {
    (memory[s.node] ??= []).push({
      t: Math.round((s.at - startedAt) / 1000),
      rssMiB: Math.round(s.rssKiB / 1024),
      ...(s.heapUsed === undefined ? {} : { heapMiB: Math.round(s.heapUsed / MiB) }),
      ...(s.external === undefined ? {} : { externalMiB: Math.round(s.external / MiB) })
    })
  }

  const liveHeap: Verdict['liveHeap'] = {}
  for (const s of entries.filter((x): x is LiveHeapSample => x.kind === 'live-heap')) {
    (liveHeap[s.node] ??= {})[s.phase === 'start' ? 'startMiB' : 'endMiB'] = Math.round(s.bytes / MiB * 10) / 10
  }

  return {
    operations,
    failuresByCode,
    crashes,
    acknowledgedWrites: acked.size,
    lostWrites,
    wrongReads,
    degradedWrites,
    underReplicated,
    checkVsDisk,
    phantomHolders: final.phantom,
    droppedHolders: final.dropped,
    nemesis,
    memory,
    liveHeap
  }
}

/** Does `check`'s per-holder answer match the holder's disk, and did it use the newest record? */
export function compareCheckWithDisk (report: CheckJson, final: Pick<FinalState, 'disk' | 'nodes'>): CheckDiskFinding[] {
  const out: CheckDiskFinding[] = []
  const names = new Map(final.nodes.map(n => [n.peerId, n.name]))
  const newest = final.disk.records.get(report.object)
  if (newest !== undefined && report.placementVersion !== newest.version) {
    out.push({ object: report.object, block: '-', node: '-', claim: 'stale-record' })
  }
  for (const b of report.blocks) {
    const key = blockKey(CID.parse(b.cid))
    for (const holder of b.holders) {
      const name = names.get(holder)
      if (name === undefined || b.timedOut.includes(holder)) continue
      const onDisk = final.disk.blocks.get(holder)?.has(key) === true
      const said = b.ok.includes(holder)
      if (said && !onDisk) out.push({ object: report.object, block: b.cid, node: name, claim: 'ok-but-absent' })
      if (!said && onDisk) out.push({ object: report.object, block: b.cid, node: name, claim: 'missing-but-present' })
    }
  }
  return out
}

/** The invariants a run must keep; each failed one is named (the test asserts on these names). */
export function violations (v: Verdict): string[] {
  const out: string[] = []
  // A run that acknowledged nothing proves nothing.
  if (v.acknowledgedWrites === 0) out.push('no-acknowledged-writes')
  if (v.lostWrites.length > 0) out.push('acknowledged-writes-lost')
  if (v.wrongReads.length > 0) out.push('wrong-bytes')
  if (v.crashes.length > 0) out.push('crashes')
  if (v.degradedWrites.length > 0) out.push('degraded-writes')
  if (v.underReplicated.length > 0) out.push('under-replicated-after-repair')
  if (v.checkVsDisk.length > 0) out.push('check-disagrees-with-disk')
  if (v.phantomHolders.length > 0) out.push('record-lists-holder-without-block')
  if (v.droppedHolders.length > 0) out.push('record-lost-live-holder')
  return out
}

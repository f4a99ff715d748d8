/**
 * Repeated audit failures lead to slashing through the chain's audit role. The auditor decides
 * *when* (SlashPolicy: enough counted failures in a window, then a cool-down); *how* is a
 * pluggable SlashReporter, so the node runs without a chain (reports are logged and kept in the
 * audit database) and a chain reporter plugs in where the NodeRegistry contract exists.
 *
 * What counts: failures about the data — a proof that does not verify, a refusal for a block the
 * node confirmed it held, bytes that do not match the CID on a full read — when `counted` (see
 * AuditRecord). Timeouts do not: a node that is down loses availability score and placement, but
 * is not slashed for an outage alone.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { encodeSignedAuditRecord, type SignedAuditRecord } from '@p2pdv/core/wire'
import type { Logger } from 'pino'
import type { AuditStore } from './store.ts'

/** Counted data failures within SLASH_WINDOW_MS that trigger a report. */
export const SLASH_FAILURES = 3
export const SLASH_WINDOW_MS = 24 * 60 * 60 * 1000
/** After a report, the same peer is not reported again for this long. */
export const SLASH_COOLDOWN_MS = 24 * 60 * 60 * 1000

export interface SlashEvidence {
  /** The node to slash (peer id). */
  peer: string
  /** The signed failures that triggered the report, oldest first. */
  records: SignedAuditRecord[]
  reason: string
}

export interface SlashReporter {
  /** Reports a node for slashing; rejects if the report could not be delivered. */
  report: (evidence: SlashEvidence, options?: { signal?: AbortSignal }) => Promise<void>
}

export interface SlashPolicyOptions {
  failures: number
  windowMs: number
  cooldownMs: number
}

export const DEFAULT_SLASH_POLICY: SlashPolicyOptions = { failures: SLASH_FAILURES, windowMs: SLASH_WINDOW_MS, cooldownMs: SLASH_COOLDOWN_MS }

/** Whether a record is a data failure that counts toward slashing. */
export function isSlashable (r: SignedAuditRecord): boolean {
  return r.record.outcome === 'fail' && r.record.counted
}

/** In-memory sliding window per peer (a restarted auditor starts counting afresh). */
export class SlashPolicy {
  private readonly opts: SlashPolicyOptions
  private readonly recent = new Map<string, SignedAuditRecord[]>()
  private readonly lastReport = new Map<string, number>()

  constructor (opts: Partial<SlashPolicyOptions> = {}) {
    this.opts = { ...DEFAULT_SLASH_POLICY, ...opts }
  }

  /** Feeds one result; returns evidence when this result makes the peer reportable. */
  observe (r: SignedAuditRecord, now: number): SlashEvidence | undefined {
    if (!isSlashable(r)) return undefined
    const peer = r.record.peer
    const since = now - this.opts.windowMs
    const list = (this.recent.get(peer) ?? []).filter(x => x.record.issued >= since)
    list.push(r)
    this.recent.set(peer, list)
    const last = this.lastReport.get(peer)
    if (list.length < this.opts.failures || (last !== undefined && now - last < this.opts.cooldownMs)) return undefined
    this.lastReport.set(peer, now)
    this.recent.set(peer, [])
    const codes = [...new Set(list.map(x => x.record.code ?? x.record.outcome))].join(', ')
    return { peer, records: list, reason: `${list.length} failed audits within ${Math.round(this.opts.windowMs / 3_600_000)} h (${codes})` }
  }
}

/**
 * The reporter used when no chain is configured: keeps each report (with its signed evidence) in
 * the audit database and logs it. The chain reporter calls the NodeRegistry's audit role instead.
 */
export function localSlashReporter (store: AuditStore, log: Logger, now: () => number = Date.now): SlashReporter {
  return {
    report: async (evidence) => {
      store.addSlashReport(evidence.peer, now(), evidence.reason, dagCbor.encode(evidence.records.map(encodeSignedAuditRecord)))
      log.warn({ peer: evidence.peer, reason: evidence.reason, records: evidence.records.length }, 'node reported for slashing (no chain configured: kept locally)')
    }
  }
}

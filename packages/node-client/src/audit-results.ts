/**
 * An auditor's results as `GET /api/v1/audit/results` lists them (newest first; `before` pages back),
 * checked entry by entry: a malformed page is refused whole, since an SLA computed from half a
 * page would be silently wrong. The signed records are not decoded here (they are evidence; the
 * fields beside them are what reports count).
 */
import { MAX_ID_CHARS } from './node-info.ts'

/** Results per page the auditor serves at most (node audit/http-routes.ts). */
export const MAX_AUDIT_RESULTS_PER_PAGE = 1000
/** A page of 1000 results with their signed records (a few hundred bytes each) fits in this. */
export const MAX_AUDIT_RESULTS_BYTES = 4 * 1024 * 1024

export type AuditResultOutcome = 'pass' | 'fail' | 'timeout' | 'unreachable'
const OUTCOMES = new Set<string>(['pass', 'fail', 'timeout', 'unreachable'])

export interface AuditResult {
  id: number
  peer: string
  cid: string
  kind: 'proof' | 'read'
  outcome: AuditResultOutcome
  /** The node's refusal or the auditor's reason, when not a pass. */
  code: string | null
  /** Whether it counted toward reputation (a result during a grace period does not). */
  counted: boolean
  /** When the challenge was issued (ms since the epoch). */
  issued: number
}

export interface AuditResultsQuery { peer?: string, after?: number, before?: number, limit?: number }

/** The results of one page, or undefined when the body is not such a page. */
export function parseAuditResults (body: unknown): AuditResult[] | undefined {
  const rows = (body as { results?: unknown } | null)?.results
  if (!Array.isArray(rows) || rows.length > MAX_AUDIT_RESULTS_PER_PAGE) return undefined
  const out: AuditResult[] = []
  for (const r of rows as Array<Record<string, unknown> | null>) {
    if (r === null || typeof r !== 'object') return undefined
    const { id, peer, cid, kind, outcome, code, counted, issued } = r
    if (!Number.isSafeInteger(id) || (id as number) < 0) return undefined
    if (typeof peer !== 'string' || peer.length === 0 || peer.length > MAX_ID_CHARS) return undefined
    if (typeof cid !== 'string' || cid.length === 0 || cid.length > 128) return undefined
    if (kind !== 'proof' && kind !== 'read') return undefined
    if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) return undefined
    if (code !== null && (typeof code !== 'string' || code.length > 64)) return undefined
    if (typeof counted !== 'boolean' || !Number.isSafeInteger(issued) || (issued as number) < 0) return undefined
    out.push({ id: id as number, peer, cid, kind, outcome: outcome as AuditResultOutcome, code, counted, issued: issued as number })
  }
  return out
}

export function auditResultsSearch (q: AuditResultsQuery): string {
  const params = new URLSearchParams({ limit: String(q.limit ?? MAX_AUDIT_RESULTS_PER_PAGE) })
  if (q.peer !== undefined) params.set('peer', q.peer)
  if (q.after !== undefined) params.set('after', String(q.after))
  if (q.before !== undefined) params.set('before', String(q.before))
  return params.toString()
}

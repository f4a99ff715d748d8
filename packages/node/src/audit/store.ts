/**
 * The auditor's memory, in `audit.sqlite` in the node's data directory (node:sqlite, built into
 * Node 24): the blocks it audits and who holds them, every signed result, and each peer's
 * reputation state. Writes are small and synchronous; results are pruned to a bounded count.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { P2pdvError } from '@p2pdv/core/errors'
import { emptyReputation, type ReputationState } from '@p2pdv/core/reputation'
import type { AuditKind, AuditOutcome } from '@p2pdv/core/wire'

export const AUDIT_DB_FILE = 'audit.sqlite'
export const AUDIT_DB_SCHEMA = 1
/** Results kept; the oldest are pruned beyond this. */
export const DEFAULT_MAX_RESULTS = 200_000
/** Blocks an auditor follows at most. */
export const MAX_AUDIT_TARGETS = 1_000_000

export interface StoredTarget { cid: string, size: number, root: Uint8Array }
export interface TargetHolderInput { peer: string, committed: boolean }
/** One (block, holder) pair to audit. */
export interface AuditSample extends StoredTarget { peer: string, committed: boolean }

export interface StoredResult {
  id: number
  peer: string
  cid: string
  kind: AuditKind
  outcome: AuditOutcome
  code: string | null
  counted: boolean
  issued: number
  /** The DAG-CBOR SignedAuditRecord. */
  signed: Uint8Array
}

export class AuditStore {
  private readonly db: DatabaseSync
  private readonly stmts: Record<string, StatementSync>

  constructor (path: string) {
    this.db = new DatabaseSync(path)
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS targets (cid TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, added INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS holders (cid TEXT NOT NULL, peer TEXT NOT NULL, committed INTEGER NOT NULL, PRIMARY KEY (cid, peer));
      CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, cid TEXT NOT NULL, kind TEXT NOT NULL,
        outcome TEXT NOT NULL, code TEXT, counted INTEGER NOT NULL, issued INTEGER NOT NULL, signed BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS results_peer ON results (peer, id);
      CREATE TABLE IF NOT EXISTS reputation (peer TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS slash_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, reported INTEGER NOT NULL, reason TEXT NOT NULL, evidence BLOB NOT NULL);
    `)
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined
    if (row === undefined) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', String(AUDIT_DB_SCHEMA))
    else if (row.value !== String(AUDIT_DB_SCHEMA)) {
      this.db.close()
      throw new P2pdvError('ERR_DATA_VERSION', `${path} has audit schema ${row.value}, this node reads ${AUDIT_DB_SCHEMA}`, { hint: 'Run the p2pdv version that wrote it, or move the file away to start the auditor afresh.' })
    }
    this.stmts = {
      targetCount: this.db.prepare('SELECT COUNT(*) AS n FROM targets'),
      upsertTarget: this.db.prepare('INSERT INTO targets (cid, size, root, added) VALUES (?, ?, ?, ?) ON CONFLICT (cid) DO NOTHING'),
      upsertHolder: this.db.prepare('INSERT INTO holders (cid, peer, committed) VALUES (?, ?, ?) ON CONFLICT (cid, peer) DO UPDATE SET committed = MAX(committed, excluded.committed)'),
      getTarget: this.db.prepare('SELECT cid, size, root FROM targets WHERE cid = ?'),
      sample: this.db.prepare(`SELECT t.cid AS cid, t.size AS size, t.root AS root, h.peer AS peer, h.committed AS committed
        FROM holders h JOIN targets t ON t.cid = h.cid WHERE h.peer != ? ORDER BY RANDOM() LIMIT ?`),
      commit: this.db.prepare('UPDATE holders SET committed = 1 WHERE cid = ? AND peer = ?'),
      drop: this.db.prepare('DELETE FROM holders WHERE cid = ? AND peer = ?'),
      holdersOf: this.db.prepare('SELECT peer FROM holders WHERE cid = ?'),
      fixRoot: this.db.prepare('UPDATE targets SET root = ? WHERE cid = ?'),
      addResult: this.db.prepare('INSERT INTO results (peer, cid, kind, outcome, code, counted, issued, signed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      resultCount: this.db.prepare('SELECT COUNT(*) AS n FROM results'),
      prune: this.db.prepare('DELETE FROM results WHERE id <= (SELECT MAX(id) FROM results) - ?'),
      getRep: this.db.prepare('SELECT state FROM reputation WHERE peer = ?'),
      putRep: this.db.prepare('INSERT INTO reputation (peer, state) VALUES (?, ?) ON CONFLICT (peer) DO UPDATE SET state = excluded.state'),
      allRep: this.db.prepare('SELECT peer, state FROM reputation ORDER BY peer'),
      addSlash: this.db.prepare('INSERT INTO slash_reports (peer, reported, reason, evidence) VALUES (?, ?, ?, ?)'),
      slashes: this.db.prepare('SELECT peer, reported, reason FROM slash_reports ORDER BY id DESC LIMIT ?')
    }
  }

  close (): void { this.db.close() }

  get targetCount (): number { return Number((this.stmts.targetCount!.get() as { n: number }).n) }

  /** Adds blocks to audit (known blocks keep their root; holders are added or upgraded to committed). */
  addTargets (targets: Array<StoredTarget & { holders: TargetHolderInput[] }>, now: number): void {
    if (this.targetCount + targets.length > MAX_AUDIT_TARGETS) {
      throw new P2pdvError('ERR_AUDIT_TARGETS_FULL', `this auditor follows at most ${MAX_AUDIT_TARGETS} blocks`, { hint: 'Send the targets to another auditor.' })
    }
    this.db.exec('BEGIN')
    try {
      for (const t of targets) {
        this.stmts.upsertTarget!.run(t.cid, t.size, t.root, now)
        for (const h of t.holders) this.stmts.upsertHolder!.run(t.cid, h.peer, h.committed ? 1 : 0)
      }
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /**
   * Blocks from a placement record: adds them, and makes each block's holders exactly the listed
   * ones (holders no longer listed are dropped; ones still listed keep their commitment).
   */
  syncTargets (targets: Array<StoredTarget & { holders: string[] }>, now: number): void {
    if (this.targetCount + targets.length > MAX_AUDIT_TARGETS) {
      throw new P2pdvError('ERR_AUDIT_TARGETS_FULL', `this auditor follows at most ${MAX_AUDIT_TARGETS} blocks`, { hint: 'Run more auditors.' })
    }
    this.db.exec('BEGIN')
    try {
      for (const t of targets) {
        this.stmts.upsertTarget!.run(t.cid, t.size, t.root, now)
        const listed = new Set(t.holders)
        for (const h of this.stmts.holdersOf!.all(t.cid) as Array<{ peer: string }>) if (!listed.has(h.peer)) this.stmts.drop!.run(t.cid, h.peer)
        for (const peer of listed) this.stmts.upsertHolder!.run(t.cid, peer, 0)
      }
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  target (cid: string): StoredTarget | undefined {
    const r = this.stmts.getTarget!.get(cid) as { cid: string, size: number, root: Uint8Array } | undefined
    return r === undefined ? undefined : { cid: r.cid, size: Number(r.size), root: new Uint8Array(r.root) }
  }

  /** Up to `n` random (block, holder) pairs, without repeats, leaving out `self`. */
  sample (n: number, self: string): AuditSample[] {
    return (this.stmts.sample!.all(self, n) as Array<{ cid: string, size: number, root: Uint8Array, peer: string, committed: number }>)
      .map(r => ({ cid: r.cid, size: Number(r.size), root: new Uint8Array(r.root), peer: r.peer, committed: Number(r.committed) === 1 }))
  }

  commit (cid: string, peer: string): void { this.stmts.commit!.run(cid, peer) }
  dropHolder (cid: string, peer: string): void { this.stmts.drop!.run(cid, peer) }
  fixRoot (cid: string, root: Uint8Array): void { this.stmts.fixRoot!.run(root, cid) }

  addResult (r: Omit<StoredResult, 'id'>, maxResults = DEFAULT_MAX_RESULTS): void {
    this.stmts.addResult!.run(r.peer, r.cid, r.kind, r.outcome, r.code, r.counted ? 1 : 0, r.issued, r.signed)
    this.stmts.prune!.run(maxResults)
  }

  /** Results newest first, optionally of one peer and after an id. */
  results (q: { peer?: string, afterId?: number, limit: number }): StoredResult[] {
    const where: string[] = []
    const args: Array<string | number> = []
    if (q.peer !== undefined) { where.push('peer = ?'); args.push(q.peer) }
    if (q.afterId !== undefined) { where.push('id > ?'); args.push(q.afterId) }
    const sql = `SELECT * FROM results ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
    return (this.db.prepare(sql).all(...args, q.limit) as Array<Record<string, unknown>>).map(r => ({
      id: Number(r.id),
      peer: String(r.peer),
      cid: String(r.cid),
      kind: r.kind as AuditKind,
      outcome: r.outcome as AuditOutcome,
      code: r.code === null ? null : String(r.code),
      counted: Number(r.counted) === 1,
      issued: Number(r.issued),
      signed: new Uint8Array(r.signed as Uint8Array)
    }))
  }

  reputation (peer: string, now: number): ReputationState {
    const r = this.stmts.getRep!.get(peer) as { state: string } | undefined
    return r === undefined ? emptyReputation(now) : JSON.parse(r.state) as ReputationState
  }

  putReputation (peer: string, state: ReputationState): void { this.stmts.putRep!.run(peer, JSON.stringify(state)) }

  allReputation (): Array<{ peer: string, state: ReputationState }> {
    return (this.stmts.allRep!.all() as Array<{ peer: string, state: string }>).map(r => ({ peer: r.peer, state: JSON.parse(r.state) as ReputationState }))
  }

  addSlashReport (peer: string, reported: number, reason: string, evidence: Uint8Array): void {
    this.stmts.addSlash!.run(peer, reported, reason, evidence)
  }

  slashReports (limit: number): Array<{ peer: string, reported: number, reason: string }> {
    return (this.stmts.slashes!.all(limit) as Array<{ peer: string, reported: number, reason: string }>).map(r => ({ peer: r.peer, reported: Number(r.reported), reason: r.reason }))
  }
}

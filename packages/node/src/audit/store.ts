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
/** 2: slashing reports carry their evidence hash and chain status. 3: targets carry their roots' leaf size. */
export const AUDIT_DB_SCHEMA = 3
/** Results kept; the oldest are pruned beyond this. */
export const DEFAULT_MAX_RESULTS = 200_000
/** Blocks an auditor follows at most. */
export const MAX_AUDIT_TARGETS = 1_000_000

export interface StoredTarget {
  cid: string
  size: number
  root: Uint8Array
  /** Leaf size of `root` (AUDIT_LEAF_BYTES for new uploads; 1 KiB for roots from before schema 3). */
  leafBytes: number
}
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

/** Where a slashing report stands: kept locally (no chain), sent, or why it could not be. */
export type SlashStatus = 'local' | 'pending' | 'slashed' | 'unregistered' | 'failed'

export interface SlashReportRow {
  id: number
  peer: string
  reported: number
  reason: string
  /** keccak256 of the evidence bytes (the DAG-CBOR list of signed audit records), 0x-hex. */
  evidenceHash: string
  status: SlashStatus
  operator: string | null
  tx: string | null
  /** P2PV wei slashed (decimal string) once on chain. */
  amount: string | null
  error: string | null
}

/** Columns added to slash_reports by schema 2. */
const SLASH_COLUMNS_V2 = ['evidence_hash TEXT NOT NULL DEFAULT \'\'', 'status TEXT NOT NULL DEFAULT \'local\'', 'operator TEXT', 'tx TEXT', 'amount TEXT', 'error TEXT']
/** The column schema 3 adds to targets: roots recorded before it used 1 KiB leaves. */
const TARGET_LEAF_COLUMN_V3 = 'leaf INTEGER NOT NULL DEFAULT 1024'

export class AuditStore {
  private readonly db: DatabaseSync
  private readonly stmts: Record<string, StatementSync>

  constructor (path: string) {
    this.db = new DatabaseSync(path)
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS targets (cid TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, added INTEGER NOT NULL, ${TARGET_LEAF_COLUMN_V3});
      CREATE TABLE IF NOT EXISTS holders (cid TEXT NOT NULL, peer TEXT NOT NULL, committed INTEGER NOT NULL, PRIMARY KEY (cid, peer));
      CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, cid TEXT NOT NULL, kind TEXT NOT NULL,
        outcome TEXT NOT NULL, code TEXT, counted INTEGER NOT NULL, issued INTEGER NOT NULL, signed BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS results_peer ON results (peer, id);
      CREATE TABLE IF NOT EXISTS reputation (peer TEXT PRIMARY KEY, state TEXT NOT NULL);
    `)
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined
    if (row?.value === '1' || row?.value === '2') {
      // Migrated in place. 1 → 2: the report table gains its evidence hash and chain status.
      // 2 → 3: targets gain their roots' leaf size (the table existed, so CREATE above kept it).
      if (row.value === '1') this.db.exec(SLASH_COLUMNS_V2.map(c => `ALTER TABLE slash_reports ADD COLUMN ${c};`).join('\n'))
      const columns = this.db.prepare('PRAGMA table_info(targets)').all() as Array<{ name: string }>
      if (!columns.some(c => c.name === 'leaf')) this.db.exec(`ALTER TABLE targets ADD COLUMN ${TARGET_LEAF_COLUMN_V3};`)
      this.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(AUDIT_DB_SCHEMA), 'schema')
    } else if (row === undefined) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS slash_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, reported INTEGER NOT NULL, reason TEXT NOT NULL, evidence BLOB NOT NULL, ${SLASH_COLUMNS_V2.join(', ')});`)
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', String(AUDIT_DB_SCHEMA))
    } else if (row.value !== String(AUDIT_DB_SCHEMA)) {
      this.db.close()
      throw new P2pdvError('ERR_DATA_VERSION', `${path} has audit schema ${row.value}, this node reads ${AUDIT_DB_SCHEMA}`, { hint: 'Run the p2pdv version that wrote it, or move the file away to start the auditor afresh.' })
    }
    this.stmts = {
      targetCount: this.db.prepare('SELECT COUNT(*) AS n FROM targets'),
      upsertTarget: this.db.prepare('INSERT INTO targets (cid, size, root, added, leaf) VALUES (?, ?, ?, ?, ?) ON CONFLICT (cid) DO NOTHING'),
      upsertHolder: this.db.prepare('INSERT INTO holders (cid, peer, committed) VALUES (?, ?, ?) ON CONFLICT (cid, peer) DO UPDATE SET committed = MAX(committed, excluded.committed)'),
      getTarget: this.db.prepare('SELECT cid, size, root, leaf FROM targets WHERE cid = ?'),
      sample: this.db.prepare(`SELECT t.cid AS cid, t.size AS size, t.root AS root, t.leaf AS leaf, h.peer AS peer, h.committed AS committed
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
      addSlash: this.db.prepare('INSERT INTO slash_reports (peer, reported, reason, evidence, evidence_hash, status) VALUES (?, ?, ?, ?, ?, ?)'),
      updateSlash: this.db.prepare('UPDATE slash_reports SET status = ?, operator = ?, tx = ?, amount = ?, error = ? WHERE id = ?'),
      slashes: this.db.prepare('SELECT id, peer, reported, reason, evidence_hash, status, operator, tx, amount, error FROM slash_reports ORDER BY id DESC LIMIT ?'),
      evidence: this.db.prepare('SELECT evidence FROM slash_reports WHERE evidence_hash = ? LIMIT 1')
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
        this.stmts.upsertTarget!.run(t.cid, t.size, t.root, now, t.leafBytes)
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
        this.stmts.upsertTarget!.run(t.cid, t.size, t.root, now, t.leafBytes)
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
    const r = this.stmts.getTarget!.get(cid) as { cid: string, size: number, root: Uint8Array, leaf: number } | undefined
    return r === undefined ? undefined : { cid: r.cid, size: Number(r.size), root: new Uint8Array(r.root), leafBytes: Number(r.leaf) }
  }

  /** Up to `n` random (block, holder) pairs, without repeats, leaving out `self`. */
  sample (n: number, self: string): AuditSample[] {
    return (this.stmts.sample!.all(self, n) as Array<{ cid: string, size: number, root: Uint8Array, leaf: number, peer: string, committed: number }>)
      .map(r => ({ cid: r.cid, size: Number(r.size), root: new Uint8Array(r.root), leafBytes: Number(r.leaf), peer: r.peer, committed: Number(r.committed) === 1 }))
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

  /** Keeps a slashing report with its evidence; returns its id (to record the chain outcome). */
  addSlashReport (r: { peer: string, reported: number, reason: string, evidence: Uint8Array, evidenceHash: string, status: SlashStatus }): number {
    return Number(this.stmts.addSlash!.run(r.peer, r.reported, r.reason, r.evidence, r.evidenceHash, r.status).lastInsertRowid)
  }

  updateSlashReport (id: number, u: { status: SlashStatus, operator?: string, tx?: string, amount?: string, error?: string }): void {
    this.stmts.updateSlash!.run(u.status, u.operator ?? null, u.tx ?? null, u.amount ?? null, u.error ?? null, id)
  }

  /** The latest reports, newest first. */
  slashReports (limit: number): SlashReportRow[] {
    return (this.stmts.slashes!.all(limit) as Array<Record<string, unknown>>).map(r => ({
      id: Number(r.id),
      peer: String(r.peer),
      reported: Number(r.reported),
      reason: String(r.reason),
      evidenceHash: String(r.evidence_hash),
      status: r.status as SlashStatus,
      operator: r.operator === null ? null : String(r.operator),
      tx: r.tx === null ? null : String(r.tx),
      amount: r.amount === null ? null : String(r.amount),
      error: r.error === null ? null : String(r.error)
    }))
  }

  /** The evidence bytes a report's hash commits to (what the chain's Slashed event names). */
  slashEvidence (evidenceHash: string): Uint8Array | undefined {
    const r = this.stmts.evidence!.get(evidenceHash.toLowerCase()) as { evidence: Uint8Array } | undefined
    return r === undefined ? undefined : new Uint8Array(r.evidence)
  }
}

/**
 * The auditor's memory, in `audit.sqlite` in the node's data directory (node:sqlite, built into
 * Node 24): the blocks it audits and who holds them, every signed result, and each peer's
 * reputation state. Writes are small and synchronous; results are pruned to a bounded count.
 *
 * Targets come only from signed placement records (placement-source.ts). Each (block, holder)
 * pair is kept while some record claims it (`claims`), so a record's newer version that drops a
 * holder removes the pair, and a block no record claims is forgotten. Records are counted against
 * the peer that listed them (`records.source`), so no one source can fill the table.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { P2pdvError } from '@p2pdv/core/errors'
import { emptyReputation, type ReputationState } from '@p2pdv/core/reputation'
import type { AuditKind, AuditOutcome } from '@p2pdv/core/wire'

export const AUDIT_DB_FILE = 'audit.sqlite'
/**
 * 2: slashing reports carry their evidence hash and chain status. 3: targets carry their roots' leaf size.
 * 4: targets come from placement records only (claims per record, a verified flag); older targets
 * came from unauthenticated posts and are dropped on migration (the next sync brings back the
 * ones records list).
 */
export const AUDIT_DB_SCHEMA = 4
/** Results kept; the oldest are pruned beyond this. */
export const DEFAULT_MAX_RESULTS = 200_000
/** Blocks an auditor follows at most. */
export const MAX_AUDIT_TARGETS = 1_000_000
/** Blocks the records one source (a listing peer, or this node) brings may claim at most. */
export const MAX_TARGETS_PER_SOURCE = 100_000

export const AuditStoreErrorCode = {
  FULL: 'ERR_AUDIT_TARGETS_FULL',
  SOURCE_FULL: 'ERR_AUDIT_SOURCE_FULL'
} as const

export interface StoredTarget {
  cid: string
  size: number
  root: Uint8Array
  /** Leaf size of `root` (AUDIT_LEAF_BYTES for new uploads; 1 KiB for roots from before schema 3). */
  leafBytes: number
}
/** A target as the auditor keeps it: `verified` once its size and root were computed from the block itself. */
export interface KnownTarget extends StoredTarget { verified: boolean }
/** One block of a placement record, with the holders the record lists. */
export interface RecordBlock extends StoredTarget { holders: string[] }
/**
 * One (block, holder) pair to audit. `committed`: the holder passed an audit of this block, so
 * its losing the block counts. `verified`: size and root came from the block itself, so a proof or
 * challenge that disagrees with them is the holder's fault, not the record's.
 */
export interface AuditSample extends KnownTarget { peer: string, committed: boolean }

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

export class AuditStore {
  private readonly db: DatabaseSync
  private readonly stmts: Record<string, StatementSync>

  constructor (path: string) {
    this.db = new DatabaseSync(path)
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, cid TEXT NOT NULL, kind TEXT NOT NULL,
        outcome TEXT NOT NULL, code TEXT, counted INTEGER NOT NULL, issued INTEGER NOT NULL, signed BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS results_peer ON results (peer, id);
      CREATE TABLE IF NOT EXISTS reputation (peer TEXT PRIMARY KEY, state TEXT NOT NULL);
    `)
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined
    if (row?.value === '1' || row?.value === '2' || row?.value === '3') {
      // Migrated in place. 1 → 2: the report table gains its evidence hash and chain status.
      // → 4: targets and holders posted by anyone are dropped (records bring theirs back).
      if (row.value === '1') this.db.exec(SLASH_COLUMNS_V2.map(c => `ALTER TABLE slash_reports ADD COLUMN ${c};`).join('\n'))
      this.db.exec('DROP TABLE IF EXISTS targets; DROP TABLE IF EXISTS holders;')
      this.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(AUDIT_DB_SCHEMA), 'schema')
    } else if (row === undefined) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS slash_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, reported INTEGER NOT NULL, reason TEXT NOT NULL, evidence BLOB NOT NULL, ${SLASH_COLUMNS_V2.join(', ')});`)
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', String(AUDIT_DB_SCHEMA))
    } else if (row.value !== String(AUDIT_DB_SCHEMA)) {
      this.db.close()
      throw new P2pdvError('ERR_DATA_VERSION', `${path} has audit schema ${row.value}, this node reads ${AUDIT_DB_SCHEMA}`, { hint: 'Run the p2pdv version that wrote it, or move the file away to start the auditor afresh.' })
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS targets (cid TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, leaf INTEGER NOT NULL, verified INTEGER NOT NULL, added INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS holders (cid TEXT NOT NULL, peer TEXT NOT NULL, committed INTEGER NOT NULL, PRIMARY KEY (cid, peer));
      CREATE TABLE IF NOT EXISTS records (object TEXT PRIMARY KEY, source TEXT NOT NULL, blocks INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS records_source ON records (source);
      CREATE TABLE IF NOT EXISTS claims (object TEXT NOT NULL, cid TEXT NOT NULL, peer TEXT NOT NULL, PRIMARY KEY (object, cid, peer));
      CREATE INDEX IF NOT EXISTS claims_pair ON claims (cid, peer);
    `)
    this.stmts = {
      targetCount: this.db.prepare('SELECT COUNT(*) AS n FROM targets'),
      holderCount: this.db.prepare('SELECT COUNT(*) AS n FROM holders'),
      insertTarget: this.db.prepare('INSERT INTO targets (cid, size, root, leaf, verified, added) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (cid) DO NOTHING'),
      insertHolder: this.db.prepare('INSERT INTO holders (cid, peer, committed) VALUES (?, ?, 0) ON CONFLICT (cid, peer) DO NOTHING'),
      insertClaim: this.db.prepare('INSERT INTO claims (object, cid, peer) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      claimsOf: this.db.prepare('SELECT cid, peer FROM claims WHERE object = ?'),
      dropClaims: this.db.prepare('DELETE FROM claims WHERE object = ?'),
      putRecord: this.db.prepare('INSERT INTO records (object, source, blocks) VALUES (?, ?, ?) ON CONFLICT (object) DO UPDATE SET source = excluded.source, blocks = excluded.blocks'),
      dropRecord: this.db.prepare('DELETE FROM records WHERE object = ?'),
      sourceBlocks: this.db.prepare('SELECT COALESCE(SUM(blocks), 0) AS n FROM records WHERE source = ? AND object != ?'),
      isTarget: this.db.prepare('SELECT 1 FROM targets WHERE cid = ?'),
      // A pair no record claims any more is forgotten, and so is a block nobody is audited for.
      dropUnclaimedHolder: this.db.prepare('DELETE FROM holders WHERE cid = ? AND peer = ? AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.cid = ? AND c.peer = ?)'),
      dropEmptyTarget: this.db.prepare('DELETE FROM targets WHERE cid = ? AND NOT EXISTS (SELECT 1 FROM holders h WHERE h.cid = ?)'),
      getTarget: this.db.prepare('SELECT cid, size, root, leaf, verified FROM targets WHERE cid = ?'),
      sample: this.db.prepare(`SELECT t.cid AS cid, t.size AS size, t.root AS root, t.leaf AS leaf, t.verified AS verified, h.peer AS peer, h.committed AS committed
        FROM holders h JOIN targets t ON t.cid = h.cid WHERE h.peer != ? ORDER BY RANDOM() LIMIT ?`),
      commit: this.db.prepare('UPDATE holders SET committed = 1 WHERE cid = ? AND peer = ?'),
      drop: this.db.prepare('DELETE FROM holders WHERE cid = ? AND peer = ?'),
      correct: this.db.prepare('UPDATE targets SET size = ?, root = ?, verified = 1 WHERE cid = ?'),
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

  /** (block, holder) pairs followed. */
  get holderCount (): number { return Number((this.stmts.holderCount!.get() as { n: number }).n) }

  /**
   * Follows the blocks of one object's placement record, brought by `source`: each listed
   * (block, holder) pair is audited, and the pairs an earlier version of the record claimed but
   * this one does not are forgotten (unless another record claims them too). Known blocks keep
   * their size and root (a later read corrects a wrong one); holders start uncommitted. Throws
   * ERR_AUDIT_SOURCE_FULL when the source's records would claim more than `perSource` blocks and
   * ERR_AUDIT_TARGETS_FULL when the table is full; nothing is changed then.
   */
  syncRecord (object: string, source: string, blocks: RecordBlock[], now: number, perSource = MAX_TARGETS_PER_SOURCE): void {
    const held = Number((this.stmts.sourceBlocks!.get(source, object) as { n: number }).n)
    if (held + blocks.length > perSource) {
      throw new P2pdvError(AuditStoreErrorCode.SOURCE_FULL, `the records from ${source.slice(0, 80)} would make this auditor follow more than ${perSource} blocks`, { hint: 'The rest wait until some of that source\'s records are forgotten; run more auditors for bigger nodes.' })
    }
    const fresh = blocks.filter(b => this.stmts.isTarget!.get(b.cid) === undefined).length
    if (this.targetCount + fresh > MAX_AUDIT_TARGETS) {
      throw new P2pdvError(AuditStoreErrorCode.FULL, `this auditor follows at most ${MAX_AUDIT_TARGETS} blocks`, { hint: 'Run more auditors.' })
    }
    this.db.exec('BEGIN')
    try {
      const before = this.stmts.claimsOf!.all(object) as Array<{ cid: string, peer: string }>
      this.stmts.dropClaims!.run(object)
      this.stmts.putRecord!.run(object, source, blocks.length)
      for (const b of blocks) {
        this.stmts.insertTarget!.run(b.cid, b.size, b.root, b.leafBytes, now)
        for (const peer of b.holders) {
          this.stmts.insertHolder!.run(b.cid, peer)
          this.stmts.insertClaim!.run(object, b.cid, peer)
        }
      }
      this.collect(before)
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** Stops following what one object's record claimed (the record is gone). */
  forgetRecord (object: string): void {
    this.db.exec('BEGIN')
    try {
      const before = this.stmts.claimsOf!.all(object) as Array<{ cid: string, peer: string }>
      this.stmts.dropClaims!.run(object)
      this.stmts.dropRecord!.run(object)
      this.collect(before)
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** Deletes the pairs among `pairs` no record claims any more, then blocks left without holders. */
  private collect (pairs: Array<{ cid: string, peer: string }>): void {
    for (const p of pairs) this.stmts.dropUnclaimedHolder!.run(p.cid, p.peer, p.cid, p.peer)
    for (const cid of new Set(pairs.map(p => p.cid))) this.stmts.dropEmptyTarget!.run(cid, cid)
  }

  target (cid: string): KnownTarget | undefined {
    const r = this.stmts.getTarget!.get(cid) as { cid: string, size: number, root: Uint8Array, leaf: number, verified: number } | undefined
    return r === undefined ? undefined : { cid: r.cid, size: Number(r.size), root: new Uint8Array(r.root), leafBytes: Number(r.leaf), verified: Number(r.verified) === 1 }
  }

  /** Up to `n` random (block, holder) pairs, without repeats, leaving out `self`. */
  sample (n: number, self: string): AuditSample[] {
    return (this.stmts.sample!.all(self, n) as Array<{ cid: string, size: number, root: Uint8Array, leaf: number, verified: number, peer: string, committed: number }>)
      .map(r => ({ cid: r.cid, size: Number(r.size), root: new Uint8Array(r.root), leafBytes: Number(r.leaf), verified: Number(r.verified) === 1, peer: r.peer, committed: Number(r.committed) === 1 }))
  }

  /** The holder passed an audit of the block. */
  commit (cid: string, peer: string): void { this.stmts.commit!.run(cid, peer) }

  /** Stops auditing a holder that never had the block (a record listed it wrongly); a block left with no holder goes too. */
  dropHolder (cid: string, peer: string): void {
    this.stmts.drop!.run(cid, peer)
    this.stmts.dropEmptyTarget!.run(cid, cid)
  }

  /** Size and root as computed from the block itself (read and checked against its CID). */
  setVerified (cid: string, size: number, root: Uint8Array): void { this.stmts.correct!.run(size, root, cid) }

  addResult (r: Omit<StoredResult, 'id'>, maxResults = DEFAULT_MAX_RESULTS): void {
    this.stmts.addResult!.run(r.peer, r.cid, r.kind, r.outcome, r.code, r.counted ? 1 : 0, r.issued, r.signed)
    this.stmts.prune!.run(maxResults)
  }

  /** Results newest first, optionally of one peer, after an id and before one (paging back). */
  results (q: { peer?: string, afterId?: number, beforeId?: number, limit: number }): StoredResult[] {
    const where: string[] = []
    const args: Array<string | number> = []
    if (q.peer !== undefined) { where.push('peer = ?'); args.push(q.peer) }
    if (q.afterId !== undefined) { where.push('id > ?'); args.push(q.afterId) }
    if (q.beforeId !== undefined) { where.push('id < ?'); args.push(q.beforeId) }
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

  /**
   * Per peer, the counted audits issued in [from, to) and how many passed, with the bytes of the
   * blocks it holds and passed an audit of (what the settler pays for).
   */
  epochTally (from: number, to: number): Array<{ peer: string, audits: number, passes: number, storedBytes: number }> {
    const rows = this.db.prepare(`SELECT r.peer AS peer, COUNT(*) AS audits, SUM(r.outcome = 'pass') AS passes,
      (SELECT COALESCE(SUM(t.size), 0) FROM holders h JOIN targets t ON t.cid = h.cid WHERE h.peer = r.peer AND h.committed = 1) AS stored
      FROM results r WHERE r.counted = 1 AND r.issued >= ? AND r.issued < ? GROUP BY r.peer ORDER BY r.peer`).all(from, to) as Array<{ peer: string, audits: number, passes: number, stored: number }>
    return rows.map(r => ({ peer: String(r.peer), audits: Number(r.audits), passes: Number(r.passes), storedBytes: Number(r.stored) }))
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

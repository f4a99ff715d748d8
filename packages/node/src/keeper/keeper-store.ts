/**
 * A keeper's state in one SQLite database (`keeper/keeper.db`, node:sqlite, WAL):
 *
 *   shares   one sealed share per video: the newest epoch the owner deposited (HPKE-sealed to the
 *            keeper's X25519 key, exactly as deposited; never stored opened)
 *   nonces   (viewer, nonce) of every verified request until it expires: the replay store
 *   log      the hash-chained audit log (core/keys/release-log.ts); entries are only appended
 *   anchors  log heads anchored on chain
 *   log_base where the kept log starts after compaction: (length, head) of an anchored head;
 *            entries before it were deleted (format 2; a format-1 database gains the table)
 *
 * `PRAGMA user_version` holds the format; another value refuses to start (ERR_DATA_VERSION).
 * Writes are synchronous and each release is appended to the log in the same transaction that
 * consumes its nonce, before the answer leaves the keeper.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { P2pdvError } from '@p2pdv/core/errors'
import { hashLogBody, linkHash, ZERO_HASH, type Hex, type LogBody, type LogEntry, type VideoId } from '@p2pdv/core/keys'

export const KEEPER_DB_FORMAT = 2

const LOG_BASE_TABLE = 'CREATE TABLE log_base (id INTEGER PRIMARY KEY CHECK (id = 0), length INTEGER NOT NULL, head TEXT NOT NULL);'

export interface StoredShare {
  video: VideoId
  epoch: number
  threshold: number
  shares: number
  owner: Hex
  enc: Uint8Array
  ct: Uint8Array
  time: number
}

export interface Decision {
  viewer: Hex
  nonce: Hex
  expiry: number
  time: number
  body: LogBody
  /** Logged instead of `body` when the nonce is found used. */
  replay: LogBody
}

export class KeeperStore {
  private readonly db: DatabaseSync
  private readonly st: Record<'getShare' | 'putShare' | 'putNonce' | 'hasNonce' | 'pruneNonces' | 'appendLog' | 'lastLog' | 'logRange' | 'putAnchor' | 'lastAnchor' | 'countShares' | 'anchorAt' | 'anchorsBefore' | 'linkAt' | 'dropLog' | 'getBase' | 'putBase', StatementSync>
  private head: { length: number, head: Hex }

  constructor (dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    this.db = new DatabaseSync(join(dir, 'keeper.db'))
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON')
    const version = (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    if (version === 0) {
      this.db.exec(`
        BEGIN;
        CREATE TABLE shares (video TEXT PRIMARY KEY, epoch INTEGER NOT NULL, threshold INTEGER NOT NULL, shares INTEGER NOT NULL,
          owner TEXT NOT NULL, enc BLOB NOT NULL, ct BLOB NOT NULL, time INTEGER NOT NULL);
        CREATE TABLE nonces (viewer TEXT NOT NULL, nonce TEXT NOT NULL, expiry INTEGER NOT NULL, PRIMARY KEY (viewer, nonce)) WITHOUT ROWID;
        CREATE INDEX nonces_expiry ON nonces (expiry);
        CREATE TABLE log (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, body_hash TEXT NOT NULL, body TEXT NOT NULL, link TEXT NOT NULL,
          video TEXT NOT NULL, subject TEXT NOT NULL);
        CREATE INDEX log_video ON log (video);
        CREATE TABLE anchors (length INTEGER PRIMARY KEY, head TEXT NOT NULL, tx TEXT NOT NULL, time INTEGER NOT NULL);
        ${LOG_BASE_TABLE}
        PRAGMA user_version = ${KEEPER_DB_FORMAT};
        COMMIT;`)
    } else if (version === 1) {
      this.db.exec(`BEGIN; ${LOG_BASE_TABLE} PRAGMA user_version = ${KEEPER_DB_FORMAT}; COMMIT;`)
    } else if (version !== KEEPER_DB_FORMAT) {
      this.db.close()
      throw new P2pdvError('ERR_DATA_VERSION', `the keeper database has format ${version}; this node reads format ${KEEPER_DB_FORMAT}`, {
        hint: 'Run the p2pdv version that wrote it.'
      })
    }
    this.st = {
      getShare: this.db.prepare('SELECT video, epoch, threshold, shares, owner, enc, ct, time FROM shares WHERE video = ?'),
      putShare: this.db.prepare('INSERT OR REPLACE INTO shares (video, epoch, threshold, shares, owner, enc, ct, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      countShares: this.db.prepare('SELECT count(*) AS n FROM shares'),
      putNonce: this.db.prepare('INSERT OR IGNORE INTO nonces (viewer, nonce, expiry) VALUES (?, ?, ?)'),
      hasNonce: this.db.prepare('SELECT 1 FROM nonces WHERE viewer = ? AND nonce = ?'),
      pruneNonces: this.db.prepare('DELETE FROM nonces WHERE expiry < ?'),
      appendLog: this.db.prepare('INSERT INTO log (seq, time, body_hash, body, link, video, subject) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      lastLog: this.db.prepare('SELECT seq, link FROM log ORDER BY seq DESC LIMIT 1'),
      logRange: this.db.prepare('SELECT seq, time, body_hash, body FROM log WHERE seq >= ? ORDER BY seq LIMIT ?'),
      putAnchor: this.db.prepare('INSERT OR REPLACE INTO anchors (length, head, tx, time) VALUES (?, ?, ?, ?)'),
      lastAnchor: this.db.prepare('SELECT length, head, tx, time FROM anchors ORDER BY length DESC LIMIT 1'),
      anchorAt: this.db.prepare('SELECT length, head, tx, time FROM anchors WHERE length = ?'),
      anchorsBefore: this.db.prepare('SELECT length, head, tx, time FROM anchors WHERE time <= ? ORDER BY length DESC LIMIT 1'),
      linkAt: this.db.prepare('SELECT link FROM log WHERE seq = ?'),
      dropLog: this.db.prepare('DELETE FROM log WHERE seq < ?'),
      getBase: this.db.prepare('SELECT length, head FROM log_base WHERE id = 0'),
      putBase: this.db.prepare('INSERT OR REPLACE INTO log_base (id, length, head) VALUES (0, ?, ?)')
    }
    const last = this.st.lastLog.get() as { seq: number, link: string } | undefined
    this.head = last === undefined ? (this.logBase() ?? { length: 0, head: ZERO_HASH }) : { length: last.seq + 1, head: last.link as Hex }
  }

  close (): void {
    this.db.close()
  }

  get logHead (): { length: number, head: Hex } {
    return { ...this.head }
  }

  get shareCount (): number {
    return (this.st.countShares.get() as { n: number }).n
  }

  getShare (video: VideoId): StoredShare | undefined {
    const r = this.st.getShare.get(video) as Record<string, unknown> | undefined
    if (r === undefined) return undefined
    return {
      video: r.video as VideoId,
      epoch: Number(r.epoch),
      threshold: Number(r.threshold),
      shares: Number(r.shares),
      owner: r.owner as Hex,
      enc: new Uint8Array(r.enc as Uint8Array),
      ct: new Uint8Array(r.ct as Uint8Array),
      time: Number(r.time)
    }
  }

  /** Stores a deposit and logs it, atomically. */
  putShare (s: StoredShare, body: LogBody): void {
    this.tx(() => {
      this.st.putShare.run(s.video, s.epoch, s.threshold, s.shares, s.owner, s.enc, s.ct, s.time)
      this.append(s.time, body)
    })
  }

  /** Whether a nonce was used already (a read; `commitDecisions` is what consumes it). */
  nonceUsed (viewer: Hex, nonce: Hex): boolean {
    return this.st.hasNonce.get(viewer.toLowerCase(), nonce.toLowerCase()) !== undefined
  }

  /**
   * Commits a batch of decisions in one transaction (one fsync for all): each consumes its
   * request's nonce and appends its log entry; a decision whose nonce turns out to be used (two
   * copies of one request raced) logs its `replay` body instead and reports false.
   */
  commitDecisions (items: Decision[]): boolean[] {
    const out: boolean[] = []
    this.tx(() => {
      for (const it of items) {
        const fresh = this.st.putNonce.run(it.viewer.toLowerCase(), it.nonce.toLowerCase(), it.expiry).changes === 1
        this.append(it.time, fresh ? it.body : it.replay)
        out.push(fresh)
      }
    })
    return out
  }

  /** Forgets nonces whose requests have expired (they can no longer be replayed anyway). */
  pruneNonces (nowSeconds: number): number {
    return Number(this.st.pruneNonces.run(nowSeconds).changes)
  }

  /** Appends one entry to the audit log. */
  appendLog (time: number, body: LogBody): LogEntry {
    let entry: LogEntry | undefined
    this.tx(() => { entry = this.append(time, body) })
    return entry!
  }

  private append (time: number, body: LogBody): LogEntry {
    const seq = this.head.length
    const bodyHash = hashLogBody(body)
    const link = linkHash(seq, time, this.head.head, bodyHash)
    this.st.appendLog.run(seq, time, bodyHash, JSON.stringify(body), link, body.video, body.subject.toLowerCase())
    this.head = { length: seq + 1, head: link }
    return { seq, time, bodyHash, body }
  }

  logRange (from: number, limit: number): LogEntry[] {
    return (this.st.logRange.all(from, limit) as Array<{ seq: number, time: number, body_hash: string, body: string }>).map(r => ({
      seq: Number(r.seq), time: Number(r.time), bodyHash: r.body_hash as Hex, body: JSON.parse(r.body) as LogBody
    }))
  }

  recordAnchor (length: number, head: Hex, tx: Hex, time: number): void {
    this.st.putAnchor.run(length, head, tx, time)
  }

  lastAnchor (): { length: number, head: Hex, tx: Hex, time: number } | undefined {
    const r = this.st.lastAnchor.get() as { length: number, head: string, tx: string, time: number } | undefined
    return r === undefined ? undefined : { length: Number(r.length), head: r.head as Hex, tx: r.tx as Hex, time: Number(r.time) }
  }

  /** Where the kept log starts, when older entries were compacted away. */
  logBase (): { length: number, head: Hex } | undefined {
    const r = this.st.getBase.get() as { length: number, head: string } | undefined
    return r === undefined ? undefined : { length: Number(r.length), head: r.head as Hex }
  }

  /** The newest anchor recorded at or before `time` (Unix ms). */
  anchorBefore (time: number): { length: number, head: Hex, tx: Hex, time: number } | undefined {
    const r = this.st.anchorsBefore.get(time) as { length: number, head: string, tx: string, time: number } | undefined
    return r === undefined ? undefined : { length: Number(r.length), head: r.head as Hex, tx: r.tx as Hex, time: Number(r.time) }
  }

  /**
   * Deletes the entries before `length`, which must be a head this keeper anchored on chain (so a
   * reader can still check the rest of the chain from it, against the chain). Returns the number
   * of entries deleted.
   */
  compactLog (length: number): number {
    const anchor = this.st.anchorAt.get(length) as { head: string } | undefined
    if (anchor === undefined) throw new P2pdvError('ERR_LOG_NOT_ANCHORED', `the log head at ${length} entries was never anchored; only anchored segments are compacted`)
    const base = this.logBase()
    if (base !== undefined && base.length >= length) return 0
    const link = this.st.linkAt.get(length - 1) as { link: string } | undefined
    if (link === undefined || link.link.toLowerCase() !== anchor.head.toLowerCase()) {
      throw new P2pdvError('ERR_AUDIT_LOG_BROKEN', `the log entry ${length - 1} does not match the head anchored for ${length} entries`)
    }
    let dropped = 0
    this.tx(() => {
      dropped = Number(this.st.dropLog.run(length).changes)
      this.st.putBase.run(length, anchor.head)
    })
    return dropped
  }

  private tx (fn: () => void): void {
    const before = { ...this.head }
    this.db.exec('BEGIN IMMEDIATE')
    try {
      fn()
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      this.head = before
      throw err
    }
  }
}

/**
 * The serving receipts viewers gave this node, in `receipts.sqlite` in the node's data directory
 * (node:sqlite). Kept per reward epoch for the settler to collect; bounded per epoch and per
 * viewer, and pruned a few epochs after they closed. Only verified receipts addressed to this
 * node reach it (receipts/routes.ts); the settler verifies them again anyway.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { P2pdvError } from '@p2pdv/core/errors'
import { receiptKey, receiptViewer, ServingReceiptErrorCode, type ServingReceipt } from '@p2pdv/core/receipts'

export const RECEIPTS_DB_FILE = 'receipts.sqlite'
export const RECEIPTS_DB_SCHEMA = 1
/** Receipts kept per epoch (a day of busy serving at one receipt per 16 MiB is far fewer). */
export const MAX_RECEIPTS_PER_EPOCH = 200_000
/** Receipts one viewer can leave per epoch (a 16 MiB batch each: 64 GiB). */
export const MAX_RECEIPTS_PER_VIEWER = 4096
/** Epochs kept behind the newest one stored. */
export const KEPT_EPOCHS = 4
/** Receipts per page of `GET /api/v1/receipts/:epoch`. */
export const RECEIPTS_PAGE = 2000

export const ReceiptStoreErrorCode = { FULL: 'ERR_RECEIPT_STORE_FULL' } as const

export class ReceiptStore {
  readonly db: DatabaseSync
  private readonly insert: StatementSync
  private readonly countEpoch: StatementSync
  private readonly viewerTotals: StatementSync
  private readonly page: StatementSync
  private readonly prune: StatementSync
  private readonly capBytes: bigint

  constructor (file: string, capBytes: bigint) {
    this.capBytes = capBytes
    this.db = new DatabaseSync(file)
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
    const version = (this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value
    if (version !== undefined && version !== String(RECEIPTS_DB_SCHEMA)) this.db.exec('DROP TABLE IF EXISTS receipts; DELETE FROM meta')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS receipts (
        id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, key TEXT NOT NULL UNIQUE, viewer TEXT NOT NULL, bytes INTEGER NOT NULL,
        received INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS receipts_epoch ON receipts (epoch, id);
      CREATE INDEX IF NOT EXISTS receipts_viewer ON receipts (epoch, viewer);
    `)
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(String(RECEIPTS_DB_SCHEMA))
    this.insert = this.db.prepare('INSERT INTO receipts (epoch, key, viewer, bytes, received, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING')
    this.countEpoch = this.db.prepare('SELECT count(*) AS n FROM receipts WHERE epoch = ?')
    this.viewerTotals = this.db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM receipts WHERE epoch = ? AND viewer = ?')
    this.page = this.db.prepare('SELECT id, body FROM receipts WHERE epoch = ? AND id > ? ORDER BY id LIMIT ?')
    this.prune = this.db.prepare('DELETE FROM receipts WHERE epoch < ?')
  }

  /**
   * Keeps a verified receipt for this node and epoch. Refuses a replay (ERR_RECEIPT_DUPLICATE), a
   * viewer past its cap or receipt count (ERR_RECEIPT_OVER_CAP), and a full epoch (ERR_RECEIPT_STORE_FULL).
   */
  add (r: ServingReceipt, body: Uint8Array, now = Date.now()): void {
    const viewer = receiptViewer(r)
    const mine = this.viewerTotals.get(r.epoch, viewer) as { n: number, bytes: number }
    if (mine.n >= MAX_RECEIPTS_PER_VIEWER || BigInt(mine.bytes) >= this.capBytes) {
      throw new P2pdvError(ServingReceiptErrorCode.OVER_CAP, `${viewer} already gave this node ${mine.n} receipts for ${mine.bytes} bytes in epoch ${r.epoch}, its most`)
    }
    if ((this.countEpoch.get(r.epoch) as { n: number }).n >= MAX_RECEIPTS_PER_EPOCH) {
      throw new P2pdvError(ReceiptStoreErrorCode.FULL, `this node keeps at most ${MAX_RECEIPTS_PER_EPOCH} receipts per epoch`)
    }
    const changes = this.insert.run(r.epoch, receiptKey(r), viewer, r.bytes, now, body).changes
    if (Number(changes) === 0) throw new P2pdvError(ServingReceiptErrorCode.DUPLICATE, `receipt ${r.seq} of this session was already received`)
    this.prune.run(r.epoch - KEPT_EPOCHS)
  }

  /** One page of an epoch's receipts after `after` (a row id); `next` when more follow. */
  list (epoch: number, after = 0, limit = RECEIPTS_PAGE): { receipts: Uint8Array[], next?: number } {
    const rows = this.page.all(epoch, after, limit + 1) as Array<{ id: number, body: Uint8Array }>
    const more = rows.length > limit
    const kept = more ? rows.slice(0, limit) : rows
    return { receipts: kept.map(r => new Uint8Array(r.body)), ...(more ? { next: kept.at(-1)!.id } : {}) }
  }

  close (): void {
    this.db.close()
  }
}

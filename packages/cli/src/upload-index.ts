/**
 * The local record of what this user uploaded, keyed by the plaintext SHA-256 of the source file,
 * so uploading the same file twice is noticed before minutes of transcoding. It holds the
 * manifest and listing CIDs and the time, never a content key. SQLite (`node:sqlite`, built into
 * Node) at `$P2PDV_HOME/uploads.sqlite`; the schema version is SQLite's `user_version`.
 *
 * Records are scoped to the storage network they were uploaded to (`network`: the devnet run or
 * the set of `--node` URLs, `networkOf` in peers-from-args.ts): on another network, such as a
 * fresh devnet, that upload does not exist, and the same file uploads again without --force.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { P2pdvError } from '@p2pdv/core/errors'

/** 2: records carry their network (format 1's records have none and match no network). */
export const UPLOAD_INDEX_VERSION = 2

export interface UploadRecord {
  sourceSha256: string
  /** Which storage network it went to (`networkOf`). */
  network: string
  manifestCid: string
  listingCid?: string
  title: string
  /** Milliseconds since 1970. */
  uploadedAt: number
}

export class UploadIndex {
  private readonly db: DatabaseSync

  private constructor (db: DatabaseSync) {
    this.db = db
  }

  static open (path: string): UploadIndex {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    const db = new DatabaseSync(path)
    try {
      db.exec('PRAGMA busy_timeout = 5000')
      const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number }
      if (version === 0) {
        db.exec(`CREATE TABLE IF NOT EXISTS uploads (
          source_sha256 TEXT NOT NULL,
          manifest_cid TEXT NOT NULL,
          listing_cid TEXT,
          title TEXT NOT NULL,
          uploaded_at INTEGER NOT NULL,
          network TEXT NOT NULL DEFAULT '',
          PRIMARY KEY (source_sha256, manifest_cid)
        );
        PRAGMA user_version = ${UPLOAD_INDEX_VERSION};`)
      } else if (version === 1) {
        db.exec(`ALTER TABLE uploads ADD COLUMN network TEXT NOT NULL DEFAULT ''; PRAGMA user_version = ${UPLOAD_INDEX_VERSION};`)
      } else if (version !== UPLOAD_INDEX_VERSION) {
        throw new P2pdvError('ERR_UPLOAD_INDEX_VERSION', `${path} has format ${version}; this p2pdv reads format ${UPLOAD_INDEX_VERSION}`, { hint: 'Upgrade p2pdv, or move the file away to start a new index.' })
      }
    } catch (err) {
      db.close()
      throw err
    }
    return new UploadIndex(db)
  }

  /** The latest upload of a source with this SHA-256 (hex) to this network, if any. */
  find (sourceSha256: string, network: string): UploadRecord | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM uploads WHERE source_sha256 = ? AND network = ? ORDER BY uploaded_at DESC LIMIT 1`).get(sourceSha256, network) as UploadRow | undefined
    return row === undefined ? undefined : recordOf(row, network)
  }

  /** This network's uploads, newest first (at most `limit`). */
  list (network: string, limit = 200): UploadRecord[] {
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM uploads WHERE network = ? ORDER BY uploaded_at DESC LIMIT ?`).all(network, limit) as UploadRow[]
    return rows.map(row => recordOf(row, network))
  }

  record (r: UploadRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO uploads (source_sha256, manifest_cid, listing_cid, title, uploaded_at, network) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.sourceSha256, r.manifestCid, r.listingCid ?? null, r.title, r.uploadedAt, r.network)
  }

  close (): void {
    this.db.close()
  }
}

const COLUMNS = 'source_sha256, manifest_cid, listing_cid, title, uploaded_at'
// A type literal, not an interface: node:sqlite rows are index-signature records.
type UploadRow = { source_sha256: string, manifest_cid: string, listing_cid: string | null, title: string, uploaded_at: number }

function recordOf (row: UploadRow, network: string): UploadRecord {
  return {
    sourceSha256: row.source_sha256,
    network,
    manifestCid: row.manifest_cid,
    ...(row.listing_cid === null ? {} : { listingCid: row.listing_cid }),
    title: row.title,
    uploadedAt: row.uploaded_at
  }
}

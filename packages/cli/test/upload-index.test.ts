// The re-upload index is scoped to a network: an upload to one devnet run (or node set, or chain)
// is not "already uploaded" on another; format-1 files gain the column and their records match
// no network.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, describe, it } from 'node:test'
import { UploadIndex } from '../src/upload-index.ts'

const SHA = 'ab'.repeat(32)

describe('upload index', () => {
  const dirs: string[] = []
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
  const file = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'p2pdv-uploads-')); dirs.push(d); return join(d, 'uploads.sqlite') }

  it('finds an upload only on the network it went to', async () => {
    const index = UploadIndex.open(await file())
    try {
      index.record({ sourceSha256: SHA, network: 'devnet /a 1000', manifestCid: 'bafyone', title: 'T', uploadedAt: 1 })
      assert.equal(index.find(SHA, 'devnet /a 1000')?.manifestCid, 'bafyone')
      assert.equal(index.find(SHA, 'devnet /a 2000'), undefined)
      assert.equal(index.find(SHA, 'nodes http://127.0.0.1:1'), undefined)
    } finally {
      index.close()
    }
  })

  it('upgrades a format-1 file: its records stay, and match no network', async () => {
    const path = await file()
    const db = new DatabaseSync(path)
    db.exec(`CREATE TABLE uploads (source_sha256 TEXT NOT NULL, manifest_cid TEXT NOT NULL, listing_cid TEXT, title TEXT NOT NULL, uploaded_at INTEGER NOT NULL, PRIMARY KEY (source_sha256, manifest_cid));
      INSERT INTO uploads VALUES ('${SHA}', 'bafyold', NULL, 'Old', 1); PRAGMA user_version = 1;`)
    db.close()
    const index = UploadIndex.open(path)
    try {
      assert.equal(index.find(SHA, 'devnet /a 1000'), undefined)
      index.record({ sourceSha256: SHA, network: 'devnet /a 1000', manifestCid: 'bafynew', title: 'New', uploadedAt: 2 })
      assert.equal(index.find(SHA, 'devnet /a 1000')?.manifestCid, 'bafynew')
    } finally {
      index.close()
    }
  })
})

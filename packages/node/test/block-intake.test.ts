// The block intake on a real blockstore in a temp dir: concurrent uploads of one block store and
// count it once and all get receipts; a wrong hash and a full quota are refused with codes.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import pino from 'pino'
import { blockCid } from '@p2pdv/core'
import { StoreRefusal } from '@p2pdv/core/wire'
import { BlockIntake } from '../src/block-intake.ts'
import { createMetrics } from '../src/metrics.ts'
import { VerifiedBlockstore } from '../src/verified-blockstore.ts'

async function setup (quotaBytes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-intake-'))
  const log = pino({ level: 'silent' })
  const metrics = createMetrics()
  const blockstore = new VerifiedBlockstore(join(dir, 'blocks'), join(dir, 'quarantine'), metrics, log)
  await blockstore.open()
  const privateKey = await generateKeyPair('Ed25519')
  const stored: string[] = []
  const intake = new BlockIntake({ peerId: peerIdFromPrivateKey(privateKey).toString(), privateKey, blockstore, quotaBytes, metrics, log, onStored: cid => { stored.push(cid.toString()) } })
  return { intake, blockstore, stored, cleanup: async () => { await rm(dir, { recursive: true, force: true }) } }
}

describe('block intake', () => {
  it('stores and counts a block once when it arrives several times at once; every upload gets a receipt', async () => {
    const { intake, blockstore, stored, cleanup } = await setup(1 << 30)
    try {
      const bytes = new Uint8Array(randomBytes(100_000))
      const cid = await blockCid(bytes)
      const outcomes = await Promise.all(Array.from({ length: 6 }, async () => await intake.accept(cid, bytes.slice())))
      assert.ok(outcomes.every(o => o.response.ok))
      assert.equal(blockstore.blocks, 1)
      assert.equal(blockstore.bytes, bytes.byteLength)
      assert.deepEqual(stored, [cid.toString()])
      assert.deepEqual(await blockstore.getVerified(cid), bytes)
      // Later uploads of a held block are answered without writing it again.
      assert.ok((await intake.accept(cid, bytes)).response.ok)
      assert.equal(blockstore.blocks, 1)
    } finally {
      await cleanup()
    }
  })

  it('refuses bytes that do not hash to the CID, and blocks past the quota, for every concurrent upload', async () => {
    const { intake, blockstore, cleanup } = await setup(1000)
    try {
      const bytes = new Uint8Array(randomBytes(2000))
      const cid = await blockCid(bytes)
      const wrong = await intake.accept(cid, new Uint8Array(2000))
      assert.equal(!wrong.response.ok && wrong.response.code, StoreRefusal.HASH_MISMATCH)
      const both = await Promise.all([intake.accept(cid, bytes), intake.accept(cid, bytes)])
      for (const o of both) assert.equal(!o.response.ok && o.response.code, StoreRefusal.QUOTA)
      assert.equal(blockstore.blocks, 0)
    } finally {
      await cleanup()
    }
  })
})

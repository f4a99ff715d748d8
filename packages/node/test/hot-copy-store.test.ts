// The hot-copy records a node keeps (node/src/hot/hot-copy-store.ts): forged, stale and
// malformed records are refused with their codes; copies must be stored first; the disk share
// bounds what other nodes place here (least recently served dropped first, beyond: a coded
// refusal); a cold or expired record deletes the copies, never a durable block.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { pino } from 'pino'
import { blockCid, type CID } from '@p2pdv/core'
import { isP2pdvError } from '@p2pdv/core/errors'
import { encodeHotCopyRecord, signHotCopyRecord, type HotCopyRecord } from '@p2pdv/core/placement'
import { HotCopyStore } from '../src/hot/hot-copy-store.ts'

const SELF = '12D3KooWHPbX8VJkC1H6eQRe7bDc4MNxsdDzPmtaEhQbnSRiFZGv'
const OBJECT_SEED = 255

async function cid (n: number): Promise<CID> { return await blockCid(new Uint8Array([n, n, n])) }

async function recordBy (key: PrivateKey, opts: { version: number, blocks: Array<{ cid: CID, size: number }>, state?: 'hot' | 'cold', expires?: number, time?: number, object?: CID, signWith?: PrivateKey }): Promise<Uint8Array> {
  const time = opts.time ?? Date.now()
  const r: HotCopyRecord = await signHotCopyRecord({
    v: 1, object: opts.object ?? await cid(OBJECT_SEED), version: opts.version, time, expires: opts.expires ?? time + 60_000, state: opts.state ?? 'hot',
    blocks: opts.blocks.map(b => ({ ...b, nodes: [SELF] }))
  }, key.publicKey.raw, async p => await (opts.signWith ?? key).sign(p))
  return encodeHotCopyRecord(r)
}

function setup (shareBytes: number, durable = new Set<string>()) {
  const stored = new Set<string>()
  const deleted: string[] = []
  const clock = { now: Date.now() }
  const store = new HotCopyStore({
    peerId: SELF, shareBytes,
    has: async c => stored.has(c.toString()),
    delete: async c => { stored.delete(c.toString()); deleted.push(c.toString()) },
    durable: c => durable.has(c.toString()),
    now: () => clock.now,
    log: pino({ level: 'silent' })
  })
  return { store, stored, deleted, clock }
}

async function code (p: Promise<unknown>): Promise<string> {
  try { await p } catch (err) { return isP2pdvError(err) ? err.code : String(err) }
  return 'resolved'
}

describe('HotCopyStore', () => {
  it('keeps a valid record for blocks stored here and claims them', async () => {
    const key = await generateKeyPair('Ed25519')
    const { store, stored } = setup(10_000)
    const a = await cid(1)
    stored.add(a.toString())
    assert.deepEqual(await store.put(await recordBy(key, { version: 1, blocks: [{ cid: a, size: 100 }] })), { version: 1, stored: true })
    assert.equal(store.claims(a), true)
    assert.equal(store.stats.heldBytes, 100)
    assert.equal(store.recordsFor((await cid(OBJECT_SEED)).toString()).length, 1)
  })

  it('refuses a forged record (ERR_HOT_COPY_SIGNATURE) and malformed bytes (ERR_HOT_COPY_MALFORMED)', async () => {
    const key = await generateKeyPair('Ed25519')
    const { store, stored } = setup(10_000)
    const a = await cid(1)
    stored.add(a.toString())
    // Another key signs in the name of `key`'s node.
    const forged = await recordBy(key, { version: 1, blocks: [{ cid: a, size: 100 }], signWith: await generateKeyPair('Ed25519') })
    assert.equal(await code(store.put(forged)), 'ERR_HOT_COPY_SIGNATURE')
    assert.equal(await code(store.put(new Uint8Array([0xa1, 0x61, 0x76, 0x02]))), 'ERR_HOT_COPY_MALFORMED')
    assert.equal(await code(store.put(new Uint8Array(300 * 1024))), 'ERR_HOT_COPY_MALFORMED')
    assert.equal(store.claims(a), false)
  })

  it('refuses an old version (ERR_HOT_COPY_STALE) and blocks not stored here (ERR_HOT_COPY_NOT_HELD)', async () => {
    const key = await generateKeyPair('Ed25519')
    const { store, stored } = setup(10_000)
    const a = await cid(1)
    stored.add(a.toString())
    await store.put(await recordBy(key, { version: 2, blocks: [{ cid: a, size: 100 }] }))
    assert.equal(await code(store.put(await recordBy(key, { version: 1, blocks: [{ cid: a, size: 100 }] }))), 'ERR_HOT_COPY_STALE')
    assert.equal(await code(store.put(await recordBy(key, { version: 3, blocks: [{ cid: await cid(2), size: 100 }] }))), 'ERR_HOT_COPY_NOT_HELD')
  })

  it('refuses copies beyond the share with ERR_HOT_SHARE_FULL, after evicting the least recently served', async () => {
    const [k1, k2, k3] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
    const { store, stored, deleted, clock } = setup(1000)
    const [a, b, c, d] = await Promise.all([cid(1), cid(2), cid(3), cid(4)])
    for (const x of [a, b, c, d]) stored.add(x.toString())
    await store.put(await recordBy(k1, { version: 1, blocks: [{ cid: a, size: 400 }] }))
    await store.put(await recordBy(k2, { version: 1, blocks: [{ cid: b, size: 400 }] }))
    clock.now += 10
    store.touch(a) // k1's copies were served last: k2's go first
    await store.put(await recordBy(k3, { version: 1, blocks: [{ cid: c, size: 400 }] }))
    assert.deepEqual(deleted, [b.toString()])
    assert.equal(store.claims(b), false)
    assert.equal(store.stats.evicted, 1)
    // One signer may use half the share: k3 asking for 400 more is refused, and so is a record
    // larger than the whole share.
    assert.equal(await code(store.put(await recordBy(k3, { version: 2, blocks: [{ cid: c, size: 400 }, { cid: d, size: 400 }] }))), 'ERR_HOT_SHARE_FULL')
    assert.equal(await code(store.put(await recordBy(await generateKeyPair('Ed25519'), { version: 1, blocks: [{ cid: d, size: 1001 }] }))), 'ERR_HOT_SHARE_FULL')
    assert.equal(store.claims(c), true, 'a refused update leaves the held version as it was')
  })

  it('a cold version deletes the copies; a durable block is never counted nor deleted', async () => {
    const key = await generateKeyPair('Ed25519')
    const [a, b] = await Promise.all([cid(1), cid(2)])
    const { store, stored, deleted } = setup(10_000, new Set([b.toString()]))
    stored.add(a.toString()); stored.add(b.toString())
    await store.put(await recordBy(key, { version: 1, blocks: [{ cid: a, size: 100 }, { cid: b, size: 100 }] }))
    assert.equal(store.stats.heldBytes, 100)
    assert.equal(store.claims(b), false)
    await store.put(await recordBy(key, { version: 2, state: 'cold', blocks: [{ cid: a, size: 100 }, { cid: b, size: 100 }] }))
    assert.deepEqual(deleted, [a.toString()])
    assert.equal(store.claims(a), false)
    assert.equal(store.recordsFor((await cid(OBJECT_SEED)).toString()).length, 1, 'the cold record is still shown, saying the copies went')
  })

  it('an expired record is dropped with its copies', async () => {
    const key = await generateKeyPair('Ed25519')
    const { store, stored, deleted, clock } = setup(10_000)
    const a = await cid(1)
    stored.add(a.toString())
    await store.put(await recordBy(key, { version: 1, blocks: [{ cid: a, size: 100 }], expires: clock.now + 1000 }))
    await store.expire()
    assert.equal(store.claims(a), true)
    clock.now += 1000
    await store.expire()
    assert.deepEqual(deleted, [a.toString()])
    assert.equal(store.recordsFor((await cid(OBJECT_SEED)).toString()).length, 0)
  })

  it('names the signer by its peer id (records from two signers of one object are kept apart)', async () => {
    const [k1, k2] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
    const { store, stored } = setup(10_000)
    const a = await cid(1)
    stored.add(a.toString())
    await store.put(await recordBy(k1, { version: 5, blocks: [{ cid: a, size: 100 }] }))
    assert.deepEqual(await store.put(await recordBy(k2, { version: 1, blocks: [{ cid: a, size: 100 }] })), { version: 1, stored: true })
    assert.ok(peerIdFromPrivateKey(k1).toString() !== peerIdFromPrivateKey(k2).toString())
    assert.equal(store.recordsFor((await cid(OBJECT_SEED)).toString()).length, 2)
  })
})

// The auditor's target table (node/src/audit/store.ts): it follows what placement records claim,
// forgets what they stop claiming, and no one source of records can fill it.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { AUDIT_LEAF_BYTES } from '@p2pdv/core/audit'
import { AuditStore, AuditStoreErrorCode, type RecordBlock } from '../src/audit/store.ts'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true }))) })

async function openStore (): Promise<AuditStore> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-audit-store-'))
  dirs.push(dir)
  return new AuditStore(join(dir, 'audit.sqlite'))
}

const block = (cid: string, holders: string[], size = 100): RecordBlock => ({ cid, size, root: new Uint8Array(32).fill(size & 0xff), leafBytes: AUDIT_LEAF_BYTES, holders })
const pairs = (store: AuditStore): string[] => store.sample(1_000_000, 'nobody').map(s => `${s.cid}@${s.peer}`).sort()

describe('audit store targets', () => {
  it('deletes the pairs a newer record version drops, keeps the ones another record still claims, and forgets a dropped record', async () => {
    const store = await openStore()
    store.syncRecord('obj1', 'local', [block('m1', ['A', 'B']), block('d1', ['A', 'B']), block('shared', ['A'])], 1)
    store.syncRecord('obj2', 'local', [block('m2', ['C']), block('shared', ['A', 'C'])], 1)
    store.commit('d1', 'A')
    assert.equal(store.holderCount, 7)

    // A repair moved d1 from B to C and m1 off B: B's rows go, A keeps its commitment.
    store.syncRecord('obj1', 'local', [block('m1', ['A']), block('d1', ['A', 'C']), block('shared', ['A'])], 2)
    assert.deepEqual(pairs(store), ['d1@A', 'd1@C', 'm1@A', 'm2@C', 'shared@A', 'shared@C'])
    assert.equal(store.sample(100, 'nobody').find(s => s.cid === 'd1' && s.peer === 'A')?.committed, true)

    // The record is gone: its blocks are forgotten, except the pair obj2 still claims.
    store.forgetRecord('obj1')
    assert.deepEqual(pairs(store), ['m2@C', 'shared@A', 'shared@C'])
    assert.equal(store.target('d1'), undefined)
    assert.equal(store.target('m1'), undefined)
    store.forgetRecord('obj2')
    assert.equal(store.targetCount, 0)
    assert.equal(store.holderCount, 0)
  })

  it('keeps a known block\'s size and root whatever a later record claims; only a read of the block sets them', async () => {
    const store = await openStore()
    store.syncRecord('genuine', 'local', [block('x', ['H'], 5000)], 1)
    store.syncRecord('liar', 'mallory', [block('x', ['H'], 200_000)], 1)
    assert.equal(store.target('x')?.size, 5000)
    assert.equal(store.target('x')?.verified, false)
    store.setVerified('x', 5001, new Uint8Array(32).fill(9))
    assert.deepEqual(store.target('x'), { cid: 'x', size: 5001, root: new Uint8Array(32).fill(9), leafBytes: AUDIT_LEAF_BYTES, verified: true })
  })

  it('caps what one source brings: a flood of junk records from it is refused past its share, others still get in', async () => {
    const store = await openStore()
    const perSource = 500
    let refused = 0
    // 1,000 records of 10 junk blocks each, all from one source (what 1,000 posts of junk did before).
    for (let r = 0; r < 1000; r++) {
      try {
        store.syncRecord(`junk${r}`, 'http://mallory', Array.from({ length: 10 }, (_, i) => block(`j${r}-${i}`, ['H'])), 1, perSource)
      } catch (err) {
        assert.equal((err as { code?: string }).code, AuditStoreErrorCode.SOURCE_FULL)
        refused++
      }
    }
    assert.equal(store.targetCount, perSource)
    assert.equal(refused, 1000 - perSource / 10)
    // A new version of a record the source already has replaces its share, it does not add to it.
    store.syncRecord('junk0', 'http://mallory', [block('j0-0', ['H'])], 2, perSource)
    assert.equal(store.targetCount, perSource - 9)
    // Another source is not affected.
    store.syncRecord('genuine', 'http://honest', [block('real', ['H'])], 1, perSource)
    assert.ok(store.target('real') !== undefined)
    // A refused record changes nothing.
    assert.throws(() => { store.syncRecord('big', 'http://honest', Array.from({ length: perSource }, (_, i) => block(`b${i}`, ['H'])), 1, perSource) }, { code: AuditStoreErrorCode.SOURCE_FULL })
    assert.equal(store.target('b0'), undefined)
  })

  it('forgets junk a holder never had: the holder is dropped, and a block with no holder left goes too', async () => {
    const store = await openStore()
    store.syncRecord('junk', 'http://mallory', [block('j', ['H'])], 1)
    store.dropHolder('j', 'H')
    assert.equal(store.target('j'), undefined)
    assert.equal(store.holderCount, 0)
  })
})

describe('audit store results', () => {
  it('lists newest first, and pages back with beforeId and forward with afterId', async () => {
    const store = await openStore()
    for (let i = 0; i < 5; i++) store.addResult({ peer: i % 2 === 0 ? 'A' : 'B', cid: `c${i}`, kind: 'proof', outcome: 'pass', code: null, counted: true, issued: 1000 + i, signed: new Uint8Array() })
    const ids = store.results({ limit: 10 }).map(r => r.id)
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a))
    assert.equal(ids.length, 5)
    const page = store.results({ limit: 2 })
    const back = store.results({ limit: 2, beforeId: page.at(-1)!.id })
    assert.deepEqual(back.map(r => r.id), ids.slice(2, 4))
    assert.deepEqual(store.results({ limit: 10, afterId: ids[2]! }).map(r => r.id), ids.slice(0, 2))
    assert.deepEqual(store.results({ limit: 10, peer: 'B', beforeId: ids[0]! }).map(r => r.cid), ['c3', 'c1'])
    store.close()
  })
})

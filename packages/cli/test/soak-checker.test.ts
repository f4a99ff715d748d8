// The soak harness's judge (scripts/soak): each check must catch exactly what it names, so a
// run's report can be trusted. Synthetic histories and disks; no processes.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { blockCid } from '@p2pdv/core'
import type { PlacementRecord } from '@p2pdv/core/placement'
import { classify } from '../../../scripts/soak/cli.ts'
import { compareCheckWithDisk, judge, violations, type CheckJson, type FinalState } from '../../../scripts/soak/checker.ts'
import { blockKey, compareRecordsWithDisk, readDisks, type DiskView } from '../../../scripts/soak/disk.ts'
import type { HistoryEntry, OpEntry, Outcome } from '../../../scripts/soak/history.ts'
import { createPrng } from '../../../scripts/soak/prng.ts'

const CAP = (object: string): string => `p2pdv://${object}#key`
let nextId = 1
const op = (o: Omit<OpEntry, 'kind' | 'id' | 'start' | 'end'>): OpEntry => ({ kind: 'op', id: nextId++, start: 0, end: 1, ...o })
const putOk = (object: string, sha256: string, detail: Record<string, unknown> = { scheme: 'rs', k: 4, m: 2 }): OpEntry =>
  op({ op: 'put', object: sha256, wanted: 'k=4,m=2', outcome: { type: 'ok', sha256, capability: CAP(object), detail } })
const read = (kind: 'get' | 'final-get', object: string, outcome: Outcome): OpEntry => op({ op: kind, object, outcome })
const emptyDisk = (): DiskView => ({ records: new Map(), versions: new Map(), blocks: new Map(), unreadable: [] })
const healthy = (object: string): CheckJson => ({ object, healthy: true, blocks: [] })
const finalState = (checks: CheckJson[] = []): FinalState => ({ checks: new Map(checks.map(c => [c.object, c])), disk: emptyDisk(), nodes: [], phantom: [], dropped: [] })

describe('soak PRNG', () => {
  it('replays from its seed; different seeds differ; ints stay in range', () => {
    const a = createPrng(42)
    const b = createPrng(42)
    const seqA = Array.from({ length: 50 }, () => a.int(0, 1000))
    assert.deepEqual(Array.from({ length: 50 }, () => b.int(0, 1000)), seqA)
    const c = createPrng(43)
    assert.notDeepEqual(Array.from({ length: 50 }, () => c.int(0, 1000)), seqA)
    assert.ok(seqA.every(n => Number.isInteger(n) && n >= 0 && n <= 1000))
    // Forks are independent of later draws from the parent.
    const f1 = createPrng(5).fork().next()
    const p = createPrng(5)
    const f2 = p.fork()
    p.next()
    assert.equal(f2.next(), f1)
  })
})

describe('soak CLI outcome', () => {
  it('a typed error is an error; ERR_UNEXPECTED, an unhandled rejection or no JSON is a crash', () => {
    assert.deepEqual(classify(1, { error: { code: 'ERR_NOT_FOUND' } }, '', []), { type: 'error', code: 'ERR_NOT_FOUND', exit: 1 })
    assert.equal(classify(1, { error: { code: 'ERR_UNEXPECTED' } }, '', []).type, 'crash')
    assert.equal(classify(1, { error: { code: 'ERR_NOT_FOUND' } }, 'node:internal [UnhandledPromiseRejection: This error originated…]', []).type, 'crash')
    assert.equal(classify(1, undefined, 'TypeError: x is undefined', []).type, 'crash')
    assert.equal(classify(0, { capability: 'p2pdv://x#y' }, '', []).type, 'ok')
    // check exits 3 (unknown) with its report: a result, not a crash.
    assert.equal(classify(3, { healthy: false }, '', [1, 3]).type, 'ok')
    assert.equal(classify(3, { healthy: false }, '', []).type, 'crash')
  })
})

describe('soak checker', () => {
  it('an acknowledged write read back bit-exact at the end is kept; every invariant holds', () => {
    const h: HistoryEntry[] = [putOk('obj1', 'aa'), read('get', 'obj1', { type: 'ok', sha256: 'aa' }), read('final-get', 'obj1', { type: 'ok', sha256: 'aa' })]
    const v = judge(h, finalState([healthy('obj1')]), 0)
    assert.equal(v.acknowledgedWrites, 1)
    assert.deepEqual(violations(v), [])
  })

  it('an acknowledged write whose final read fails, returns other bytes or never happens is lost', () => {
    const h: HistoryEntry[] = [
      putOk('o1', 'a1'), read('final-get', 'o1', { type: 'error', code: 'ERR_NOT_ENOUGH_BLOCKS' }),
      putOk('o2', 'a2'), read('final-get', 'o2', { type: 'ok', sha256: 'zz' }),
      putOk('o3', 'a3')
    ]
    const v = judge(h, finalState([healthy('o1'), healthy('o2'), healthy('o3')]), 0)
    assert.deepEqual(v.lostWrites.map(l => l.object).sort(), ['o1', 'o2', 'o3'])
    assert.deepEqual(v.wrongReads.map(w => w.object), ['o2'])
    assert.deepEqual(violations(v), ['acknowledged-writes-lost', 'wrong-bytes'])
  })

  it('a failed put is not an acknowledged write; a typed error counts by code, not as a crash', () => {
    const h: HistoryEntry[] = [
      op({ op: 'put', object: 'b1', outcome: { type: 'error', code: 'ERR_NO_NODES' } }),
      read('get', 'o9', { type: 'error', code: 'ERR_NOT_ENOUGH_BLOCKS' }),
      read('get', 'o9', { type: 'error', code: 'ERR_NOT_ENOUGH_BLOCKS' })
    ]
    const v = judge(h, finalState(), 0)
    assert.equal(v.acknowledgedWrites, 0)
    assert.deepEqual(v.failuresByCode, { ERR_NO_NODES: 1, ERR_NOT_ENOUGH_BLOCKS: 2 })
    assert.deepEqual(violations(v), ['no-acknowledged-writes'])
  })

  it('a crash, a silent downgrade and an object not healthy after repair are each named', () => {
    const h: HistoryEntry[] = [
      putOk('o1', 'a1', { scheme: 'replicas', replicas: 1 }), read('final-get', 'o1', { type: 'ok', sha256: 'a1' }),
      read('get', 'o1', { type: 'crash', reason: 'left 1 .part file(s) behind (ERR_X)' })
    ]
    const v = judge(h, finalState([{ object: 'o1', healthy: false, blocks: [] }]), 0)
    assert.deepEqual(v.degradedWrites.map(d => [d.wanted, d.got]), [['k=4,m=2', 'replicas=1']])
    assert.deepEqual(violations(v), ['crashes', 'degraded-writes', 'under-replicated-after-repair'])
    assert.equal(v.operations.get?.crash, 1)
  })
})

describe('soak disk checks', async () => {
  const cids = await Promise.all([1, 2, 3].map(async i => await blockCid(new Uint8Array([i]))))
  const [manifest, b1, b2] = cids as [typeof cids[0], typeof cids[0], typeof cids[0]]
  const place = (cid: typeof manifest, nodes: string[]): { cid: typeof manifest, size: number, root: Uint8Array, nodes: string[] } => ({ cid, size: 1, root: new Uint8Array(32), nodes })
  const record = (holders: string[][], version = 2): PlacementRecord => ({
    v: 1, object: manifest, version, time: 0, scheme: { type: 'replicas', replicas: 2 },
    manifest: place(manifest, holders[0]!), stripes: [{ data: 1, blocks: [place(b1, holders[1]!)] }, { data: 1, blocks: [place(b2, holders[2]!)] }],
    owner: new Uint8Array(32), signer: new Uint8Array(32), sig: new Uint8Array(64)
  })
  const nodes = [{ name: 'node-0', peerId: 'P0', dataDir: '' }, { name: 'node-1', peerId: 'P1', dataDir: '' }, { name: 'node-2', peerId: 'P2', dataDir: '' }]
  const disk = (rec: PlacementRecord, held: Record<string, Array<typeof manifest>>): DiskView => ({
    records: new Map([[manifest.toString(), rec]]),
    versions: new Map(),
    blocks: new Map(Object.entries(held).map(([peer, list]) => [peer, new Set(list.map(blockKey))])),
    unreadable: []
  })

  it('records that match the disks give no finding', () => {
    const view = disk(record([['P0', 'P1'], ['P1', 'P2'], ['P0', 'P2']]), { P0: [manifest, b2], P1: [manifest, b1], P2: [b1, b2] })
    assert.deepEqual(compareRecordsWithDisk(view, nodes), { phantom: [], dropped: [] })
  })

  it('a listed holder without the file is a phantom; a node with the file left off the record is a dropped live holder', () => {
    // node-2 holds b1 but the record lists only node-1 (repair took it for down and dropped it);
    // the record lists node-0 for b2 but its disk has no such file.
    const view = disk(record([['P0', 'P1'], ['P1'], ['P0', 'P2']]), { P0: [manifest], P1: [manifest, b1], P2: [b1, b2] })
    const { phantom, dropped } = compareRecordsWithDisk(view, nodes)
    assert.deepEqual(phantom.map(f => [f.block, f.node]), [[b2.toString(), 'node-0']])
    assert.deepEqual(dropped.map(f => [f.block, f.node]), [[b1.toString(), 'node-2']])
  })

  it('check agrees with the disk, or each disagreement is named', () => {
    const view = disk(record([['P0'], ['P1', 'P2'], ['P2']], 3), { P0: [manifest], P1: [b1], P2: [] })
    const final = { disk: view, nodes }
    const report = (ok: string[][], version = 3): CheckJson => ({
      object: manifest.toString(),
      healthy: true,
      placementVersion: version,
      blocks: [
        { cid: manifest.toString(), holders: ['P0'], ok: ok[0]!, timedOut: [] },
        { cid: b1.toString(), holders: ['P1', 'P2'], ok: ok[1]!, timedOut: [] },
        { cid: b2.toString(), holders: ['P2'], ok: ok[2]!, timedOut: [] }
      ]
    })
    assert.deepEqual(compareCheckWithDisk(report([['P0'], ['P1'], []]), final), [])
    // Says P2 has b2 (it has not), says P0 lacks the manifest (it has it), and used an old record.
    const findings = compareCheckWithDisk(report([[], ['P1'], ['P2']], 2), final)
    assert.deepEqual(findings.map(f => f.claim).sort(), ['missing-but-present', 'ok-but-absent', 'stale-record'])
  })

  it('readDisks finds block files in blockstore-fs layout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-soak-disk-'))
    try {
      const key = blockKey(b1)
      await mkdir(join(dir, 'blocks', key.slice(-2)), { recursive: true })
      await writeFile(join(dir, 'blocks', key.slice(-2), `${key}.data`), new Uint8Array([2]))
      await mkdir(join(dir, 'placements'))
      await writeFile(join(dir, 'placements', 'junk.cbor'), 'not cbor')
      const view = await readDisks([{ name: 'node-0', peerId: 'P0', dataDir: dir }])
      assert.deepEqual([...view.blocks.get('P0')!], [key])
      assert.deepEqual(view.unreadable, ['node-0/junk.cbor'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

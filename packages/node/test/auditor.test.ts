// The auditor's verdict rules, with a unit-level fake transport standing in for the nodes.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { pino } from 'pino'
import { blockCid, P2pdvError, type CID } from '@p2pdv/core'
import { AUDIT_LEAF_BYTES, leafCount, merkleProof, merkleRoot } from '@p2pdv/core/audit'
import { PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'
import {
  AuditCode, auditRecordPayload, auditResponsePayload, decodeAuditChallenge, decodeSignedAuditRecord, encodeAuditResponse, type SignedAuditRecord
} from '@p2pdv/core/wire'
import { Auditor } from '../src/audit/auditor.ts'
import { SlashPolicy, type SlashEvidence } from '../src/audit/slash.ts'
import { AuditStore } from '../src/audit/store.ts'
import type { AuditTransport } from '../src/audit/transport.ts'
import { createMetrics } from '../src/metrics.ts'

type Behaviour = 'honest' | 'forge' | 'garbage' | 'missing' | 'silent' | 'down' | 'no-reads'

interface FakeNode { key: PrivateKey, peer: string, blocks: Map<string, Uint8Array>, behaviour: Behaviour }

async function fakeNode (behaviour: Behaviour): Promise<FakeNode> {
  const key = await generateKeyPair('Ed25519')
  return { key, peer: peerIdFromPrivateKey(key).toString(), blocks: new Map(), behaviour }
}

/** Answers like real nodes would, per behaviour. */
function fakeTransport (nodes: FakeNode[]): AuditTransport {
  const find = (peer: string): FakeNode => nodes.find(n => n.peer === peer)!
  const never = async (signal: AbortSignal): Promise<never> => await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })
  return {
    challenge: async (peer, body, signal) => {
      const n = find(peer)
      if (n.behaviour === 'down') throw new P2pdvError(AuditCode.UNREACHABLE, 'connection refused')
      if (n.behaviour === 'silent') return await never(signal)
      const c = decodeAuditChallenge(body)
      const block = n.blocks.get(c.cid.toString())
      if (block === undefined || n.behaviour === 'missing') return encodeAuditResponse({ v: 1, ok: false, code: AuditCode.NOT_FOUND, message: 'no' })
      if (c.index >= leafCount(block.byteLength, c.leaf)) return encodeAuditResponse({ v: 1, ok: false, code: AuditCode.BAD_CHALLENGE, message: 'no such leaf' })
      const honest = merkleProof(block, c.index, c.leaf)
      const proof = n.behaviour === 'forge' ? { ...honest, leaf: new Uint8Array(randomBytes(honest.leaf.byteLength)) } : honest
      const time = Date.now()
      return encodeAuditResponse({ v: 1, ok: true, peer: n.peer, proof, time, sig: await n.key.sign(auditResponsePayload(n.peer, c, proof, time)) })
    },
    read: async (peer, cid, signal) => {
      const n = find(peer)
      if (n.behaviour === 'silent') return await never(signal)
      const block = n.blocks.get(cid.toString())
      if (block === undefined || n.behaviour === 'missing') return { status: 404 }
      if (n.behaviour === 'no-reads') return { status: 503 }
      if (n.behaviour === 'garbage') { const g = block.slice(); g[0]! ^= 1; return { status: 200, bytes: g } }
      return { status: 200, bytes: block }
    }
  }
}

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true }))) })

async function setup (nodes: FakeNode[], readRatio = 0, reports: SlashEvidence[] = [], intervalMs?: number) {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-auditor-'))
  dirs.push(dir)
  const store = new AuditStore(join(dir, 'audit.sqlite'))
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const auditor = new Auditor({ peerId, privateKey: key, store, transport: fakeTransport(nodes), log: pino({ level: 'silent' }), metrics: createMetrics(), options: { readRatio, batch: 1000, deadlineMs: 300, ...(intervalMs === undefined ? {} : { intervalMs }) },
    // Reports at the first counted failure: a framed holder would be reported at once.
    slashPolicy: new SlashPolicy({ failures: 1 }),
    slashReporter: { report: async evidence => { reports.push(evidence) } } })
  return { store, auditor, key, peerId }
}

async function block (size: number): Promise<{ bytes: Uint8Array, cid: CID }> {
  const bytes = new Uint8Array(randomBytes(size))
  return { bytes, cid: await blockCid(bytes) }
}

/**
 * Follows a block as a placement record of `object` lists it; `committed` holders are marked as
 * having passed an audit of it before.
 */
function follow (store: AuditStore, object: string, t: { cid: CID, size: number, root: Uint8Array }, holders: FakeNode[], committed = false): void {
  store.syncRecord(object, 'local', [{ cid: t.cid.toString(), size: t.size, root: t.root, leafBytes: AUDIT_LEAF_BYTES, holders: holders.map(h => h.peer) }], Date.now())
  if (committed) for (const h of holders) store.commit(t.cid.toString(), h.peer)
}

const byPeer = (records: SignedAuditRecord[], peer: string): SignedAuditRecord[] => records.filter(r => r.record.peer === peer)

describe('auditor verdicts', () => {
  it('passes honest holders, signs every record with its key, and scores liars below the placement threshold', async () => {
    const honest = await fakeNode('honest')
    const forger = await fakeNode('forge')
    const { bytes, cid } = await block(50_000)
    for (const n of [honest, forger]) n.blocks.set(cid.toString(), bytes)
    const { store, auditor, peerId } = await setup([honest, forger])
    follow(store, 'object', { cid, size: bytes.byteLength, root: merkleRoot(bytes) }, [honest, forger], true)
    const records = [...await auditor.runRound(), ...await auditor.runRound(), ...await auditor.runRound()]
    assert.ok(byPeer(records, honest.peer).every(r => r.record.outcome === 'pass'))
    assert.ok(byPeer(records, forger.peer).every(r => r.record.outcome === 'fail' && r.record.code === AuditCode.BAD_PROOF && r.record.counted))
    const key = peerIdFromString(peerId).publicKey!
    for (const r of records) assert.ok(await key.verify(auditRecordPayload(r.record), r.sig))
    // What was kept decodes to what was signed.
    const kept = store.results({ limit: 10 }).map(r => decodeSignedAuditRecord(r.signed))
    assert.equal(kept.length, records.length)
    const rep = new Map(auditor.reputation().map(p => [p.peerId, p]))
    assert.ok(rep.get(honest.peer)!.eligible)
    assert.ok(rep.get(forger.peer)!.score < PLACEMENT_MIN_SCORE)
  })

  it('catches a node that proves honestly but serves garbage on reads', async () => {
    const cheat = await fakeNode('garbage')
    const { bytes, cid } = await block(3000)
    cheat.blocks.set(cid.toString(), bytes)
    const { store, auditor } = await setup([cheat], 1)
    follow(store, 'object', { cid, size: bytes.byteLength, root: merkleRoot(bytes) }, [cheat], true)
    const records = [...await auditor.runRound(), ...await auditor.runRound(), ...await auditor.runRound()]
    assert.ok(records.every(r => r.record.kind === 'read' && r.record.code === AuditCode.READ_MISMATCH && r.record.served?.byteLength === 32))
    const [p] = auditor.reputation()
    assert.ok(p!.serving < 0.5 && !p!.eligible)
    assert.equal(p!.counts.audit.failures, 0)
  })

  it('does not let an uploader frame a node: unconfirmed holders and wrong roots cost nothing', async () => {
    const bystander = await fakeNode('honest') // listed as a holder, but never got the block
    const holder = await fakeNode('honest')
    const { bytes, cid } = await block(9000)
    holder.blocks.set(cid.toString(), bytes)
    const { store, auditor } = await setup([bystander, holder])
    const wrongRoot = merkleRoot(bytes.subarray(1))
    follow(store, 'object', { cid, size: bytes.byteLength, root: wrongRoot }, [bystander, holder])
    const first = await auditor.runRound()
    const b = byPeer(first, bystander.peer)[0]!
    assert.equal(b.record.outcome, 'fail')
    assert.equal(b.record.code, AuditCode.NOT_FOUND)
    assert.equal(b.record.counted, false)
    // The wrong root is noticed and corrected from the block itself; the honest holder passes.
    assert.equal(byPeer(first, holder.peer)[0]!.record.outcome, 'pass')
    assert.deepEqual(store.target(cid.toString())!.root, merkleRoot(bytes))
    // The bystander was dropped; the holder is now committed.
    const second = await auditor.runRound()
    assert.deepEqual(second.map(r => r.record.peer), [holder.peer])
    assert.deepEqual(store.sample(10, 'nobody').map(s => [s.peer, s.committed]), [[holder.peer, true]])
    const rep = new Map(auditor.reputation().map(p => [p.peerId, p]))
    assert.equal(rep.get(bystander.peer)!.counts.audit.failures, 0)
  })

  it('counts a committed holder that lost the block, and tells timeouts and unreachable nodes apart', async () => {
    const loser = await fakeNode('missing')
    const frozen = await fakeNode('silent')
    const gone = await fakeNode('down')
    const { bytes, cid } = await block(100)
    const { store, auditor } = await setup([loser, frozen, gone])
    follow(store, 'object', { cid, size: bytes.byteLength, root: merkleRoot(bytes) }, [loser, frozen, gone], true)
    const records = await auditor.runRound()
    assert.deepEqual(byPeer(records, loser.peer).map(r => [r.record.outcome, r.record.code, r.record.counted]), [['fail', AuditCode.NOT_FOUND, true]])
    assert.deepEqual(byPeer(records, frozen.peer).map(r => [r.record.outcome, r.record.code]), [['timeout', AuditCode.TIMEOUT]])
    assert.deepEqual(byPeer(records, gone.peer).map(r => [r.record.outcome, r.record.code]), [['unreachable', AuditCode.UNREACHABLE]])
    const rep = new Map(auditor.reputation().map(p => [p.peerId, p]))
    assert.equal(rep.get(frozen.peer)!.counts.availability.failures, 1)
    assert.equal(rep.get(frozen.peer)!.counts.audit.failures, 0)
    assert.equal(rep.get(loser.peer)!.counts.audit.failures, 1)
  })
})

describe('an auditor that just started', () => {
  it('does not count silence from peers it has not reached yet, but does once a peer has answered it', async () => {
    const honest = await fakeNode('honest')
    const gone = await fakeNode('down')
    const { bytes, cid } = await block(100)
    honest.blocks.set(cid.toString(), bytes)
    const { store, auditor } = await setup([honest, gone], 0, [], 50)
    follow(store, 'object', { cid, size: bytes.byteLength, root: merkleRoot(bytes) }, [honest, gone], true)
    const rounds = async (n: number): Promise<void> => { while (auditor.rounds < n) await new Promise(resolve => setTimeout(resolve, 20)) }
    auditor.start()
    try {
      await rounds(1)
      let rep = new Map(auditor.reputation().map(p => [p.peerId, p]))
      assert.equal(rep.get(gone.peer)?.counts.availability.failures ?? 0, 0, 'a node not up yet is not marked unavailable')
      assert.ok(store.results({ peer: gone.peer, limit: 10 }).every(r => r.outcome === 'unreachable' && !r.counted))
      // The honest node answered: its silence from now on counts, grace or not.
      honest.behaviour = 'down'
      const before = auditor.rounds
      await rounds(before + 1)
      rep = new Map(auditor.reputation().map(p => [p.peerId, p]))
      assert.ok(rep.get(honest.peer)!.counts.availability.failures > 0)
      assert.equal(rep.get(gone.peer)?.counts.availability.failures ?? 0, 0)
    } finally {
      await auditor.stop()
    }
  })
})

describe('framing an honest holder through what records claim (issue 15)', () => {
  const counted = (records: SignedAuditRecord[], peer: string): SignedAuditRecord[] => records.filter(r => r.record.peer === peer && r.record.outcome === 'fail' && r.record.counted)

  it('a size and root a stranger\'s record claimed first cost a committed holder nothing: the block corrects them, then it passes', async () => {
    const holder = await fakeNode('honest')
    const { bytes, cid } = await block(50_000)
    holder.blocks.set(cid.toString(), bytes)
    const reports: SlashEvidence[] = []
    for (const readRatio of [0, 1]) {
      const { store, auditor } = await setup([holder], readRatio, reports)
      // The attacker's record came first: 40 leaves where the block has 4, and a made-up root.
      // The genuine record later lists the same block; the holder is committed (as a genuine
      // receipt used to make it).
      follow(store, 'attacker', { cid, size: 40 * AUDIT_LEAF_BYTES, root: new Uint8Array(32).fill(7) }, [holder], true)
      follow(store, 'genuine', { cid, size: bytes.byteLength, root: merkleRoot(bytes) }, [holder])
      const records: SignedAuditRecord[] = []
      for (let i = 0; i < 12; i++) records.push(...await auditor.runRound())
      assert.deepEqual(counted(records, holder.peer), [])
      assert.ok(records.some(r => r.record.outcome === 'pass'))
      assert.deepEqual(store.target(cid.toString()), { cid: cid.toString(), size: bytes.byteLength, root: merkleRoot(bytes), leafBytes: AUDIT_LEAF_BYTES, verified: true })
      const [rep] = auditor.reputation()
      assert.equal(rep!.counts.audit.failures, 0)
      assert.ok(rep!.eligible)
    }
    assert.deepEqual(reports, [])
  })

  it('a bad proof against a size or root no read could check is not counted; once the block confirmed them it is', async () => {
    const holder = await fakeNode('no-reads')
    const forger = await fakeNode('forge')
    const { bytes, cid } = await block(40_000)
    for (const n of [holder, forger]) n.blocks.set(cid.toString(), bytes)
    const reports: SlashEvidence[] = []
    const { store, auditor } = await setup([holder], 0, reports)
    follow(store, 'attacker', { cid, size: bytes.byteLength, root: new Uint8Array(32).fill(7) }, [holder], true)
    const records = [...await auditor.runRound(), ...await auditor.runRound()]
    assert.deepEqual(records.map(r => [r.record.code, r.record.counted]), [[AuditCode.BAD_PROOF, false], [AuditCode.BAD_PROOF, false]])
    assert.deepEqual(reports, [])
    // A real cheat is still caught: the forger's block is read (it serves reads) and confirms the root.
    const second = await setup([forger], 0, reports)
    follow(second.store, 'genuine', { cid, size: bytes.byteLength, root: merkleRoot(bytes) }, [forger])
    const forged = await second.auditor.runRound()
    assert.deepEqual(forged.map(r => [r.record.code, r.record.counted]), [[AuditCode.BAD_PROOF, true]])
    assert.equal(reports.length, 1)
  })
})

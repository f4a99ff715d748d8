// The chain reporter and reputation publisher against a fake ChainClient (unit level; the real
// chain is in chain-slash.int.test.ts): what is kept locally for each outcome, who is never
// written, and how publishing is bounded.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DatabaseSync } from 'node:sqlite'
import { pino } from 'pino'
import { keccak256, type Address, type Hex } from 'viem'
import { blockCid } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import type { SignedAuditRecord } from '@p2pdv/core/wire'
import type { ChainClient } from '@p2pdv/chain'
import { chainSlashReporter, PublisherSlot, ReputationPublisher, type AuditorChain } from '../src/audit/chain-reporter.ts'
import { FAILURES_BEFORE_RESTART, Supervisor } from '../src/components/supervisor.ts'
import { slashEvidenceBytes, type SlashEvidence } from '../src/audit/slash.ts'
import { AuditStore } from '../src/audit/store.ts'

const log = pino({ level: 'silent' })
const cid = await blockCid(new Uint8Array([7]))
const SELF = '0x00000000000000000000000000000000000000a1' as Address
const OP_BAD = '0x00000000000000000000000000000000000000b2' as Address
const rec = (peer: string, issued: number): SignedAuditRecord =>
  ({ record: { v: 1, auditor: 'aud', peer, cid, kind: 'proof', issued, deadline: issued + 1000, outcome: 'fail', counted: true, code: 'ERR_AUDIT_BAD_PROOF' }, sig: new Uint8Array(64).fill(issued) })
const evidence = (peer: string): SlashEvidence => ({ peer, records: [rec(peer, 1), rec(peer, 2), rec(peer, 3)], reason: '3 failed audits' })

interface FakeCalls { slashes: Array<[Address, Hex]>, reputations: Array<[Address, number]> }

/** A ChainClient stand-in: peers map to operators, operators have on-chain reputations. */
function fakeChain (operators: Record<string, Address>, reputations: Record<Address, number>, opts: { slashError?: P2pdvError } = {}): { chain: AuditorChain, calls: FakeCalls } {
  const calls: FakeCalls = { slashes: [], reputations: [] }
  const client = {
    operatorOfPeer: async (peer: string) => operators[peer],
    getNode: async (operator: Address) => ({ registered: operator in reputations, reputation: reputations[operator] ?? 0 }),
    slashNode: async (operator: Address, ev: Hex) => {
      if (opts.slashError !== undefined) throw opts.slashError
      calls.slashes.push([operator, ev])
      return { operator, amount: 100n, evidence: ev, receipt: { transactionHash: `0x${'ee'.repeat(32)}` } }
    },
    setNodeReputation: async (operator: Address, value: number) => {
      calls.reputations.push([operator, value])
      reputations[operator] = value
      return { transactionHash: `0x${'dd'.repeat(32)}` }
    }
  } as unknown as ChainClient
  return { chain: { client, operator: SELF, auditorRole: true }, calls }
}

describe('chain slash reporter', () => {
  let dir: string
  let store: AuditStore
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-chain-reporter-'))
    store = new AuditStore(join(dir, 'audit.sqlite'))
  })
  after(async () => {
    store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('slashes the registered operator with the keccak256 of the evidence, and keeps the outcome and evidence', async () => {
    const { chain, calls } = fakeChain({ bad: OP_BAD }, { [OP_BAD]: 5000 })
    const ev = evidence('bad')
    await chainSlashReporter(chain, store, log, () => 42).report(ev)
    const hash = keccak256(slashEvidenceBytes(ev))
    assert.deepEqual(calls.slashes, [[OP_BAD, hash]])
    const [row] = store.slashReports(1)
    assert.equal(row?.status, 'slashed')
    assert.equal(row?.evidenceHash, hash)
    assert.equal(row?.operator, OP_BAD)
    assert.equal(row?.amount, '100')
    assert.equal(row?.reported, 42)
    assert.deepEqual(store.slashEvidence(hash), slashEvidenceBytes(ev))
    assert.deepEqual(store.slashEvidence(hash.toUpperCase().replace('0X', '0x')), slashEvidenceBytes(ev), 'hash lookup ignores hex case')
  })

  it('keeps the report locally when nobody registered the peer id, and never slashes its own operator', async () => {
    const { chain, calls } = fakeChain({ me: SELF }, { [SELF]: 5000 })
    await chainSlashReporter(chain, store, log).report(evidence('unknown'))
    assert.equal(store.slashReports(1)[0]?.status, 'unregistered')
    await chainSlashReporter(chain, store, log).report(evidence('me'))
    assert.equal(store.slashReports(1)[0]?.status, 'unregistered')
    assert.deepEqual(calls.slashes, [])
  })

  it('records a refused slash as failed with the contract error code, and rejects', async () => {
    const { chain } = fakeChain({ bad: OP_BAD }, { [OP_BAD]: 5000 }, { slashError: new P2pdvError('ERR_CHAIN_NOTHING_TO_SLASH', 'no stake left') })
    await assert.rejects(chainSlashReporter(chain, store, log).report(evidence('bad')), { code: 'ERR_CHAIN_NOTHING_TO_SLASH' })
    const [row] = store.slashReports(1)
    assert.equal(row?.status, 'failed')
    assert.equal(row?.error, 'ERR_CHAIN_NOTHING_TO_SLASH')
    assert.equal(row?.operator, OP_BAD)
  })
})

describe('reputation publisher', () => {
  it('writes scores that moved by at least the minimum change, largest first, capped per round; skips itself and unregistered peers', async () => {
    const ops = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`p${i}`, `0x${String(i + 1).padStart(40, '0')}` as Address]))
    const reps: Record<Address, number> = { [ops.p0!]: 5000, [ops.p1!]: 5000, [ops.p2!]: 5000, [ops.p3!]: 5000, [SELF]: 5000 }
    const { chain, calls } = fakeChain({ ...ops, me: SELF }, reps)
    const publisher = new ReputationPublisher({
      chain,
      log,
      intervalMs: 1000,
      minChange: 500,
      maxUpdates: 2,
      scores: () => [
        { peerId: 'p0', score: 0.52 }, // 5200: moved 200, not enough
        { peerId: 'p1', score: 0.1 }, // 1000: moved 4000
        { peerId: 'p2', score: 0.9 }, // 9000: moved 4000
        { peerId: 'p3', score: 0.3 }, // 3000: moved 2000 (third largest: over the cap this round)
        { peerId: 'p4', score: 0.1 }, // not registered
        { peerId: 'me', score: 0.0 }, // the auditor itself
        { peerId: 'stranger', score: 0.0 } // no operator
      ]
    })
    const first = await publisher.publishOnce()
    assert.deepEqual(first.map(u => [u.peer, u.to]).sort(), [['p1', 1000], ['p2', 9000]])
    const second = await publisher.publishOnce()
    assert.deepEqual(second.map(u => [u.peer, u.from, u.to]), [['p3', 5000, 3000]])
    assert.deepEqual(await publisher.publishOnce(), [], 'nothing moved enough since')
    assert.ok(!calls.reputations.some(([o]) => o === SELF))
    assert.equal(publisher.last?.updated, 0)
  })
})

describe('supervised reputation publishing', () => {
  const until = async (what: string, f: () => boolean): Promise<void> => {
    const end = Date.now() + 5000
    while (!f()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  }

  it('a publisher whose chain keeps failing is restarted with backoff on its own: the auditor is not restarted, the last outcome carries over, and an auditor swap keeps the publisher', async () => {
    const op = '0x00000000000000000000000000000000000000c3' as Address
    const reps: Record<Address, number> = { [op]: 5000 }
    const { chain, calls } = fakeChain({ p: op }, reps)
    let broken = true
    let rpcCalls = 0
    const client = chain.client as unknown as { operatorOfPeer: (peer: string) => Promise<Address | undefined> }
    const real = client.operatorOfPeer
    client.operatorOfPeer = async (peer: string) => {
      rpcCalls++
      if (broken) throw new P2pdvError('ERR_CHAIN_UNREACHABLE', 'injected: the RPC is down')
      return await real(peer)
    }
    // The auditor stands in as a score source; a restart of the auditor swaps it.
    let scores = [{ peerId: 'p', score: 0.2 }]
    const slot = new PublisherSlot({ chain: () => chain, scores: () => scores, log, intervalMs: 10, firstDelayMs: 0 })
    let auditorRestarts = 0
    let now = 0
    const restarted: string[] = []
    const sup = new Supervisor({
      log,
      now: () => now,
      baseBackoffMs: 1000,
      maxBackoffMs: 4000,
      onRestart: (name, ok) => { restarted.push(`${name}:${ok ? 'ok' : 'failed'}`) },
      children: [
        { name: 'audit', failing: () => false, restart: async () => { auditorRestarts++ } },
        { name: 'reputation', failing: () => slot.failing, restart: async () => { await slot.restart() } }
      ]
    })
    slot.start()
    try {
      const first = slot.publisher!
      await until('the publisher to fail 3 rounds in a row', () => slot.failing)
      assert.ok(rpcCalls >= FAILURES_BEFORE_RESTART)
      assert.equal(first.last?.error, 'ERR_CHAIN_UNREACHABLE')
      await sup.check()
      assert.deepEqual(restarted, ['reputation:ok'])
      assert.equal(auditorRestarts, 0, 'the auditor is left alone')
      const second = slot.publisher!
      assert.notEqual(second, first, 'a new publisher')
      assert.equal(second.last?.error, 'ERR_CHAIN_UNREACHABLE', 'the last outcome carries over')
      assert.equal(slot.restarts, 1)
      // Still failing: the next restart waits for the backoff (1 s), then 2 s.
      await until('the new publisher to fail too', () => slot.failing)
      now = 500
      await sup.check()
      assert.equal(slot.restarts, 1, 'within the backoff: no restart')
      now = 1000
      await sup.check()
      assert.equal(slot.restarts, 2)
      // The chain comes back: the running publisher writes the score, no more restarts.
      broken = false
      await until('the score published', () => calls.reputations.length === 1)
      assert.deepEqual(calls.reputations[0], [op, 2000])
      assert.equal(slot.failing, false)
      assert.equal(slot.last?.error, undefined)
      // The auditor is replaced (its scores come from a new one): same publisher, new scores.
      const third = slot.publisher!
      scores = [{ peerId: 'p', score: 0.9 }]
      await until('the new auditor\'s score published', () => calls.reputations.length === 2)
      assert.deepEqual(calls.reputations[1], [op, 9000])
      assert.equal(slot.publisher, third)
      now = 10_000
      await sup.check()
      assert.deepEqual(restarted, ['reputation:ok', 'reputation:ok'])
      assert.equal(auditorRestarts, 0)
    } finally {
      await slot.stop()
    }
    assert.equal(slot.failing, false, 'a stopped slot is not failing')
  })

  it('without the audit role on chain, nothing publishes and nothing is failing', async () => {
    const { chain } = fakeChain({}, {})
    const slot = new PublisherSlot({ chain: () => ({ ...chain, auditorRole: false }), scores: () => [], log, intervalMs: 10 })
    slot.start()
    assert.equal(slot.publisher, undefined)
    assert.equal(slot.failing, false)
    await slot.stop()
  })
})

/** Runs `check` on an audit database an older node wrote with `sql`, in a temp dir removed after. */
async function withOldDatabase (schema: string, sql: string, check: (path: string) => Promise<void> | void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `p2pdv-audit-v${schema}-`))
  try {
    const path = join(dir, 'audit.sqlite')
    const old = new DatabaseSync(path)
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '${schema}'); ${sql}`)
    old.close()
    await check(path)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('audit store schema', () => {
  it('upgrades a schema-1 database in place: old reports stay readable as local ones', async () => {
    await withOldDatabase('1', `CREATE TABLE slash_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, reported INTEGER NOT NULL, reason TEXT NOT NULL, evidence BLOB NOT NULL);
        INSERT INTO slash_reports (peer, reported, reason, evidence) VALUES ('old', 5, 'three strikes', x'80');`, path => {
      const store = new AuditStore(path)
      const [row] = store.slashReports(10)
      assert.equal(row?.peer, 'old')
      assert.equal(row?.status, 'local')
      store.addSlashReport({ peer: 'new', reported: 6, reason: 'r', evidence: new Uint8Array([1]), evidenceHash: '0xab', status: 'local' })
      assert.deepEqual(store.slashReports(10).map(r => r.peer), ['new', 'old'])
      store.close()
      const again = new AuditStore(path)
      assert.equal(again.slashReports(10).length, 2)
      again.close()
    })
  })

  it('upgrades a schema-3 database in place: targets anyone posted are dropped, reports stay', async () => {
    await withOldDatabase('3', `CREATE TABLE targets (cid TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, added INTEGER NOT NULL, leaf INTEGER NOT NULL DEFAULT 1024);
        INSERT INTO targets VALUES ('bafkold', 4096, x'${'ab'.repeat(32)}', 1, 1024);
        CREATE TABLE holders (cid TEXT NOT NULL, peer TEXT NOT NULL, committed INTEGER NOT NULL, PRIMARY KEY (cid, peer));
        INSERT INTO holders VALUES ('bafkold', 'victim', 1);
        CREATE TABLE slash_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, reported INTEGER NOT NULL, reason TEXT NOT NULL, evidence BLOB NOT NULL,
          evidence_hash TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'local', operator TEXT, tx TEXT, amount TEXT, error TEXT);
        INSERT INTO slash_reports (peer, reported, reason, evidence) VALUES ('old', 5, 'three strikes', x'80');`, path => {
      const store = new AuditStore(path)
      assert.equal(store.target('bafkold'), undefined)
      assert.equal(store.holderCount, 0)
      assert.deepEqual(store.slashReports(10).map(r => r.peer), ['old'])
      store.syncRecord('bafkobject', 'local', [{ cid: 'bafknew', size: 9, root: new Uint8Array(32), leafBytes: 16384, holders: ['p'] }], 2)
      assert.equal(store.target('bafknew')?.leafBytes, 16384)
      store.close()
      const again = new AuditStore(path)
      assert.equal(again.target('bafknew')?.leafBytes, 16384)
      again.close()
    })
  })
})

// `p2pdv sla` against real nodes on 127.0.0.1: an auditor and two holders of a block. While both
// answer, every target is met and the report counts exactly the auditor's results; once a holder
// is killed, its availability falls, it is listed as not answering, and the command exits 1. An
// --auditor that runs no auditor, and bad targets, are refused by code.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { auditorArgs, publishRecord, randomBlock, results, storeOn, waitFor, type StoredBlock } from '../../node/test/fixtures/audit.ts'
import { spawnNode, type SpawnedNode } from '../../node/test/fixtures/spawn-node.ts'
import { runCli } from './fixtures/cli.ts'

interface NodeRow { peerId?: string, url?: string, audits: number, passed: number, unreachable: number, timeouts: number, availability?: number, requests: number, p99Ms?: number, error?: { code: string }, met: boolean }

describe('p2pdv sla', () => {
  let auditor: SpawnedNode
  let holders: SpawnedNode[]
  let block: StoredBlock
  const sla = async (...extra: string[]) => await runCli(['sla', '--since', '1h', '--auditor', auditor.info.http, ...[auditor, ...holders].flatMap(n => ['--node', n.info.http]), '--json', ...extra], { P2PDV_DEVNET_DIR: '/nonexistent-devnet' })

  before(async () => {
    auditor = await spawnNode({ args: auditorArgs({ deadlineMs: 1000 }) })
    holders = await Promise.all([0, 1].map(async () => await spawnNode({ bootstrap: [auditor.info.multiaddrs[0]!] })))
    block = await storeOn(holders, await randomBlock(8 * 1024))
    await publishRecord([block])
  })
  after(async () => { await Promise.all([auditor, ...holders].map(async n => { await n?.stop() })) })

  it('meets every target while the holders answer, counting exactly the auditor\'s results', async () => {
    await waitFor('3 passed audits of each holder', async () => {
      const rows = await results(auditor)
      return holders.every(h => rows.filter(r => r.peer === h.info.peerId && r.outcome === 'pass').length >= 3) ? true : undefined
    }, 120_000)
    // Block GETs, so the latency histograms have something to say.
    for (const h of holders) for (let i = 0; i < 20; i++) assert.equal((await fetch(`${h.info.http}/ipfs/${block.cid.toString()}`)).status, 200)
    const countBefore = (await results(auditor)).length
    const r = await sla()
    const countAfter = (await results(auditor)).length
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const report = r.json as { met: boolean, network: { audits: number, availability: number, requests: number, p99Ms?: number, latency: { from?: number, complete: boolean, sinceStart: string[] } }, nodes: NodeRow[] }
    assert.equal(report.met, true)
    // Latency comes from each node's windowed history: the nodes started within the hour, so it
    // covers from their start and says the history does not reach back to --since.
    assert.deepEqual(report.network.latency.sinceStart, [])
    assert.ok(report.network.latency.from !== undefined && report.network.latency.from > Date.now() - 3_600_000, JSON.stringify(report.network.latency))
    assert.equal(report.network.latency.complete, false)
    for (const h of holders) {
      const n = report.nodes.find(x => x.peerId === h.info.peerId)!
      assert.equal(n.url, h.info.http)
      assert.equal(n.availability, 1)
      assert.ok(n.audits >= 3 && n.passed === n.audits, JSON.stringify(n))
      assert.ok(n.requests >= 20 && n.p99Ms !== undefined && n.p99Ms > 0, JSON.stringify(n))
    }
    // Every result the auditor had when asked (all within the hour), no more: it audits on meanwhile.
    assert.ok(report.network.audits >= countBefore && report.network.audits <= countAfter, `${report.network.audits}, auditor had ${countBefore} … ${countAfter}`)
    // The text form says the same in words.
    const text = await runCli(['sla', '--since', '1h', '--auditor', auditor.info.http, ...holders.flatMap(n => ['--node', n.info.http])], { P2PDV_DEVNET_DIR: '/nonexistent-devnet' })
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /availability: 100 %/)
    assert.match(text.stdout, /every target met/)
  })

  it('a killed holder misses: its availability falls, it is listed as not answering, exit 1', async () => {
    const [alive, dead] = holders as [SpawnedNode, SpawnedNode]
    await dead.kill9()
    await waitFor('2 unreachable audits of the killed holder', async () => {
      const rows = await results(auditor, { peer: dead.info.peerId })
      return rows.filter(r => r.outcome === 'unreachable' || r.outcome === 'timeout').length >= 2 ? true : undefined
    }, 120_000)
    const r = await sla()
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const report = r.json as { met: boolean, nodes: NodeRow[] }
    assert.equal(report.met, false)
    const audited = report.nodes.find(n => n.peerId === dead.info.peerId)!
    assert.ok(audited.availability! < 1 && audited.unreachable + audited.timeouts >= 2, JSON.stringify(audited))
    assert.equal(audited.met, false)
    const asked = report.nodes.find(n => n.url === dead.info.http && n.peerId === undefined)!
    assert.equal(asked.error?.code, 'ERR_NODE_UNREACHABLE')
    assert.equal(report.nodes.find(n => n.peerId === alive.info.peerId)!.availability, 1)
  })

  it('refuses an --auditor that runs no auditor, and targets out of range', async () => {
    const notAuditor = await runCli(['sla', '--auditor', holders[0]!.info.http, '--node', holders[0]!.info.http, '--json'], { P2PDV_DEVNET_DIR: '/nonexistent-devnet' })
    assert.notEqual(notAuditor.code, 0)
    assert.equal((notAuditor.json as { error: { code: string } }).error.code, 'ERR_NOT_AUDITOR')
    for (const bad of [['--availability', '120'], ['--p99', '-5'], ['--since', 'yesterday'], ['--auditor', 'ftp://x']]) {
      const r = await runCli(['sla', '--auditor', auditor.info.http, '--json', ...bad], { P2PDV_DEVNET_DIR: '/nonexistent-devnet' })
      assert.notEqual(r.code, 0, bad.join(' '))
      assert.match((r.json as { error: { code: string } }).error.code, /^ERR_(USAGE|BAD_DURATION)$/, bad.join(' '))
    }
  })
})

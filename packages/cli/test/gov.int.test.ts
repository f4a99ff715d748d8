// Governance as a user runs it, through the CLI only: ops and alice delegate, ops proposes new
// erasure defaults and revenue split, both vote, the proposal is queued and executed, and
// `gov params` shows the new values. Each step tried too early (or twice) fails with its own
// code. The test harness only moves the chain's clock (evm_increaseTime + mine), as time would.
// Before that, the devnet's economy closes its loop: node-0 (auditor and settler, with a short
// audit round and epoch) audits what node-1 stores, settles an epoch from the audits, posts it,
// and node-1 claims through the CLI: its P2PV balance grows by exactly the proven amount.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createPublicClient, createTestClient, http } from 'viem'
import { P2PVTokenAbi } from '@p2pdv/contracts'
import { runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const P2PV = 10n ** 18n

describe('p2pdv gov: a parameter change end to end on the devnet', () => {
  let devnet: RunningDevnet
  let id: string
  const cli = async (...args: string[]) => await runCli([...args, '--json'], devnet.env, 120_000)
  /** Moves the chain's clock on and mines a block (the Governor reads block time). */
  const advance = async (seconds: number): Promise<void> => {
    const test = createTestClient({ mode: 'anvil', transport: http(devnet.state.chain!.rpc) })
    await test.increaseTime({ seconds })
    await test.mine({ blocks: 1 })
  }

  // Two nodes: the auditor never audits itself, so node-1 holds what is audited and earns.
  before(async () => { devnet = await startDevnet(2, undefined, ['--audit-interval', '1000', '--settle-epoch', '5000']) })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('gov params shows the parameters and the voting rules', async () => {
    const r = await cli('gov', 'params')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.json.params.erasure, { k: 4, m: 2 })
    assert.deepEqual([r.json.params.creatorBps, r.json.params.nodePoolBps, r.json.params.treasuryBps], [8500, 1000, 500])
    assert.deepEqual(r.json.params.settlement, { storageShareBps: 8000, minPassBps: 5000 })
    assert.equal(r.json.governance.votingPeriod, '60')
    assert.equal(r.json.governance.timelockDelay, '60')
    assert.equal((await cli('gov', 'ls')).json.proposals.length, 0)
  })

  it('the devnet runs a settler with a funded reward pool: node-0 has nothing posted yet', async () => {
    assert.equal(devnet.state.settler, devnet.state.nodes[0]!.http, 'node-0 settles')
    const { rpc, contracts } = devnet.state.chain!
    const pool = await createPublicClient({ transport: http(rpc) }).readContract({ address: contracts.token!, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [contracts.rewards!] })
    assert.equal(pool, 10_000n * P2PV)
    const [listed, claim] = await Promise.all([cli('rewards', '--as', 'node-0'), cli('rewards', 'claim', '--as', 'node-0')])
    assert.equal(listed.code, 0, listed.stdout + listed.stderr)
    assert.deepEqual([listed.json.settler, listed.json.epochs], [devnet.state.nodes[0]!.http, []])
    assert.equal(claim.json.error.code, 'ERR_REWARDS_NOT_POSTED')
  })

  it('devnet: audits run, an epoch settles, node-1 claims and its balance grows by exactly the proven amount', async () => {
    const { rpc, contracts, accounts } = devnet.state.chain!
    const file = join(devnet.dir, 'audited.bin')
    await writeFile(file, randomBytes(200_000))
    const put = await cli('put', file, '--replicas', '2')
    assert.equal(put.code, 0, put.stderr)
    // The settler posts an epoch once node-1 passed audits in it (audits every second, epochs of 5 s).
    let listed: Awaited<ReturnType<typeof cli>> | undefined
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      listed = await cli('rewards', '--as', 'node-1')
      if (listed.json.epochs?.some((e: { status: string }) => e.status === 'claimable') === true) break
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
    const epoch = listed?.json.epochs?.find((e: { status: string }) => e.status === 'claimable') as { epoch: string, tokenAmount: string } | undefined
    assert.ok(epoch !== undefined, `no claimable epoch for node-1 within 60 s: ${JSON.stringify(listed?.json)}`)
    assert.ok(BigInt(epoch.tokenAmount) > 0n)
    const verified = await cli('rewards', 'verify', epoch.epoch)
    assert.equal(verified.code, 0, verified.stdout + verified.stderr)
    const balance = async (): Promise<bigint> => await createPublicClient({ transport: http(rpc) }).readContract({ address: contracts.token!, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [accounts['node-1']!] })
    const before = await balance()
    const claim = await cli('rewards', 'claim', '--epoch', epoch.epoch, '--as', 'node-1')
    assert.equal(claim.code, 0, claim.stdout + claim.stderr)
    assert.equal(await balance() - before, BigInt(epoch.tokenAmount), 'the balance grew by exactly the proven amount')
    assert.equal(claim.json.change.p2pv, epoch.tokenAmount)
    assert.equal((await cli('rewards', 'claim', '--epoch', epoch.epoch, '--as', 'node-1')).json.error.code, 'ERR_REWARDS_ALREADY_CLAIMED')
  })

  it('refuses impossible changes and undelegated proposers before anything is voted on', async () => {
    const bad = await cli('gov', 'propose', '--set', 'erasure=0:4', '--description', 'no data blocks', '--as', 'ops')
    assert.equal(bad.code, 1)
    assert.equal(bad.json.error.code, 'ERR_GOV_BAD_CHANGE')
    assert.equal((await cli('gov', 'propose', '--set', 'split=90:20', '--description', 'x', '--as', 'ops')).json.error.code, 'ERR_GOV_BAD_CHANGE')
    assert.equal((await cli('gov', 'propose', '--set', 'slash=5', '--description', '', '--as', 'ops')).json.error.code, 'ERR_GOV_BAD_DESCRIPTION')
    const undelegated = await cli('gov', 'propose', '--set', 'slash=5', '--description', 'lower slashing', '--as', 'ops')
    assert.equal(undelegated.json.error.code, 'ERR_GOV_BELOW_THRESHOLD')
  })

  it('delegation gives votes; ops proposes; voting opens after the delay', async () => {
    const d = await cli('gov', 'delegate', '--as', 'ops')
    assert.equal(d.code, 0, d.stderr)
    assert.equal(d.json.delegatee, devnet.state.chain!.accounts.ops)
    assert.equal(d.json.votes, (100_000_000n * P2PV).toString())
    assert.equal((await cli('gov', 'delegate', '--as', 'alice')).code, 0)
    await advance(1)
    const p = await cli('gov', 'propose', '--set', 'erasure=10:4', '--set', 'split=80:15', '--set', 'settlement=90:60', '--description', 'Wider stripes; more for nodes', '--as', 'ops')
    assert.equal(p.code, 0, p.stderr)
    assert.deepEqual(p.json.changes, ['erasure=10:4', 'split=80:15', 'settlement=90:60'])
    id = p.json.shortId
    const ls = await cli('gov', 'ls')
    assert.equal(ls.json.proposals?.length, 1, JSON.stringify(ls.json))
    assert.equal(ls.json.proposals[0].id, p.json.id)
    assert.ok(['pending', 'active'].includes(ls.json.proposals[0].state))
    assert.deepEqual(ls.json.proposals[0].changes.map((c: { set: string }) => c.set), ['erasure=10:4', 'split=80:15', 'settlement=90:60'])
  })

  it('votes count once each, only with delegated votes, while voting is open', async () => {
    await advance(2)
    const yes = await cli('gov', 'vote', id, 'for', '--as', 'ops')
    assert.equal(yes.code, 0, yes.stderr)
    assert.equal(yes.json.weight, (100_000_000n * P2PV).toString())
    assert.equal((await cli('gov', 'vote', id, 'against', '--as', 'ops')).json.error.code, 'ERR_GOV_ALREADY_VOTED')
    assert.equal((await cli('gov', 'vote', id, 'for', '--as', 'carol')).json.error.code, 'ERR_GOV_NO_VOTES', 'carol never delegated')
    assert.equal((await cli('gov', 'vote', id, 'against', '--as', 'alice')).code, 0)
    assert.equal((await cli('gov', 'vote', id, 'maybe', '--as', 'bob')).json.error.code, 'ERR_USAGE')
    assert.equal((await cli('gov', 'vote', '9999', 'for', '--as', 'bob')).json.error.code, 'ERR_GOV_UNKNOWN_PROPOSAL')
    assert.equal((await cli('gov', 'vote', '0x12; drop', 'for', '--as', 'bob')).json.error.code, 'ERR_GOV_UNKNOWN_PROPOSAL')
    const early = await cli('gov', 'queue', id, '--as', 'bob')
    assert.equal(early.json.error.code, 'ERR_GOV_NOT_SUCCEEDED', 'voting has not ended')
    assert.equal((await cli('gov', 'execute', id, '--as', 'bob')).json.error.code, 'ERR_GOV_NOT_QUEUED')
  })

  it('after the vote it is queued, held by the timelock, then executed: gov params shows the change', async () => {
    await advance(61)
    assert.equal((await cli('gov', 'vote', id, 'for', '--as', 'bob')).json.error.code, 'ERR_GOV_NOT_ACTIVE', 'voting closed')
    const ls = await cli('gov', 'ls')
    const p = ls.json.proposals[0]
    assert.equal(p.state, 'succeeded')
    assert.deepEqual(p.votes, { for: (100_000_000n * P2PV).toString(), against: (100_000n * P2PV).toString(), abstain: '0' })
    assert.equal(p.quorum, (40_000_000n * P2PV).toString(), '4 % of the supply')
    assert.equal((await cli('gov', 'execute', id, '--as', 'bob')).json.error.code, 'ERR_GOV_NOT_QUEUED', 'passed, not queued')
    const q = await cli('gov', 'queue', id, '--as', 'bob')
    assert.equal(q.code, 0, q.stderr)
    const held = await cli('gov', 'execute', id, '--as', 'bob')
    assert.equal(held.json.error.code, 'ERR_GOV_TIMELOCK_NOT_READY')
    assert.match(held.json.error.message, new RegExp(new Date(Number(q.json.eta) * 1000).toISOString().slice(0, 19)), 'says when')
    await advance(61)
    const x = await cli('gov', 'execute', id, '--as', 'bob')
    assert.equal(x.code, 0, x.stderr)
    const params = await cli('gov', 'params')
    assert.deepEqual(params.json.params.erasure, { k: 10, m: 4 })
    assert.deepEqual([params.json.params.creatorBps, params.json.params.nodePoolBps, params.json.params.treasuryBps], [8000, 1500, 500])
    assert.deepEqual(params.json.params.settlement, { storageShareBps: 9000, minPassBps: 6000 }, 'the settlement weights change only this way')
    assert.equal((await cli('gov', 'ls')).json.proposals[0].state, 'executed')
    assert.equal((await cli('gov', 'execute', id, '--as', 'bob')).json.error.code, 'ERR_GOV_NOT_QUEUED', 'executed once only')
  })
})

// A node operator's rewards through the CLI only, on a real anvil: the settler (the node's own
// Settler over a real audit.sqlite, served by its own routes on 127.0.0.1) settles an epoch from
// audits and posts it; `p2pdv rewards` shows it claimable; `rewards claim` raises the operator's
// balance by exactly the proven amount, once; a hostile settler's tampered proof is refused
// before any transaction, and its tampered inputs fail `rewards verify`.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { createPublicClient, http, type Address } from 'viem'
import { P2PVTokenAbi } from '@p2pdv/contracts'
import { startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { ChainClient, rewardClaimed, type ChainConfig } from '@p2pdv/chain'
import { IdentityStore } from '@p2pdv/chain/identity'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { AuditStore } from '../../node/src/audit/store.ts'
import { Settler, type EpochFile, type RewardProof } from '../../node/src/settle/settler.ts'
import { rewardRoutes } from '../../node/src/settle/routes.ts'
import { POOL, recordAudits, rewardsChain } from '../../node/test/fixtures/rewards.ts'
import { DEVNET_SCRYPT } from '../src/chain/devnet-chain.ts'
import { runCli } from './fixtures/cli.ts'

const PASS = 'rewards-test-passphrase'
const log = pino({ level: 'silent' })

/** A settler's HTTP API on 127.0.0.1 with the node's error shape. */
async function serve (register: (app: FastifyInstance) => void): Promise<{ url: string, app: FastifyInstance }> {
  const app = Fastify()
  app.setErrorHandler(async (err, _req, reply) => err instanceof P2pdvError
    ? await reply.code(httpStatusOf(err.code)).send(err.toJSON())
    : await reply.code(500).send({ code: 'ERR_INTERNAL', message: 'internal error' }))
  register(app)
  return { url: await app.listen({ host: '127.0.0.1', port: 0 }), app }
}

describe('p2pdv rewards: see, claim and verify an epoch settled from audits', () => {
  let anvil: Anvil
  let dir: string
  let config: ChainConfig
  let token: Address
  let settler: Settler
  let store: AuditStore
  let honest: { url: string, app: FastifyInstance }
  let hostile: { url: string, app: FastifyInstance }
  const ops: Address[] = []
  let clock = 1_000_000
  const env = (): NodeJS.ProcessEnv => ({ P2PDV_PASSPHRASE: PASS, P2PDV_HOME: join(dir, 'home'), P2PDV_DEVNET_DIR: join(dir, 'no-devnet') })
  const cli = async (node: string, ...args: string[]) => await runCli([...args, '--chain', join(dir, 'chain.json'), '--keys', join(dir, 'keys'), '--node', node, '--json'], env())
  const tokenBalance = async (a: Address): Promise<bigint> => await createPublicClient({ transport: http(anvil.rpc) }).readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [a] })

  before(async () => {
    anvil = await startAnvil()
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-rewards-cli-'))
    const keys = new IdentityStore(join(dir, 'keys'))
    const ids = [await keys.create('op0', PASS, { scrypt: DEVNET_SCRYPT }), await keys.create('op1', PASS, { scrypt: DEVNET_SCRYPT })]
    ops.push(...ids.map(i => i.address))
    // op0's node earns, op1's does not (fixtures/rewards.ts).
    const c = await rewardsChain(anvil, ids.map(i => i.account))
    config = c.config
    token = c.token
    await writeFile(join(dir, 'chain.json'), JSON.stringify(c.chainFile))
    store = new AuditStore(join(dir, 'audit.sqlite'))
    recordAudits(store, c.peers, clock)
    settler = new Settler({ store, chain: c.chain, dir: join(dir, 'settler'), log, now: () => clock })
    honest = await serve(rewardRoutes(() => settler))
    hostile = await serve(app => {
      app.get<{ Params: { epoch: string, address: string } }>('/api/v1/rewards/:epoch/:address', async req => {
        const real = (await settler.proof(BigInt(req.params.epoch), req.params.address as Address))!
        return { ...real, tokenAmount: (2n * BigInt(real.tokenAmount)).toString() } satisfies RewardProof
      })
      app.get<{ Params: { epoch: string } }>('/api/v1/rewards/:epoch', async req => {
        const real = settler.read(BigInt(req.params.epoch))!
        // The lie: op1 passed every audit, so it would have earned.
        return { ...real, records: real.records.map(r => r.node === ops[1] ? { ...r, passes: r.audits } : r) } satisfies EpochFile
      })
    })
  })
  after(async () => {
    await honest?.app.close()
    await hostile?.app.close()
    store?.close()
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('before any epoch is posted: nothing listed, and a claim says nothing is posted', async () => {
    const [r, claim] = await Promise.all([cli(honest.url, 'rewards', '--as', 'op0'), cli(honest.url, 'rewards', 'claim', '--as', 'op0')])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.json.epochs, [])
    assert.equal(claim.json.error.code, 'ERR_REWARDS_NOT_POSTED')
  })

  it('after the settler posts an epoch, the operator sees its share claimable and the other node nothing', async () => {
    clock += 3_600_000
    assert.equal(await settler.settle(), 0n)
    const [r, other] = await Promise.all([cli(honest.url, 'rewards', '--as', 'op0'), cli(honest.url, 'rewards', 'op1')])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.json.epochs.map((e: { epoch: string, status: string, tokenAmount: string }) => [e.epoch, e.status, e.tokenAmount]), [['0', 'claimable', POOL.toString()]])
    assert.equal(r.json.claimable.token, POOL.toString())
    assert.equal(other.code, 0, other.stderr)
    assert.equal(other.json.epochs[0].status, 'nothing')
  })

  it('a hostile settler\'s tampered proof is refused before any transaction', async () => {
    const publicClient = createPublicClient({ transport: http(anvil.rpc) })
    const nonce = await publicClient.getTransactionCount({ address: ops[0]! })
    const before = await tokenBalance(ops[0]!)
    const [one, all, listed] = await Promise.all([
      cli(hostile.url, 'rewards', 'claim', '--epoch', '0', '--as', 'op0'),
      cli(hostile.url, 'rewards', 'claim', '--as', 'op0'),
      cli(hostile.url, 'rewards', '--as', 'op0')
    ])
    assert.equal(one.json?.error?.code, 'ERR_REWARDS_FORGED_PROOF', one.stdout)
    assert.equal(all.json?.error?.code, 'ERR_REWARDS_FORGED_PROOF', all.stdout)
    assert.equal(listed.json.epochs[0].status, 'forged', 'a forged proof is never shown as claimable')
    assert.equal(listed.json.claimable.token, '0')
    assert.equal(await publicClient.getTransactionCount({ address: ops[0]! }), nonce, 'no transaction was sent')
    assert.equal(await tokenBalance(ops[0]!), before)
    assert.equal(await rewardClaimed(await ChainClient.connect(config), 0n, ops[0]!), false)
  })

  it('the claim raises the operator\'s balance by exactly the proven amount, once', async () => {
    const before = await tokenBalance(ops[0]!)
    const r = await cli(honest.url, 'rewards', 'claim', '--epoch', '0', '--as', 'op0')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(await tokenBalance(ops[0]!) - before, POOL)
    assert.equal(r.json.change.p2pv, POOL.toString())
    assert.match(r.json.claims[0].tx, /^0x[0-9a-f]{64}$/)
    const [again, all, listed] = await Promise.all([
      cli(honest.url, 'rewards', 'claim', '--epoch', '0', '--as', 'op0'),
      cli(honest.url, 'rewards', 'claim', '--as', 'op0'),
      cli(honest.url, 'rewards', '--as', 'op0')
    ])
    assert.equal(again.json.error.code, 'ERR_REWARDS_ALREADY_CLAIMED')
    assert.equal(all.json.error.code, 'ERR_REWARDS_ALREADY_CLAIMED')
    assert.equal(await tokenBalance(ops[0]!) - before, POOL, 'nothing more was paid')
    assert.deepEqual([listed.json.epochs[0].status, listed.json.claimed.token], ['claimed', POOL.toString()])
  })

  it('refuses a claim with no share, an unposted epoch, and a bad epoch by code', async () => {
    const codes = await Promise.all([
      cli(honest.url, 'rewards', 'claim', '--epoch', '0', '--as', 'op1'),
      cli(honest.url, 'rewards', 'claim', '--epoch', '7', '--as', 'op0'),
      cli(honest.url, 'rewards', 'claim', '--epoch', '18446744073709551616', '--as', 'op0'),
      cli('ftp://127.0.0.1', 'rewards', '--as', 'op0')
    ])
    assert.deepEqual(codes.map(r => r.json?.error?.code), ['ERR_REWARDS_NO_PROOF', 'ERR_REWARDS_NOT_POSTED', 'ERR_REWARDS_BAD_EPOCH', 'ERR_USAGE'])
  })

  it('verify recomputes the posted root from the published inputs, and catches inputs that do not settle to it', async () => {
    const [ok, lie, unposted] = await Promise.all([
      cli(honest.url, 'rewards', 'verify', '0'),
      cli(hostile.url, 'rewards', 'verify', '0'),
      cli(honest.url, 'rewards', 'verify', '3')
    ])
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.equal(ok.json.verified, true)
    assert.equal(ok.json.tokenTotal, POOL.toString())
    assert.equal(lie.code, 1)
    assert.equal(lie.json.error.code, 'ERR_REWARDS_ROOT_MISMATCH')
    assert.equal(unposted.json.error.code, 'ERR_REWARDS_NOT_POSTED')
  })
})

// The settler on a real anvil: an epoch's audit results (a real audit.sqlite) are settled with
// the governed weights, posted, and served as proofs that claim exactly the settled amount; a
// second settler racing for the same epoch is refused by the contract and serves nothing; the
// proof route refuses hostile parameters by code.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify from 'fastify'
import { pino } from 'pino'
import { createWalletClient, http, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { P2PVTokenAbi } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { ChainClient, claimReward, rewardClaimed, verifyRewardProof, type ChainConfig } from '@p2pdv/chain'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { AuditStore } from '../src/audit/store.ts'
import { Settler, type RewardProof } from '../src/settle/settler.ts'
import { rewardRoutes } from '../src/settle/routes.ts'
import { FUNDER, POOL, recordAudits, rewardsChain } from './fixtures/rewards.ts'

const log = pino({ level: 'silent' })

describe('settler: settle, post, serve proofs, claim', () => {
  let anvil: Anvil
  let dir: string
  let config: ChainConfig
  let store: AuditStore
  let settler: Settler
  let token: Address
  const nodes = [2, 3].map(i => privateKeyToAccount(ANVIL_KEYS[i]!))
  const peers: string[] = []
  let clock = 1_000_000

  before(async () => {
    anvil = await startAnvil()
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-settler-'))
    const c = await rewardsChain(anvil, nodes)
    config = c.config
    token = c.token
    peers.push(...c.peers)
    store = new AuditStore(join(dir, 'audit.sqlite'))
    // Node 0 earns, node 1 does not (fixtures/rewards.ts); an unregistered peer's results are left out.
    recordAudits(store, peers, clock)
    store.addResult({ peer: '12D3KooWUnregisteredPeer', cid: 'bafy-a', kind: 'proof', outcome: 'pass', code: null, counted: true, issued: clock + 10, signed: new Uint8Array() })
    settler = new Settler({ store, chain: c.chain, dir, log, now: () => clock })
  })
  after(async () => {
    store?.close()
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('posts the epoch; the node below the minimum pass rate earns nothing; the proof claims exactly the settled amount, once', async () => {
    clock += 3_600_000
    assert.equal(await settler.settle(), 0n)
    const file = settler.read(0n)!
    assert.deepEqual(file.weights, { storageShareBps: 8000, minPassBps: 5000 })
    assert.deepEqual(file.shares.map(s => [s.node, s.tokenAmount]), [[nodes[0]!.address, POOL.toString()]], 'no served bytes: storage takes the whole pool')
    assert.equal(await settler.proof(0n, nodes[1]!.address), undefined)
    const proof = (await settler.proof(0n, nodes[0]!.address))!
    const share = { node: proof.node, ethAmount: BigInt(proof.ethAmount), tokenAmount: BigInt(proof.tokenAmount) }
    assert.ok(verifyRewardProof(proof.root, 0n, share, proof.proof))
    const claimer = await ChainClient.connect(config, { account: nodes[0]! })
    const balance = async () => await claimer.public.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [nodes[0]!.address] })
    const before = await balance()
    await claimReward(claimer, 0n, share, proof.proof)
    assert.equal(await balance() - before, POOL)
    assert.equal(await rewardClaimed(claimer, 0n, nodes[0]!.address), true)
  })

  it('a settler the contract refuses (no settler role) keeps no leaves and serves nothing', async () => {
    const funder = createWalletClient({ account: FUNDER, transport: http(anvil.rpc) })
    const outsider = await ChainClient.connect(config, { account: privateKeyToAccount(ANVIL_KEYS[5]) })
    await outsider.public.waitForTransactionReceipt({ hash: await funder.writeContract({ address: token, abi: P2PVTokenAbi, functionName: 'transfer', args: [config.contracts.rewards, POOL], chain: null }) })
    let rivalClock = clock - 3_600_000
    const rival = new Settler({ store, chain: outsider, dir: join(dir, 'rival'), log, now: () => rivalClock })
    rivalClock = clock
    await assert.rejects(rival.settle(), (err: P2pdvError) => err instanceof P2pdvError && err.code.startsWith('ERR_CHAIN'))
    assert.deepEqual(rival.epochs(), [], 'a refused post leaves no leaves behind')
    assert.equal(await rival.proof(1n, nodes[0]!.address), undefined)
  })

  it('the proof route answers a share and refuses hostile parameters by code', async () => {
    const app = Fastify()
    app.setErrorHandler(async (err, _req, reply) => err instanceof P2pdvError ? await reply.code(httpStatusOf(err.code)).send({ error: { code: err.code } }) : await reply.code(500).send({ error: { code: 'ERR_INTERNAL' } }))
    rewardRoutes(() => settler)(app)
    const get = async (url: string) => await app.inject({ method: 'GET', url })
    const ok = await get(`/api/v1/rewards/0/${nodes[0]!.address.toLowerCase()}`)
    assert.equal(ok.statusCode, 200)
    assert.equal((ok.json() as RewardProof).tokenAmount, POOL.toString())
    for (const [url, code] of [
      [`/api/v1/rewards/-1/${nodes[0]!.address}`, 'ERR_REWARDS_BAD_EPOCH'],
      [`/api/v1/rewards/18446744073709551616/${nodes[0]!.address}`, 'ERR_REWARDS_BAD_EPOCH'],
      ['/api/v1/rewards/0/0x1234', 'ERR_REWARDS_BAD_ADDRESS'],
      [`/api/v1/rewards/0/0x${'zz'.repeat(20)}`, 'ERR_REWARDS_BAD_ADDRESS'],
      [`/api/v1/rewards/0/${nodes[1]!.address}`, 'ERR_REWARDS_NO_SHARE'],
      [`/api/v1/rewards/7/${nodes[0]!.address}`, 'ERR_REWARDS_NO_SHARE']
    ] as const) {
      const r = await get(url)
      assert.equal((r.json() as { error: { code: string } }).error.code, code, url)
    }
    assert.equal((await get(`/api/v1/rewards/${'9'.repeat(400)}/${nodes[0]!.address}`)).statusCode, 414, 'a parameter past the router\'s length limit is refused (URI too long)')
    const none = Fastify()
    none.setErrorHandler(async (err, _req, reply) => await reply.code(404).send({ error: { code: (err as P2pdvError).code } }))
    rewardRoutes(() => undefined)(none)
    assert.equal(((await none.inject({ method: 'GET', url: `/api/v1/rewards/0/${nodes[0]!.address}` })).json() as { error: { code: string } }).error.code, 'ERR_REWARDS_NOT_SETTLER')
    await app.close()
    await none.close()
  })
})

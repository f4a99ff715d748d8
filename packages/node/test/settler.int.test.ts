// The settler on a real anvil: an epoch's audit results (a real audit.sqlite) are settled with
// the governed weights, posted, and served as proofs that claim exactly the settled amount; a
// second settler racing for the same epoch is refused by the contract and serves nothing; the
// proof route refuses hostile parameters by code. A viewer's fetch from a node yields a serving
// receipt that the settler reads from the node's registered endpoint, re-verifies and turns into
// that node's served share; a forged receipt slipped into the node's store is refused and listed.
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
import { ChainClient, claimReward, ensureNodeRegistered, epochSecondsOf, rewardClaimed, settleEpoch, verifyRewardProof, type ChainConfig } from '@p2pdv/chain'
import { blockCid } from '@p2pdv/core'
import { decodeServingReceipt, DEFAULT_RECEIPT_CAP_BYTES, encodeServingReceipt, tallyReceipts } from '@p2pdv/core/receipts'
import { NodeClient, parseRewardEpochInputs, ServedBytesReporter } from '@p2pdv/node-client'
import { Client } from '@p2pdv/sdk/client'
import { ReceiptStore } from '../src/receipts/store.ts'
import { receiptRoutes } from '../src/receipts/routes.ts'
import { ReceiptsComponent } from '../src/components/receipts.ts'
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
  let settlerChain: ChainClient
  const nodes = [2, 3].map(i => privateKeyToAccount(ANVIL_KEYS[i]!))
  const peers: string[] = []
  let clock = 1_000_000

  before(async () => {
    anvil = await startAnvil()
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-settler-'))
    const c = await rewardsChain(anvil, nodes)
    config = c.config
    settlerChain = c.chain
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

  it('a viewer\'s fetch yields a receipt that the settler counts as that node\'s served share; a forged one is refused and published', async () => {
    // Node 1 (under the minimum pass rate: no storage share) serves one block over HTTP and keeps receipts.
    const block = new Uint8Array(64 * 1024).fill(42)
    const cid = await blockCid(block)
    const receiptStore = new ReceiptStore(join(dir, 'receipts.sqlite'), DEFAULT_RECEIPT_CAP_BYTES)
    const component = new ReceiptsComponent({ dataDir: () => dir, peerId: () => peers[1]!, chain: () => settlerChain, log })
    const node = Fastify()
    node.setErrorHandler(async (err, _req, reply) => err instanceof P2pdvError ? await reply.code(httpStatusOf(err.code)).send(err.toJSON()) : await reply.code(500).send({ code: 'ERR_INTERNAL' }))
    node.get<{ Params: { cid: string } }>('/ipfs/:cid', async (req, reply) => req.params.cid === cid.toString() ? await reply.type('application/vnd.ipld.raw').send(Buffer.from(block)) : await reply.code(404).send())
    receiptRoutes({ peerId: peers[1]!, store: () => receiptStore, epoch: async fresh => await component.epoch(fresh), capBytes: DEFAULT_RECEIPT_CAP_BYTES, log })(node)
    const url = await node.listen({ host: '127.0.0.1', port: 0 })
    try {
      // The settler finds the node's receipts at the endpoint it registered.
      await ensureNodeRegistered(await ChainClient.connect(config, { account: nodes[1]! }), { peerId: peers[1]!, endpoints: [url], encryptionKey: `0x${'11'.repeat(32)}`, capacity: 1n << 40n, keeper: false }, 1n)
      const viewer = privateKeyToAccount(ANVIL_KEYS[6])
      let reporter: ServedBytesReporter | undefined
      const client = await Client.create({ peers: [{ peerId: peers[1]!, http: url, multiaddrs: [] }], workers: 0, onBlockFetched: e => { reporter?.count(e.peerId, e.bytes) } })
      reporter = new ServedBytesReporter({
        viewer: Uint8Array.from(Buffer.from(viewer.address.slice(2), 'hex')),
        sign: async d => await viewer.signMessage({ message: { raw: d } }),
        node: id => new NodeClient(url, { peerId: id })
      })
      try {
        assert.deepEqual(await client.reader.fetch(cid), block)
      } finally {
        await client.close()
      }
      const report = await reporter.flush()
      assert.deepEqual(report.map(r => [r.peerId, r.receipts, r.bytes, r.refused]), [[peers[1], 1, block.byteLength, []]])
      // A forged receipt (bytes raised after signing) put straight into the node's store.
      const kept = receiptStore.list(1).receipts
      assert.equal(kept.length, 1)
      const forged = encodeServingReceipt({ ...decodeServingReceipt(kept[0]!), seq: 1, bytes: 10 ** 9 })
      receiptStore.db.prepare('INSERT INTO receipts (epoch, key, viewer, bytes, received, body) VALUES (1, ?, ?, ?, 0, ?)').run('forged', viewer.address.toLowerCase(), 10 ** 9, forged)

      clock += 3_600_000
      for (let i = 0; i < 4; i++) store.addResult({ peer: peers[0]!, cid: 'bafy-a', kind: 'proof', outcome: 'pass', code: null, counted: true, issued: clock - 1000, signed: new Uint8Array() })
      store.addResult({ peer: peers[1]!, cid: 'bafy-a', kind: 'proof', outcome: 'fail', code: null, counted: true, issued: clock - 1000, signed: new Uint8Array() })
      clock += 1000
      assert.equal(await settler.settle(), 1n)
      const file = settler.read(1n)!
      assert.equal(file.v, 2)
      assert.equal(file.records.find(r => r.peer === peers[1])?.servedBytes, String(block.byteLength), 'the verified bytes the viewer received')
      assert.equal(file.records.find(r => r.peer === peers[0])?.servedBytes, '0')
      assert.deepEqual(file.receiptRefusals.map(r => [r.peer, r.code]), [[peers[1], 'ERR_RECEIPT_BAD_SIGNATURE']])
      const pool = BigInt(file.pool.token)
      const share = (i: number): bigint => BigInt(file.shares.find(s => s.node === nodes[i]!.address)?.tokenAmount ?? '0')
      assert.equal(share(1), pool * 2000n / 10_000n, 'the node that served earns the whole served part (20 %), with no storage share')
      assert.equal(share(0), pool * 8000n / 10_000n)
      // What `p2pdv rewards verify` does: the published inputs, receipts re-verified, settle to the posted root.
      const inputs = parseRewardEpochInputs(JSON.parse(JSON.stringify(file)), 1n)
      const tally = await tallyReceipts(inputs.receipts, { epoch: 1 })
      assert.equal(tally.served.get(peers[1]!), BigInt(block.byteLength))
      const again = settleEpoch({ epoch: 1n, epochSeconds: epochSecondsOf(inputs.from, inputs.to), pool: inputs.pool, weights: inputs.weights, records: inputs.records.map(r => ({ ...r, servedBytes: tally.served.get(r.peer) ?? 0n })) })
      assert.equal(again.tree?.root, file.root)
    } finally {
      await node.close()
      receiptStore.close()
    }
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

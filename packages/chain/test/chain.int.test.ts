// The sdk's chain client against a real anvil with the protocol deployed: a creator registers
// and prices videos, a viewer buys (ETH and P2PV) and subscribes, the creator withdraws; a node
// registers and keeps its registration current. Refusals carry the contract's error as a code.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createTestClient, createWalletClient, encodeFunctionData, http, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, ProtocolParamsAbi, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { DEFAULT_K, DEFAULT_M } from '@p2pdv/core/erasure'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { ChainClient, parseChainConfig, type ChainConfig } from '@p2pdv/chain'

const P2PV = WEI_PER_TOKEN
const FP = `0x${'ab'.repeat(32)}` as Hex
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const id = (): Hex => toHex(randomBytes(32))

describe('ChainClient', () => {
  let anvil: Anvil
  let config: ChainConfig
  let alice: ChainClient, bob: ChainClient, node: ChainClient, reader: ChainClient

  before(async () => {
    anvil = await startAnvil()
    const deployer = privateKeyToAccount(ANVIL_KEYS[0])
    const accounts = ANVIL_KEYS.slice(1, 4).map(k => privateKeyToAccount(k))
    const d = await deployAll(createWalletClient({ account: deployer, transport: http(anvil.rpc) }), {
      allocations: accounts.map(a => ({ to: a.address, amount: 10_000n * P2PV })),
      params: { minStake: 1_000n * P2PV },
      roles: { auditors: [accounts[0]!.address] }
    })
    config = parseChainConfig({ rpc: anvil.rpc, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock.toString() }, 'test')
    ;[alice, bob, node] = await Promise.all(accounts.map(async account => await ChainClient.connect(config, { account, pollingIntervalMs: 50 }))) as [ChainClient, ChainClient, ChainClient]
    reader = await ChainClient.connect(config)
  })
  after(async () => { await anvil?.stop() })

  it('registers, lists and prices videos; a viewer buys with ETH; the creator withdraws', async () => {
    const v = id()
    await alice.registerVideo({ id: v, manifestCid: CID, keyFingerprint: FP, policy: 'paid', rating: 1 })
    await alice.setPrice(v, { asset: 'eth', amount: 10n ** 16n, duration: 0n })
    const listed = (await reader.listVideos()).find(x => x.id === v)
    assert.equal(listed?.owner, alice.address)
    assert.equal(listed?.policy, 'paid')
    assert.deepEqual(listed?.price, { asset: 'eth', amount: 10n ** 16n, duration: 0n })
    assert.equal(await reader.hasAccess(v, bob.address), false)
    const bought = await bob.buy(v)
    assert.equal(bought.until, 2n ** 64n - 1n)
    assert.equal(await reader.hasAccess(v, bob.address), true)
    await assert.rejects(bob.buy(v), { code: 'ERR_CHAIN_ALREADY_PAID' })
    const owed = (await alice.balances()).owedEth
    assert.equal(owed, 10n ** 16n * 85n / 100n)
    assert.equal((await alice.withdraw('eth')).amount, owed)
    await assert.rejects(alice.withdraw('eth'), { code: 'ERR_CHAIN_NOTHING_TO_WITHDRAW' })
  })

  it('buys a P2PV-priced video approving exactly the price, and leaves no allowance behind', async () => {
    const v = id()
    await alice.registerVideo({ id: v, manifestCid: CID, keyFingerprint: FP, policy: 'paid' })
    await alice.setPrice(v, { asset: 'p2pv', amount: 25n * P2PV, duration: 3600n })
    const before = (await bob.balances()).p2pv
    const r = await bob.buy(v)
    assert.ok(r.until > 0n && r.until < 2n ** 64n - 1n)
    assert.equal((await bob.balances()).p2pv, before - 25n * P2PV)
    const allowance = await reader.public.readContract({ address: config.contracts.token, abi: (await import('@p2pdv/contracts/abis')).P2PVTokenAbi, functionName: 'allowance', args: [bob.address, config.contracts.accessManager] })
    assert.equal(allowance, 0n)
  })

  it('subscribes to a creator and grants named viewers', async () => {
    const v = id()
    await alice.registerVideo({ id: v, manifestCid: CID, keyFingerprint: FP, policy: 'subscribers' })
    await assert.rejects(bob.subscribe(alice.address), { code: 'ERR_CHAIN_NO_SUBSCRIPTION_PLAN' })
    await alice.setPlan({ asset: 'eth', amount: 1000n, period: 86_400n })
    await bob.subscribe(alice.address, 2)
    assert.equal(await reader.hasAccess(v, bob.address), true)
    const p = id()
    await alice.registerVideo({ id: p, manifestCid: CID, keyFingerprint: FP, policy: 'private' })
    assert.equal(await reader.hasAccess(p, bob.address), false)
    await assert.rejects(bob.grant(p, bob.address), { code: 'ERR_CHAIN_NOT_VIDEO_MANAGER' })
    await alice.grant(p, bob.address)
    assert.equal(await reader.hasAccess(p, bob.address), true)
    await assert.rejects(bob.buy(p), { code: 'ERR_NOT_FOR_SALE' })
  })

  it('a video\'s audience: grants minus revokes in chain order, every sale with what it paid', async () => {
    const v = id()
    await alice.registerVideo({ id: v, manifestCid: CID, keyFingerprint: FP, policy: 'paid' })
    await alice.setPrice(v, { asset: 'eth', amount: 500n, duration: 0n })
    assert.deepEqual(await reader.videoAudience(v), { granted: [], sales: [], salesCount: 0, revenue: { eth: 0n, p2pv: 0n } })
    await alice.grant(v, bob.address)
    await alice.grant(v, node.address)
    await alice.revoke(v, bob.address)
    await alice.revoke(v, node.address)
    await alice.grant(v, node.address)
    await bob.buy(v)
    const a = await reader.videoAudience(v)
    assert.deepEqual(a.granted.map(g => g.viewer), [node.address], 'granted, revoked, granted again: granted; granted then revoked: not')
    assert.equal(a.granted[0]!.by, alice.address)
    assert.equal(a.salesCount, 1)
    assert.deepEqual(a.revenue, { eth: 500n, p2pv: 0n })
    assert.deepEqual([a.sales[0]!.viewer, a.sales[0]!.payer, a.sales[0]!.asset, a.sales[0]!.amount], [bob.address, bob.address, 'eth', 500n])
    // Another video's events are not this one's.
    assert.deepEqual((await reader.videoAudience(id())).granted, [])
  })

  it('refuses writes without a wallet, a taken id, and a chain id that does not match', async () => {
    await assert.rejects(reader.grant(id(), bob.address), { code: 'ERR_CHAIN_NO_ACCOUNT' })
    const v = id()
    await alice.registerVideo({ id: v, manifestCid: CID, keyFingerprint: FP, policy: 'public' })
    await assert.rejects(bob.registerVideo({ id: v, manifestCid: CID, keyFingerprint: FP, policy: 'public' }), { code: 'ERR_CHAIN_VIDEO_ALREADY_REGISTERED' })
    await assert.rejects(ChainClient.connect({ ...config, chainId: 1 }), { code: 'ERR_CHAIN_MISMATCH' })
    await assert.rejects(ChainClient.connect({ ...config, rpc: 'http://127.0.0.1:9' }), { code: 'ERR_CHAIN_UNREACHABLE' })
  })

  it('reads the erasure defaults governance sets (deployed as the core default)', async () => {
    assert.deepEqual(await reader.erasureDefaults(), { k: DEFAULT_K, m: DEFAULT_M })
    const test = createTestClient({ mode: 'anvil', transport: http(anvil.rpc) })
    const timelock = config.contracts.timelock
    await test.impersonateAccount({ address: timelock })
    await test.setBalance({ address: timelock, value: 10n ** 18n })
    const hash = await test.sendUnsignedTransaction({ from: timelock, to: config.contracts.params, data: encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setErasureDefaults', args: [10, 20] }) })
    await test.stopImpersonatingAccount({ address: timelock })
    // Sending returns before the block with it is mined; read only once it is.
    assert.equal((await reader.public.waitForTransactionReceipt({ hash })).status, 'success')
    assert.deepEqual(await reader.erasureDefaults(), { k: 10, m: 20 })
  })

  it('registers a node with the minimum stake, then only updates what changed', async () => {
    const profile = { peerId: '12D3KooWTest', endpoints: ['http://127.0.0.1:4001'], encryptionKey: FP, capacity: 10n ** 9n, keeper: true }
    const first = await node.ensureNodeRegistered(profile)
    assert.equal(first.action, 'registered')
    assert.equal(first.node.stake, 1_000n * P2PV)
    assert.equal(first.node.active, true)
    assert.equal((await node.ensureNodeRegistered(profile)).action, 'unchanged')
    const moved = await node.ensureNodeRegistered({ ...profile, endpoints: ['http://127.0.0.1:4999'] })
    assert.equal(moved.action, 'updated')
    assert.deepEqual(moved.node.endpoints, ['http://127.0.0.1:4999'])
    assert.deepEqual((await reader.listNodes()).map(n => n.operator), [node.address])
  })

  it('audit role: maps peer ids to operators, sets reputation and slashes the governance fraction; others are refused', async () => {
    // The node registered '12D3KooWTest' in the test above; alice holds the audit role.
    assert.equal(await reader.operatorOfPeer('12D3KooWTest'), node.address)
    assert.equal(await reader.operatorOfPeer('12D3KooWNobody'), undefined)
    assert.equal(await reader.isAuditor(alice.address), true)
    assert.equal(await bob.isAuditor(), false)
    const evidence = `0x${'5a'.repeat(32)}` as Hex
    await assert.rejects(bob.slashNode(node.address, evidence), { code: 'ERR_CHAIN_NOT_AUDITOR_OR_GOVERNANCE' })
    await assert.rejects(bob.setNodeReputation(node.address, 1), { code: 'ERR_CHAIN_NOT_AUDITOR_OR_GOVERNANCE' })
    await assert.rejects(alice.setNodeReputation(node.address, 10_001), { code: 'ERR_CHAIN_INVALID_REPUTATION' })
    // Two writes at once from one account: serialized, so neither takes the other's nonce.
    await Promise.all([alice.setNodeReputation(node.address, 7_000), alice.setNodeReputation(node.address, 6_000)])
    assert.equal((await reader.getNode(node.address)).reputation, 6_000)
    const terms = await reader.slashTerms()
    assert.equal(terms.slashBps, 1_000)
    const before = (await reader.balances(terms.treasury)).p2pv
    const slashed = await alice.slashNode(node.address, evidence)
    assert.equal(slashed.amount, 100n * P2PV)
    assert.equal(slashed.evidence, evidence)
    assert.equal((await reader.getNode(node.address)).stake, 900n * P2PV)
    assert.equal((await reader.balances(terms.treasury)).p2pv, before + 100n * P2PV)
  })

  it('validates chain descriptions', () => {
    assert.throws(() => parseChainConfig({ rpc: 'ftp://x', chainId: 1, contracts: config.contracts }, 'f'), { code: 'ERR_CHAIN_CONFIG' })
    assert.throws(() => parseChainConfig({ rpc: anvil.rpc, chainId: 1, contracts: { ...config.contracts, token: '0x12' } }, 'f'), { code: 'ERR_CHAIN_CONFIG' })
    assert.throws(() => parseChainConfig({ rpc: anvil.rpc, chainId: 0, contracts: config.contracts }, 'f'), { code: 'ERR_CHAIN_CONFIG' })
    assert.equal(parseChainConfig({ rpc: 'ftp://x', chainId: 1, contracts: config.contracts }, 'f', { rpc: anvil.rpc }).rpc, anvil.rpc)
  })
})

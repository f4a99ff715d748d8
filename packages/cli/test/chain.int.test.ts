// The on-chain layer as a user runs it: `p2pdv devnet` starts anvil with the contracts and nodes
// that stake on start; uploads register on chain; bob cannot watch a paid video until he buys
// it; the creator withdraws the revenue; a buyer refunds within the creator's window; grants
// open private videos; subscriptions open subscribers-only ones, and `balance` reminds of those
// about to end; access conditions open a video to token holders; wallets are sealed files.
// Real processes throughout.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { createPublicClient, createTestClient, encodeFunctionData, http, type Hex } from 'viem'
import { AccessManagerAbi, NodeRegistryAbi, ProtocolParamsAbi } from '@p2pdv/contracts'
import { DEFAULT_K, DEFAULT_M } from '@p2pdv/core/erasure'
import { runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)

describe('p2pdv on chain: devnet, upload registers, buy, grant, subscribe, withdraw', () => {
  let devnet: RunningDevnet
  let clip: string
  let chain: NonNullable<RunningDevnet['state']['chain']>
  let paidVideo: Hex
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}) => await runCli([...args, '--json'], { ...devnet.env, ...env }, 300_000)
  const hasAccess = async (video: Hex, viewer: `0x${string}`): Promise<boolean> =>
    await createPublicClient({ transport: http(chain.rpc) }).readContract({ address: chain.contracts.accessManager!, abi: AccessManagerAbi, functionName: 'hasAccess', args: [video, viewer] })

  before(async () => {
    devnet = await startDevnet(2)
    chain = devnet.state.chain!
    clip = join(devnet.dir, 'clip.mp4')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=426x240:rate=24', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip])
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('the devnet runs a chain with every contract, named dev wallets, and nodes registered with stake', async () => {
    assert.match(chain.rpc, /^http:\/\/127\.0\.0\.1:\d+$/)
    for (const name of ['token', 'governor', 'timelock', 'params', 'videoRegistry', 'accessManager', 'nodeRegistry', 'rewards', 'licensing']) {
      const code = await createPublicClient({ transport: http(chain.rpc) }).getCode({ address: chain.contracts[name]! })
      assert.ok(code !== undefined && code.length > 2, `${name} has code`)
    }
    assert.deepEqual(Object.keys(chain.accounts).sort(), ['alice', 'bob', 'carol', 'node-0', 'node-1', 'ops'])
    const r = await cli(['nodes'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.nodes.length, 2)
    for (const n of r.json.nodes) {
      assert.equal(n.active, true)
      assert.equal(n.keeper, true)
      assert.ok(devnet.state.nodes.some(d => d.peerId === n.peerId && n.endpoints.includes(d.http)))
      assert.equal(n.encryptionKey.length, 66)
    }
    const onChain = await createPublicClient({ transport: http(chain.rpc) }).readContract({ address: chain.contracts.nodeRegistry!, abi: NodeRegistryAbi, functionName: 'isActive', args: [chain.accounts['node-0']!] })
    assert.equal(onChain, true)
  })

  it('refuses conflicting policy flags before transcoding anything', async () => {
    const r = await cli(['upload', clip, '--replicas', '2', '--price', '0.01', '--private'])
    assert.equal(r.code, 2)
    assert.equal(r.json.error.code, 'ERR_USAGE')
    const bad = await cli(['upload', clip, '--replicas', '2', '--price', 'lots'])
    assert.equal(bad.json.error.code, 'ERR_BAD_AMOUNT')
    // A malformed condition is refused with its reason, before transcoding.
    const cond = await cli(['upload', clip, '--replicas', '2', '--require', 'erc20:0x1234>=100'])
    assert.equal(cond.json.error.code, 'ERR_CONDITION_ADDRESS')
    assert.match(cond.json.error.message, /erc20:0x1234>=100/)
    assert.equal((await cli(['upload', clip, '--replicas', '2', '--require-any'])).json.error.code, 'ERR_USAGE')
  })

  it('upload --price registers the video on chain (owner, manifest CID, key fingerprint, price); ls lists it', async () => {
    const r = await cli(['upload', clip, '--replicas', '2', '--title', 'Paid clip', '--price', '0.01'])
    assert.equal(r.code, 0, r.stderr)
    const c = r.json.chain
    assert.match(c.videoId, /^0x[0-9a-f]{64}$/)
    assert.equal(c.owner, chain.accounts.alice)
    assert.equal(c.policy, 'paid')
    assert.equal(c.manifestCid, r.json.manifestCid)
    assert.match(c.listingCid, /^bafkrei[a-z2-7]{52}$/)
    assert.equal(c.listingCid, r.json.listingCid, 'the registry records the signed listing the upload published')
    paidVideo = c.videoId
    const ls = await cli(['ls'])
    const v = ls.json.videos.find((x: { id: string }) => x.id === paidVideo)
    assert.equal(v.owner, chain.accounts.alice)
    assert.equal(v.ownerName, 'alice')
    assert.equal(v.manifestCid, r.json.manifestCid)
    assert.equal(v.keyFingerprint, c.keyFingerprint)
    assert.equal(v.listingCid, c.listingCid)
    assert.deepEqual(v.price, { asset: 'eth', amount: '10000000000000000', duration: '0' })
  })

  it('bob has no access until he buys; then hasAccess is true; alice withdraws 85 % of the price', async () => {
    assert.equal(await hasAccess(paidVideo, chain.accounts.bob!), false)
    const before = await cli(['access', paidVideo, 'bob'])
    assert.equal(before.json.access, false)
    const bought = await cli(['buy', paidVideo, '--as', 'bob'])
    assert.equal(bought.code, 0, bought.stderr)
    assert.equal(bought.json.viewer, chain.accounts.bob)
    assert.equal(await hasAccess(paidVideo, chain.accounts.bob!), true)
    assert.equal((await cli(['access', paidVideo, 'bob'])).json.access, true)
    assert.equal(await hasAccess(paidVideo, chain.accounts.carol!), false)
    const again = await cli(['buy', paidVideo, '--as', 'bob'])
    assert.equal(again.json.error.code, 'ERR_CHAIN_ALREADY_PAID')

    const owed = await cli(['balance'])
    assert.equal(owed.json.owedEth, '8500000000000000')
    const w = await cli(['withdraw'])
    assert.equal(w.code, 0, w.stderr)
    assert.deepEqual(w.json.withdrawn.map((x: { asset: string, amount: string }) => [x.asset, x.amount]), [['eth', '8500000000000000']])
    assert.equal((await cli(['balance'])).json.owedEth, '0')
    assert.equal((await cli(['withdraw'])).json.error.code, 'ERR_CHAIN_NOTHING_TO_WITHDRAW')

    // Refunds: under a window carol's purchase is held, not owed to alice, and carol takes it back.
    assert.equal((await cli(['refund-window', paidVideo, '1h'])).code, 0)
    assert.equal((await cli(['buy', paidVideo, '--as', 'carol'])).code, 0)
    const held = await cli(['balance'])
    assert.deepEqual([held.json.owedEth, held.json.held.eth, held.json.held.sales], ['0', '10000000000000000', 1])
    const back = await cli(['refund', paidVideo, '--as', 'carol'])
    assert.equal(back.code, 0, back.stderr)
    assert.deepEqual([back.json.amount, back.json.withdrawn], ['10000000000000000', '10000000000000000'])
    assert.equal(await hasAccess(paidVideo, chain.accounts.carol!), false)
    assert.equal((await cli(['refund', paidVideo, '--as', 'carol'])).json.error.code, 'ERR_NOT_REFUNDABLE')

    // The buyer is told the refund window before paying (stderr, before the transaction), and
    // the result states until when this purchase is refundable.
    const carolAgain = await cli(['buy', paidVideo, '--as', 'carol'])
    assert.equal(carolAgain.code, 0, carolAgain.stderr)
    const { refund } = carolAgain.json
    assert.deepEqual([refund.refundable, refund.window], [true, '3600'])
    const opsBuy = await runCli(['buy', paidVideo, '--as', 'ops'], devnet.env)
    assert.equal(opsBuy.code, 0, opsBuy.stderr)
    assert.match(opsBuy.stderr, /buying 0x[0-9a-f]{8}… for 0\.01 ETH; refundable for 1h after buying/)
    assert.match(opsBuy.stdout, /refundable for 1h, until \d{4}-\d\d-\d\dT/)
    const chainNow = (await createPublicClient({ transport: http(chain.rpc) }).getBlock()).timestamp
    assert.ok(BigInt(refund.until) > chainNow && BigInt(refund.until) <= chainNow + 3600n, 'refundable for the hour after buying')

    // Alice hands the video to bob while both sales are held: they are bob's to be paid, not hers;
    // once the window closes, bob's withdraw releases them (sold before he owned the video).
    const t = await cli(['transfer', paidVideo, 'bob'])
    assert.equal(t.code, 0, t.stderr)
    assert.equal(t.json.to, chain.accounts.bob)
    const [notHers, aliceHeld, bobHeld] = await Promise.all([cli(['transfer', paidVideo, 'carol']), cli(['balance']), cli(['balance', '--as', 'bob'])])
    assert.equal(notHers.json.error.code, 'ERR_CHAIN_NOT_VIDEO_OWNER')
    assert.equal(aliceHeld.json.held.sales, 0)
    assert.deepEqual(bobHeld.json.held, { eth: '20000000000000000', p2pv: '0', sales: 2, releasable: 0 })
    const test = createTestClient({ mode: 'anvil', transport: http(chain.rpc) })
    await test.increaseTime({ seconds: 3601 })
    await test.mine({ blocks: 1 })
    const bobW = await cli(['withdraw', '--as', 'bob'])
    assert.equal(bobW.code, 0, bobW.stderr)
    assert.equal(bobW.json.released, 2)
    assert.deepEqual(bobW.json.withdrawn.map((x: { asset: string, amount: string }) => [x.asset, x.amount]), [['eth', '17000000000000000']], '85 % of both sales')
    assert.equal((await cli(['transfer', paidVideo, 'alice', '--as', 'bob'])).code, 0)
  })

  it('a private upload is granted-only: carol gets in by a grant and out by a revoke; others cannot grant', async () => {
    // A condition that holds for nobody now (a past window) changes nothing for anyone.
    const r = await cli(['upload', clip, '--replicas', '2', '--private', '--force', '--require', 'time:2000-01-01..2001-01-01'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.json.chain.condition, { any: false, require: ['time:2000-01-01T00:00:00Z..2001-01-01T00:00:00Z'] })
    const id = r.json.chain.videoId as Hex
    assert.equal(await hasAccess(id, chain.accounts.carol!), false)
    assert.equal((await cli(['buy', id, '--as', 'carol'])).json.error.code, 'ERR_NOT_FOR_SALE')
    assert.equal((await cli(['grant', id, 'carol', '--as', 'bob'])).json.error.code, 'ERR_CHAIN_NOT_VIDEO_MANAGER')
    assert.equal((await cli(['grant', id, 'carol'])).code, 0)
    assert.equal(await hasAccess(id, chain.accounts.carol!), true)
    assert.equal((await cli(['revoke', id, chain.accounts.carol!])).code, 0)
    assert.equal(await hasAccess(id, chain.accounts.carol!), false)
    assert.equal(await hasAccess(id, chain.accounts.alice!), true, 'the owner always has access')

    // `p2pdv require`: holders of P2PV (an ERC-20; carol holds some) get in, until it is cleared.
    // The minimum in whole tokens: >=1P2PV is scaled by the token's decimals() (18) and checked
    // against its symbol(); a symbol that is not the token's is refused before anything is sent.
    const [badAddress, wrongUnit] = await Promise.all([cli(['require', id, 'erc20:0xnot-an-address']), cli(['require', id, `erc20:${chain.contracts.token!}>=1DAI`])])
    assert.equal(badAddress.json.error.code, 'ERR_CONDITION_ADDRESS')
    assert.equal(wrongUnit.json.error.code, 'ERR_CONDITION_UNIT')
    assert.match(wrongUnit.json.error.message, /is P2PV, not DAI/)
    const set = await cli(['require', id, `erc20:${chain.contracts.token!}>=1P2PV`, 'time:..2100-01-01'])
    assert.equal(set.code, 0, set.stderr)
    assert.equal(await hasAccess(id, chain.accounts.carol!), true)
    assert.equal(await hasAccess(id, `0x${'12'.repeat(20)}`), false, 'no P2PV, no access')
    const [shown, text] = await Promise.all([cli(['access', id, 'carol']), runCli(['access', id, 'carol'], devnet.env)])
    assert.deepEqual([shown.json.access, shown.json.meetsCondition, shown.json.condition.any, shown.json.condition.require],
      [true, true, false, [`erc20:${chain.contracts.token!}>=1000000000000000000`, 'time:..2100-01-01T00:00:00Z']])
    assert.deepEqual(shown.json.condition.tokens, { [chain.contracts.token!.toLowerCase()]: { decimals: 18, symbol: 'P2PV' } })
    assert.match(text.stdout, /holds ≥ 1 P2PV \(1000000000000000000 base units\) of ERC-20 0x/)
    assert.equal((await cli(['require', id, '--clear'])).code, 0)
    assert.equal(await hasAccess(id, chain.accounts.carol!), false)
  })

  it('a subscribers-only upload opens to a subscriber of its creator', async () => {
    const r = await cli(['upload', clip, '--replicas', '2', '--subscribers-only', '--force'])
    assert.equal(r.code, 0, r.stderr)
    const id = r.json.chain.videoId as Hex
    assert.equal((await cli(['subscribe', 'alice', '--as', 'carol'])).json.error.code, 'ERR_CHAIN_NO_SUBSCRIPTION_PLAN')
    assert.equal((await cli(['plan', '--price', '0.001', '--period', '30d'])).code, 0)
    const s = await cli(['subscribe', 'alice', '--as', 'carol', '--periods', '2'])
    assert.equal(s.code, 0, s.stderr)
    assert.equal(await hasAccess(id, chain.accounts.carol!), true)
    assert.equal(await hasAccess(id, chain.accounts.bob!), false)

    // Renewal reminders in `p2pdv balance`: carol's 60 days are far off; bob's one day is not.
    const carol = await cli(['balance', '--as', 'carol'])
    assert.deepEqual(carol.json.subscriptions.map((x: { creatorName: string, expiresSoon: boolean }) => [x.creatorName, x.expiresSoon]), [['alice', false]])
    assert.equal(carol.json.subscriptions[0].until, s.json.until)
    assert.equal((await cli(['plan', '--price', '0.001', '--period', '1d'])).code, 0)
    assert.equal((await cli(['subscribe', 'alice', '--as', 'bob'])).code, 0)
    const bob = await cli(['balance', '--as', 'bob'])
    assert.deepEqual(bob.json.subscriptions.map((x: { creatorName: string, expiresSoon: boolean, renew: string }) => [x.creatorName, x.expiresSoon, x.renew]), [['alice', true, 'p2pdv subscribe alice']])
    const text = await runCli(['balance', '--as', 'bob'], devnet.env)
    assert.match(text.stdout, /alice\s+until \S+ \((1d|23h \d+m) left\)\s+EXPIRES WITHIN 7 DAYS: renew with `p2pdv subscribe alice` \(0\.001 ETH per 1d\)/)
  })

  it('--rpc and --chain point the commands at an endpoint with a given deployment and wallet directory', async () => {
    const dir = join(devnet.dir, 'devnet')
    const ls = await cli(['ls', '--rpc', chain.rpc, '--chain', join(dir, 'chain.json')])
    assert.equal(ls.code, 0, ls.stderr)
    assert.ok(ls.json.videos.some((v: { id: string }) => v.id === paidVideo))
    const noWallet = await cli(['buy', paidVideo, '--rpc', chain.rpc, '--chain', join(dir, 'chain.json')])
    assert.equal(noWallet.json.error.code, 'ERR_USAGE')
    const a = await cli(['access', paidVideo, '--rpc', chain.rpc, '--chain', join(dir, 'chain.json'), '--keys', join(dir, 'keys'), '--as', 'bob', '--passphrase-file', join(dir, 'passphrase')])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(a.json.access, true)
    const wrong = await cli(['ls', '--rpc', 'http://127.0.0.1:9', '--chain', join(dir, 'chain.json')])
    assert.equal(wrong.json.error.code, 'ERR_CHAIN_UNREACHABLE')
  })

  it('put and upload use the erasure defaults governance set on chain, unless flags say otherwise', async () => {
    const file = join(devnet.dir, 'erasure.bin')
    await writeFile(file, randomBytes(300_000))
    const core = await cli(['put', file])
    assert.equal(core.code, 1, core.stderr)
    assert.equal(core.json.error.code, 'ERR_NOT_ENOUGH_NODES', 'the deployed 4 + 2 needs 6 nodes: two are refused, never silently replicated')
    assert.deepEqual(core.json.error.details, { need: 6, found: 2 })
    // What a passed proposal does, as the timelock (the ProtocolParams admin) itself.
    const test = createTestClient({ mode: 'anvil', transport: http(chain.rpc) })
    const timelock = chain.contracts.timelock!
    const setErasure = async (k: number, m: number): Promise<void> => {
      const hash = await test.sendUnsignedTransaction({ from: timelock, to: chain.contracts.params!, data: encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setErasureDefaults', args: [k, m] }) })
      assert.equal((await createPublicClient({ transport: http(chain.rpc) }).waitForTransactionReceipt({ hash })).status, 'success')
    }
    await test.impersonateAccount({ address: timelock })
    await test.setBalance({ address: timelock, value: 10n ** 18n })
    try {
      await setErasure(1, 1)
      const gov = await cli(['put', file])
      assert.equal(gov.code, 0, gov.stderr)
      assert.deepEqual([gov.json.scheme, gov.json.k, gov.json.m], ['rs', 1, 1])
      const halfFlag = await cli(['put', file, '--m', '1'])
      assert.deepEqual([halfFlag.json.scheme, halfFlag.json.k, halfFlag.json.m], ['rs', 1, 1], 'k from the chain, m from the flag')
      const flags = await cli(['put', file, '--replicas', '2'])
      assert.deepEqual([flags.json.scheme, flags.json.replicas], ['replicas', 2])
      const up = await cli(['upload', clip, '--title', 'Governed', '--unlisted', '--force'])
      assert.equal(up.code, 0, up.stderr)
      assert.deepEqual([up.json.scheme, up.json.k, up.json.m], ['rs', 1, 1])
    } finally {
      await setErasure(DEFAULT_K, DEFAULT_M)
      await test.stopImpersonatingAccount({ address: timelock })
    }
  })

  it('keys: wallets are created, listed, exported and imported as sealed files, never in plaintext', async () => {
    const keys = join(devnet.dir, 'home-keys')
    const env = { P2PDV_PASSPHRASE: 'correct horse battery staple' }
    const created = await cli(['keys', 'new', 'dave', '--keys', keys], env)
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.json.did, /^did:pkh:eip155:31337:0x/)
    assert.equal((await stat(join(keys, 'dave.json'))).mode & 0o777, 0o600)
    const exported = join(devnet.dir, 'dave-backup.json')
    assert.equal((await cli(['keys', 'export', 'dave', '--keys', keys, '-o', exported], env)).code, 0)
    const imported = await cli(['keys', 'import', 'dave2', exported, '--keys', keys], env)
    assert.equal(imported.json.address, created.json.address)
    assert.equal(imported.json.x25519PublicKey, created.json.x25519PublicKey)
    const wrong = await cli(['keys', 'import', 'dave3', exported, '--keys', keys], { P2PDV_PASSPHRASE: 'wrong' })
    assert.equal(wrong.json.error.code, 'ERR_KEYSTORE_WRONG_PASSPHRASE')
    // A raw key is sealed at once; the file never holds it in the clear.
    const rawKey = '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6'
    await writeFile(join(devnet.dir, 'raw.txt'), rawKey + '\n', { mode: 0o600 })
    const raw = await cli(['keys', 'import', 'erin', join(devnet.dir, 'raw.txt'), '--keys', keys], env)
    assert.equal(raw.json.address, '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720')
    assert.ok(!(await readFile(join(keys, 'erin.json'), 'utf8')).includes(rawKey.slice(2)))
    const ls = await cli(['keys', 'ls', '--keys', keys])
    assert.deepEqual(ls.json.identities.map((i: { name: string }) => i.name), ['dave', 'dave2', 'erin'])
    const noPass = await runCli(['keys', 'new', 'frank', '--keys', keys, '--json'], { ...devnet.env, P2PDV_PASSPHRASE: '' })
    assert.equal(noPass.json.error.code, 'ERR_NO_PASSPHRASE')
  })

  // Last: it blocks the paid video.
  it('copyright claims: carol files one with a stored file as evidence, alice answers, ops upholds it and the video is blocked', async () => {
    const notice = join(devnet.dir, 'notice.txt')
    await writeFile(notice, 'I own the rights to this test card.\n')
    // Refused before any gas: the owner's own claim, evidence that is neither URL nor file, a URL the contract cannot hold.
    assert.equal((await cli(['claim', paidVideo, '--evidence', 'https://example.org/x', '--as', 'alice'])).json.error.code, 'ERR_CHAIN_OWNER_CANNOT_CLAIM')
    assert.equal((await cli(['claim', paidVideo, '--evidence', 'no such file', '--as', 'carol'])).json.error.code, 'ERR_CLAIM_BAD_REFERENCE')
    assert.equal((await cli(['claim', paidVideo, '--evidence', `https://example.org/${'a'.repeat(200)}`, '--as', 'carol'])).json.error.code, 'ERR_CLAIM_BAD_REFERENCE')
    assert.equal((await cli(['claims'])).json.claims.length, 0, 'nothing was filed')

    const filed = await cli(['claim', paidVideo, '--evidence', notice, '--as', 'carol'])
    assert.equal(filed.code, 0, filed.stdout + filed.stderr)
    const id: string = filed.json.claim
    // The evidence on chain is a capability: the owner or an arbiter reads the file back.
    const [open] = (await cli(['claims', '--video', paidVideo])).json.claims
    assert.deepEqual([open.id, open.state, open.claimantName, open.evidence], [id, 'open', 'carol', filed.json.evidence])
    const back = join(devnet.dir, 'notice-back.txt')
    assert.equal((await cli(['get', open.evidence, '-o', back])).code, 0)
    assert.equal(await readFile(back, 'utf8'), await readFile(notice, 'utf8'))

    // Only the owner answers; only an arbiter decides, once.
    assert.equal((await cli(['counter', id, '--evidence', 'https://example.org/licence', '--as', 'bob'])).json.error.code, 'ERR_CHAIN_NOT_VIDEO_MANAGER')
    const answered = await cli(['counter', id, '--evidence', 'https://example.org/licence', '--as', 'alice'])
    assert.equal(answered.code, 0, answered.stdout + answered.stderr)
    assert.equal((await cli(['arbitrate', id, 'uphold', '--as', 'bob'])).json.error.code, 'ERR_NOT_ARBITER')
    assert.equal((await cli(['arbitrate', id, 'maybe', '--as', 'ops'])).json.error.code, 'ERR_USAGE')
    assert.equal(await hasAccess(paidVideo, chain.accounts.bob as `0x${string}`), true, 'bob bought it earlier')
    const upheld = await cli(['arbitrate', id, 'uphold', '--reason', 'https://example.org/decision', '--as', 'ops'])
    assert.equal(upheld.code, 0, upheld.stdout + upheld.stderr)
    assert.equal((await cli(['arbitrate', id, 'reject', '--as', 'ops'])).json.error.code, 'ERR_CLAIM_STATE')
    assert.equal((await cli(['claims', 'withdraw', id, '--as', 'carol'])).json.error.code, 'ERR_CLAIM_STATE')

    // The effect: blocked in the registry, so access is closed to all but the owner (what keepers ask).
    assert.equal(await hasAccess(paidVideo, chain.accounts.bob as `0x${string}`), false)
    assert.equal(await hasAccess(paidVideo, chain.accounts.alice as `0x${string}`), true)
    const listed = (await cli(['ls', '--all'])).json.videos.find((v: { id: string }) => v.id.toLowerCase() === paidVideo.toLowerCase())
    assert.equal(listed.blocked, true)
    // alice sees the claim against her video with --mine; bob, who neither filed nor owns, does not.
    const mine = (await cli(['claims', '--mine', '--as', 'alice'])).json.claims
    assert.deepEqual(mine.map((c: { id: string, state: string, counter: string, resolution: string }) => [c.id, c.state, c.counter, c.resolution]), [[id, 'upheld', 'https://example.org/licence', 'https://example.org/decision']])
    assert.equal((await cli(['claims', '--mine', '--as', 'bob'])).json.claims.length, 0)
  })
})

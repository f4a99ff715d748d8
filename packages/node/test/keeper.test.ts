// The keeper role in process, with an in-memory fake chain (unit level) and a controllable clock.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import { pino } from 'pino'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { generateContentKey, keyFingerprint } from '@p2pdv/core'
import {
  combineShares, fromHex, generateVideoId, keyRequestHash, openShareRelease, releaseSealed, sealShareToKeeper, signKeyRequest, signShareDeposit,
  newLogBody, splitKey, verifyLog, ZERO_HASH, type AccessOracle, type Hex, type KeyShare, type VideoId
} from '@p2pdv/core/keys'
import { verifyKeeperLog } from '@p2pdv/sdk/keys'
import { Keeper, SOURCE_BURST } from '../src/keeper/keeper.ts'
import { loadKeeperKeys } from '../src/keeper/keeper-keys.ts'
import { KeeperStore } from '../src/keeper/keeper-store.ts'
import { RateLimiter } from '../src/keeper/rate-limit.ts'

const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex }
const LIGHT_SCRYPT = { N: 2 ** 10, r: 8, p: 1 }

class FakeChain implements AccessOracle {
  readonly domain = domain
  access = new Set<string>()
  owners = new Map<VideoId, Hex>()
  fingerprints = new Map<VideoId, Uint8Array>()
  down = false
  async hasAccess (video: VideoId, viewer: Hex): Promise<boolean> {
    if (this.down) throw new Error('rpc down')
    return this.access.has(`${video}|${viewer.toLowerCase()}`)
  }

  async video (video: VideoId) {
    if (this.down) throw new Error('rpc down')
    const owner = this.owners.get(video)
    return owner === undefined ? undefined : { owner, keyFingerprint: this.fingerprints.get(video)! }
  }

  async custody () { return undefined }
  async roles () { return { creator: false, nodeHost: false } }
}

function viewerIdentity () {
  const account = privateKeyToAccount(generatePrivateKey())
  const privateKey = x25519.utils.randomSecretKey()
  return { account, publicKey: x25519.getPublicKey(privateKey), privateKey }
}

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true }))) })

async function setup (o: { burst?: number, perMinute?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-keeper-unit-'))
  dirs.push(dir)
  let now = 1_700_000_000_000
  const chain = new FakeChain()
  const keys = await loadKeeperKeys(dir, 'pw', LIGHT_SCRYPT)
  const store = new KeeperStore(dir)
  const keeper = new Keeper({ keys, store, oracle: chain, log: pino({ level: 'silent' }), now: () => now, rate: { burst: o.burst ?? 100, perMinute: o.perMinute ?? 60 } })
  const owner = privateKeyToAccount(generatePrivateKey())
  return { dir, chain, keys, store, keeper, owner, tick: (ms: number) => { now += ms }, now: () => now }
}

async function deposit (s: Pick<Awaited<ReturnType<typeof setup>>, 'keys' | 'keeper' | 'owner'>, video: VideoId, share: KeyShare, signer = s.owner) {
  const sealed = await sealShareToKeeper(share, s.keys.x25519.publicKey)
  return await s.keeper.deposit(JSON.parse(JSON.stringify(await signShareDeposit(signer, domain, { video, epoch: share.epoch, threshold: share.threshold, shares: share.shares, keeper: s.keys.account.address, sealed }))))
}

async function ask (s: Awaited<ReturnType<typeof setup>>, video: VideoId, viewer: ReturnType<typeof viewerIdentity>) {
  const req = await signKeyRequest(viewer.account, { domain, video, viewerKey: viewer.publicKey, now: Math.floor(s.now() / 1000) })
  return { req, answer: await s.keeper.release(JSON.parse(JSON.stringify(req))) }
}

describe('keeper (unit, fake chain)', () => {
  it('releases only to viewers with access, fails closed when the chain is unreachable, and logs each decision', async () => {
    const s = await setup()
    const video = generateVideoId()
    const K = generateContentKey()
    s.chain.owners.set(video, s.owner.address)
    s.chain.fingerprints.set(video, keyFingerprint(K))
    const shares = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 2 })
    assert.equal((await deposit(s, video, shares[0]!)).status, 201)

    const viewer = viewerIdentity()
    const denied = await ask(s, video, viewer)
    assert.equal(denied.answer.status, 403)
    assert.equal(denied.answer.body.ok ? 'ok' : denied.answer.body.code, 'ERR_ACCESS_DENIED')

    s.chain.access.add(`${video}|${viewer.account.address.toLowerCase()}`)
    s.chain.down = true
    const down = await ask(s, video, viewer)
    assert.equal(down.answer.status, 503)
    assert.equal(down.answer.body.ok ? 'ok' : down.answer.body.code, 'ERR_ORACLE_UNAVAILABLE')

    s.chain.down = false
    const { req, answer } = await ask(s, video, viewer)
    assert.ok(answer.body.ok)
    const mine = await openShareRelease(releaseSealed(answer.body.release), viewer, fromHex(keyRequestHash(req), 32, 'h'))
    assert.deepEqual((await combineShares([mine, shares[1]!], keyFingerprint(K))).key, K)

    const log = s.store.logRange(0, 100)
    assert.deepEqual(log.map(e => e.body!.decision), ['stored', 'ERR_ACCESS_DENIED', 'ERR_ORACLE_UNAVAILABLE', 'released'])
    assert.ok(log.every(e => !JSON.stringify(e).includes(Buffer.from(mine.y).toString('hex'))), 'no share material in the log')
    verifyLog(log, { checkpoints: [s.store.logHead] })
    s.store.close()
  })

  it('a newer epoch replaces the old share; older or conflicting deposits and non-owners are refused', async () => {
    const s = await setup()
    const video = generateVideoId()
    const K = generateContentKey()
    s.chain.owners.set(video, s.owner.address)
    s.chain.fingerprints.set(video, keyFingerprint(K))
    const e0 = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 3 })
    const e1 = await splitKey(K, { video, epoch: 1, threshold: 2, shares: 3 })
    const first = JSON.parse(JSON.stringify(await signShareDeposit(s.owner, domain, { video, epoch: 0, threshold: 2, shares: 3, keeper: s.keys.account.address, sealed: await sealShareToKeeper(e0[0]!, s.keys.x25519.publicKey) })))
    assert.equal((await s.keeper.deposit(first)).status, 201)
    // The very same deposit again is accepted without change (a retry after a lost answer).
    assert.equal((await s.keeper.deposit(first)).status, 200)
    assert.equal((await deposit(s, video, e1[0]!)).status, 201)
    assert.equal(s.store.getShare(video)!.epoch, 1)
    assert.equal((await deposit(s, video, e0[1]!)).body.code, 'ERR_DEPOSIT_STALE')
    assert.equal((await deposit(s, video, e1[1]!)).body.code, 'ERR_DEPOSIT_CONFLICT')
    assert.equal((await deposit(s, video, e1[0]!, privateKeyToAccount(generatePrivateKey()))).body.code, 'ERR_NOT_OWNER')
    assert.equal((await deposit(s, generateVideoId(), e1[0]!)).body.code, 'ERR_VIDEO_UNKNOWN')

    // What is released now is an epoch-1 share: it combines with epoch-1 shares only.
    const viewer = viewerIdentity()
    s.chain.access.add(`${video}|${viewer.account.address.toLowerCase()}`)
    const { req, answer } = await ask(s, video, viewer)
    assert.ok(answer.body.ok)
    const mine = await openShareRelease(releaseSealed(answer.body.release), viewer, fromHex(keyRequestHash(req), 32, 'h'))
    assert.equal(mine.epoch, 1)
    await assert.rejects(combineShares([mine, e0[2]!]), (err: { code: string }) => err.code === 'ERR_SHARE_MISMATCH')
    assert.deepEqual((await combineShares([mine, e1[2]!], keyFingerprint(K))).key, K)
    s.store.close()
  })

  it('remembers nonces until expiry, then forgets them; an expired request stays refused', async () => {
    const s = await setup()
    const video = generateVideoId()
    const K = generateContentKey()
    s.chain.owners.set(video, s.owner.address)
    s.chain.fingerprints.set(video, keyFingerprint(K))
    assert.equal((await deposit(s, video, (await splitKey(K, { video, epoch: 0, threshold: 2, shares: 2 }))[0]!)).status, 201)
    const viewer = viewerIdentity()
    const { req } = await ask(s, video, viewer)
    const replay = await s.keeper.release(JSON.parse(JSON.stringify(req)))
    assert.equal(replay.body.ok ? 'ok' : replay.body.code, 'ERR_KEY_REQUEST_REPLAYED')
    s.tick(61_000)
    assert.equal(s.store.pruneNonces(Math.floor(s.now() / 1000)), 1)
    const late = await s.keeper.release(JSON.parse(JSON.stringify(req)))
    assert.equal(late.body.ok ? 'ok' : late.body.code, 'ERR_KEY_REQUEST_EXPIRED')
    s.store.close()
  })

  it('rate limits per viewer and refills over time', async () => {
    const s = await setup({ burst: 3, perMinute: 60 })
    const video = generateVideoId()
    const a = viewerIdentity()
    const b = viewerIdentity()
    const codes = []
    for (let i = 0; i < 4; i++) { const r = (await ask(s, video, a)).answer; codes.push(r.body.ok ? 'ok' : r.body.code) }
    assert.deepEqual(codes, ['ERR_KEEPER_NO_SHARE', 'ERR_KEEPER_NO_SHARE', 'ERR_KEEPER_NO_SHARE', 'ERR_RATE_LIMITED'])
    const other = (await ask(s, video, b)).answer
    assert.equal(other.body.ok ? 'ok' : other.body.code, 'ERR_KEEPER_NO_SHARE')
    s.tick(1000)
    const refilled = (await ask(s, video, a)).answer
    assert.equal(refilled.body.ok ? 'ok' : refilled.body.code, 'ERR_KEEPER_NO_SHARE')
    s.store.close()
  })

  it('limits each sender before any signature is checked, so junk cannot take the CPU', async () => {
    const s = await setup()
    const codes = new Set<string>()
    for (let i = 0; i <= SOURCE_BURST; i++) {
      const r = await s.keeper.release({ v: 1, junk: i }, 'ip:10.0.0.1')
      codes.add(r.body.ok ? 'ok' : r.body.code)
    }
    assert.deepEqual([...codes], ['ERR_KEEPER_MALFORMED', 'ERR_RATE_LIMITED'])
    const other = await s.keeper.release({ v: 1 }, 'ip:10.0.0.2')
    assert.equal(other.body.ok ? 'ok' : other.body.code, 'ERR_KEEPER_MALFORMED')
    s.store.close()
  })

  it('does not let fresh keys grow the log: no-share and replays are not logged, new signers share one rate limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-keeper-unit-'))
    dirs.push(dir)
    let now = 1_700_000_000_000
    const chain = new FakeChain()
    const keys = await loadKeeperKeys(dir, 'pw', LIGHT_SCRYPT)
    const store = new KeeperStore(dir)
    const keeper = new Keeper({ keys, store, oracle: chain, log: pino({ level: 'silent' }), now: () => now, newSignerRate: { burst: 5, perMinute: 6 } })
    const s = { keeper, keys, store, chain, owner: privateKeyToAccount(generatePrivateKey()), now: () => now }
    const video = generateVideoId()
    const K = generateContentKey()
    chain.owners.set(video, s.owner.address)
    chain.fingerprints.set(video, keyFingerprint(K))
    const [share] = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 2 })
    assert.equal((await deposit(s, video, share!)).status, 201)
    const fan = viewerIdentity()
    chain.access.add(`${video}|${fan.account.address.toLowerCase()}`)
    const first = await ask(s as never, video, fan)
    assert.ok(first.answer.body.ok, 'a viewer with access is served')
    const logged = store.logHead.length
    const codes = new Map<string, number>()
    for (let i = 0; i < 40; i++) {
      const r = (await ask(s as never, video, viewerIdentity())).answer
      const code = r.body.ok ? 'ok' : r.body.code
      codes.set(code, (codes.get(code) ?? 0) + 1)
    }
    assert.deepEqual(Object.fromEntries(codes), { ERR_ACCESS_DENIED: 4, ERR_RATE_LIMITED: 36 })
    const stranger = viewerIdentity()
    const noShare = await ask(s as never, generateVideoId(), stranger)
    assert.equal(noShare.answer.body.ok ? 'ok' : noShare.answer.body.code, 'ERR_KEEPER_NO_SHARE')
    const replay = await keeper.release(JSON.parse(JSON.stringify(first.req)))
    assert.equal(replay.body.ok ? 'ok' : replay.body.code, 'ERR_KEY_REQUEST_REPLAYED')
    assert.equal(store.logHead.length, logged + 4, 'only the refusals within the new-signer budget were logged')
    // A viewer released to before is not held back by strangers using up the budget.
    const again = await ask(s as never, video, fan)
    assert.ok(again.answer.body.ok)
    now += 60_000
    store.close()
  })

  it('compacts the log behind an anchored head after the retention period; the rest still verifies against the chain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-keeper-unit-'))
    dirs.push(dir)
    let now = 1_700_000_000_000
    const chain = new FakeChain()
    const anchors: Array<{ length: number, head: Hex }> = []
    const anchor = { anchor: async (length: number, head: Hex): Promise<Hex> => { anchors.push({ length, head }); return `0x${'cd'.repeat(32)}` }, latest: async () => anchors.at(-1) }
    const keys = await loadKeeperKeys(dir, 'pw', LIGHT_SCRYPT)
    let store = new KeeperStore(dir)
    const keeper = new Keeper({ keys, store, oracle: chain, anchor, log: pino({ level: 'silent' }), now: () => now, logRetentionMs: 24 * 3600_000 })
    const s = { keeper, keys, store, chain, owner: privateKeyToAccount(generatePrivateKey()), now: () => now }
    const video = generateVideoId()
    const K = generateContentKey()
    chain.owners.set(video, s.owner.address)
    chain.fingerprints.set(video, keyFingerprint(K))
    const [share] = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 2 })
    await deposit(s, video, share!)
    for (let i = 0; i < 5; i++) await ask(s as never, video, viewerIdentity())
    await keeper.anchorNow()
    const first = anchors[0]!
    assert.equal(first.length, 6)
    assert.equal(keeper.compactNow(), undefined, 'nothing is compacted within the retention period')
    now += 2 * 24 * 3600_000
    for (let i = 0; i < 3; i++) await ask(s as never, video, viewerIdentity())
    await keeper.anchorNow()
    await ask(s as never, video, viewerIdentity())
    assert.deepEqual(keeper.compactNow(), { length: 6, dropped: 6 })
    assert.equal(store.logRange(0, 100)[0]!.seq, 6)

    const page = await keeper.logPage(0, 1000, async () => true)
    assert.deepEqual(page.base, first)
    const latest = { length: anchors[1]!.length, head: anchors[1]!.head }
    const keeperInfo = { address: keys.account.address, x25519PublicKey: keys.x25519.publicKey }
    const anchorAt = async (length: number) => anchors.find(a => a.length === length)?.head
    const covered = await verifyKeeperLog(page, { keeper: keeperInfo, domain, anchor: latest, anchorAt })
    assert.deepEqual(covered.map(e => e.seq), [6, 7, 8, 9])
    // A start the chain never anchored, or no way to check it, is refused.
    await assert.rejects(verifyKeeperLog(page, { keeper: keeperInfo, domain, anchor: latest, anchorAt: async () => `0x${'ee'.repeat(32)}` }), { code: 'ERR_AUDIT_LOG_BROKEN' })
    await assert.rejects(verifyKeeperLog(page, { keeper: keeperInfo, domain, anchor: latest }), { code: 'ERR_AUDIT_LOG_BROKEN' })
    await assert.rejects(verifyKeeperLog({ ...page, base: undefined as never }, { keeper: keeperInfo, domain, anchor: latest, anchorAt }), { code: 'ERR_AUDIT_LOG_BROKEN' })
    // After a restart the log continues from where it was.
    const head = store.logHead
    store.close()
    store = new KeeperStore(dir)
    assert.deepEqual(store.logHead, head)
    assert.deepEqual(store.logBase(), first)
    store.close()
  })

  it('upgrades a format-1 keeper database in place (adds log_base) and keeps its log', async () => {
    const s = await setup()
    await ask(s, generateVideoId(), viewerIdentity())
    s.store.appendLog(s.now(), newLogBody({ kind: 'refusal', video: generateVideoId(), subject: s.owner.address, request: ZERO_HASH, epoch: 0, decision: 'ERR_ACCESS_DENIED' }))
    const head = s.store.logHead
    s.store.close()
    const db = new DatabaseSync(join(s.dir, 'keeper.db'))
    db.exec('DROP TABLE log_base; PRAGMA user_version = 1')
    db.close()
    const reopened = new KeeperStore(s.dir)
    assert.deepEqual(reopened.logHead, head)
    assert.equal(reopened.logBase(), undefined)
    reopened.close()
    const check = new DatabaseSync(join(s.dir, 'keeper.db'))
    assert.equal((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, 2)
    check.close()
  })

  it('keeps its keys sealed: a restart with the same passphrase has the same address, a wrong one is refused', async () => {
    const s = await setup()
    s.store.close()
    const again = await loadKeeperKeys(s.dir, 'pw')
    assert.equal(again.account.address, s.keys.account.address)
    assert.deepEqual(again.x25519.publicKey, s.keys.x25519.publicKey)
    await assert.rejects(loadKeeperKeys(s.dir, 'wrong'), (err: { code: string }) => err.code === 'ERR_KEYSTORE_WRONG_PASSPHRASE')
  })
})

describe('rate limiter', () => {
  it('bounds its table and never blocks a key it has forgotten', () => {
    let now = 0
    const r = new RateLimiter({ burst: 1, perMinute: 1, maxKeys: 2, now: () => now })
    assert.equal(r.take('a'), 0)
    assert.ok(r.take('a') > 0)
    r.take('b'); r.take('c')
    assert.equal(r.take('a'), 0, 'a was evicted, so it starts full again')
    now += 60_000
    assert.equal(r.take('c'), 0)
  })
})

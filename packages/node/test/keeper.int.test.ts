// Threshold key custody with real keeper node processes (2-of-3), before a chain exists: access
// comes from the TEST-ONLY file oracle, which the test edits as chain transactions would.
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateContentKey, keyFingerprint } from '@p2pdv/core'
import {
  decodeKeeperMessage, generateVideoId, KEEPER_PROTOCOL, keyRequestHash, MAX_KEEPER_MESSAGE_BYTES, parseLogEntry, parseSignedLogHead, sealShareToKeeper, signKeyRequest, signShareDeposit, splitKey, verifyLog, verifyLogHead,
  type KeyRequest, type SignedLogHead, type VideoId
} from '@p2pdv/core/keys'
import { createIdentity, type Identity } from '@p2pdv/chain/identity'
import { auditKeeperLog, depositShares, KeyResolver, Libp2pKeeperClient, signInToNode } from '@p2pdv/sdk'
import { createSiweMessage } from 'viem/siwe'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { DevFileOracle } from '../src/keeper/dev-file-oracle.ts'
import { spawnKeeper, TEST_DOMAIN, TestOracleFile, type KeeperNode } from './fixtures/keepers.ts'
import { lengthPrefixed } from '../src/frame-reader.ts'


/** Sends raw bytes on a keeper stream; returns the decoded answer, or undefined if the stream was reset. */
async function rawKeeperStream (dialer: Libp2p, node: KeeperNode, payload: Uint8Array): Promise<{ code?: string } | undefined> {
  const stream = await dialer.dialProtocol(multiaddr(node.info.multiaddrs[0]!), KEEPER_PROTOCOL)
  if (!stream.send(payload)) await stream.onDrain()
  const chunks: Uint8Array[] = []
  try { for await (const c of stream) chunks.push(c.subarray()) } catch { return undefined }
  const all = Buffer.concat(chunks)
  if (all.length === 0) return undefined
  let len = 0; let shift = 0; let off = 0; let b
  do { b = all[off++]!; len += (b & 0x7f) * 2 ** shift; shift += 7 } while (b & 0x80)
  return decodeKeeperMessage(new Uint8Array(all.subarray(off, off + len))) as { code?: string }
}

const viewerKeys = (id: Identity) => ({ account: id.account, x25519PublicKey: id.x25519PublicKey, x25519PrivateKey: id.x25519PrivateKey })

async function post (url: string, body: unknown): Promise<{ status: number, body: Record<string, unknown>, headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers }
}

async function fetchLog (node: KeeperNode, token?: string) {
  const res = await fetch(`${node.info.http}/api/v1/keeper/log`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  const body = await res.json() as { entries: unknown[], head: unknown }
  return { entries: body.entries.map(parseLogEntry), head: parseSignedLogHead(body.head) }
}

describe('keepers: 2-of-3 threshold custody with real node processes', () => {
  let oracleFile: TestOracleFile
  let oracle: DevFileOracle
  let keepers: KeeperNode[]
  let creator: Identity
  let viewer: Identity
  let stranger: Identity
  const video: VideoId = generateVideoId()
  const K = generateContentKey()
  const client = new Libp2pKeeperClient({ transport: 'http' })
  const p2p = new Libp2pKeeperClient({ transport: 'libp2p' })
  const resolvers: KeyResolver[] = []
  const resolverFor = (id: Identity, transport: 'http' | 'libp2p' = 'http'): KeyResolver => {
    const r = new KeyResolver({ oracle, directory: oracle, viewer: viewerKeys(id), client: transport === 'http' ? client : p2p })
    resolvers.push(r)
    return r
  }

  before(async () => {
    oracleFile = await TestOracleFile.create()
    // One at a time: each start runs two scrypt derivations, and CI machines are small.
    keepers = []
    for (let i = 0; i < 3; i++) keepers.push(await spawnKeeper(oracleFile, { args: ['--keeper-burst', '40'] }))
    await oracleFile.setKeepers(keepers.map(k => k.keeper))
    oracle = new DevFileOracle(oracleFile.path)
    creator = await createIdentity('creator')
    viewer = await createIdentity('viewer')
    stranger = await createIdentity('stranger')
    await oracleFile.registerVideo(video, { owner: creator.address, keyFingerprint: keyFingerprint(K), custody: { epoch: 0, threshold: 2, keepers: keepers.map(k => k.keeper.address) }, access: [viewer.address] })
    const results = await depositShares({ key: K, video, epoch: 0, threshold: 2, keepers: keepers.map(k => k.keeper), owner: creator.account, domain: TEST_DOMAIN, client })
    assert.equal(results.filter(r => r.ok).length, 3)
  })

  after(async () => {
    await Promise.all(resolvers.map(async r => await r.close()))
    await client.close()
    await p2p.close()
    await Promise.all((keepers ?? []).map(async k => await k.stop()))
  })

  it('a viewer with access gets K over HTTP and over libp2p, and it matches the on-chain fingerprint', async () => {
    const viaHttp = await resolverFor(viewer).resolve(video)
    assert.deepEqual(viaHttp.key, K)
    assert.equal(viaHttp.threshold, 2)
    assert.ok(viaHttp.used.length === 2)
    const viaLibp2p = await resolverFor(viewer, 'libp2p').resolve(video)
    assert.deepEqual(viaLibp2p.key, K)
  })

  it('a viewer without access is refused by every keeper and learns nothing; after paying, the same viewer succeeds', async () => {
    const r = resolverFor(stranger)
    await assert.rejects(r.resolve(video), (err: { code: string, details: { refusals: Record<string, number>, released: number, answered: number } }) => {
      assert.equal(err.code, 'ERR_ACCESS_DENIED')
      assert.equal(err.details.refusals.ERR_ACCESS_DENIED, 3)
      assert.equal(err.details.released, 0)
      assert.equal(err.details.answered, 3)
      return true
    })
    // What a keeper sends to a viewer without access carries no share at all.
    const req = await signKeyRequest(stranger.account, { domain: TEST_DOMAIN, video, viewerKey: stranger.x25519PublicKey })
    const raw = await post(`${keepers[0]!.info.http}/api/v1/keeper/release`, req)
    assert.equal(raw.status, 403)
    assert.deepEqual(Object.keys(raw.body).sort(), ['code', 'message', 'ok', 'v'])
    await oracleFile.grant(video, stranger.address)
    assert.deepEqual((await r.resolve(video)).key, K)
  })

  it('refuses replayed, expired, mis-signed and wrong-chain requests, on both transports', async () => {
    const http = `${keepers[1]!.info.http}/api/v1/keeper/release`
    const fresh = async (o: Partial<{ now: number, ttlSeconds: number, chainId: number }> = {}): Promise<KeyRequest> =>
      await signKeyRequest(viewer.account, { domain: { ...TEST_DOMAIN, chainId: o.chainId ?? TEST_DOMAIN.chainId }, video, viewerKey: viewer.x25519PublicKey, ...(o.now === undefined ? {} : { now: o.now }), ...(o.ttlSeconds === undefined ? {} : { ttlSeconds: o.ttlSeconds }) })

    const once = await fresh()
    assert.equal((await post(http, once)).status, 200)
    const replay = await post(http, once)
    assert.equal(replay.status, 409)
    assert.equal(replay.body.code, 'ERR_KEY_REQUEST_REPLAYED')
    // The same request replayed over libp2p is refused too (one replay store per keeper).
    const overP2p = await p2p.release(keepers[1]!.keeper, once)
    assert.equal(overP2p.ok ? 'released' : overP2p.code, 'ERR_KEY_REQUEST_REPLAYED')

    const expired = await post(http, await fresh({ now: Math.floor(Date.now() / 1000) - 120, ttlSeconds: 60 }))
    assert.equal(expired.body.code, 'ERR_KEY_REQUEST_EXPIRED')
    const tooLong = await post(http, await fresh({ ttlSeconds: 3600 }))
    assert.equal(tooLong.body.code, 'ERR_KEY_REQUEST_TOO_LONG')

    const good = await fresh()
    const misSigned = await post(http, { ...good, viewerKey: `0x${'22'.repeat(32)}` })
    assert.equal(misSigned.status, 401)
    assert.equal(misSigned.body.code, 'ERR_BAD_SIGNATURE')
    const byOther = await signKeyRequest(stranger.account, { domain: TEST_DOMAIN, video, viewerKey: viewer.x25519PublicKey })
    assert.equal((await post(http, { ...byOther, viewer: viewer.address })).body.code, 'ERR_BAD_SIGNATURE')

    const wrongChain = await post(http, await fresh({ chainId: 1 }))
    assert.equal(wrongChain.body.code, 'ERR_KEY_REQUEST_WRONG_CHAIN')
    const overP2pWrongChain = await p2p.release(keepers[2]!.keeper, await fresh({ chainId: 1 }))
    assert.equal(overP2pWrongChain.ok ? 'released' : overP2pWrongChain.code, 'ERR_KEY_REQUEST_WRONG_CHAIN')
  })

  it('refuses hostile input with typed errors and keeps serving', async () => {
    const http = `${keepers[0]!.info.http}/api/v1/keeper/release`
    assert.equal((await post(http, '{not json')).status, 400)
    const big = await post(http, JSON.stringify({ v: 1, pad: 'x'.repeat(10_000) }))
    assert.equal(big.status, 413)
    const malformed = await post(http, { v: 1, video: 'nope' })
    assert.equal(malformed.body.code, 'ERR_KEEPER_MALFORMED')
    assert.equal((await post(http, { v: 9 })).body.code, 'ERR_KEEPER_WIRE_VERSION')
    // libp2p: junk in a frame is answered with a refusal; an oversized frame is not read at all.
    const dialer = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      const junk = await rawKeeperStream(dialer, keepers[0]!, lengthPrefixed(new Uint8Array([0xff, 0x00, 0x13])))
      assert.equal(junk?.code, 'ERR_KEEPER_MALFORMED')
      const oversized = await rawKeeperStream(dialer, keepers[0]!, lengthPrefixed(new Uint8Array(MAX_KEEPER_MESSAGE_BYTES + 100)))
      assert.ok(oversized === undefined || oversized.code === 'ERR_KEEPER_MALFORMED')
    } finally {
      await dialer.stop()
    }
    assert.deepEqual((await resolverFor(viewer).resolve(video)).key, K)
  })

  it('rate limits each viewer: past the burst a keeper answers 429 with Retry-After', async () => {
    const spammer = await createIdentity('spammer')
    await oracleFile.grant(video, spammer.address)
    const http = `${keepers[2]!.info.http}/api/v1/keeper/release`
    let limited: Awaited<ReturnType<typeof post>> | undefined
    for (let i = 0; i < 60 && limited === undefined; i++) {
      const res = await post(http, await signKeyRequest(spammer.account, { domain: TEST_DOMAIN, video, viewerKey: spammer.x25519PublicKey }))
      if (res.status === 429) limited = res
    }
    assert.ok(limited !== undefined, 'no 429 within 60 requests')
    assert.equal(limited.body.code, 'ERR_RATE_LIMITED')
    assert.ok(Number(limited.headers.get('retry-after')) >= 1)
    // Other viewers are unaffected.
    assert.deepEqual((await resolverFor(viewer).resolve(video)).key, K)
  })

  it('refuses deposits that are tampered, not from the owner, stale, or for another keeper', async () => {
    const k = keepers[0]!
    const [share] = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 3 })
    const sealed = await sealShareToKeeper(share!, k.keeper.x25519PublicKey)
    const url = `${k.info.http}/api/v1/keeper/shares`
    const ct = Uint8Array.from(sealed.ct); ct[5]! ^= 1
    const tampered = await signShareDeposit(creator.account, TEST_DOMAIN, { video, epoch: 1, threshold: 2, shares: 3, keeper: k.keeper.address, sealed: { ...sealed, ct } })
    assert.equal((await post(url, tampered)).body.code, 'ERR_SHARE_AUTH')
    const notOwner = await signShareDeposit(stranger.account, TEST_DOMAIN, { video, epoch: 1, threshold: 2, shares: 3, keeper: k.keeper.address, sealed })
    assert.equal((await post(url, notOwner)).body.code, 'ERR_NOT_OWNER')
    const otherKeeper = await signShareDeposit(creator.account, TEST_DOMAIN, { video, epoch: 1, threshold: 2, shares: 3, keeper: keepers[1]!.keeper.address, sealed })
    assert.equal((await post(url, otherKeeper)).body.code, 'ERR_DEPOSIT_WRONG_KEEPER')
    // Epoch 0 is held already with another share: a different epoch-0 share is a conflict.
    const conflict = await signShareDeposit(creator.account, TEST_DOMAIN, { video, epoch: 0, threshold: 2, shares: 3, keeper: k.keeper.address, sealed })
    assert.equal((await post(url, conflict)).body.code, 'ERR_DEPOSIT_CONFLICT')
    // The tampered and refused deposits changed nothing.
    assert.deepEqual((await resolverFor(viewer).resolve(video)).key, K)
  })

  it('the audit log verifies against the signed head; the owner and the viewer see their entries, others only hashes', async () => {
    const k = keepers[0]!
    const anon = await fetchLog(k)
    await verifyLogHead(anon.head, TEST_DOMAIN, k.keeper.address)
    verifyLog(anon.entries, { checkpoints: [anon.head] })
    assert.ok(anon.entries.length > 5)
    assert.ok(anon.entries.every(e => e.body === undefined), 'signed-out readers see no bodies')

    // What `p2pdv keys audit VIDEO` does: sign in as the owner, read and verify every page.
    const session = await signInToNode(k.info.http, creator.account, TEST_DOMAIN.chainId)
    assert.ok(session.roles.includes('creator'))
    const audit = await auditKeeperLog({ keeper: k.keeper, domain: TEST_DOMAIN, token: session.token, video })
    assert.ok(audit.entries.some(e => e.body!.kind === 'release' && e.body!.subject === viewer.address))
    assert.ok(audit.entries.some(e => e.body!.kind === 'refusal' && e.body!.decision === 'ERR_ACCESS_DENIED' && e.body!.subject === stranger.address))
    assert.ok(audit.entries.some(e => e.body!.kind === 'deposit' && e.body!.subject === creator.address))
    assert.ok(audit.entries.every(e => e.body!.video === video))
    // An anchor that disagrees with the log (a rewritten history) is caught.
    await assert.rejects(auditKeeperLog({ keeper: k.keeper, domain: TEST_DOMAIN, anchor: { length: 2, head: `0x${'ee'.repeat(32)}` } }), (err: { code: string }) => err.code === 'ERR_AUDIT_LOG_BROKEN')

    const strangerView = await fetchLog(k, (await signInToNode(k.info.http, stranger.account, TEST_DOMAIN.chainId)).token)
    verifyLog(strangerView.entries, { checkpoints: [strangerView.head] })
    assert.ok(strangerView.entries.filter(e => e.body !== undefined).every(e => e.body!.subject === stranger.address))
  })

  it('a bad SIWE sign-in is refused: wrong domain, wrong chain, reused nonce, forged signature', async () => {
    const k = keepers[1]!
    const nonce = async (): Promise<string> => ((await (await fetch(`${k.info.http}/api/v1/auth/nonce`)).json()) as { nonce: string }).nonce
    const msg = (o: { domain?: string, chainId?: number, nonce: string }): string => createSiweMessage({ address: viewer.address, chainId: o.chainId ?? TEST_DOMAIN.chainId, domain: o.domain ?? new URL(k.info.http).host, nonce: o.nonce, uri: k.info.http, version: '1', expirationTime: new Date(Date.now() + 600_000) })
    const url = `${k.info.http}/api/v1/auth/siwe`
    const wrongDomain = msg({ domain: 'evil.example', nonce: await nonce() })
    assert.equal((await post(url, { message: wrongDomain, signature: await viewer.account.signMessage({ message: wrongDomain }) })).body.code, 'ERR_SIWE_REJECTED')
    const wrongChain = msg({ chainId: 1, nonce: await nonce() })
    assert.equal((await post(url, { message: wrongChain, signature: await viewer.account.signMessage({ message: wrongChain }) })).body.code, 'ERR_SIWE_REJECTED')
    const good = msg({ nonce: await nonce() })
    const forged = await post(url, { message: good, signature: await stranger.account.signMessage({ message: good }) })
    assert.equal(forged.body.code, 'ERR_BAD_SIGNATURE')
    const sig = await viewer.account.signMessage({ message: good })
    assert.equal((await post(url, { message: good, signature: sig })).status, 200)
    assert.equal((await post(url, { message: good, signature: sig })).body.code, 'ERR_SIWE_REJECTED')
    const session = await fetch(`${k.info.http}/api/v1/auth/session`, { headers: { authorization: 'Bearer forged.token' } })
    assert.equal(session.status, 401)
  })

  it('detects an edited or deleted entry in a keeper\'s stored log against a head it signed earlier', async () => {
    const k = keepers[2]!
    const before = await fetchLog(k)
    const signed: SignedLogHead = before.head
    await k.stop()
    const db = new DatabaseSync(join(k.info.dataDir, 'keeper', 'keeper.db'))
    const row = db.prepare("SELECT seq, body FROM log WHERE body LIKE '%\"release\"%' LIMIT 1").get() as { seq: number, body: string }
    // The operator rewrites a release as a refusal (body and hash, so the row itself looks consistent).
    const { hashLogBody } = await import('@p2pdv/core/keys')
    const edited = { ...JSON.parse(row.body), kind: 'refusal', decision: 'ERR_ACCESS_DENIED' }
    db.prepare('UPDATE log SET body = ?, body_hash = ? WHERE seq = ?').run(JSON.stringify(edited), hashLogBody(edited), row.seq)
    db.close()
    const restarted = await spawnKeeper(oracleFile, { dataDir: k.info.dataDir })
    keepers[2] = restarted
    const afterEdit = await fetchLog(restarted)
    assert.throws(() => verifyLog(afterEdit.entries, { checkpoints: [signed] }), (err: { code: string }) => err.code === 'ERR_AUDIT_LOG_BROKEN')
    await restarted.stop()

    const db2 = new DatabaseSync(join(k.info.dataDir, 'keeper', 'keeper.db'))
    db2.prepare('DELETE FROM log WHERE seq = ?').run(row.seq + 1)
    db2.close()
    keepers[2] = await spawnKeeper(oracleFile, { dataDir: k.info.dataDir })
    const afterDelete = await fetchLog(keepers[2])
    assert.throws(() => verifyLog(afterDelete.entries, { checkpoints: [signed] }), (err: { code: string }) => err.code === 'ERR_AUDIT_LOG_BROKEN')
    await oracleFile.setKeepers(keepers.map(x => x.keeper))
  })

  it('with 1 of 3 keepers down access still works; with 2 down the error says how many answered and how many are needed', async () => {
    await keepers[0]!.kill9()
    const one = await resolverFor(viewer).resolve(video)
    assert.deepEqual(one.key, K)
    assert.ok(!one.used.includes(keepers[0]!.keeper.address))
    await keepers[1]!.kill9()
    await assert.rejects(resolverFor(viewer).resolve(video), (err: { code: string, details: { answered: number, asked: number, released: number, needed: number, unreachable: string[] }, message: string }) => {
      assert.equal(err.code, 'ERR_KEEPERS_UNAVAILABLE')
      assert.deepEqual({ answered: err.details.answered, asked: err.details.asked, released: err.details.released, needed: err.details.needed }, { answered: 1, asked: 3, released: 1, needed: 2 })
      assert.equal(err.details.unreachable.length, 2)
      assert.match(err.message, /1 of 3 keepers answered/)
      return true
    })
  })

  it('a request digest binds the release: a release for one request does not open for another', async () => {
    const k = keepers[2]!
    const a = await signKeyRequest(viewer.account, { domain: TEST_DOMAIN, video, viewerKey: viewer.x25519PublicKey })
    const res = await client.release(k.keeper, a)
    assert.ok(res.ok)
    assert.equal(res.release.request, keyRequestHash(a))
    const { openShareRelease, releaseSealed, fromHex } = await import('@p2pdv/core/keys')
    const b = await signKeyRequest(viewer.account, { domain: TEST_DOMAIN, video, viewerKey: viewer.x25519PublicKey })
    await assert.rejects(openShareRelease(releaseSealed(res.release), { publicKey: viewer.x25519PublicKey, privateKey: viewer.x25519PrivateKey }, fromHex(keyRequestHash(b), 32, 'h')), (err: { code: string }) => err.code === 'ERR_SHARE_AUTH')
  })
})

// The key resolver against fake keepers in process (unit level): honest ones built from the core
// primitives, and dishonest ones that tamper with what they send.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { generateContentKey, keyFingerprint } from '@p2pdv/core'
import {
  fromHex, generateVideoId, keyRequestHash, parseKeyRequest, sealShareRelease, signKeyRelease, splitKey, toHex,
  type AccessOracle, type Hex, type KeeperDirectory, type KeeperInfo, type KeyRequest, type KeyResponse, type KeyShare, type VideoId
} from '@p2pdv/core/keys'
import { KeyResolver, type KeeperTransportClient } from '../src/keys/index.ts'

const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex }

type Behaviour = 'honest' | 'down' | 'deny' | 'bad-ct' | 'bad-share' | 'wrong-signer' | 'other-request'

interface FakeKeeper { info: KeeperInfo, account: PrivateKeyAccount, share: KeyShare, behaviour: Behaviour }

class FakeTransport implements KeeperTransportClient {
  asked = 0
  private readonly keepers: Map<string, FakeKeeper>
  constructor (keepers: Map<string, FakeKeeper>) { this.keepers = keepers }
  async close (): Promise<void> {}
  async deposit (): Promise<void> {}
  async release (info: KeeperInfo, raw: KeyRequest): Promise<KeyResponse> {
    this.asked++
    const k = this.keepers.get(info.address)!
    const request = parseKeyRequest(JSON.parse(JSON.stringify(raw)))
    if (k.behaviour === 'down') throw Object.assign(new Error('connection refused'), { code: 'ERR_KEEPER_UNREACHABLE' })
    if (k.behaviour === 'deny') return { v: 1, ok: false, code: 'ERR_ACCESS_DENIED', message: 'no' }
    let digest = keyRequestHash(request)
    if (k.behaviour === 'other-request') digest = `0x${'ab'.repeat(32)}`
    let share = k.share
    if (k.behaviour === 'bad-share') share = { ...share, y: share.y.map((b, i) => i === 0 ? b ^ 1 : b) }
    const sealed = await sealShareRelease(share, fromHex(request.viewerKey, 32, 'vk'), fromHex(digest, 32, 'd'))
    if (k.behaviour === 'bad-ct') sealed.ct[3]! ^= 1
    const signer = k.behaviour === 'wrong-signer' ? privateKeyToAccount(generatePrivateKey()) : k.account
    const res = await signKeyRelease(signer, domain, { video: share.video, request: digest, epoch: share.epoch, threshold: share.threshold, shares: share.shares, enc: toHex(sealed.enc), ct: toHex(sealed.ct) })
    if (k.behaviour === 'wrong-signer' && res.ok) res.release.keeper = k.account.address
    return res
  }
}

async function world (behaviours: Behaviour[], threshold: number) {
  const video: VideoId = generateVideoId()
  const K = generateContentKey()
  const shares = await splitKey(K, { video, epoch: 0, threshold, shares: behaviours.length })
  const keepers = new Map<string, FakeKeeper>()
  behaviours.forEach((behaviour, i) => {
    const account = privateKeyToAccount(generatePrivateKey())
    keepers.set(account.address, { info: { address: account.address, x25519PublicKey: x25519.getPublicKey(x25519.utils.randomSecretKey()), http: 'http://fake' }, account, share: shares[i]!, behaviour })
  })
  const oracle: AccessOracle & KeeperDirectory = {
    domain,
    hasAccess: async () => true,
    video: async () => ({ owner: '0x0000000000000000000000000000000000000001', keyFingerprint: keyFingerprint(K) }),
    custody: async () => ({ epoch: 0, threshold, keepers: [...keepers.keys()] as Hex[] }),
    roles: async () => ({ creator: false, nodeHost: false }),
    keeper: async a => keepers.get(a)?.info,
    keepers: async () => [...keepers.values()].map(k => k.info)
  }
  const viewerSk = x25519.utils.randomSecretKey()
  const transport = new FakeTransport(keepers)
  const resolver = new KeyResolver({ oracle, directory: oracle, client: transport, viewer: { account: privateKeyToAccount(generatePrivateKey()), x25519PublicKey: x25519.getPublicKey(viewerSk), x25519PrivateKey: viewerSk } })
  return { video, K, resolver, transport, keepers: [...keepers.keys()] as Hex[] }
}

describe('key resolver (fake keepers)', () => {
  it('honest 2-of-3 gives K', async () => {
    const w = await world(['honest', 'honest', 'honest'], 2)
    const r = await w.resolver.resolve(w.video)
    assert.deepEqual(r.key, w.K)
    assert.equal(r.used.length, 2)
  })

  it('routes around a tampered release, a bad share, a forged signature and an answer to another request', async () => {
    for (const bad of ['bad-ct', 'bad-share', 'wrong-signer', 'other-request'] as const) {
      const w = await world([bad, 'honest', 'honest'], 2)
      const r = await w.resolver.resolve(w.video)
      assert.deepEqual(r.key, w.K, bad)
      // The resolver stops once two good shares combine; the bad answer may not have been checked
      // by then. If it was, it was refused as a bad release; either way it was never used.
      if (bad !== 'bad-share') for (const o of r.outcomes.filter(o => o.result !== 'released')) assert.equal(o.result, 'ERR_BAD_RELEASE', bad)
      assert.ok(!r.used.includes(w.keepers[0]!), bad)
    }
  })

  it('with only tampered answers beside one honest share, it fails with counts instead of a wrong key', async () => {
    const w = await world(['bad-ct', 'wrong-signer', 'honest'], 2)
    await assert.rejects(w.resolver.resolve(w.video), (err: { code: string, details: { released: number, needed: number, answered: number } }) => {
      assert.equal(err.code, 'ERR_KEEPERS_UNAVAILABLE')
      assert.deepEqual([err.details.answered, err.details.released, err.details.needed], [3, 1, 2])
      return true
    })
  })

  it('two bad shares out of 2-of-3 can never produce a key that passes the fingerprint', async () => {
    const w = await world(['bad-share', 'bad-share', 'honest'], 2)
    await assert.rejects(w.resolver.resolve(w.video), (err: { code: string }) => err.code === 'ERR_KEY_FINGERPRINT_MISMATCH')
  })

  it('3-of-5 with two keepers down still works; with three down it says 2 of 5 answered, 3 needed', async () => {
    const ok = await world(['down', 'honest', 'down', 'honest', 'honest'], 3)
    assert.deepEqual((await ok.resolver.resolve(ok.video)).key, ok.K)
    const bad = await world(['down', 'honest', 'down', 'down', 'honest'], 3)
    await assert.rejects(bad.resolver.resolve(bad.video), (err: { code: string, message: string }) => {
      assert.equal(err.code, 'ERR_KEEPERS_UNAVAILABLE')
      assert.match(err.message, /2 of 5 keepers answered and 2 released a share; 3 are needed/)
      return true
    })
  })

  it('all keepers refusing for lack of access is ERR_ACCESS_DENIED', async () => {
    const w = await world(['deny', 'deny', 'deny'], 2)
    await assert.rejects(w.resolver.resolve(w.video), (err: { code: string }) => err.code === 'ERR_ACCESS_DENIED')
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  decodeKeeperMessage, encodeKeeperMessage, generateVideoId, keyRequestHash, MAX_KEEPER_MESSAGE_BYTES, parseKeyRequest, parseKeyResponse,
  parseShareDeposit, sealShareToKeeper, shareDepositSigner, signKeyRelease, signKeyRequest, signLogHead, signShareDeposit, splitKey,
  verifyKeyRelease, verifyKeyRequest, verifyLogHead, type KeeperDomain, type KeyRequest
} from '../src/keys/index.ts'
import { generateContentKey } from '../src/index.ts'
import { x25519 } from '@noble/curves/ed25519.js'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }
const domain: KeeperDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const NOW = 1_700_000_000

describe('keeper wire: signed key requests (EIP-712)', () => {
  const viewer = privateKeyToAccount(generatePrivateKey())
  const video = generateVideoId()
  const viewerKey = x25519.getPublicKey(x25519.utils.randomSecretKey())
  const fresh = async (o: Partial<{ ttlSeconds: number, now: number, d: KeeperDomain }> = {}): Promise<KeyRequest> =>
    await signKeyRequest(viewer, { domain: o.d ?? domain, video, viewerKey, ttlSeconds: o.ttlSeconds ?? 60, now: o.now ?? NOW })

  it('a fresh request verifies and names its viewer; its digest is stable through JSON and CBOR', async () => {
    const r = await fresh()
    const hash = await verifyKeyRequest(r, { domain, now: NOW + 1 })
    assert.equal(hash, keyRequestHash(r))
    const viaJson = parseKeyRequest(JSON.parse(JSON.stringify(r)))
    assert.equal(keyRequestHash(viaJson), hash)
    const viaCbor = parseKeyRequest(decodeKeeperMessage(encodeKeeperMessage(r)))
    assert.equal(keyRequestHash(viaCbor), hash)
    assert.equal(viaCbor.viewer, viewer.address)
  })

  it('two requests have different nonces', async () => {
    assert.notEqual((await fresh()).nonce, (await fresh()).nonce)
  })

  it('refuses expired requests and requests valid for too long', async () => {
    await assert.rejects(verifyKeyRequest(await fresh(), { domain, now: NOW + 60 }), code('ERR_KEY_REQUEST_EXPIRED'))
    await assert.rejects(verifyKeyRequest(await fresh({ ttlSeconds: 3600 }), { domain, now: NOW }), code('ERR_KEY_REQUEST_TOO_LONG'))
  })

  it('refuses requests signed for another chain or another deployment', async () => {
    const other = await fresh({ d: { ...domain, chainId: 1 } })
    await assert.rejects(verifyKeyRequest(other, { domain, now: NOW }), code('ERR_KEY_REQUEST_WRONG_CHAIN'))
    const otherContract = await fresh({ d: { ...domain, verifyingContract: '0x0000000000000000000000000000000000000001' } })
    await assert.rejects(verifyKeyRequest(otherContract, { domain, now: NOW }), code('ERR_KEY_REQUEST_WRONG_CHAIN'))
    // Relabelling the chain id without re-signing breaks the signature instead.
    await assert.rejects(verifyKeyRequest({ ...other, chainId: domain.chainId }, { domain, now: NOW }), code('ERR_BAD_SIGNATURE'))
  })

  it('refuses mis-signed requests: another signer, or any field changed after signing', async () => {
    const r = await fresh()
    const mallory = privateKeyToAccount(generatePrivateKey())
    const forged = await signKeyRequest(mallory, { domain, video, viewerKey, now: NOW })
    await assert.rejects(verifyKeyRequest({ ...forged, viewer: viewer.address }, { domain, now: NOW }), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRequest({ ...r, video: generateVideoId() }, { domain, now: NOW }), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRequest({ ...r, viewerKey: `0x${'11'.repeat(32)}` }, { domain, now: NOW }), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRequest({ ...r, expiry: r.expiry + 1 }, { domain, now: NOW }), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRequest({ ...r, signature: `0x${'00'.repeat(65)}` }, { domain, now: NOW }), code('ERR_BAD_SIGNATURE'))
  })

  it('refuses malformed messages with a typed error, whatever the field', async () => {
    const r = await fresh() as unknown as Record<string, unknown>
    for (const [k, v] of [['v', 2], ['video', '0x12'], ['viewer', 'bob'], ['viewerKey', 5], ['nonce', `0x${'zz'.repeat(32)}`], ['expiry', -1], ['signature', '0x00'], ['chainId', 0]] as const) {
      assert.throws(() => parseKeyRequest({ ...r, [k]: v }), (err: { code: string }) => ['ERR_KEEPER_MALFORMED', 'ERR_KEEPER_WIRE_VERSION'].includes(err.code), k)
    }
    assert.throws(() => parseKeyRequest(null), code('ERR_KEEPER_MALFORMED'))
    assert.throws(() => decodeKeeperMessage(new Uint8Array(MAX_KEEPER_MESSAGE_BYTES + 1)), code('ERR_KEEPER_MALFORMED'))
  })
})

describe('keeper wire: releases, deposits, log heads', () => {
  const keeper = privateKeyToAccount(generatePrivateKey())
  const owner = privateKeyToAccount(generatePrivateKey())
  const video = generateVideoId()

  it('a release verifies against the keeper that signed it and no other; tampering breaks it', async () => {
    const res = await signKeyRelease(keeper, domain, { video, request: `0x${'ab'.repeat(32)}`, epoch: 1, threshold: 2, shares: 3, enc: `0x${'01'.repeat(32)}`, ct: `0x${'02'.repeat(88)}` })
    assert.ok(res.ok)
    const parsed = parseKeyResponse(JSON.parse(JSON.stringify(res)))
    assert.ok(parsed.ok)
    await verifyKeyRelease(parsed, domain, keeper.address)
    await assert.rejects(verifyKeyRelease(parsed, domain, owner.address), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRelease({ ...parsed, release: { ...parsed.release, ct: `0x${'03'.repeat(88)}` } }, domain, keeper.address), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRelease({ ...parsed, release: { ...parsed.release, epoch: 2 } }, domain, keeper.address), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyKeyRelease(parsed, { ...domain, chainId: 1 }, keeper.address), code('ERR_BAD_SIGNATURE'))
  })

  it('a refusal parses to its code; junk does not', () => {
    assert.deepEqual(parseKeyResponse({ v: 1, ok: false, code: 'ERR_ACCESS_DENIED', message: 'no' }), { v: 1, ok: false, code: 'ERR_ACCESS_DENIED', message: 'no' })
    assert.throws(() => parseKeyResponse({ v: 1, ok: false, code: 'lowercase', message: 'x' }), code('ERR_KEEPER_MALFORMED'))
    assert.throws(() => parseKeyResponse({ v: 1, ok: 'yes' }), code('ERR_KEEPER_MALFORMED'))
  })

  it('a deposit names its signer; changing what it deposits changes the signer', async () => {
    const [s] = await splitKey(generateContentKey(), { video, epoch: 0, threshold: 2, shares: 3 })
    const keeperX = x25519.getPublicKey(x25519.utils.randomSecretKey())
    const d = await signShareDeposit(owner, domain, { video, epoch: 0, threshold: 2, shares: 3, keeper: keeper.address, sealed: await sealShareToKeeper(s!, keeperX) })
    const parsed = parseShareDeposit(JSON.parse(JSON.stringify(d)))
    assert.equal(await shareDepositSigner(parsed, domain), owner.address)
    assert.notEqual(await shareDepositSigner({ ...parsed, epoch: 5 }, domain), owner.address)
    await assert.rejects(shareDepositSigner(parsed, { ...domain, chainId: 5 }), code('ERR_KEY_REQUEST_WRONG_CHAIN'))
    assert.throws(() => parseShareDeposit({ ...d, threshold: 4 }), code('ERR_KEEPER_MALFORMED'))
  })

  it('a log head verifies for its keeper only', async () => {
    const h = await signLogHead(keeper, domain, { length: 3, head: `0x${'cd'.repeat(32)}`, time: 123 })
    await verifyLogHead(h, domain, keeper.address)
    await assert.rejects(verifyLogHead({ ...h, length: 2 }, domain, keeper.address), code('ERR_BAD_SIGNATURE'))
    await assert.rejects(verifyLogHead(h, domain, owner.address), code('ERR_BAD_SIGNATURE'))
  })
})

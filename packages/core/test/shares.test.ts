import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { combine } from 'shamir-secret-sharing'
import { generateContentKey, keyFingerprint } from '../src/index.ts'
import {
  combineShares, decodeShare, encodeShare, generateVideoId, openKeeperShare, openShareRelease, sealShareRelease, sealShareToKeeper,
  SHARE_BYTES, splitKey, type KeyShare
} from '../src/keys/index.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

function keyPair (): { publicKey: Uint8Array, privateKey: Uint8Array } {
  const privateKey = x25519.utils.randomSecretKey()
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) }
}

function * subsetsOf<T> (items: T[], k: number, start = 0, acc: T[] = []): Generator<T[]> {
  if (acc.length === k) { yield acc; return }
  for (let i = start; i < items.length; i++) yield * subsetsOf(items, k, i + 1, [...acc, items[i]!])
}

describe('Shamir key shares', () => {
  const video = generateVideoId()

  for (const [t, n] of [[2, 3], [3, 5], [4, 4]] as const) {
    it(`${t}-of-${n}: every t-subset gives K; every (t−1)-subset gives a value that fails the fingerprint`, async () => {
      const K = generateContentKey()
      const fp = keyFingerprint(K)
      const shares = await splitKey(K, { video, epoch: 0, threshold: t, shares: n })
      assert.equal(shares.length, n)
      assert.equal(new Set(shares.map(s => s.x)).size, n)
      for (const subset of subsetsOf(shares, t)) {
        const { key } = await combineShares(subset, fp)
        assert.deepEqual(key, K)
      }
      for (const subset of subsetsOf(shares, t - 1)) {
        // Our wrapper refuses outright…
        await assert.rejects(combineShares(subset, fp), code('ERR_SHARES_TOO_FEW'))
        // …and interpolating them anyway yields something that is not K. With one share the
        // degree-0 interpolation is the share's own y.
        const guess = subset.length === 1
          ? subset[0]!.y
          : await combine(subset.map(s => new Uint8Array([...s.y, s.x])))
        assert.notDeepEqual(keyFingerprint(guess), fp)
      }
    })
  }

  it('too few shares: the error says how many there are and how many are needed', async () => {
    const shares = await splitKey(generateContentKey(), { video, epoch: 0, threshold: 3, shares: 5 })
    await assert.rejects(combineShares(shares.slice(0, 2)), (err: { code: string, details: Record<string, number> }) => {
      assert.equal(err.code, 'ERR_SHARES_TOO_FEW')
      assert.deepEqual(err.details, { have: 2, need: 3 })
      return true
    })
  })

  it('a tampered share makes the key fail its fingerprint; with a spare share the bad one is routed around', async () => {
    const K = generateContentKey()
    const fp = keyFingerprint(K)
    const shares = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 3 })
    const bad: KeyShare = { ...shares[0]!, y: Uint8Array.from(shares[0]!.y, (b, i) => i === 7 ? b ^ 0x80 : b) }
    await assert.rejects(combineShares([bad, shares[1]!], fp), code('ERR_KEY_FINGERPRINT_MISMATCH'))
    const { key, used } = await combineShares([bad, shares[1]!, shares[2]!], fp)
    assert.deepEqual(key, K)
    assert.ok(!used.includes(bad.x))
  })

  it('refuses to mix epochs, videos or splits, and duplicate points', async () => {
    const K = generateContentKey()
    const a = await splitKey(K, { video, epoch: 1, threshold: 2, shares: 3 })
    const b = await splitKey(K, { video, epoch: 2, threshold: 2, shares: 3 })
    await assert.rejects(combineShares([a[0]!, b[1]!]), code('ERR_SHARE_MISMATCH'))
    const c = await splitKey(K, { video: generateVideoId(), epoch: 1, threshold: 2, shares: 3 })
    await assert.rejects(combineShares([a[0]!, c[1]!]), code('ERR_SHARE_MISMATCH'))
    await assert.rejects(combineShares([a[0]!, a[0]!]), code('ERR_SHARE_MISMATCH'))
  })

  it('refuses thresholds below 2 or above n, and n above the keeper limit', async () => {
    const K = generateContentKey()
    await assert.rejects(splitKey(K, { video, epoch: 0, threshold: 1, shares: 3 }), code('ERR_SHARE_BAD_SPLIT'))
    await assert.rejects(splitKey(K, { video, epoch: 0, threshold: 4, shares: 3 }), code('ERR_SHARE_BAD_SPLIT'))
    await assert.rejects(splitKey(K, { video, epoch: 0, threshold: 2, shares: 33 }), code('ERR_SHARE_BAD_SPLIT'))
    await assert.rejects(splitKey(K, { video, epoch: -1, threshold: 2, shares: 3 }), code('ERR_SHARE_BAD_SPLIT'))
  })

  it('encodes index, epoch and split in 72 bytes, and refuses malformed encodings', async () => {
    const [s] = await splitKey(generateContentKey(), { video, epoch: 7, threshold: 2, shares: 3 })
    const b = encodeShare(s!)
    assert.equal(b.byteLength, SHARE_BYTES)
    assert.deepEqual(decodeShare(b), s)
    assert.throws(() => decodeShare(b.subarray(1)), code('ERR_SHARE_MALFORMED'))
    const badVersion = Uint8Array.from(b); badVersion[0] = 2
    assert.throws(() => decodeShare(badVersion), code('ERR_SHARE_MALFORMED'))
    const zeroX = Uint8Array.from(b); zeroX[39] = 0
    assert.throws(() => decodeShare(zeroX), code('ERR_SHARE_MALFORMED'))
    const badT = Uint8Array.from(b); badT[37] = 9
    assert.throws(() => decodeShare(badT), code('ERR_SHARE_MALFORMED'))
  })

  it('property: any t of n shares of a random key give it back', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 2, max: 8 }).chain(n => fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n }), fc.shuffledSubarray([...Array(n).keys()]))),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      async ([n, t, pick], K) => {
        const shares = await splitKey(K, { video, epoch: 0, threshold: t, shares: n })
        const chosen = pick.map(i => shares[i]!)
        if (chosen.length < t) { await assert.rejects(combineShares(chosen), code('ERR_SHARES_TOO_FEW')); return }
        assert.deepEqual((await combineShares(chosen, keyFingerprint(K))).key, K)
      }
    ), { numRuns: 60 })
  })
})

describe('sealed shares (to a keeper, then re-sealed to a viewer)', () => {
  const video = generateVideoId()
  const keeper = keyPair()
  const viewer = keyPair()

  it('a keeper opens its deposit; a viewer opens the release bound to its request', async () => {
    const [s] = await splitKey(generateContentKey(), { video, epoch: 3, threshold: 2, shares: 2 })
    const deposit = await sealShareToKeeper(s!, keeper.publicKey)
    const held = await openKeeperShare(deposit, keeper, video, 3)
    assert.deepEqual(held, s)
    const requestHash = crypto.getRandomValues(new Uint8Array(32))
    const release = await sealShareRelease(held, viewer.publicKey, requestHash)
    assert.deepEqual(await openShareRelease(release, viewer, requestHash), s)
  })

  it('a deposit opens only for its video and epoch, by its keeper; a tampered one not at all', async () => {
    const [s] = await splitKey(generateContentKey(), { video, epoch: 3, threshold: 2, shares: 2 })
    const deposit = await sealShareToKeeper(s!, keeper.publicKey)
    await assert.rejects(openKeeperShare(deposit, keeper, video, 4), code('ERR_SHARE_AUTH'))
    await assert.rejects(openKeeperShare(deposit, keeper, generateVideoId(), 3), code('ERR_SHARE_AUTH'))
    await assert.rejects(openKeeperShare(deposit, keyPair(), video, 3), code('ERR_SHARE_AUTH'))
    const ct = Uint8Array.from(deposit.ct); ct[10]! ^= 1
    await assert.rejects(openKeeperShare({ ...deposit, ct }, keeper, video, 3), code('ERR_SHARE_AUTH'))
  })

  it('a release opens only for the request it answers; a tampered one not at all', async () => {
    const [s] = await splitKey(generateContentKey(), { video, epoch: 0, threshold: 2, shares: 2 })
    const requestHash = crypto.getRandomValues(new Uint8Array(32))
    const release = await sealShareRelease(s!, viewer.publicKey, requestHash)
    await assert.rejects(openShareRelease(release, viewer, crypto.getRandomValues(new Uint8Array(32))), code('ERR_SHARE_AUTH'))
    const enc = Uint8Array.from(release.enc); enc[0]! ^= 1
    await assert.rejects(openShareRelease({ ...release, enc }, viewer, requestHash), code('ERR_SHARE_AUTH'))
    await assert.rejects(openShareRelease(release, keyPair(), requestHash), code('ERR_SHARE_AUTH'))
  })
})

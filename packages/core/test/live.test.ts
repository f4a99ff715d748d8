import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, generateContentKey, keyFingerprint } from '../src/index.ts'
import { ed25519Signer } from '../src/ed25519.ts'
import {
  announcementFromJson, announcementToJson, formatLiveLink, openSegment, parseLiveLink, sealSegment, signAnnouncement,
  streamIdOf, unwrapEpochKey, unwrapPrevEpochKey, verifyAnnouncement, wrapEpochKey, wrapPrevEpochKey, MAX_ANNOUNCEMENT_BYTES, type LiveAnnouncementBody, type LiveLink
} from '../src/live.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

async function fixture () {
  const signer = await ed25519Signer(generateContentKey())
  const link: LiveLink = { stream: streamIdOf(signer.publicKey), secret: generateContentKey() }
  const epochKey = generateContentKey()
  const sealed = await sealSegment(epochKey, link.stream, 0, { kind: 'media', seq: 7 }, new Uint8Array([1, 2, 3]))
  const init = await sealSegment(epochKey, link.stream, 0, { kind: 'init', epoch: 2 }, new Uint8Array([9]))
  const body: LiveAnnouncementBody = {
    v: 1, stream: link.stream, rendition: 0, name: '360p', seq: 7, epoch: 2, duration: 1000, time: Date.now(),
    cid: await blockCid(sealed), size: sealed.byteLength, init: await blockCid(init), initSize: init.byteLength,
    key: await wrapEpochKey(link, 2, epochKey)
  }
  return { signer, link, epochKey, sealed, body, a: await signAnnouncement(body, signer.sign) }
}

describe('live announcements', () => {
  it('round-trip through JSON, fit the size bound and verify under the stream key', async () => {
    const { a } = await fixture()
    const json = JSON.stringify(announcementToJson(a))
    assert.ok(json.length < MAX_ANNOUNCEMENT_BYTES)
    const back = announcementFromJson(JSON.parse(json))
    assert.equal(await verifyAnnouncement(back), true)
    assert.equal(back.cid.toString(), a.cid.toString())
  })

  it('a changed field or another key\'s signature does not verify', async () => {
    const { a, body } = await fixture()
    assert.equal(await verifyAnnouncement({ ...a, seq: 8 }), false)
    assert.equal(await verifyAnnouncement({ ...a, cid: a.init }), false)
    const other = await ed25519Signer(generateContentKey())
    assert.equal(await verifyAnnouncement(await signAnnouncement(body, other.sign)), false)
  })

  it('refuses malformed JSON with ERR_LIVE_MALFORMED', async () => {
    const { a } = await fixture()
    const good = announcementToJson(a)
    const bad: unknown[] = [null, [], 'x', { ...good, v: 2 }, { ...good, stream: 'AB' }, { ...good, seq: -1 }, { ...good, seq: 1.5 },
      { ...good, rendition: 16 }, { ...good, duration: 0 }, { ...good, size: 3 * 1024 * 1024 }, { ...good, cid: 'nope' },
      { ...good, name: 'x'.repeat(17) }, { ...good, name: '<script>' }, { ...good, sig: 'AAAA' }, { ...good, key: { kind: 'keeper' } },
      { ...good, key: { kind: 'link', nonce: 'A'.repeat(10_000), box: '' } }, { ...good, last: false }, { ...good, last: 'yes' }, { ...good, last: 1 }]
    for (const b of bad) assert.throws(() => announcementFromJson(b), code('ERR_LIVE_MALFORMED'))
  })

  it("a stream's end is signed: a final segment round-trips as last, and nobody else can add or strip it", async () => {
    const { a, body, signer } = await fixture()
    const end = await signAnnouncement({ ...body, last: true }, signer.sign)
    const back = announcementFromJson(JSON.parse(JSON.stringify(announcementToJson(end))))
    assert.equal(back.last, true)
    assert.equal(await verifyAnnouncement(back), true)
    // A node (or anyone in between) ending the stream early, or hiding its end:
    assert.equal(await verifyAnnouncement({ ...a, last: true }), false)
    const { last: _, ...stripped } = back
    assert.equal(await verifyAnnouncement(stripped), false)
    // An announcement without the field keeps its old JSON and signature.
    assert.equal('last' in announcementToJson(a), false)
    assert.equal(announcementFromJson(announcementToJson(a)).last, undefined)
  })
})

describe('live links and epoch keys', () => {
  it('a link round-trips and its holder unwraps the epoch key; a wrong link, epoch or stream does not', async () => {
    const { link, epochKey, body } = await fixture()
    const parsed = parseLiveLink(formatLiveLink(link))
    assert.deepEqual(await unwrapEpochKey(parsed, 2, body.key), epochKey)
    await assert.rejects(unwrapEpochKey({ ...link, secret: generateContentKey() }, 2, body.key), code('ERR_LIVE_KEY'))
    await assert.rejects(unwrapEpochKey(link, 3, body.key), code('ERR_LIVE_KEY'))
  })

  it('refuses malformed links with ERR_BAD_LIVE_LINK', () => {
    for (const t of ['p2pdv://video/0x00', 'p2pdv://live/abc#x', `p2pdv://live/${'a'.repeat(64)}`, `p2pdv://live/${'a'.repeat(64)}#short`]) {
      assert.throws(() => parseLiveLink(t), code('ERR_BAD_LIVE_LINK'))
    }
  })

  it('a segment opens only at its own position', async () => {
    const { link, epochKey, sealed } = await fixture()
    assert.deepEqual(await openSegment(epochKey, link.stream, 0, { kind: 'media', seq: 7 }, sealed), new Uint8Array([1, 2, 3]))
    await assert.rejects(openSegment(epochKey, link.stream, 0, { kind: 'media', seq: 8 }, sealed), code('ERR_CHUNK_AUTH'))
    await assert.rejects(openSegment(epochKey, link.stream, 1, { kind: 'media', seq: 7 }, sealed), code('ERR_CHUNK_AUTH'))
    await assert.rejects(openSegment(generateContentKey(), link.stream, 0, { kind: 'media', seq: 7 }, sealed), code('ERR_CHUNK_AUTH'))
  })
})

describe('keeper-gated epoch key references', () => {
  async function keeperFixture () {
    const { signer, link, body } = await fixture()
    const k1 = generateContentKey()
    const k2 = generateContentKey()
    const k3 = generateContentKey()
    const prev = await wrapPrevEpochKey(link.stream, 2, k2, 1, k1)
    const toNext = await wrapPrevEpochKey(link.stream, 3, k3, 2, k2)
    const keyBody: LiveAnnouncementBody = { ...body, key: { kind: 'keeper', video: `0x${'ab'.repeat(32)}`, check: keyFingerprint(k2), prev, next: { ...toNext, epoch: 3 } } }
    return { signer, link, k1, k2, k3, keyBody, a: await signAnnouncement(keyBody, signer.sign) }
  }

  it('round-trips through JSON, verifies, and links back: epoch 2 opens epoch 1, epoch 3 opens epoch 2, never forward', async () => {
    const { link, k1, k2, k3, a } = await keeperFixture()
    const back = announcementFromJson(JSON.parse(JSON.stringify(announcementToJson(a))))
    assert.equal(await verifyAnnouncement(back), true)
    assert.equal(back.key.kind, 'keeper')
    if (back.key.kind !== 'keeper') return
    assert.deepEqual(back.key.check, keyFingerprint(k2))
    assert.deepEqual(await unwrapPrevEpochKey(link.stream, 2, k2, back.key.prev!), k1)
    assert.deepEqual(await unwrapPrevEpochKey(link.stream, 3, k3, { ...back.key.next!, epoch: 2 }), k2)
    // The earlier key opens neither link; a link moved to other epochs does not open.
    await assert.rejects(unwrapPrevEpochKey(link.stream, 2, k1, back.key.prev!), code('ERR_LIVE_KEY'))
    await assert.rejects(unwrapPrevEpochKey(link.stream, 3, k2, { ...back.key.next!, epoch: 2 }), code('ERR_LIVE_KEY'))
    await assert.rejects(unwrapPrevEpochKey(link.stream, 2, k2, { ...back.key.prev!, epoch: 0 }), code('ERR_LIVE_KEY'))
    // A keeper reference carries no key for link holders.
    await assert.rejects(unwrapEpochKey(link, 2, back.key), code('ERR_LIVE_KEY'))
  })

  it('a changed reference does not verify; malformed ones are ERR_LIVE_MALFORMED', async () => {
    const { a } = await keeperFixture()
    if (a.key.kind !== 'keeper') return
    assert.equal(await verifyAnnouncement({ ...a, key: { ...a.key, check: new Uint8Array(32) } }), false)
    assert.equal(await verifyAnnouncement({ ...a, key: { ...a.key, video: `0x${'cd'.repeat(32)}` } }), false)
    const good = announcementToJson(a) as { key: Record<string, any> }
    const k = good.key
    const bad: unknown[] = [
      { kind: 'keeper', video: 'AB', check: k.check },
      { kind: 'keeper', video: k.video.toUpperCase().replace('0X', '0x'), check: k.check },
      { kind: 'keeper', video: k.video, check: 'AAAA' },
      { kind: 'keeper', video: k.video },
      { ...k, prev: { ...k.prev, epoch: 2 } },
      { ...k, prev: { ...k.prev, box: 'A'.repeat(10_000) } },
      { ...k, prev: 'x' },
      { ...k, next: { ...k.next, epoch: 2 } },
      { kind: 'other' }
    ]
    for (const key of bad) assert.throws(() => announcementFromJson({ ...good, key }), code('ERR_LIVE_MALFORMED'))
  })
})

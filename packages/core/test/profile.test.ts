import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { verifyMessage, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  avatarType, blockCid, CidErrorCode, decodeProfile, encodeListing, encodeProfile, isProfileLink, listingDigest, MAX_PROFILE_BIO, MAX_PROFILE_BYTES,
  MAX_PROFILE_LINKS, openProfile, profileBlock, profileCreator, profileDigest, ProfileErrorCode, verifyProfile, type ListingBody, type ProfileBody, type ProfileDocument
} from '@p2pdv/core'

const account = privateKeyToAccount(generatePrivateKey())
const hexBytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))

async function body (): Promise<ProfileBody> {
  return {
    v: 1,
    type: 'profile',
    creator: hexBytes(account.address),
    name: 'Ada’s workshop',
    bio: 'Lathes and looms.\nWeekly.',
    avatar: await blockCid(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    links: ['https://example.org/ada', 'https://mastodon.example/@ada'],
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_500
  }
}

async function signed (b: ProfileBody, signer = account): Promise<ProfileDocument> {
  const sig = await signer.signMessage({ message: { raw: profileDigest(b) } })
  return { ...b, sig: hexBytes(sig) }
}

describe('channel profiles', () => {
  it('round-trips: encode, store as a raw block, open, verify the creator', async () => {
    const doc = await signed(await body())
    const { cid, block } = await profileBlock(doc)
    const opened = await openProfile(cid, block)
    assert.deepEqual(opened, doc)
    assert.equal(profileCreator(opened), account.address.toLowerCase())
    const sig = `0x${Buffer.from(doc.sig).toString('hex')}` as Hex
    assert.equal(await verifyMessage({ address: account.address, message: { raw: profileDigest(doc) }, signature: sig }), true)
  })

  it('refuses a forged or altered profile, and a listing signature replayed as a profile', async () => {
    const other = privateKeyToAccount(generatePrivateKey())
    const b = await body()
    // Signed by another key but naming this creator: the forgery the index must not show.
    const forged = await signed(b, other)
    const { cid, block } = await profileBlock(forged)
    await assert.rejects(openProfile(cid, block), { code: ProfileErrorCode.BAD_SIGNATURE })
    const doc = await signed(b)
    await assert.rejects(verifyProfile({ ...doc, name: 'Someone else' }), { code: ProfileErrorCode.BAD_SIGNATURE })
    await assert.rejects(verifyProfile({ ...doc, links: ['https://evil.example/'] }), { code: ProfileErrorCode.BAD_SIGNATURE })
    await assert.rejects(verifyProfile({ ...doc, sig: new Uint8Array(65).fill(7) }), { code: ProfileErrorCode.BAD_SIGNATURE })
    // Domains differ: the same signer's listing digest never equals a profile digest.
    const listing: ListingBody = { v: 1, type: 'listing', creator: b.creator, title: b.name, tags: [], durationSeconds: 1, createdAt: b.createdAt, updatedAt: b.updatedAt }
    assert.notDeepEqual(listingDigest(listing), profileDigest(b))
    assert.throws(() => decodeProfile(encodeListing({ ...listing, sig: doc.sig })), { code: ProfileErrorCode.UNSUPPORTED })
  })

  it('refuses hostile fields and non-canonical encodings with codes', async () => {
    const doc = await signed(await body())
    const raw = dagCbor.decode(encodeProfile(doc)) as any
    const cases: Array<[string, (m: any) => void, string]> = [
      ['unknown field', m => { m.verified = true }, ProfileErrorCode.MALFORMED],
      ['no name', m => { delete m.name }, ProfileErrorCode.MALFORMED],
      ['empty name', m => { m.name = '' }, ProfileErrorCode.MALFORMED],
      ['long name', m => { m.name = 'x'.repeat(65) }, ProfileErrorCode.MALFORMED],
      ['padded name', m => { m.name = ' Ada' }, ProfileErrorCode.MALFORMED],
      ['newline in name', m => { m.name = 'a\nb' }, ProfileErrorCode.MALFORMED],
      ['NUL in bio', m => { m.bio = 'a\u0000b' }, ProfileErrorCode.MALFORMED],
      ['long bio', m => { m.bio = 'x'.repeat(MAX_PROFILE_BIO + 1) }, ProfileErrorCode.MALFORMED],
      ['javascript: link', m => { m.links = ['javascript:alert(1)'] }, ProfileErrorCode.MALFORMED],
      ['data: link', m => { m.links = ['data:text/html,<script>alert(1)</script>'] }, ProfileErrorCode.MALFORMED],
      ['http link', m => { m.links = ['http://example.org/'] }, ProfileErrorCode.MALFORMED],
      ['link with credentials', m => { m.links = ['https://user:pw@example.org/'] }, ProfileErrorCode.MALFORMED],
      ['link not in normal form', m => { m.links = ['HTTPS://Example.org'] }, ProfileErrorCode.MALFORMED],
      ['link with a space', m => { m.links = ['https://example.org/a b'] }, ProfileErrorCode.MALFORMED],
      ['long link', m => { m.links = [`https://example.org/${'a'.repeat(200)}`] }, ProfileErrorCode.MALFORMED],
      ['too many links', m => { m.links = Array.from({ length: MAX_PROFILE_LINKS + 1 }, (_, i) => `https://example.org/${i}`) }, ProfileErrorCode.MALFORMED],
      ['duplicate links', m => { m.links = ['https://example.org/', 'https://example.org/'] }, ProfileErrorCode.MALFORMED],
      ['links not a list', m => { m.links = 'https://example.org/' }, ProfileErrorCode.MALFORMED],
      ['avatar not a raw CID', m => { m.avatar = 'bafk' }, ProfileErrorCode.MALFORMED],
      ['bad creator', m => { m.creator = new Uint8Array(21) }, ProfileErrorCode.MALFORMED],
      ['updated before created', m => { m.updatedAt = m.createdAt - 1 }, ProfileErrorCode.MALFORMED],
      ['short sig', m => { m.sig = new Uint8Array(64) }, ProfileErrorCode.MALFORMED],
      ['version 2', m => { m.v = 2 }, ProfileErrorCode.UNSUPPORTED],
      ['a listing', m => { m.type = 'listing' }, ProfileErrorCode.UNSUPPORTED]
    ]
    for (const [what, edit, code] of cases) {
      const bad = structuredClone(raw)
      edit(bad)
      assert.throws(() => decodeProfile(dagCbor.encode(bad)), { code }, what)
    }
    assert.throws(() => decodeProfile(new Uint8Array([0xff, 0x00])), { code: ProfileErrorCode.MALFORMED })
    assert.throws(() => decodeProfile(dagCbor.encode([1, 2])), { code: ProfileErrorCode.UNSUPPORTED })
    // Non-canonical: the same map with createdAt as a float.
    const bytes = Buffer.from(encodeProfile(doc))
    const at = bytes.indexOf(Buffer.from('createdAt'))
    assert.ok(at > 0)
    const int = 1 + 8 // 0x1b + 8 bytes
    const patched = Buffer.concat([bytes.subarray(0, at + 9), Buffer.from([0xfb]), Buffer.from(new Float64Array([1_700_000_000_000]).buffer).reverse(), bytes.subarray(at + 9 + int)])
    assert.throws(() => decodeProfile(patched), { code: ProfileErrorCode.MALFORMED })
  })

  it('fits the largest allowed profile, refuses oversized blocks and blocks that do not match their CID', async () => {
    const b = await body()
    b.name = 'ü'.repeat(64)
    b.bio = '界'.repeat(MAX_PROFILE_BIO)
    b.links = Array.from({ length: MAX_PROFILE_LINKS }, (_, i) => `https://example.org/${String(i).padEnd(180, 'x')}`)
    const doc = await signed(b)
    assert.ok(encodeProfile(doc).byteLength <= MAX_PROFILE_BYTES)
    assert.throws(() => decodeProfile(new Uint8Array(MAX_PROFILE_BYTES + 1)), { code: ProfileErrorCode.TOO_LARGE })
    const { cid } = await profileBlock(await signed(await body()))
    await assert.rejects(openProfile(cid, encodeProfile(doc)), { code: CidErrorCode.HASH_MISMATCH })
  })

  it('accepts only https links in normal form, and JPEG or PNG avatars', () => {
    assert.equal(isProfileLink('https://example.org/'), true)
    assert.equal(isProfileLink('https://example.org'), false)
    assert.equal(isProfileLink('javascript://example.org/%0aalert(1)'), false)
    assert.equal(isProfileLink(' https://example.org/'), false)
    assert.equal(avatarType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg')
    assert.equal(avatarType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'image/png')
    assert.equal(avatarType(new TextEncoder().encode('<svg onload=alert(1)>')), undefined)
  })
})

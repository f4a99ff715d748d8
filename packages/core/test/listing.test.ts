import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { hashMessage, verifyMessage, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  blockCid, CidErrorCode, decodeListing, encodeListing, listingBlock, listingCreator, listingDigest, ListingErrorCode, MAX_LISTING_BYTES,
  openListing, verifyListing, type ListingBody, type ListingDocument
} from '@p2pdv/core'

const account = privateKeyToAccount(generatePrivateKey())
const hexBytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))

async function body (): Promise<ListingBody> {
  return {
    v: 1,
    type: 'listing',
    creator: hexBytes(account.address),
    title: 'Test card',
    description: 'Line one\nLine two\twith a tab',
    tags: ['test', 'lavfi'],
    durationSeconds: 8,
    poster: await blockCid(new Uint8Array([0xff, 0xd8])),
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000
  }
}

async function signed (b: ListingBody, signer = account): Promise<ListingDocument> {
  const sig = await signer.signMessage({ message: { raw: listingDigest(b) } })
  return { ...b, sig: hexBytes(sig) }
}

describe('listing documents', () => {
  it('round-trips: encode, store as a raw block, open, verify the creator', async () => {
    const doc = await signed(await body())
    const { cid, block } = await listingBlock(doc)
    const opened = await openListing(cid, block)
    assert.deepEqual(opened, doc)
    assert.equal(listingCreator(opened), account.address.toLowerCase())
  })

  it('signs an EIP-191 message that viem verifies independently', async () => {
    const b = await body()
    const doc = await signed(b)
    const sig = `0x${Buffer.from(doc.sig).toString('hex')}` as Hex
    assert.equal(await verifyMessage({ address: account.address, message: { raw: listingDigest(b) }, signature: sig }), true)
    // The digest is domain-separated: it is not the hash of the bare CBOR.
    assert.notEqual(hashMessage({ raw: listingDigest(b) }), hashMessage({ raw: dagCbor.encode(b) }))
  })

  it('refuses a listing signed by someone else, or altered after signing', async () => {
    const other = privateKeyToAccount(generatePrivateKey())
    const b = await body()
    await assert.rejects(verifyListing(await signed(b, other)), { code: ListingErrorCode.BAD_SIGNATURE })
    const doc = await signed(b)
    await assert.rejects(verifyListing({ ...doc, title: 'Another title' }), { code: ListingErrorCode.BAD_SIGNATURE })
    await assert.rejects(verifyListing({ ...doc, updatedAt: doc.updatedAt + 1 }), { code: ListingErrorCode.BAD_SIGNATURE })
    // The malleated twin (s → n − s, v flipped) recovers the same address but is refused (EIP-2).
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const s = BigInt(`0x${Buffer.from(doc.sig.subarray(32, 64)).toString('hex')}`)
    const twin = Uint8Array.from(doc.sig)
    twin.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32)
    twin[64] = doc.sig[64] === 27 ? 28 : 27
    await assert.rejects(verifyListing({ ...doc, sig: twin }), { code: ListingErrorCode.BAD_SIGNATURE })
    const garbage = new Uint8Array(65).fill(7)
    await assert.rejects(verifyListing({ ...doc, sig: garbage }), { code: ListingErrorCode.BAD_SIGNATURE })
  })

  it('refuses bad fields, unknown fields and non-canonical encodings with codes', async () => {
    const doc = await signed(await body())
    const raw = dagCbor.decode(encodeListing(doc)) as any
    const cases: Array<[string, (m: any) => void, string]> = [
      ['unknown field', m => { m.price = 5 }, ListingErrorCode.MALFORMED],
      ['no title', m => { delete m.title }, ListingErrorCode.MALFORMED],
      ['empty title', m => { m.title = '' }, ListingErrorCode.MALFORMED],
      ['newline in title', m => { m.title = 'a\nb' }, ListingErrorCode.MALFORMED],
      ['NUL in description', m => { m.description = 'a\u0000b' }, ListingErrorCode.MALFORMED],
      ['too many tags', m => { m.tags = Array.from({ length: 17 }, (_, i) => `t${i}`) }, ListingErrorCode.MALFORMED],
      ['duplicate tags', m => { m.tags = ['a', 'a'] }, ListingErrorCode.MALFORMED],
      ['untrimmed tag', m => { m.tags = [' a'] }, ListingErrorCode.MALFORMED],
      ['long tag', m => { m.tags = ['x'.repeat(33)] }, ListingErrorCode.MALFORMED],
      ['bad creator', m => { m.creator = new Uint8Array(19) }, ListingErrorCode.MALFORMED],
      ['bad duration', m => { m.durationSeconds = -1 }, ListingErrorCode.MALFORMED],
      ['updated before created', m => { m.updatedAt = m.createdAt - 1 }, ListingErrorCode.MALFORMED],
      ['fractional time', m => { m.createdAt = 1.5 }, ListingErrorCode.MALFORMED],
      ['poster not a raw CID', m => { m.poster = 'bafk' }, ListingErrorCode.MALFORMED],
      ['short sig', m => { m.sig = new Uint8Array(64) }, ListingErrorCode.MALFORMED],
      ['version 2', m => { m.v = 2 }, ListingErrorCode.UNSUPPORTED],
      ['another type', m => { m.type = 'video' }, ListingErrorCode.UNSUPPORTED]
    ]
    for (const [what, edit, code] of cases) {
      const bad = structuredClone(raw)
      edit(bad)
      assert.throws(() => decodeListing(dagCbor.encode(bad)), { code }, what)
    }
    assert.throws(() => decodeListing(new Uint8Array([0xff, 0x00])), { code: ListingErrorCode.MALFORMED })
    // A non-canonical encoding of the same map (a float where an integer belongs) is refused.
    const bytes = encodeListing(doc)
    const nonCanonical = Buffer.from(bytes)
    const at = nonCanonical.indexOf(Buffer.from('durationSeconds'))
    assert.ok(at > 0)
    const patched = Buffer.concat([nonCanonical.subarray(0, at + 15), Buffer.from([0xfb]), Buffer.from(new Float64Array([8]).buffer).reverse(), nonCanonical.subarray(at + 16)])
    assert.throws(() => decodeListing(patched), { code: ListingErrorCode.MALFORMED })
  })

  it('refuses oversized listings and blocks that do not match their CID', async () => {
    const b = await body()
    b.description = 'é'.repeat(5000)
    b.tags = Array.from({ length: 16 }, (_, i) => `${'t'.repeat(29)}${i}`)
    b.title = 'ü'.repeat(200)
    const doc = await signed(b)
    // Within every field limit, still small enough: the byte limit is a backstop.
    assert.ok(encodeListing(doc).byteLength < MAX_LISTING_BYTES)
    assert.throws(() => decodeListing(new Uint8Array(MAX_LISTING_BYTES + 1)), { code: ListingErrorCode.TOO_LARGE })
    const { cid } = await listingBlock(await signed(await body()))
    await assert.rejects(openListing(cid, encodeListing(doc)), { code: CidErrorCode.HASH_MISMATCH })
  })
})

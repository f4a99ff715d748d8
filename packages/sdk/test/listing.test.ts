import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, decodeListing, listingCreator, ListingErrorCode, verifyListing } from '@p2pdv/core'
import { createIdentity } from '@p2pdv/chain/identity'
import { buildListing, ListingInputErrorCode, normaliseTags } from '@p2pdv/sdk'

const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9])

describe('buildListing', () => {
  it('signs with an identity: the block decodes, verifies, names the creator and the public poster', async () => {
    const id = await createIdentity('creator')
    const { listing, block, poster } = await buildListing(id.account, { title: 'Test card', description: 'a\r\nb', tags: [' Test ', 'test', 'Lavfi', ''], durationSeconds: 8, posterJpeg: jpeg, createdAt: 1000, updatedAt: 2000 })
    const decoded = decodeListing(block)
    await verifyListing(decoded)
    assert.equal(listingCreator(decoded), id.address.toLowerCase())
    assert.deepEqual(decoded.tags, ['test', 'lavfi'])
    assert.equal(decoded.description, 'a\nb')
    assert.equal(decoded.poster?.toString(), (await blockCid(jpeg)).toString())
    assert.deepEqual(poster?.block, jpeg)
    assert.deepEqual(decoded, listing)
    assert.equal(decoded.createdAt, 1000)
    assert.equal(decoded.updatedAt, 2000)
  })

  it('refuses a bad poster and bad input with codes, before signing anything', async () => {
    const id = await createIdentity('creator')
    await assert.rejects(buildListing(id.account, { title: 't', durationSeconds: 1, posterJpeg: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }), { code: ListingInputErrorCode.POSTER })
    await assert.rejects(buildListing(id.account, { title: 't', durationSeconds: 1, posterJpeg: new Uint8Array(256 * 1024 + 1).fill(0xff) }), { code: ListingInputErrorCode.POSTER })
    await assert.rejects(buildListing(id.account, { title: '', durationSeconds: 1 }), { code: ListingInputErrorCode.INPUT })
    await assert.rejects(buildListing(id.account, { title: 't', durationSeconds: 1, tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }), { code: ListingInputErrorCode.INPUT })
    // A listing edited after signing no longer verifies.
    const { listing } = await buildListing(id.account, { title: 't', durationSeconds: 1 })
    await assert.rejects(verifyListing({ ...listing, durationSeconds: 2 }), { code: ListingErrorCode.BAD_SIGNATURE })
    assert.deepEqual(normaliseTags(['A', 'a ', ' b']), ['a', 'b'])
  })
})

// Building a channel profile from what a creator types: links normalised and https only, avatars
// JPEG or PNG within the limit, the result signed and readable by any reader.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { MAX_PROFILE_AVATAR_BYTES, openProfile } from '@p2pdv/core'
import { buildProfile, normaliseProfileLink, ProfileInputErrorCode } from '@p2pdv/sdk'

const signer = privateKeyToAccount(generatePrivateKey())
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])

describe('buildProfile', () => {
  it('signs a profile a reader opens, with links in normal form and the avatar as its own block', async () => {
    const built = await buildProfile(signer, { name: '  Ada  ', bio: 'a\r\nb', avatar: PNG, links: ['https://Example.org', ' https://example.org/x '] })
    const doc = await openProfile(built.cid, built.block)
    assert.equal(doc.name, 'Ada')
    assert.equal(doc.bio, 'a\nb')
    assert.deepEqual(doc.links, ['https://example.org/', 'https://example.org/x'])
    assert.equal(doc.avatar?.toString(), built.avatar?.cid.toString())
  })

  it('refuses what a reader would refuse, with input codes', async () => {
    for (const link of ['javascript:alert(1)', 'http://example.org/', 'not a url', `https://example.org/${'a'.repeat(200)}`]) {
      assert.throws(() => normaliseProfileLink(link), { code: ProfileInputErrorCode.INPUT }, link)
    }
    await assert.rejects(buildProfile(signer, { name: '' }), { code: ProfileInputErrorCode.INPUT })
    await assert.rejects(buildProfile(signer, { name: 'x'.repeat(65) }), { code: ProfileInputErrorCode.INPUT })
    await assert.rejects(buildProfile(signer, { name: 'Ada', links: Array.from({ length: 9 }, (_, i) => `https://example.org/${i}`) }), { code: ProfileInputErrorCode.INPUT })
    await assert.rejects(buildProfile(signer, { name: 'Ada', avatar: new TextEncoder().encode('GIF89a') }), { code: ProfileInputErrorCode.AVATAR })
    await assert.rejects(buildProfile(signer, { name: 'Ada', avatar: new Uint8Array(MAX_PROFILE_AVATAR_BYTES + 1).fill(0xff) }), { code: ProfileInputErrorCode.AVATAR })
  })
})

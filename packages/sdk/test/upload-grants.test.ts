// The client's grant book (sdk/src/upload-grants.ts): one grant per node, reused while it has
// time and allowance left, signed anew before either runs out; wallet grants verify as `eth`.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeGrant, grantIdentity, verifyGrantSignature } from '@p2pdv/core/grants'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { accountUploader, ephemeralUploader, GRANT_BYTES, GRANT_LIFETIME_MS, GrantBook } from '../src/upload-grants.ts'

const NODE = '12D3KooWGRUVh8cCmTvgXgZxhNtKWsbJMeFKjGw1WJGX6wVvhJyV'

describe('upload grants (client)', () => {
  it('reuses one grant per node until its allowance or time would run out', async () => {
    let now = 1_000_000
    let signed = 0
    const uploader = await ephemeralUploader()
    const book = new GrantBook(async () => { signed++; return uploader }, () => now)
    const a = await book.forNode(NODE, 1024)
    assert.equal(await book.forNode(NODE, 1024), a)
    assert.equal(signed, 1)
    assert.notEqual(await book.forNode(NODE, GRANT_BYTES), a)
    const b = await book.forNode(NODE, 1)
    now += GRANT_LIFETIME_MS
    assert.notEqual(await book.forNode(NODE, 1), b)
    assert.equal(decodeGrant(b.bytes).node, NODE)
    assert.ok(await verifyGrantSignature(b.grant))
  })

  it('signs eth grants with a wallet, charged to its address', async () => {
    const account = privateKeyToAccount(generatePrivateKey())
    const book = new GrantBook(async () => accountUploader(account))
    const { grant } = await book.forNode(NODE, 10)
    assert.ok(await verifyGrantSignature(grant))
    assert.equal(grantIdentity(grant), `eth:${account.address.toLowerCase()}`)
    assert.equal(await verifyGrantSignature({ ...grant, bytes: grant.bytes + 1 }), false)
  })
})

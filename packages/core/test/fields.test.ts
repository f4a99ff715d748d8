import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { blockCid, isP2pdvError, P2pdvError } from '@p2pdv/core'
import { fieldChecks } from '../src/fields.ts'

const field = fieldChecks(what => new P2pdvError('ERR_TEST_MALFORMED', what))
const refused = (e: unknown): boolean => isP2pdvError(e, 'ERR_TEST_MALFORMED')

describe('field checks (manifests and placement records share them)', () => {
  it('accept well-formed fields and return them typed', async () => {
    const cid = await blockCid(new Uint8Array([1]))
    assert.deepEqual(field.map({ a: 1 }, 'm'), { a: 1 })
    assert.equal(field.uint(7, 'n', 7), 7)
    assert.deepEqual(field.bytes(new Uint8Array(4), 'b', 4), new Uint8Array(4))
    assert.equal(field.text('hello', 't', 5), 'hello')
    const decoded = dagCbor.decode<{ c: unknown }>(dagCbor.encode({ c: cid }))
    assert.equal(field.blockCid(decoded.c, 'c').toString(), cid.toString())
  })

  it('refuse what a hostile encoder sends, with the caller\'s typed error', async () => {
    const cid = await blockCid(new Uint8Array([1]))
    for (const v of [null, [], new Uint8Array(1), cid, 'map', 1]) assert.throws(() => field.map(v, 'm'), refused)
    for (const v of [-1, 1.5, 8, Number.NaN, '1', 2 ** 53]) assert.throws(() => field.uint(v, 'n', 7), refused)
    for (const v of [new Uint8Array(3), [0, 0, 0, 0], 'abcd']) assert.throws(() => field.bytes(v, 'b', 4), refused)
    for (const v of ['toolong', 'a\nb', 'a\u0000', 5]) assert.throws(() => field.text(v, 't', 5), refused)
    const dagCborCid = CID.createV1(0x71, Digest.create(0x12, new Uint8Array(32)))
    for (const v of [dagCborCid, cid.toString(), cid.bytes, {}]) assert.throws(() => field.blockCid(v, 'c'), refused)
  })
})

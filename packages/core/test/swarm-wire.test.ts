import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { blockCid } from '@p2pdv/core'
import { isP2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import {
  decodeShareRequest, decodeShareResponse, decodeSwarmAnnounce, decodeSwarmResponse, encodeShareRequest, encodeShareResponse,
  encodeSwarmAnnounce, encodeSwarmResponse, MAX_HAVE_CIDS, MAX_SWARM_ADDRS, MAX_SWARM_ADDR_CHARS, MAX_SWARM_REQUEST_BYTES,
  MAX_SWARM_RESPONSE_BYTES, MAX_SWARM_SAMPLE, SwarmCode, WireErrorCode
} from '@p2pdv/core/wire'

const video = '0x' + 'ab'.repeat(32)
const addr = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWRelay/p2p-circuit/webrtc/p2p/12D3KooWViewer'
const block = new Uint8Array(randomBytes(1000))
const cid = await blockCid(block)

function code (fn: () => unknown): string {
  try { fn() } catch (err) { if (isP2pdvError(err)) return err.code; throw err }
  return 'NO_ERROR'
}

describe('swarm wire codecs', () => {
  it('round-trips announces, samples, wants, haves and refusals', () => {
    assert.deepEqual(decodeSwarmAnnounce(encodeSwarmAnnounce({ video, addrs: [addr], max: 8 })), { v: 1, video, addrs: [addr], max: 8 })
    const peers = [{ id: '12D3KooWViewer', addrs: [addr] }]
    assert.deepEqual(decodeSwarmResponse(encodeSwarmResponse({ v: 1, ok: true, peers })), { v: 1, ok: true, peers })
    assert.deepEqual(decodeSwarmResponse(encodeSwarmResponse({ v: 1, ok: true, peers, code: SwarmCode.FULL })), { v: 1, ok: true, peers, code: SwarmCode.FULL })
    assert.deepEqual(decodeSwarmResponse(encodeSwarmResponse({ v: 1, ok: false, code: SwarmCode.PEER_LIMIT, message: 'no' })), { v: 1, ok: false, code: SwarmCode.PEER_LIMIT, message: 'no' })
    const want = decodeShareRequest(encodeShareRequest({ v: 1, t: 'want', cid, max: 4096 }))
    assert.ok(want.t === 'want' && want.cid.equals(cid) && want.max === 4096)
    assert.deepEqual(decodeShareRequest(encodeShareRequest({ v: 1, t: 'have' })), { v: 1, t: 'have' })
    const got = decodeShareResponse(encodeShareResponse({ v: 1, ok: true, bytes: block }), 'want', 4096)
    assert.ok(got.ok && 'bytes' in got && got.bytes.byteLength === 1000)
    const have = decodeShareResponse(encodeShareResponse({ v: 1, ok: true, have: [cid] }), 'have')
    assert.ok(have.ok && 'have' in have && have.have[0]?.equals(cid))
  })

  it('the largest honest messages fit their limits', () => {
    const addrs = Array.from({ length: MAX_SWARM_ADDRS }, () => '/' + 'a'.repeat(MAX_SWARM_ADDR_CHARS - 1))
    assert.ok(encodeSwarmAnnounce({ video, addrs, max: MAX_SWARM_SAMPLE }).byteLength <= MAX_SWARM_REQUEST_BYTES)
    const peers = Array.from({ length: MAX_SWARM_SAMPLE }, () => ({ id: 'x'.repeat(128), addrs }))
    assert.ok(encodeSwarmResponse({ v: 1, ok: true, peers }).byteLength <= MAX_SWARM_RESPONSE_BYTES)
    const big = encodeShareResponse({ v: 1, ok: true, bytes: new Uint8Array(MAX_BLOCK_BYTES) })
    assert.equal(decodeShareResponse(big, 'want').ok, true)
    const haves = encodeShareResponse({ v: 1, ok: true, have: Array.from({ length: MAX_HAVE_CIDS }, () => cid) })
    assert.equal(decodeShareResponse(haves, 'have').ok, true)
  })

  it('refuses malformed and oversized input with codes', () => {
    const M = WireErrorCode.MALFORMED
    const announce = { v: 1, video, addrs: [addr], max: 8 }
    const enc = (m: unknown): Uint8Array => dagCbor.encode(m)
    assert.equal(code(() => decodeSwarmAnnounce(randomBytes(40))), M)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, v: 2 }))), WireErrorCode.VERSION)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, video: 'not-a-video' }))), M)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, max: 0 }))), M)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, max: MAX_SWARM_SAMPLE + 1 }))), M)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, addrs: Array(MAX_SWARM_ADDRS + 1).fill(addr) }))), M)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, addrs: ['/a b'] }))), M)
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, addrs: [42] }))), M)
    // Thousands of fake entries never reach the decoder's allocations: the size check comes first.
    assert.equal(code(() => decodeSwarmAnnounce(enc({ ...announce, addrs: Array(5000).fill(addr) }))), M)
    assert.equal(code(() => decodeSwarmResponse(enc({ v: 1, ok: true, peers: Array(MAX_SWARM_SAMPLE + 1).fill({ id: 'p', addrs: [] }) }))), M)
    assert.equal(code(() => decodeSwarmResponse(enc({ v: 1, ok: false, code: 'not a code' }))), M)
    assert.equal(code(() => decodeShareRequest(enc({ v: 1, t: 'want', cid, max: MAX_BLOCK_BYTES + 1 }))), M)
    assert.equal(code(() => decodeShareRequest(enc({ v: 1, t: 'want', cid: 'bafy', max: 10 }))), M)
    assert.equal(code(() => decodeShareRequest(enc({ v: 1, t: 'gimme' }))), M)
    assert.equal(code(() => decodeShareRequest(enc({ v: 1, t: 'have', pad: new Uint8Array(300) }))), M)
    // A peer that sends more bytes than asked for is refused before the hash is even checked.
    assert.equal(code(() => decodeShareResponse(encodeShareResponse({ v: 1, ok: true, bytes: block }), 'want', 999)), M)
    assert.equal(code(() => decodeShareResponse(enc({ v: 1, ok: true, bytes: new Uint8Array(MAX_BLOCK_BYTES + 2048) }), 'want')), M)
    assert.equal(code(() => decodeShareResponse(enc({ v: 1, ok: true, have: Array(MAX_HAVE_CIDS + 1).fill(cid) }), 'have')), M)
    assert.equal(code(() => decodeShareResponse(enc({ v: 1, ok: true, have: ['x'] }), 'have')), M)
  })
})

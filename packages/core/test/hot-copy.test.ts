// The hot-copy record (core/src/placement/hot-copy.ts): round trip, signature, and the limits a
// hostile writer hits (sizes, counts, duplicate entries, expiry bounds), each with its code.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { ed25519 } from '@noble/curves/ed25519.js'
import { blockCid } from '../src/index.ts'
import { isP2pdvError } from '../src/errors.ts'
import {
  decodeHotCopyRecord, decodeHotCopyRecordAsync, encodeHotCopyRecord, hotCopyLive, MAX_HOT_COPY_BLOCKS, MAX_HOT_COPY_TTL_MS, signHotCopyRecord,
  type UnsignedHotCopyRecord
} from '../src/placement/index.ts'

const PEER = '12D3KooWHPbX8VJkC1H6eQRe7bDc4MNxsdDzPmtaEhQbnSRiFZGv'
const secret = ed25519.utils.randomSecretKey()
const pub = ed25519.getPublicKey(secret)

async function unsigned (): Promise<UnsignedHotCopyRecord> {
  return { v: 1, object: await blockCid(new Uint8Array([1])), version: 1, time: 1000, expires: 61_000, state: 'hot', blocks: [{ cid: await blockCid(new Uint8Array([2])), size: 1, nodes: [PEER] }] }
}

function codeOf (f: () => unknown): string {
  try { f() } catch (err) { return isP2pdvError(err) ? err.code : String(err) }
  return 'returned'
}

/** Re-encodes a signed record's wire form with one field changed (the signature no longer matters: limits are checked first). */
function tampered (bytes: Uint8Array, change: (w: Record<string, unknown>) => void): Uint8Array {
  const w = dagCbor.decode<Record<string, unknown>>(bytes)
  change(w)
  return dagCbor.encode(w)
}

describe('hot-copy record', () => {
  it('round-trips and verifies (sync and async)', async () => {
    const r = await signHotCopyRecord(await unsigned(), pub, p => ed25519.sign(p, secret))
    const bytes = encodeHotCopyRecord(r)
    const back = decodeHotCopyRecord(bytes)
    assert.equal(back.object.toString(), r.object.toString())
    assert.deepEqual(back.blocks[0]!.nodes, [PEER])
    assert.equal((await decodeHotCopyRecordAsync(bytes)).version, 1)
    assert.equal(hotCopyLive(back, 60_999), true)
    assert.equal(hotCopyLive(back, 61_000), false)
  })

  it('refuses a changed field (ERR_HOT_COPY_SIGNATURE)', async () => {
    const bytes = encodeHotCopyRecord(await signHotCopyRecord(await unsigned(), pub, p => ed25519.sign(p, secret)))
    assert.equal(codeOf(() => decodeHotCopyRecord(tampered(bytes, w => { w.version = 2 }))), 'ERR_HOT_COPY_SIGNATURE')
    assert.equal(codeOf(() => decodeHotCopyRecord(tampered(bytes, w => { w.state = 'cold' }))), 'ERR_HOT_COPY_SIGNATURE')
  })

  it('refuses what breaks the limits (ERR_HOT_COPY_MALFORMED)', async () => {
    const bytes = encodeHotCopyRecord(await signHotCopyRecord(await unsigned(), pub, p => ed25519.sign(p, secret)))
    const block = (dagCbor.decode<{ blocks: unknown[] }>(bytes)).blocks[0]
    const cases: Array<(w: Record<string, unknown>) => void> = [
      w => { w.v = 2 },
      w => { w.type = 'placement' },
      w => { w.state = 'warm' },
      w => { w.blocks = [block, block] },
      w => { w.blocks = Array.from({ length: MAX_HOT_COPY_BLOCKS + 1 }, () => block) },
      w => { w.blocks = [{ ...(block as object), nodes: Array.from({ length: 9 }, (_, i) => PEER.slice(0, -1) + String(i)) }] },
      w => { w.blocks = [{ ...(block as object), nodes: ['not a peer id'] }] },
      w => { w.expires = w.time },
      w => { w.expires = (w.time as number) + MAX_HOT_COPY_TTL_MS + 1 },
      w => { delete w.sig }
    ]
    for (const change of cases) assert.equal(codeOf(() => decodeHotCopyRecord(tampered(bytes, change))), 'ERR_HOT_COPY_MALFORMED', change.toString())
    assert.equal(codeOf(() => decodeHotCopyRecord(new Uint8Array([0xff]))), 'ERR_HOT_COPY_MALFORMED')
    assert.equal(codeOf(() => decodeHotCopyRecord(new Uint8Array(300 * 1024))), 'ERR_HOT_COPY_MALFORMED')
  })
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { blockCid } from '@p2pdv/core'
import { AUDIT_LEAF_BYTES, AuditErrorCode, leafCount, LEGACY_AUDIT_LEAF_BYTES, MAX_AUDIT_LEAF_BYTES, merkleProof, merkleRoot, verifyMerkleProof } from '@p2pdv/core/audit'
import {
  AUDIT_NONCE_BYTES, AuditCode, auditRecordPayload, auditResponsePayload, checkAuditProof, decodeAuditChallenge, decodeAuditResponse,
  decodeSignedAuditRecord, encodeAuditChallenge, encodeAuditResponse, encodeSignedAuditRecord, MAX_AUDIT_MESSAGE_BYTES, WireErrorCode,
  type AuditRecord
} from '@p2pdv/core/wire'

// 1 KiB leaves keep a small block many leaves deep (the leaf size is a challenge field).
const LEAF = LEGACY_AUDIT_LEAF_BYTES
const block = new Uint8Array(randomBytes(5000))
const cid = await blockCid(block)
const nonce = new Uint8Array(randomBytes(AUDIT_NONCE_BYTES))
const challenge = { cid, index: 3, leaf: LEAF, nonce, auditor: '12D3KooWAuditor', deadline: 1_700_000_000_000 }

describe('audit wire codecs', () => {
  it('round-trips a challenge and both kinds of response', () => {
    const c = decodeAuditChallenge(encodeAuditChallenge(challenge))
    assert.ok(c.cid.equals(cid))
    assert.deepEqual({ ...c, cid: undefined }, { ...challenge, v: 1, cid: undefined })
    const proof = merkleProof(block, 3, LEAF)
    const ok = decodeAuditResponse(encodeAuditResponse({ v: 1, ok: true, peer: '12D3KooWNode', proof, time: 5, sig: new Uint8Array(64) }))
    assert.equal(ok.ok, true)
    assert.deepEqual(ok.ok && ok.proof, proof)
    const refusal = decodeAuditResponse(encodeAuditResponse({ v: 1, ok: false, code: AuditCode.NOT_FOUND, message: 'no' }))
    assert.deepEqual(refusal, { v: 1, ok: false, code: AuditCode.NOT_FOUND, message: 'no' })
    // The largest honest response (a full leaf, the deepest path) fits the limit.
    const deep = { index: 0, leaf: new Uint8Array(MAX_AUDIT_LEAF_BYTES), path: Array.from({ length: 24 }, () => new Uint8Array(32)) }
    assert.ok(encodeAuditResponse({ v: 1, ok: true, peer: 'x'.repeat(128), proof: deep, time: Date.now(), sig: new Uint8Array(256) }).byteLength <= MAX_AUDIT_MESSAGE_BYTES)
  })

  it('refuses hostile messages with codes: wrong types, sizes, versions and garbage', () => {
    const bad: Array<[unknown, string]> = [
      [{ ...challenge, v: 1, nonce: new Uint8Array(31) }, WireErrorCode.MALFORMED],
      [{ ...challenge, v: 1, index: -1 }, WireErrorCode.MALFORMED],
      [{ ...challenge, v: 1, index: 1.5 }, WireErrorCode.MALFORMED],
      [{ ...challenge, v: 1, auditor: '' }, WireErrorCode.MALFORMED],
      [{ ...challenge, v: 1, auditor: 'a'.repeat(129) }, WireErrorCode.MALFORMED],
      [{ ...challenge, v: 1, cid: 'bafk' }, WireErrorCode.MALFORMED],
      [{ ...challenge, v: 2 }, WireErrorCode.VERSION],
      [[1, 2, 3], WireErrorCode.MALFORMED],
      [new Uint8Array(3), WireErrorCode.MALFORMED]
    ]
    for (const [msg, code] of bad) assert.throws(() => decodeAuditChallenge(dagCbor.encode(msg)), { code })
    assert.throws(() => decodeAuditChallenge(new Uint8Array([0xff, 0x13])), { code: WireErrorCode.MALFORMED })
    assert.throws(() => decodeAuditChallenge(new Uint8Array(MAX_AUDIT_MESSAGE_BYTES + 1)), { code: WireErrorCode.MALFORMED })
    const okShape = { v: 1, ok: true, peer: 'p', index: 0, leaf: new Uint8Array(10), path: [], time: 1, sig: new Uint8Array(64) }
    for (const r of [
      { ...okShape, leaf: new Uint8Array(MAX_AUDIT_LEAF_BYTES + 1) },
      { ...okShape, path: Array(25).fill(null) },
      { ...okShape, path: [new Uint8Array(31)] },
      { ...okShape, path: ['x'] },
      { ...okShape, sig: new Uint8Array(0) },
      { ...okShape, ok: 'yes' },
      { v: 1, ok: false, code: 'x'.repeat(65), message: '' }
    ]) assert.throws(() => decodeAuditResponse(dagCbor.encode(r)), { code: WireErrorCode.MALFORMED })
  })

  it('never throws anything but a coded error on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), bytes => {
      for (const decode of [decodeAuditChallenge, decodeAuditResponse, decodeSignedAuditRecord]) {
        try { decode(bytes) } catch (err) { assert.ok(([WireErrorCode.MALFORMED, WireErrorCode.VERSION] as string[]).includes((err as { code: string }).code)) }
      }
    }), { numRuns: 500 })
  })

  it('carries the leaf size only when it is not the legacy 1 KiB, and refuses sizes roots may not use', () => {
    const legacyBytes = encodeAuditChallenge(challenge)
    assert.equal((dagCbor.decode(legacyBytes) as Record<string, unknown>).leaf, undefined, 'a 1 KiB challenge encodes as before the field')
    assert.equal(decodeAuditChallenge(legacyBytes).leaf, LEGACY_AUDIT_LEAF_BYTES)
    const current = decodeAuditChallenge(encodeAuditChallenge({ ...challenge, index: 0, leaf: AUDIT_LEAF_BYTES }))
    assert.equal(current.leaf, AUDIT_LEAF_BYTES)
    for (const leaf of [512, 3000, 2 * MAX_AUDIT_LEAF_BYTES]) {
      assert.throws(() => encodeAuditChallenge({ ...challenge, leaf }), { code: WireErrorCode.MALFORMED })
      assert.throws(() => decodeAuditChallenge(dagCbor.encode({ ...challenge, v: 1, leaf })), { code: WireErrorCode.MALFORMED })
    }
  })

  it('binds the signed payload to the challenge (nonce, auditor, leaf, deadline) and to the proof', () => {
    const proof = merkleProof(block, 3, LEAF)
    const base = auditResponsePayload('peer', challenge, proof, 7)
    const variants = [
      auditResponsePayload('peer', { ...challenge, leaf: 2 * LEAF }, proof, 7),
      auditResponsePayload('peer', { ...challenge, nonce: new Uint8Array(32) }, proof, 7),
      auditResponsePayload('peer', { ...challenge, auditor: 'other' }, proof, 7),
      auditResponsePayload('peer', { ...challenge, deadline: challenge.deadline + 1 }, proof, 7),
      auditResponsePayload('peer', challenge, merkleProof(block, 4, LEAF), 7),
      auditResponsePayload('other-peer', challenge, proof, 7)
    ]
    for (const v of variants) assert.notDeepEqual(v, base)
  })

  it('checks that a proof answers the challenged leaf of the recorded block, at the recorded leaf size', () => {
    const root = merkleRoot(block, LEAF)
    const target = { root, size: block.byteLength, leafBytes: LEAF }
    checkAuditProof({ index: 3 }, target, merkleProof(block, 3, LEAF))
    assert.throws(() => { checkAuditProof({ index: 2 }, target, merkleProof(block, 3, LEAF)) }, { code: AuditCode.BAD_PROOF })
    assert.throws(() => { checkAuditProof({ index: 3 }, { ...target, root: merkleRoot(block.subarray(1), LEAF) }, merkleProof(block, 3, LEAF)) }, { code: AuditCode.BAD_PROOF })
    // A root of one leaf size never accepts a proof made with another.
    const big = new Uint8Array(randomBytes(3 * AUDIT_LEAF_BYTES + 5))
    checkAuditProof({ index: 1 }, { root: merkleRoot(big), size: big.byteLength, leafBytes: AUDIT_LEAF_BYTES }, merkleProof(big, 1))
    assert.throws(() => { checkAuditProof({ index: 1 }, { root: merkleRoot(big), size: big.byteLength, leafBytes: LEAF }, merkleProof(big, 1, LEAF)) }, { code: AuditCode.BAD_PROOF })
  })

  it('round-trips signed audit records and refuses damaged ones', () => {
    const record: AuditRecord = { v: 1, auditor: 'a', peer: 'p', cid, kind: 'proof', index: 2, nonce, issued: 10, deadline: 20, outcome: 'fail', code: AuditCode.BAD_PROOF, counted: true, response: new Uint8Array(100) }
    const sig = new Uint8Array(64).fill(7)
    const back = decodeSignedAuditRecord(encodeSignedAuditRecord({ record, sig }))
    assert.deepEqual(auditRecordPayload(back.record), auditRecordPayload(record))
    assert.deepEqual(back.sig, sig)
    const read: AuditRecord = { v: 1, auditor: 'a', peer: 'p', cid, kind: 'read', issued: 10, deadline: 20, outcome: 'pass', counted: true, served: new Uint8Array(32) }
    assert.deepEqual(auditRecordPayload(decodeSignedAuditRecord(encodeSignedAuditRecord({ record: read, sig })).record), auditRecordPayload(read))
    for (const r of [{ ...record, kind: 'guess' }, { ...record, outcome: 'meh' }, { ...record, counted: 1 }, { ...record, nonce: new Uint8Array(3) }, { ...record, served: new Uint8Array(3) }]) {
      assert.throws(() => decodeSignedAuditRecord(dagCbor.encode({ v: 1, record: r, sig })), { code: WireErrorCode.MALFORMED })
    }
  })
})

describe('bit rot against the recorded root', () => {
  it('a proof built from a block with any single flipped byte fails for every challenged leaf', () => {
    // Whatever leaf an auditor picks, its path covers the damaged leaf's subtree, so a node that
    // answers from rotten bytes (without checking them) fails the audit every time.
    for (const leafBytes of [LEGACY_AUDIT_LEAF_BYTES, AUDIT_LEAF_BYTES]) {
      for (const size of [1, 1023, 1024, 1025, 4096, 10_000, 70_001]) {
        const original = Uint8Array.from({ length: size }, (_, i) => (i * 131 + 17) & 0xff)
        const root = merkleRoot(original, leafBytes)
        const n = leafCount(size, leafBytes)
        const positions = [...new Set([0, 1, leafBytes - 1, leafBytes, leafBytes + 1, size >> 1, size - leafBytes, size - 1].filter(p => p >= 0 && p < size))]
        for (const pos of positions) {
          const rotten = original.slice()
          rotten[pos]! ^= 0x01
          for (let leaf = 0; leaf < n; leaf += Math.max(1, Math.floor(n / 9))) {
            assert.throws(() => { verifyMerkleProof(root, size, merkleProof(rotten, leaf, leafBytes), leafBytes) }, { code: AuditErrorCode.BAD_PROOF }, `leaves ${leafBytes} size ${size} flip ${pos} leaf ${leaf}`)
          }
        }
      }
    }
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { ed25519 } from '@noble/curves/ed25519.js'
import { blockCid, decodeManifest, encodeManifest, generateContentKey, generateObjectId, ManifestErrorCode, objectBlocks, type FileManifest } from '@p2pdv/core'
import { AUDIT_LEAF_BYTES, LEGACY_AUDIT_LEAF_BYTES, merkleRoot } from '@p2pdv/core/audit'
import { encodeStripe } from '@p2pdv/core/erasure'
import {
  auditLeafBytes, checkSupersedes, placementOwnerSigner, placementShortfall, stripeSpread, comparePlacement, decodePlacementRecord, decodePlacementRecordAsync, encodePlacementRecord, samePlacementStructure, placementOwnerKey, PlacementErrorCode, signPlacementRecord,
  weightedOrder, type BlockPlacement, type PlacementRecord, type UnsignedPlacementRecord
} from '@p2pdv/core/placement'

const peers = ['12D3KooWLRPJAA5o6aHxgB5sMQSHa4dPjmqmW5Mce9L2X3Yd6FwB', '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK']

async function placed (bytes: Uint8Array, nodes: string[]): Promise<BlockPlacement> {
  return { cid: await blockCid(bytes), size: bytes.byteLength, root: merkleRoot(bytes), nodes }
}

async function sample (key = generateContentKey()): Promise<{ record: PlacementRecord, owner: ReturnType<typeof placementOwnerKey> }> {
  const data = [new Uint8Array(100).fill(1), new Uint8Array(100).fill(2), new Uint8Array(40).fill(3)]
  const parity = encodeStripe({ k: 3, m: 2 }, data)
  const owner = placementOwnerKey(key)
  const unsigned: UnsignedPlacementRecord = {
    v: 1,
    object: await blockCid(new Uint8Array([9])),
    version: 1,
    time: 1_700_000_000_000,
    scheme: { type: 'rs', k: 3, m: 2 },
    manifest: await placed(new Uint8Array([9]), peers),
    stripes: [{ data: 3, blocks: await Promise.all([...data, ...parity].map(async (b, i) => await placed(b, [peers[i % 3]!]))) }],
    owner: owner.publicKey
  }
  return { record: await signPlacementRecord(unsigned, owner.publicKey, owner.sign), owner }
}

describe('placement record', () => {
  it('round-trips signed, interning node ids', async () => {
    const { record } = await sample()
    const bytes = encodePlacementRecord(record)
    assert.deepEqual(decodePlacementRecord(bytes), record)
    const wire = dagCbor.decode(bytes) as { nodes: string[] }
    assert.deepEqual(wire.nodes.sort(), [...peers].sort())
  })

  it('records its roots\' leaf size; a record without one (written before the field) means 1 KiB and verifies as signed', async () => {
    const key = generateContentKey()
    const { record, owner } = await sample(key)
    assert.equal(record.leaf, undefined)
    assert.equal(auditLeafBytes(record), LEGACY_AUDIT_LEAF_BYTES)
    const legacyWire = dagCbor.decode(encodePlacementRecord(record)) as Record<string, unknown>
    assert.equal('leaf' in legacyWire, false, 'a record without the field encodes as before it existed')
    const { sig: _s, signer: _k, ...unsigned } = { ...record, leaf: AUDIT_LEAF_BYTES }
    const current = await signPlacementRecord(unsigned, owner.publicKey, owner.sign)
    const back = decodePlacementRecord(encodePlacementRecord(current))
    assert.equal(auditLeafBytes(back), AUDIT_LEAF_BYTES)
    assert.deepEqual(await decodePlacementRecordAsync(encodePlacementRecord(current)), back)
    // Same blocks and roots but another leaf size is another structure: no update may switch it.
    assert.equal(samePlacementStructure(record, back), false)
    const wire = dagCbor.decode(encodePlacementRecord(current)) as Record<string, unknown>
    for (const leaf of [1000, 0, 2 ** 20, 'big']) {
      assert.throws(() => decodePlacementRecord(dagCbor.encode({ ...wire, leaf })), { code: PlacementErrorCode.MALFORMED })
    }
    // The field is signed: changing it breaks the signature.
    await assert.rejects(decodePlacementRecordAsync(dagCbor.encode({ ...wire, leaf: 2 * AUDIT_LEAF_BYTES })), { code: PlacementErrorCode.SIGNATURE })
  })

  it('a degraded write says what it needed and found; the field is signed, checked, and absent from whole records', async () => {
    const { record, owner } = await sample()
    assert.equal('degraded' in (dagCbor.decode(encodePlacementRecord(record)) as Record<string, unknown>), false, 'a record that met its scheme encodes as before the field existed')
    const { sig: _s, signer: _k, ...unsigned } = { ...record, degraded: { need: 5, found: 3 } }
    const degraded = await signPlacementRecord(unsigned, owner.publicKey, owner.sign)
    const back = decodePlacementRecord(encodePlacementRecord(degraded))
    assert.deepEqual(back.degraded, { need: 5, found: 3 })
    assert.deepEqual(await decodePlacementRecordAsync(encodePlacementRecord(degraded)), back)
    // Informational, not structure: repair's raised version may leave it out.
    assert.equal(samePlacementStructure(record, back), true)
    const wire = dagCbor.decode(encodePlacementRecord(degraded)) as Record<string, unknown>
    await assert.rejects(decodePlacementRecordAsync(dagCbor.encode({ ...wire, degraded: { need: 5, found: 1 } })), { code: PlacementErrorCode.SIGNATURE })
    for (const bad of [{ need: 6, found: 3 }, { need: 5, found: -1 }, { need: 5, found: 1.5 }, { need: 5 }, 'yes', [5, 3]]) {
      assert.throws(() => decodePlacementRecord(dagCbor.encode({ ...wire, degraded: bad })), { code: PlacementErrorCode.MALFORMED })
    }
  })

  it('shortfall: copies below the scheme, and erasure blocks that share a node, from the holder lists alone', async () => {
    const { record } = await sample()
    // The sample's stripe has 5 blocks on 3 nodes (block i on node i mod 3): blocks 3 and 4 share.
    assert.deepEqual(placementShortfall(record), [{ stripe: 0, want: 5, have: 3, crowded: [3, 4] }])
    const spread = (nodes: string[][]): PlacementRecord => ({ ...record, stripes: [{ data: 3, blocks: record.stripes[0]!.blocks.map((b, i) => ({ ...b, nodes: nodes[i]! })) }] })
    assert.deepEqual(placementShortfall(spread([['a'], ['b'], ['c'], ['d'], ['e']])), [])
    // A block with two holders gives way to one with only one of them.
    assert.deepEqual(placementShortfall(spread([['a', 'b'], ['a'], ['c'], ['d'], ['e']])), [])
    // A lost block (no holder) is short but not crowded: it is rebuilt, not copied.
    assert.deepEqual(placementShortfall(spread([['a'], [], ['c'], ['d'], ['e']])), [{ stripe: 0, want: 5, have: 4, crowded: [] }])
    assert.deepEqual(stripeSpread([['a'], ['a'], ['a']]), { have: 1, crowded: [1, 2] })
    // Replication: each block and the manifest want `replicas` holders.
    const block = record.stripes[0]!.blocks[0]!
    const replicated: PlacementRecord = { ...record, scheme: { type: 'replicas', replicas: 3 }, manifest: { ...record.manifest, nodes: ['a'] }, stripes: [{ data: 1, blocks: [{ ...block, nodes: ['a', 'b', 'c'] }] }, { data: 1, blocks: [{ ...block, nodes: ['a'] }] }] }
    assert.deepEqual(placementShortfall(replicated), [{ stripe: -1, want: 3, have: 1, crowded: [] }, { stripe: 1, want: 3, have: 1, crowded: [] }])
  })

  it('refuses forged signatures, malformed fields and inconsistent parity sizes with typed errors', async () => {
    const { record } = await sample()
    const wire = dagCbor.decode(encodePlacementRecord(record)) as any
    const again = (f: (w: any) => void): Uint8Array => { const w = structuredClone(wire); f(w); return dagCbor.encode(w) }
    assert.throws(() => decodePlacementRecord(again(w => { w.version = 2 })), { code: PlacementErrorCode.SIGNATURE })
    assert.throws(() => decodePlacementRecord(again(w => { w.stripes[0].blocks[4].size = 99 })), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(again(w => { w.stripes[0].blocks.pop() })), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(again(w => { w.stripes[0].blocks[0].on = [7] })), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(again(w => { w.nodes[0] = '../etc/passwd' })), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(again(w => { w.stripes[0].blocks[0].root = new Uint8Array(31) })), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(again(w => { w.scheme = { type: 'rs', k: 0, m: 2 } })), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(again(w => { w.scheme = { type: 'lrc' } })), { code: PlacementErrorCode.UNSUPPORTED })
    assert.throws(() => decodePlacementRecord(again(w => { w.v = 2 })), { code: PlacementErrorCode.UNSUPPORTED })
    assert.throws(() => decodePlacementRecord(new Uint8Array([0xff, 0x00])), { code: PlacementErrorCode.MALFORMED })
    assert.throws(() => decodePlacementRecord(new Uint8Array(3 * 1024 * 1024)), { code: PlacementErrorCode.TOO_LARGE })
  })

  it('a newer version supersedes only with a higher version and the same blocks; a first version only from the owner', async () => {
    const { record } = await sample()
    const node = ed25519.utils.randomSecretKey()
    const nodePub = ed25519.getPublicKey(node)
    const moved = await signPlacementRecord({ ...record, version: 2, stripes: [{ ...record.stripes[0]!, blocks: record.stripes[0]!.blocks.map((b, i) => i === 0 ? { ...b, nodes: [peers[2]!] } : b) }] }, nodePub, p => ed25519.sign(p, node))
    checkSupersedes(undefined, record)
    checkSupersedes(record, decodePlacementRecord(encodePlacementRecord(moved)))
    assert.throws(() => { checkSupersedes(moved, record) }, { code: PlacementErrorCode.STALE })
    const swapped = await signPlacementRecord({ ...moved, version: 3, stripes: [{ ...moved.stripes[0]!, blocks: [...moved.stripes[0]!.blocks].reverse().map((b, i) => i < 2 ? { ...b, size: b.size } : b) }] }, nodePub, p => ed25519.sign(p, node))
    assert.throws(() => { checkSupersedes(moved, swapped) }, { code: PlacementErrorCode.CONFLICT })
    assert.throws(() => { checkSupersedes(undefined, { ...moved, version: 1 }) }, { code: PlacementErrorCode.CONFLICT })
  })

  it('two records of one version are ordered by signature, the same way from either side, so every node keeps the same one', async () => {
    const { record } = await sample()
    const node = ed25519.utils.randomSecretKey()
    const other = ed25519.utils.randomSecretKey()
    const moveTo = (peer: string): PlacementRecord['stripes'] => [{ ...record.stripes[0]!, blocks: record.stripes[0]!.blocks.map((b, i) => i === 0 ? { ...b, nodes: [peer] } : b) }]
    const a = await signPlacementRecord({ ...record, version: 2, stripes: moveTo(peers[1]!) }, ed25519.getPublicKey(node), p => ed25519.sign(p, node))
    const b = await signPlacementRecord({ ...record, version: 2, stripes: moveTo(peers[2]!) }, ed25519.getPublicKey(other), p => ed25519.sign(p, other))
    assert.equal(Math.sign(comparePlacement(a, b)), -Math.sign(comparePlacement(b, a)))
    assert.notEqual(comparePlacement(a, b), 0)
    assert.equal(comparePlacement(a, a), 0)
    const [winner, loser] = comparePlacement(a, b) > 0 ? [a, b] : [b, a]
    // The winner has the smaller signature, and it replaces the loser but not the reverse.
    assert.ok(Buffer.compare(Buffer.from(winner.sig), Buffer.from(loser.sig)) < 0)
    checkSupersedes(loser, winner)
    assert.throws(() => { checkSupersedes(winner, loser) }, { code: PlacementErrorCode.STALE, message: /takes precedence/ })
    assert.throws(() => { checkSupersedes(winner, winner) }, { code: PlacementErrorCode.STALE })
    // A higher version wins whatever its signature.
    const v3 = await signPlacementRecord({ ...loser, version: 3 }, ed25519.getPublicKey(node), p => ed25519.sign(p, node))
    assert.ok(comparePlacement(v3, winner) > 0)
  })

  it('the owner key is derived from the content key, so readers can recognise the uploader', () => {
    const key = generateContentKey()
    assert.deepEqual(placementOwnerKey(key).publicKey, placementOwnerKey(key).publicKey)
    assert.notDeepEqual(placementOwnerKey(key).publicKey, placementOwnerKey(generateContentKey()).publicKey)
  })

  it('the platform signer uploads use is the same key, with the same signatures, as the portable one', async () => {
    for (let i = 0; i < 4; i++) {
      const key = generateContentKey()
      const portable = placementOwnerKey(key)
      const native = await placementOwnerSigner(key)
      assert.deepEqual(native.publicKey, portable.publicKey)
      const payload = new Uint8Array(randomBytes(100 + i))
      // Ed25519 is deterministic: equal signatures mean the same secret key.
      assert.deepEqual(await native.sign(payload), portable.sign(payload))
      assert.ok(ed25519.verify(await native.sign(payload), payload, portable.publicKey))
    }
  })
})

describe('manifest erasure field', () => {
  it('round-trips and is checked against the object block count', async () => {
    const cid = await blockCid(new Uint8Array([1]))
    const m: FileManifest = {
      v: 1, type: 'file', objectId: generateObjectId(), size: 5, chunkSize: 1, sha256: new Uint8Array(32),
      chunks: Array.from({ length: 5 }, () => ({ cid, size: 1 })),
      erasure: { k: 4, m: 2, stripes: [{ parity: [cid, cid] }, { parity: [cid, cid] }] }
    }
    assert.deepEqual(decodeManifest(encodeManifest(m)), m)
    assert.deepEqual(objectBlocks(m).map(b => b.size), [17, 17, 17, 17, 17])
    assert.throws(() => encodeManifest({ ...m, erasure: { k: 4, m: 2, stripes: [{ parity: [cid, cid] }] } }), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => encodeManifest({ ...m, erasure: { k: 4, m: 2, stripes: [{ parity: [cid] }, { parity: [cid, cid] }] } }), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => encodeManifest({ ...m, erasure: { k: 0, m: 2, stripes: [] } }), { code: ManifestErrorCode.MALFORMED })
  })
})

describe('weightedOrder (the one placement order; sdk replicated writes use it too)', () => {
  it('is deterministic and moves few keys when a node leaves: only those it was home to', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ peerId: `p${i}` }))
    const keys = Array.from({ length: 500 }, (_, i) => `k${i}`)
    const before = keys.map(k => weightedOrder(k, many)[0]?.peerId)
    assert.deepEqual(before, keys.map(k => weightedOrder(k, [...many].reverse())[0]?.peerId))
    const fewer = many.filter(p => p.peerId !== 'p3')
    const after = keys.map(k => weightedOrder(k, fewer)[0]?.peerId)
    const moved = before.filter((p, i) => p !== after[i])
    assert.ok(moved.length > 0 && moved.every(p => p === 'p3'), 'only keys homed on the departed node move')
  })
})

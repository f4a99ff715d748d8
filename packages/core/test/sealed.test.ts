import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  blockCid, chunkNonce, decodeManifest, encodeManifest, formatCapability, generateContentKey, generateObjectId,
  keyFingerprint, MAX_CHUNK_PLAINTEXT, openChunk, openManifest, parseCapability, sealChunk, sealManifest, verifyBlock,
  CapabilityErrorCode, CidErrorCode, ManifestErrorCode, SealErrorCode, type FileManifest
} from '@p2pdv/core'
import { aead as webAead } from '../src/aead/webcrypto.ts'
import { aead as nodeAead } from '../src/aead/node.ts'

const key = generateContentKey()
const objectId = generateObjectId()
const pos = (index: number, last: boolean, extra: Partial<{ stream: number, context: Uint8Array }> = {}) => ({ key, objectId, stream: 0, index, last, ...extra })

describe('chunk nonce', () => {
  it('lays out stream, index and last flag big-endian', () => {
    assert.deepEqual([...chunkNonce(0x0102_0304_0506, 0x0708090a, true)], [0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 1])
    assert.deepEqual([...chunkNonce(1, 2, false)], [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0])
    assert.throws(() => chunkNonce(2 ** 48, 0, false), { code: SealErrorCode.BAD_ARGUMENT })
    assert.throws(() => chunkNonce(0, 2 ** 32, false), { code: SealErrorCode.BAD_ARGUMENT })
  })
})

describe('sealed chunks', () => {
  it('round-trips at the boundaries of the chunk size', async () => {
    for (const n of [0, 1, 4096, MAX_CHUNK_PLAINTEXT]) {
      const pt = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff)
      const sealed = await sealChunk(pos(3, true), pt)
      assert.equal(sealed.byteLength, n + 16)
      assert.deepEqual(await openChunk(pos(3, true), sealed), pt)
    }
  })

  it('refuses a chunk over 1 MiB', async () => {
    await assert.rejects(sealChunk(pos(0, true), new Uint8Array(MAX_CHUNK_PLAINTEXT + 1)), { code: SealErrorCode.BAD_ARGUMENT })
  })

  it('detects every single-bit flip anywhere in the block', async () => {
    const sealed = await sealChunk(pos(0, true), new TextEncoder().encode('attack at dawn'))
    for (let byte = 0; byte < sealed.byteLength; byte++) {
      for (let bit = 0; bit < 8; bit += 3) {
        const t = sealed.slice()
        t[byte]! ^= 1 << bit
        await assert.rejects(openChunk(pos(0, true), t), { code: SealErrorCode.CHUNK_AUTH })
      }
    }
  })

  it('binds position, stream, object, context and key', async () => {
    const pt = new Uint8Array([1, 2, 3])
    const sealed = await sealChunk(pos(5, false, { context: new Uint8Array([9]) }), pt)
    const ok = pos(5, false, { context: new Uint8Array([9]) })
    assert.deepEqual(await openChunk(ok, sealed), pt)
    for (const wrong of [
      { ...ok, index: 4 }, // reordered
      { ...ok, last: true }, // truncated stream passed off as complete
      { ...ok, stream: 1 }, // moved between streams
      { ...ok, objectId: generateObjectId() }, // moved between objects
      { ...ok, context: new Uint8Array([8]) }, // moved between renditions/segments
      { ...ok, key: generateContentKey() } // wrong key
    ]) await assert.rejects(openChunk(wrong, sealed), { code: SealErrorCode.CHUNK_AUTH })
    await assert.rejects(openChunk({ ...ok, key: new Uint8Array(16) }, sealed), { code: SealErrorCode.BAD_KEY })
  })

  it('the node and WebCrypto backends produce identical blocks', async () => {
    const k = generateContentKey()
    const nonce = chunkNonce(7, 1, true)
    const aad = new Uint8Array([1, 2])
    const pt = crypto.getRandomValues(new Uint8Array(3000))
    const a = await nodeAead.seal(k, nonce, aad, pt)
    assert.deepEqual(a, await webAead.seal(k, nonce, aad, pt))
    assert.deepEqual(await webAead.open(k, nonce, aad, a), pt)
  })
})

describe('blocks', () => {
  it('verifies a block against its CID', async () => {
    const b = new Uint8Array([1, 2, 3])
    const cid = await blockCid(b)
    await verifyBlock(cid, b)
    await assert.rejects(verifyBlock(cid, new Uint8Array([1, 2, 4])), { code: CidErrorCode.HASH_MISMATCH })
  })
})

async function sampleManifest (): Promise<FileManifest> {
  return { v: 1, type: 'file', objectId, size: 10, chunkSize: MAX_CHUNK_PLAINTEXT, sha256: new Uint8Array(32), chunks: [{ cid: await blockCid(new Uint8Array([1])), size: 10 }], name: 'a.bin' }
}

describe('manifest', () => {
  it('round-trips sealed and refuses the wrong key', async () => {
    const m = await sampleManifest()
    const { cid, block } = await sealManifest(key, m)
    assert.deepEqual(await openManifest(key, cid, block), m)
    await assert.rejects(openManifest(generateContentKey(), cid, block), { code: SealErrorCode.CHUNK_AUTH })
    const t = block.slice(); t[20]! ^= 1
    await assert.rejects(openManifest(key, cid, t), { code: CidErrorCode.HASH_MISMATCH })
  })

  it('validates every field on decode', async () => {
    const m = await sampleManifest()
    const { decode, encode } = await import('@ipld/dag-cbor')
    const raw = decode(encodeManifest(m)) as Record<string, unknown>
    const bad = (patch: Record<string, unknown>): Uint8Array => encode({ ...raw, ...patch })
    assert.throws(() => decodeManifest(bad({ v: 2 })), { code: ManifestErrorCode.UNSUPPORTED })
    assert.throws(() => decodeManifest(bad({ type: 'x' })), { code: ManifestErrorCode.UNSUPPORTED })
    assert.throws(() => decodeManifest(bad({ size: 11 })), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => decodeManifest(bad({ size: -1 })), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => decodeManifest(bad({ objectId: new Uint8Array(3) })), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => decodeManifest(bad({ chunks: [] })), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => decodeManifest(bad({ chunks: [{ cid: 'x', size: 10 }] })), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => decodeManifest(bad({ name: 'a\u0000b' })), { code: ManifestErrorCode.MALFORMED })
    assert.throws(() => decodeManifest(new Uint8Array([0xff, 0x00])), { code: ManifestErrorCode.MALFORMED })
  })
})

describe('capability', () => {
  it('round-trips and rejects malformed strings without echoing the key', async () => {
    const { cid } = await sealManifest(key, await sampleManifest())
    const cap = formatCapability({ manifest: cid, key })
    const parsed = parseCapability(cap)
    assert.equal(parsed.manifest.toString(), cid.toString())
    assert.deepEqual(parsed.key, key)
    const keyText = cap.split('#')[1]!
    for (const bad of ['', 'http://x', cap.split('#')[0]!, `${cap}A`, cap.replace('p2pdv://b', 'p2pdv://z'), `p2pdv://bafy#${keyText}`]) {
      assert.throws(() => parseCapability(bad), (err: any) => err.code === CapabilityErrorCode.BAD_CAPABILITY && !err.message.includes(keyText))
    }
  })

  it('fingerprints a key without revealing it', () => {
    const f = keyFingerprint(key)
    assert.equal(f.byteLength, 32)
    assert.notDeepEqual(f, keyFingerprint(generateContentKey()))
    assert.deepEqual(f, keyFingerprint(key.slice()))
  })
})

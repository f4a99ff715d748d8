import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import { generateContentKey } from '../src/index.ts'
import { decodeEnvelope, encodeEnvelope, generateVideoId, openEnvelope, sealEnvelope, MAX_ENVELOPE_BYTES, type Envelope } from '../src/keys/index.ts'

function keyPair (): { publicKey: Uint8Array, privateKey: Uint8Array } {
  const privateKey = x25519.utils.randomSecretKey()
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) }
}

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

describe('key envelopes (HPKE to a viewer, bound to the video)', () => {
  const viewer = keyPair()
  const video = generateVideoId()
  const K = generateContentKey()

  it('round-trips through its block encoding', async () => {
    const env = await sealEnvelope(K, video, viewer.publicKey)
    const block = encodeEnvelope(env)
    assert.ok(block.byteLength < MAX_ENVELOPE_BYTES)
    const back = decodeEnvelope(block)
    assert.equal(back.video, video)
    assert.deepEqual(await openEnvelope(back, viewer, video), K)
  })

  it('two envelopes of the same key differ (fresh ephemeral key each time)', async () => {
    const a = encodeEnvelope(await sealEnvelope(K, video, viewer.publicKey))
    const b = encodeEnvelope(await sealEnvelope(K, video, viewer.publicKey))
    assert.notDeepEqual(a, b)
  })

  it('refuses any tampered byte of enc or ct, a swapped video id, a re-labelled recipient', async () => {
    const env = await sealEnvelope(K, video, viewer.publicKey)
    const flip = (b: Uint8Array, i: number): Uint8Array => { const c = Uint8Array.from(b); c[i]! ^= 1; return c }
    for (const i of [0, 5, 31]) await assert.rejects(openEnvelope({ ...env, enc: flip(env.enc, i) }, viewer), code('ERR_ENVELOPE_AUTH'))
    for (const i of [0, 20, env.ct.byteLength - 1]) await assert.rejects(openEnvelope({ ...env, ct: flip(env.ct, i) }, viewer), code('ERR_ENVELOPE_AUTH'))
    // Claiming the envelope is for another video: the HPKE info no longer matches.
    await assert.rejects(openEnvelope({ ...env, video: generateVideoId() }, viewer), code('ERR_ENVELOPE_AUTH'))
    // Asking for another video than the envelope names.
    await assert.rejects(openEnvelope(env, viewer, generateVideoId()), code('ERR_ENVELOPE_WRONG_VIDEO'))
    // Another viewer, even one who edits `to` to their own key, cannot open it.
    const other = keyPair()
    await assert.rejects(openEnvelope(env, other), code('ERR_ENVELOPE_WRONG_RECIPIENT'))
    await assert.rejects(openEnvelope({ ...env, to: other.publicKey }, other), code('ERR_ENVELOPE_AUTH'))
  })

  it('refuses malformed blocks with a typed error', async () => {
    const good = encodeEnvelope(await sealEnvelope(K, video, viewer.publicKey))
    assert.throws(() => decodeEnvelope(new Uint8Array([1, 2, 3])), code('ERR_ENVELOPE_MALFORMED'))
    assert.throws(() => decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)), code('ERR_ENVELOPE_MALFORMED'))
    assert.throws(() => decodeEnvelope(good.subarray(0, good.byteLength - 1)), code('ERR_ENVELOPE_MALFORMED'))
  })

  it('refuses to seal to a low-order public key', async () => {
    // All-zero is a low-order point: the shared secret would be zero.
    await assert.rejects(sealEnvelope(K, video, new Uint8Array(32)), code('ERR_BAD_PUBLIC_KEY'))
    await assert.rejects(sealEnvelope(K, video, new Uint8Array(31)), code('ERR_BAD_PUBLIC_KEY'))
  })

  it('refuses keys that are not 32 bytes', async () => {
    await assert.rejects(sealEnvelope(new Uint8Array(16), video, viewer.publicKey))
    const env: Envelope = await sealEnvelope(K, video, viewer.publicKey)
    assert.equal(env.ct.byteLength, 48)
  })
})

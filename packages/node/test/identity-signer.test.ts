// The cached Ed25519 signer makes the same signatures the libp2p key does (Ed25519 is
// deterministic), verifiable against the node's peer id; other key types go through libp2p.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identitySigner } from '../src/identity-signer.ts'

describe('identity signer', () => {
  it('signs exactly as the libp2p Ed25519 key, and the signature verifies', async () => {
    const key = await generateKeyPair('Ed25519')
    const sign = identitySigner(key)
    for (const size of [0, 1, 100, 5000]) {
      const payload = new Uint8Array(randomBytes(size))
      const sig = await sign(payload)
      assert.deepEqual(sig, new Uint8Array(await key.sign(payload)))
      assert.equal(await key.publicKey.verify(payload, sig), true)
    }
  })

  it('signs with other key types through libp2p', async () => {
    const key = await generateKeyPair('secp256k1')
    const payload = new Uint8Array([1, 2, 3])
    assert.equal(await key.publicKey.verify(payload, await identitySigner(key)(payload)), true)
  })
})

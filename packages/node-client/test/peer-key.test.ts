import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ed25519KeyOfPeerId } from '../src/peer-key.ts'

describe('ed25519KeyOfPeerId', () => {
  it('reads the same key as @libp2p/peer-id from Ed25519 peer ids', async () => {
    for (let i = 0; i < 20; i++) {
      const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      assert.deepEqual(ed25519KeyOfPeerId(id), peerIdFromString(id).publicKey!.raw)
    }
  })

  it('leaves every other form to the library: other key types, the CID form, damaged and junk strings', async () => {
    const ed = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    assert.equal(ed25519KeyOfPeerId(peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()), undefined)
    assert.equal(ed25519KeyOfPeerId(ed.toCID().toString()), undefined)
    const s = ed.toString()
    assert.equal(ed25519KeyOfPeerId(s.slice(0, -1)), undefined, 'one character short')
    assert.equal(ed25519KeyOfPeerId(`${s}1`), undefined, 'one character long')
    assert.equal(ed25519KeyOfPeerId(`${s.slice(0, 20)}0${s.slice(21)}`), undefined, '0 is not base58')
    assert.equal(ed25519KeyOfPeerId(`12D3KooW${'z'.repeat(100)}`), undefined)
    assert.equal(ed25519KeyOfPeerId(''), undefined)
  })
})

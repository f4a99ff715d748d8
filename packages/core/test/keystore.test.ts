import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KeystoreErrorCode, openSecret, sealSecret } from '@p2pdv/core/keys'

const FAST = { N: 2 ** 10, r: 8, p: 1 }
const secret = new Uint8Array(32).map((_, i) => i)

describe('keystore', () => {
  it('round-trips a secret and never stores it in the clear', async () => {
    const sealed = await sealSecret(secret, 'correct horse', 'node-identity', FAST)
    assert.ok(!JSON.stringify(sealed).includes(Buffer.from(secret).toString('hex')))
    assert.deepEqual(await openSecret(JSON.parse(JSON.stringify(sealed)), 'correct horse', 'node-identity'), secret)
  })

  it('refuses a wrong passphrase, a wrong label and a tampered file with distinct codes', async () => {
    const sealed = await sealSecret(secret, 'pw', 'wallet', FAST)
    await assert.rejects(openSecret(sealed, 'wrong', 'wallet'), { code: KeystoreErrorCode.WRONG_PASSPHRASE })
    await assert.rejects(openSecret(sealed, 'pw', 'node-identity'), { code: KeystoreErrorCode.WRONG_LABEL })
    const flipped = sealed.ciphertext.slice(0, -1) + (sealed.ciphertext.endsWith('0') ? '1' : '0')
    await assert.rejects(openSecret({ ...sealed, ciphertext: flipped }, 'pw', 'wallet'), { code: KeystoreErrorCode.WRONG_PASSPHRASE })
    await assert.rejects(openSecret({ ...sealed, kdfparams: { ...sealed.kdfparams, N: 2 ** 30 } }, 'pw', 'wallet'), { code: KeystoreErrorCode.MALFORMED })
    await assert.rejects(openSecret('nope', 'pw', 'wallet'), { code: KeystoreErrorCode.MALFORMED })
  })
})

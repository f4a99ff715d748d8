// The strength estimate for new wallets' passphrases: long and varied passes, short, common,
// repeated or sequential fails with ERR_WEAK_PASSPHRASE.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkNewPassphrase, estimatePassphraseBits, MIN_PASSPHRASE_BITS } from '@p2pdv/chain/identity'

describe('new-wallet passphrase strength', () => {
  it('accepts long, varied passphrases (including the ones tests and the devnet use)', () => {
    for (const p of ['correct horse battery staple', 'Summer2024!!x', 'test passphrase', 'test-passphrase', 'b7f3c9e1a2d4f6085e3c1b9a7d2f4e6c']) {
      assert.doesNotThrow(() => { checkNewPassphrase(p) }, p)
    }
  })

  it('refuses short, common, repeated and sequential ones', () => {
    for (const p of ['pw', 'Tr0ub4dor&3', 'password1234', 'Password123456', 'aaaaaaaaaaaaaaaaaaaa', 'abcdefghijklmnopqrst', '12345678901234567890', 'qwertyqwertyqwerty']) {
      assert.throws(() => { checkNewPassphrase(p) }, { code: 'ERR_WEAK_PASSPHRASE' }, p)
    }
    assert.ok(estimatePassphraseBits('password1234') < MIN_PASSPHRASE_BITS)
  })
})

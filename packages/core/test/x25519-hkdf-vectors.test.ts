// Wycheproof known-answer tests for the two primitives under HPKE and identities: X25519 (noble,
// which identities use, and WebCrypto, which HPKE uses) and HKDF-SHA256 (noble, which manifests
// use, and WebCrypto, which HPKE uses).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hex as hexAny, loadWycheproof, VECTORS_DIR } from './fixtures/vectors.ts'

/** Fresh ArrayBuffer-backed bytes, as WebCrypto's types want. */
const hex = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(hexAny(s))

interface XdhTest { tcId: number, public: string, private: string, shared: string, result: 'valid' | 'invalid' | 'acceptable', flags: string[] }
interface HkdfTest { tcId: number, ikm: string, salt: string, info: string, size: number, okm: string, result: 'valid' | 'invalid' | 'acceptable' }

const xdh = loadWycheproof<{ testGroups: Array<{ curve: string, tests: XdhTest[] }> }>('x25519_test.json')
const hk = loadWycheproof<{ testGroups: Array<{ tests: HkdfTest[] }> }>('hkdf_sha256_test.json')

const PKCS8_X25519_PREFIX = hex('302e020100300506032b656e04220420')

async function webX25519 (priv: Uint8Array, pub: Uint8Array<ArrayBuffer>): Promise<Uint8Array | undefined> {
  try {
    const sk = await crypto.subtle.importKey('pkcs8', new Uint8Array([...PKCS8_X25519_PREFIX, ...priv]), { name: 'X25519' }, false, ['deriveBits'])
    const pk = await crypto.subtle.importKey('raw', pub, { name: 'X25519' }, false, [])
    return new Uint8Array(await crypto.subtle.deriveBits({ name: 'X25519', public: pk }, sk, 256))
  } catch {
    return undefined
  }
}

function nobleX25519 (priv: Uint8Array, pub: Uint8Array): Uint8Array | undefined {
  try { return x25519.getSharedSecret(priv, pub) } catch { return undefined }
}

describe('X25519 (Wycheproof)', { skip: xdh === undefined ? `vectors not found in ${VECTORS_DIR}` : false }, () => {
  const tests = (xdh?.testGroups ?? []).filter(g => g.curve === 'curve25519').flatMap(g => g.tests)

  it('noble and WebCrypto compute every valid shared secret; acceptable ones are computed right or refused', async () => {
    let valid = 0
    for (const t of tests) {
      const [priv, pub, shared] = [hex(t.private), hex(t.public), hex(t.shared)]
      for (const [name, got] of [['noble', nobleX25519(priv, pub)], ['webcrypto', await webX25519(priv, pub)]] as const) {
        if (t.result === 'valid') {
          assert.deepEqual(got, shared, `tcId ${t.tcId} ${name}`)
        } else if (t.result === 'acceptable') {
          // An all-zero result must be refused (RFC 7748 §6.1); anything computed must be right.
          if (shared.every(b => b === 0)) assert.equal(got, undefined, `tcId ${t.tcId} ${name} must refuse a zero shared secret`)
          else if (got !== undefined) assert.deepEqual(got, shared, `tcId ${t.tcId} ${name}`)
        } else {
          assert.ok(got === undefined || !Buffer.from(got).equals(Buffer.from(shared)), `tcId ${t.tcId} ${name} must be rejected`)
        }
      }
      if (t.result === 'valid') valid++
    }
    assert.ok(valid > 200, `ran ${valid} valid vectors`)
  })
})

describe('HKDF-SHA256 (Wycheproof)', { skip: hk === undefined ? `vectors not found in ${VECTORS_DIR}` : false }, () => {
  const tests = (hk?.testGroups ?? []).flatMap(g => g.tests)

  it('noble and WebCrypto derive every valid output and refuse oversized ones', async () => {
    let count = 0
    for (const t of tests) {
      const [ikm, salt, info] = [hex(t.ikm), hex(t.salt), hex(t.info)]
      let noble: Uint8Array | undefined
      try { noble = hkdf(sha256, ikm, salt, info, t.size) } catch { noble = undefined }
      let web: Uint8Array | undefined
      try {
        const k = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits'])
        web = new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, k, t.size * 8))
      } catch { web = undefined }
      if (t.result === 'valid') {
        assert.deepEqual(noble, hex(t.okm), `tcId ${t.tcId} noble`)
        assert.deepEqual(web, hex(t.okm), `tcId ${t.tcId} webcrypto`)
      } else if (t.result === 'invalid') {
        assert.equal(noble, undefined, `tcId ${t.tcId} noble must refuse`)
        assert.equal(web, undefined, `tcId ${t.tcId} webcrypto must refuse`)
      }
      count++
    }
    assert.ok(count > 80, `ran ${count} vectors`)
  })
})

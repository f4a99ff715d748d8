// Wycheproof AES-GCM known-answer tests, for every backend the product uses.
import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { describe, it } from 'node:test'
import { aead as nodeAead, sealSync } from '../src/aead/node.ts'
import { aead as webAead } from '../src/aead/webcrypto.ts'
import { hex, loadWycheproof, VECTORS_DIR } from './fixtures/vectors.ts'

interface Test { tcId: number, key: string, iv: string, aad: string, msg: string, ct: string, tag: string, result: 'valid' | 'invalid' | 'acceptable', flags: string[] }
interface File { testGroups: Array<{ ivSize: number, keySize: number, tagSize: number, tests: Test[] }> }

const file = loadWycheproof<File>('aes_gcm_test.json')
const skip = file === undefined ? `vectors not found in ${VECTORS_DIR}` : false
const groups = file?.testGroups ?? []

describe('AES-GCM (Wycheproof)', { skip }, () => {
  it('12-byte IV, 256-bit key: node:crypto and WebCrypto backends agree with every vector', async () => {
    let count = 0
    for (const g of groups.filter(g => g.ivSize === 96 && g.keySize === 256 && g.tagSize === 128)) {
      for (const t of g.tests) {
        const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)]
        const sealed = new Uint8Array([...hex(t.ct), ...hex(t.tag)])
        for (const backend of [nodeAead, webAead]) {
          if (t.result === 'valid') {
            assert.deepEqual(await backend.seal(key, iv, aad, msg), sealed, `tcId ${t.tcId} seal`)
            assert.deepEqual(await backend.open(key, iv, aad, sealed), msg, `tcId ${t.tcId} open`)
          } else if (t.result === 'invalid') {
            await assert.rejects(backend.open(key, iv, aad, sealed), `tcId ${t.tcId} must be rejected`)
          }
        }
        count++
      }
    }
    assert.ok(count > 50, `ran ${count} vectors`)
  })

  it('sealSync into a recycled buffer writes the same bytes into it; a buffer of the wrong size is left alone', () => {
    let count = 0
    for (const g of groups.filter(g => g.ivSize === 96 && g.keySize === 256 && g.tagSize === 128)) {
      for (const t of g.tests.filter(t => t.result === 'valid')) {
        const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)]
        const sealed = new Uint8Array([...hex(t.ct), ...hex(t.tag)])
        const into = new Uint8Array(sealed.byteLength).fill(0xa5).buffer
        const out = sealSync(key, iv, aad, msg, into)
        assert.equal(out.buffer, into, `tcId ${t.tcId}: sealed into the given buffer`)
        assert.deepEqual(out, sealed, `tcId ${t.tcId}`)
        const wrong = new ArrayBuffer(sealed.byteLength + 1)
        const other = sealSync(key, iv, aad, msg, wrong)
        assert.notEqual(other.buffer, wrong)
        assert.deepEqual(other, sealed)
        assert.ok(new Uint8Array(wrong).every(b => b === 0), `tcId ${t.tcId}: the wrong-size buffer is untouched`)
        count++
      }
    }
    assert.ok(count > 30, `ran ${count} vectors`)
  })

  it('every other IV and key size through raw node:crypto', () => {
    let count = 0
    for (const g of groups.filter(g => !(g.ivSize === 96 && g.keySize === 256))) {
      for (const t of g.tests) {
        const algo = `aes-${g.keySize}-gcm` as 'aes-256-gcm'
        const [key, iv, aad, msg, ct, tag] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg), hex(t.ct), hex(t.tag)]
        let opened: Uint8Array | undefined
        try {
          const d = createDecipheriv(algo, key, iv, { authTagLength: 16 })
          d.setAAD(aad)
          d.setAuthTag(tag)
          opened = Buffer.concat([d.update(ct), d.final()])
        } catch {
          opened = undefined
        }
        if (t.result === 'valid') {
          // Node rejects IVs it does not support (LongIv, empty IV): a refusal is correct, a wrong answer never is.
          if (opened === undefined) { assert.ok(iv.length === 0 || iv.length > 128 || t.flags.includes('LongIv') || t.flags.includes('ZeroLengthIv'), `tcId ${t.tcId}`); continue }
          assert.deepEqual(new Uint8Array(opened), msg, `tcId ${t.tcId}`)
          const c = createCipheriv(algo, key, iv, { authTagLength: 16 })
          c.setAAD(aad)
          assert.deepEqual(new Uint8Array(Buffer.concat([c.update(msg), c.final(), c.getAuthTag()])), new Uint8Array([...ct, ...tag]))
        } else if (t.result === 'invalid') {
          assert.equal(opened, undefined, `tcId ${t.tcId} must be rejected`)
        }
        count++
      }
    }
    assert.ok(count > 100, `ran ${count} vectors`)
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AEAD_TAG_BYTES, MAX_CHUNK_PLAINTEXT } from '@p2pdv/core'
import { checkRoom } from '../src/room-check.ts'
import { PutErrorCode } from '../src/replicated-writer.ts'
import type { NodeCandidate } from '../src/node-status.ts'

const node = (i: number, freeBytes?: number, score?: number): NodeCandidate => ({
  peerId: `peer-${i}`, multiaddrs: [], http: `http://127.0.0.1:${1000 + i}`,
  ...(freeBytes === undefined ? {} : { freeBytes }), ...(score === undefined ? {} : { score })
})

describe('checkRoom', () => {
  const size = 10 * MAX_CHUNK_PLAINTEXT
  const sealed = size + 10 * AEAD_TAG_BYTES

  it('passes when the eligible nodes have room for every replica of every sealed byte', () => {
    const each = sealed
    assert.doesNotThrow(() => { checkRoom(size, { type: 'replicas', replicas: 3 }, [node(0, each), node(1, each), node(2, each)]) })
  })

  it('refuses, naming what is needed and what is free, when they do not', () => {
    const nodes = [node(0, sealed), node(1, sealed), node(2, sealed - 1)]
    assert.throws(() => { checkRoom(size, { type: 'replicas', replicas: 3 }, nodes) }, (err: any) => {
      assert.equal(err.code, PutErrorCode.NOT_ENOUGH_SPACE)
      assert.equal(err.details.needBytes, 3 * sealed)
      assert.equal(err.details.freeBytes, 3 * sealed - 1)
      assert.match(err.message, /3 replica\(s\)/)
      assert.match(err.hint, /--quota/)
      return true
    })
  })

  it('counts only eligible nodes, and does not guess when a node did not report its room', () => {
    // A node scored below the placement threshold does not count, however roomy.
    assert.throws(() => { checkRoom(size, { type: 'rs', k: 4, m: 2 }, [node(0, sealed), node(1, 100 * sealed, 0)]) }, { code: PutErrorCode.NOT_ENOUGH_SPACE })
    assert.doesNotThrow(() => { checkRoom(size, { type: 'replicas', replicas: 3 }, [node(0, 1), node(1), node(2, 1)]) })
  })
})

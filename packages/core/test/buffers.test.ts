import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { freeNow, ownsWholeBuffer } from '../src/buffers.ts'

describe('freeNow', () => {
  it('detaches a buffer its view spans whole, so its memory goes back at once', () => {
    const view = new Uint8Array(1 << 20).fill(1)
    const buffer = view.buffer
    freeNow(view)
    assert.equal(buffer.detached, true)
    assert.equal(view.byteLength, 0)
  })

  it('leaves a slice of a larger buffer, and an empty view, alone', () => {
    const whole = new Uint8Array(64).fill(3)
    const part = whole.subarray(8, 16)
    assert.equal(ownsWholeBuffer(part), false)
    freeNow(part)
    assert.equal(whole.buffer.detached, false)
    assert.deepEqual(part, new Uint8Array(8).fill(3))
    const empty = new Uint8Array(0)
    freeNow(empty)
    assert.equal(empty.buffer.detached, false)
  })
})

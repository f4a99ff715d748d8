import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BufferRecycler } from '../src/buffer-recycler.ts'

describe('BufferRecycler', () => {
  it('keeps at most `max` buffers, hands each out once, and only at its exact size', () => {
    const buffers = new BufferRecycler(3)
    for (let i = 0; i < 5; i++) buffers.give(new ArrayBuffer(8))
    buffers.give(new ArrayBuffer(0))
    assert.equal(buffers.take(9), undefined)
    const taken = new Set<ArrayBuffer>()
    for (let b = buffers.take(8); b !== undefined; b = buffers.take(8)) taken.add(b)
    assert.equal(taken.size, 3)
    assert.equal(buffers.reused, 3)
    assert.equal(buffers.take(0), undefined)
  })
})


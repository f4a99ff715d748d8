import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { merkleRoot } from '@p2pdv/core/audit'
import { chooseStripeNodes } from '@p2pdv/core/placement'
import { merkleRootFast } from '../src/merkle.ts'

describe('merkleRootFast', () => {
  it('equals the reference audit root for blocks of every shape', () => {
    for (const size of [0, 1, 1023, 1024, 1025, 4096, 5 * 1024 + 7, 1024 * 1024 + 16]) {
      const b = Uint8Array.from({ length: size }, (_, i) => (i * 29 + size) & 0xff)
      assert.deepEqual(merkleRootFast(b), merkleRoot(b), `size ${size}`)
    }
  })
})

describe('chooseStripeNodes', () => {
  const nodes = Array.from({ length: 8 }, (_, i) => ({ peerId: `12D3KooWnode${i}xxxxxxxxxxxxxxxx`, zone: `z${i % 4}` }))
  it('spreads a stripe over distinct zones first, then distinct nodes', () => {
    const order = chooseStripeNodes('stripe-key', nodes, 4)
    assert.equal(new Set(order.slice(0, 4).map(n => n.zone)).size, 4)
    assert.equal(new Set(order.map(n => n.peerId)).size, 8)
  })
  it('gives nothing to nodes below the score threshold, and weighs free capacity', () => {
    const scored = nodes.map((n, i) => ({ ...n, score: i === 0 ? 0.05 : 0.9, freeBytes: i === 1 ? 1 : 1e12 }))
    const wins = new Map<string, number>()
    for (let s = 0; s < 400; s++) { const first = chooseStripeNodes(`k${s}`, scored, 1)[0]!.peerId; wins.set(first, (wins.get(first) ?? 0) + 1) }
    assert.equal(wins.get(nodes[0]!.peerId) ?? 0, 0)
    assert.ok((wins.get(nodes[1]!.peerId) ?? 0) < (wins.get(nodes[2]!.peerId) ?? 0))
    assert.ok(!chooseStripeNodes('x', scored, 8).some(n => n.peerId === nodes[0]!.peerId))
  })
})

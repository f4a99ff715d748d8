// startAnvil: a real chain on 127.0.0.1 with an ephemeral port, and stop() leaves no process
// behind, including when it runs through the npm wrapper (wrapper + binary).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { startAnvil } from '../src/anvil.ts'

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    // A zombie still answers signal 0; it is dead for our purpose.
    return !/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch { return false }
}

function children (pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch { return [] }
}

async function rpc (url: string, method: string): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) })
  return ((await res.json()) as { result: unknown }).result
}

describe('startAnvil', () => {
  it('serves JSON-RPC on 127.0.0.1 at an ephemeral port, two at once, and stops without leftovers', async () => {
    const [a, b] = await Promise.all([startAnvil(), startAnvil({ chainId: 1337 })])
    try {
      assert.match(a.rpc, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.notEqual(a.port, b.port)
      assert.equal(await rpc(a.rpc, 'eth_chainId'), '0x7a69')
      assert.equal(await rpc(b.rpc, 'eth_chainId'), '0x539')
      assert.ok(alive(a.pid))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
    assert.equal(alive(a.pid), false)
    await assert.rejects(fetch(a.rpc, { method: 'POST' }))
    await a.stop() // idempotent
  })

  it('through the npm wrapper, stop() ends both the wrapper and the binary it spawned', async () => {
    const anvil = await startAnvil({ viaWrapper: true })
    const binary = children(anvil.pid)
    try {
      assert.equal(binary.length, 1, 'the wrapper runs one child, the real anvil')
      assert.equal(await rpc(anvil.rpc, 'eth_chainId'), '0x7a69')
    } finally {
      await anvil.stop()
    }
    assert.equal(alive(anvil.pid), false, 'wrapper gone')
    // The group kill reaches the binary; give the kernel a moment to reap it.
    for (let i = 0; i < 50 && alive(binary[0]!); i++) await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(alive(binary[0]!), false, 'binary gone')
  })

  it('reports a port that is taken with ERR_ANVIL_START', async () => {
    const a = await startAnvil()
    try {
      await assert.rejects(startAnvil({ port: a.port }), { code: 'ERR_ANVIL_START' })
    } finally {
      await a.stop()
    }
  })
})

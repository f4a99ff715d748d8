// The Node transport (src/transport/node.ts) against a bare node:http server on 127.0.0.1, and
// store receipts checked by ReceiptVerifier with real Ed25519 node keys.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { getBytes } from '../src/transport/index.ts'
import { ReceiptVerifier } from '../src/receipt-verifier.ts'

/** Buffers by exact size, as the sdk's BufferRecycler hands them out. */
class BufferRecycler {
  private readonly free: ArrayBuffer[] = []
  reused = 0
  readonly max: number
  constructor (max: number) { this.max = max }
  take (size: number): ArrayBuffer | undefined {
    const i = this.free.findIndex(b => b.byteLength === size)
    if (i < 0) return undefined
    this.reused++
    return this.free.splice(i, 1)[0]
  }

  give (buffer: ArrayBuffer): void { if (this.free.length < this.max) this.free.push(buffer) }
}

const LIMIT = 4096
const block = new Uint8Array(randomBytes(3000))

describe('getBytes', () => {
  let server: Server
  let base = ''
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') { res.writeHead(200, { 'content-length': block.byteLength }).end(block); return }
      if (req.url === '/declared-too-large') { res.writeHead(200, { 'content-length': LIMIT + 1 }).end(new Uint8Array(LIMIT + 1)); return }
      if (req.url === '/chunked-too-large') { res.writeHead(200); res.write(new Uint8Array(LIMIT)); res.end(new Uint8Array(10)); return }
      if (req.url === '/chunked') { res.writeHead(200); res.write(block.subarray(0, 1000)); res.end(block.subarray(1000)); return }
      res.writeHead(404).end('{"code":"ERR_NOT_FOUND"}')
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  after(() => { server.closeAllConnections(); server.close() })

  it('reads a body of the announced length, and one sent in chunks without a length', async () => {
    const signal = AbortSignal.timeout(5000)
    const ok = await getBytes(`${base}/ok`, LIMIT, signal)
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.body, block)
    assert.deepEqual((await getBytes(`${base}/chunked`, LIMIT, signal)).body, block)
  })

  it('refuses a body over the limit, announced or not, and answers other statuses without a body', async () => {
    const signal = AbortSignal.timeout(5000)
    await assert.rejects(getBytes(`${base}/declared-too-large`, LIMIT, signal), { code: 'ERR_BLOCK_TOO_LARGE' })
    await assert.rejects(getBytes(`${base}/chunked-too-large`, LIMIT, signal), { code: 'ERR_BLOCK_TOO_LARGE' })
    assert.deepEqual(await getBytes(`${base}/missing`, LIMIT, signal), { status: 404 })
    await assert.rejects(getBytes('ftp://127.0.0.1/x', LIMIT, signal), { code: 'ERR_BAD_URL' })
  })

  it('reads an announced body into a recycled buffer of its size, and only of its size', async () => {
    const signal = AbortSignal.timeout(5000)
    const buffers = new BufferRecycler(4)
    const given = new Uint8Array(block.byteLength).fill(7).buffer
    buffers.give(new ArrayBuffer(block.byteLength + 1))
    buffers.give(given)
    const ok = await getBytes(`${base}/ok`, LIMIT, signal, undefined, buffers)
    assert.equal(buffers.reused, 1)
    assert.equal(ok.body?.buffer, given)
    assert.deepEqual(ok.body, block)
    // The next one has no buffer of its size left: a fresh one, the same bytes.
    const again = await getBytes(`${base}/ok`, LIMIT, signal, undefined, buffers)
    assert.equal(buffers.reused, 1)
    assert.notEqual(again.body?.buffer, given)
    assert.deepEqual(again.body, block)
    // Without a length there is nothing to match: no recycled buffer is taken.
    buffers.give(new ArrayBuffer(block.byteLength))
    assert.deepEqual((await getBytes(`${base}/chunked`, LIMIT, signal, undefined, buffers)).body, block)
    assert.equal(buffers.reused, 1)
  })
})

describe('ReceiptVerifier', () => {
  it('accepts a node’s signature, and refuses another node’s, a changed payload and junk', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const peer = peerIdFromPrivateKey(key).toString()
    const payload = new Uint8Array(randomBytes(100))
    const sig = await key.sign(payload)
    const verifier = new ReceiptVerifier()
    for (let i = 0; i < 2; i++) assert.equal(await verifier.verify(peer, payload, sig), true, 'verified again from the cached key')
    assert.equal(await verifier.verify(peerIdFromPrivateKey(other).toString(), payload, sig), false)
    const changed = payload.slice()
    changed[0]! ^= 1
    assert.equal(await verifier.verify(peer, changed, sig), false)
    assert.equal(await verifier.verify(peer, payload, new Uint8Array(3)), false)
    assert.equal(await verifier.verify('not-a-peer-id', payload, sig), false)
  })

  it('verifies secp256k1 node keys through the libp2p key', async () => {
    const key = await generateKeyPair('secp256k1')
    const payload = new Uint8Array([1, 2, 3])
    // This package reads Ed25519 ids itself; other key types come from the caller's fallback.
    assert.equal(await new ReceiptVerifier().verify(peerIdFromPrivateKey(key).toString(), payload, await key.sign(payload)), false)
    const verifier = new ReceiptVerifier({
      fallback: async id => {
        const k = peerIdFromString(id).publicKey!
        return async (p, s) => await k.verify(p, s)
      }
    })
    assert.equal(await verifier.verify(peerIdFromPrivateKey(key).toString(), payload, await key.sign(payload)), true)
    assert.equal(await verifier.verify(peerIdFromPrivateKey(key).toString(), new Uint8Array([9]), await key.sign(payload)), false)
  })
})

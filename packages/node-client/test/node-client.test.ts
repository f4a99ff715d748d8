// NodeClient against a hostile node: a raw TCP server on 127.0.0.1 that answers HTTP as it likes
// (endless bodies, lying Content-Length, wrong bytes for a CID, forged receipts, stalls). Each
// case must end in its typed error, without hanging and without buffering more than the limit.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { blockCid } from '@p2pdv/core'
import { receiptPayload } from '@p2pdv/core/wire'
import { NodeClient, NodeClientErrorCode, ReceiptVerifier } from '../src/index.ts'
import { request as fetchRequest } from '../src/transport/fetch.ts'
import { request as nodeRequest } from '../src/transport/node.ts'

const block = new Uint8Array(randomBytes(5000))
const cid = await blockCid(block)
const otherCid = await blockCid(new Uint8Array([1, 2, 3]))
const key = await generateKeyPair('Ed25519')
const forger = await generateKeyPair('Ed25519')
const peerId = peerIdFromPrivateKey(key).toString()

type Route = (socket: Socket, method: string, body: Buffer) => void | Promise<void>

function head (status: number, headers: Record<string, string | number>): string {
  return `HTTP/1.1 ${status} X\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`
}
function reply (socket: Socket, status: number, body: Uint8Array | string, type = 'application/octet-stream'): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body)
  socket.end(Buffer.concat([Buffer.from(head(status, { 'content-type': type, 'content-length': bytes.byteLength, connection: 'close' })), bytes]))
}
async function receipt (signer: typeof key, size: number, forCid = cid, peer = peerId): Promise<string> {
  const time = Date.now()
  const sig = await signer.sign(receiptPayload({ peer, cid: forCid, size, time }))
  return JSON.stringify({ receipt: { peer, cid: forCid.toString(), size, time, sig: Buffer.from(sig).toString('base64') } })
}

/** Sockets the server saw closed, by mode: a refused body must drop its connection. */
const closed = new Map<string, Promise<void>>()

function endless (s: Socket): void {
  s.write(head(200, { 'content-type': 'application/cbor', 'transfer-encoding': 'chunked' }))
  const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 7), Buffer.from('\r\n')])
  const pump = (): void => { while (!s.destroyed && s.write(chunk)); if (!s.destroyed) s.once('drain', pump) }
  pump()
}

/** A first path segment naming a misbehaviour makes every request under it misbehave that way. */
const modes: Record<string, Route> = {
  endless,
  longer: s => { s.write(head(200, { 'content-length': 10 })); s.write(Buffer.alloc(10_000, 1)) },
  huge: s => { s.write(head(200, { 'content-length': 10_000_000 })); s.write(Buffer.alloc(1000, 1)) },
  shorter: s => { s.end(Buffer.concat([Buffer.from(head(200, { 'content-length': 5000 })), Buffer.alloc(10, 1)])) },
  stall: s => { s.write(head(200, { 'content-length': 5000 })); s.write(Buffer.alloc(100, 1)) },
  forged: async (s, _m, body) => { reply(s, 201, await receipt(forger, body.byteLength), 'application/json') },
  'wrong-size': async (s, _m, body) => { reply(s, 201, await receipt(key, body.byteLength + 1), 'application/json') },
  'wrong-cid': async (s, _m, body) => { reply(s, 201, await receipt(key, body.byteLength, otherCid), 'application/json') },
  malformed: s => { reply(s, 201, '{"receipt":{"peer":1}}', 'application/json') },
  refused: s => { reply(s, 403, '{"code":"ERR_GRANT_REQUIRED","message":"no"}', 'application/json') },
  html: s => { reply(s, 200, '<html>', 'text/html') },
  junk: s => { reply(s, 200, 'not json', 'application/json') }
}

/** What an honest node answers. */
const routes: Record<string, Route> = {
  [`/ipfs/${cid.toString()}`]: (s, method, body) => {
    if (method === 'PUT') return routes.put!(s, method, body)
    if (method === 'HEAD') { s.end(head(200, { 'content-length': block.byteLength, connection: 'close' })); return }
    reply(s, 200, block)
  },
  put: async (s, _m, body) => { reply(s, 201, await receipt(key, body.byteLength), 'application/json') },
  [`/ipfs/${otherCid.toString()}`]: s => { reply(s, 200, block) }, // the wrong bytes for the CID
  '/api/v1/status': s => { reply(s, 200, JSON.stringify({ peerId, freeBytes: 42, zone: 'z1' }), 'application/json') },
  '/api/v1/peers': s => { reply(s, 200, JSON.stringify({ peers: Array.from({ length: 100 }, () => ({ peerId, http: 'http://127.0.0.1:1' })) }), 'application/json') },
  '/api/v1/reputation': s => { reply(s, 200, JSON.stringify({ scores: [{ peerId, score: 0.5 }, { peerId: 'x', score: 7 }, null] }), 'application/json') },
  '/api/v1/placements': s => { reply(s, 200, JSON.stringify({ objects: [{ object: cid.toString(), version: 2, sig: 'AQI=' }, { object: 5 }] }), 'application/json') },
  [`/routing/v1/providers/${cid.toString()}`]: s => {
    reply(s, 200, JSON.stringify({ Providers: [{ ID: peerId, Addrs: ['/ip4/127.0.0.1/tcp/1/http', 7] }, { ID: 5 }, null, { ID: 'x'.repeat(1000) }] }), 'application/json')
  },
  [`/routing/v1/providers/${otherCid.toString()}`]: s => { reply(s, 200, JSON.stringify({ Providers: Array.from({ length: 65 }, () => ({ ID: peerId })) }), 'application/json') },
  '/api/v1/chain': s => { reply(s, 200, JSON.stringify({ chainId: 31337 }), 'application/json') },
  '/api/v1/auth/nonce': s => { reply(s, 200, JSON.stringify({ nonce: 'a1b2c3d4e5f6a7b8' }), 'application/json') },
  '/api/v1/auth/siwe': (s, _m, body) => {
    const { signature } = JSON.parse(body.toString()) as { signature: string }
    if (signature === 'good') reply(s, 200, JSON.stringify({ token: 't', address: '0xabc', expiresAt: 1, roles: ['keeper', 3] }), 'application/json')
    else if (signature === 'shapeless') reply(s, 200, JSON.stringify({ token: 5 }), 'application/json')
    else reply(s, 401, JSON.stringify({ code: 'ERR_SIWE_REJECTED', message: 'bad signature' }), 'application/json')
  },
  [`/api/v1/objects/${cid.toString()}/placement`]: (s, method) => { if (method === 'PUT') reply(s, 204, ''); else reply(s, 200, new Uint8Array([0xa0])) }
}

let server: Server
let base = ''

before(async () => {
  server = createServer(socket => {
    let buf = Buffer.alloc(0)
    socket.on('error', () => {})
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const [line, ...lines] = buf.subarray(0, end).toString().split('\r\n')
      const length = Number(lines.find(l => l.toLowerCase().startsWith('content-length:'))?.split(':')[1] ?? 0)
      if (buf.byteLength < end + 4 + length) return
      socket.off('data', onData)
      const [method, path] = line!.split(' ') as [string, string]
      const mode = path.split('/')[1]!
      let done!: () => void
      closed.set(mode, new Promise(resolve => { done = resolve }))
      socket.once('close', () => { done() })
      const route = modes[mode] ?? routes[path]
      if (route === undefined && method === 'HEAD') { socket.end(head(404, { 'content-length': 24, connection: 'close' })); return }
      if (route === undefined) { reply(socket, 404, '{"code":"ERR_NOT_FOUND"}', 'application/json'); return }
      void route(socket, method, buf.subarray(end + 4, end + 4 + length))
    }
    socket.on('data', onData)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
after(() => { server.close() })

const node = (mode = '', timeoutMs = 5000): NodeClient => new NodeClient(mode === '' ? base : `${base}/${mode}`, { peerId, timeoutMs })

describe('NodeClient: blocks', () => {
  it('returns a block whose bytes hash to its CID, and refuses bytes that do not', async () => {
    assert.deepEqual(await node().getBlock(cid), block)
    await assert.rejects(node().getBlock(otherCid), { code: NodeClientErrorCode.HASH_MISMATCH })
  })

  it('answers NOT_FOUND for a 404; hasBlock gives the size or undefined', async () => {
    const missing = await blockCid(new Uint8Array([9]))
    await assert.rejects(node().getBlock(missing), { code: NodeClientErrorCode.NOT_FOUND })
    assert.equal(await node().hasBlock(missing), undefined)
    assert.equal(await node().hasBlock(cid), block.byteLength)
  })

  it('gives UNREACHABLE for a closed port, BAD_URL for another scheme, and rethrows the caller\'s abort', async () => {
    const probe = createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise<void>(resolve => probe.close(() => { resolve() }))
    await assert.rejects(new NodeClient(`http://127.0.0.1:${port}`).getBlock(cid), { code: NodeClientErrorCode.UNREACHABLE })
    await assert.rejects(new NodeClient('ftp://127.0.0.1').getBlock(cid), { code: NodeClientErrorCode.BAD_URL })
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    await assert.rejects(node().getBlock(cid, { signal: controller.signal }), reason)
  })
})

describe('NodeClient: hostile bodies', () => {
  it('stops an endless chunked body at the limit and drops the connection', async () => {
    await assert.rejects(node('endless').getBlock(cid, { maxSize: 1 << 20 }), { code: NodeClientErrorCode.TOO_LARGE })
    await closed.get('endless')
  })

  it('refuses a body announced over the limit; bytes past a Content-Length are never body', async () => {
    // HTTP/1.1 framing ends the body at its Content-Length: what follows is a broken connection
    // (or, if the parser is slower than the end of the body, 10 bytes that fail their hash).
    await assert.rejects(node('longer').getBlock(cid), (err: { code?: string }) => err.code === NodeClientErrorCode.UNREACHABLE || err.code === NodeClientErrorCode.HASH_MISMATCH)
    await closed.get('longer')
    await assert.rejects(node('huge').getBlock(cid), { code: NodeClientErrorCode.TOO_LARGE })
    await closed.get('huge')
    await assert.rejects(node().getBlock(cid, { maxSize: 100 }), { code: NodeClientErrorCode.TOO_LARGE })
  })

  it('gives UNREACHABLE for a body cut short, TIMEOUT for one that stalls', async () => {
    await assert.rejects(node('shorter').getBlock(cid), { code: NodeClientErrorCode.UNREACHABLE })
    await assert.rejects(node('stall', 300).getBlock(cid), { code: NodeClientErrorCode.TIMEOUT })
    await closed.get('stall')
  })

  it('bounds every JSON answer and every audit answer', async () => {
    await assert.rejects(node('endless').status(), { code: NodeClientErrorCode.TOO_LARGE })
    await assert.rejects(node('endless').placements(), { code: NodeClientErrorCode.TOO_LARGE })
    await assert.rejects(node('endless').audit(new Uint8Array(10)), { code: NodeClientErrorCode.TOO_LARGE })
    await assert.rejects(node('endless').peers(), { code: 'ERR_BAD_PEER_LIST' })
    await assert.rejects(node('endless').putBlock(cid, block), { code: NodeClientErrorCode.TOO_LARGE })
    await assert.rejects(node('html').audit(new Uint8Array(10)), { code: NodeClientErrorCode.BAD_RESPONSE })
    await assert.rejects(node('junk').status(), { code: NodeClientErrorCode.BAD_RESPONSE })
  })
})

describe('NodeClient: receipts and API answers', () => {
  it('returns a verified receipt, and refuses forged, mismatched and malformed ones', async () => {
    const receipts = new ReceiptVerifier()
    const ok = await new NodeClient(base, { peerId, receipts }).putBlock(cid, block, { authorization: 'P2PDV-Grant x' })
    assert.deepEqual({ peer: ok.peer, cid: ok.cid, size: ok.size }, { peer: peerId, cid: cid.toString(), size: block.byteLength })
    for (const mode of ['forged', 'wrong-size', 'wrong-cid', 'malformed']) {
      await assert.rejects(node(mode).putBlock(cid, block), { code: NodeClientErrorCode.BAD_RECEIPT }, mode)
    }
    await assert.rejects(node('refused').putBlock(cid, block), (err: { code?: string, details?: { code?: string } }) => err.code === NodeClientErrorCode.REFUSED && err.details?.code === 'ERR_GRANT_REQUIRED')
    await assert.rejects(new NodeClient(base).putBlock(cid, block), { code: 'ERR_INVALID_ARGUMENT' })
  })

  it('reads status, reputation, placements; refuses a peer list over its length', async () => {
    assert.deepEqual(await node().status(), { peerId, freeBytes: 42, zone: 'z1' })
    assert.deepEqual([...await node().reputation()], [[peerId, 0.5]])
    assert.deepEqual(await node().placements(), [{ object: cid.toString(), version: 2, sig: new Uint8Array([1, 2]) }])
    assert.deepEqual(await node().placement(cid), new Uint8Array([0xa0]))
    await node().putPlacement(cid, new Uint8Array([0xa0]))
    await assert.rejects(node('refused').putPlacement(cid, new Uint8Array([0xa0])), { code: NodeClientErrorCode.REFUSED })
    await assert.rejects(node().placement(otherCid), { code: NodeClientErrorCode.NOT_FOUND })
    await assert.rejects(node().peers(), { code: 'ERR_BAD_PEER_LIST' })
  })
})

describe('NodeClient: routing, chain and sign-in answers', () => {
  it('keeps only well-formed providers, and refuses a list over MAX_PROVIDERS or an endless one', async () => {
    assert.deepEqual(await node().providers(cid), [{ peerId, addrs: ['/ip4/127.0.0.1/tcp/1/http'] }])
    await assert.rejects(node().providers(otherCid), { code: NodeClientErrorCode.BAD_RESPONSE })
    await assert.rejects(node('endless').providers(cid), { code: NodeClientErrorCode.TOO_LARGE })
    await assert.rejects(node('junk').providers(cid), { code: NodeClientErrorCode.BAD_RESPONSE })
  })

  it('reads the shared chain and a sign-in; a missing chain is NOT_FOUND, a refused sign-in keeps the node\'s code', async () => {
    assert.deepEqual(await node().chain(), { chainId: 31337 })
    await assert.rejects(node('missing').chain(), { code: NodeClientErrorCode.NOT_FOUND })
    await assert.rejects(node('endless').chain(), { code: NodeClientErrorCode.TOO_LARGE })
    assert.equal(await node().signInNonce(), 'a1b2c3d4e5f6a7b8')
    await assert.rejects(node('junk').signInNonce(), { code: NodeClientErrorCode.BAD_RESPONSE })
    assert.deepEqual(await node().signIn('m', 'good'), { token: 't', address: '0xabc', expiresAt: 1, roles: ['keeper'] })
    await assert.rejects(node().signIn('m', 'bad'), { code: 'ERR_SIWE_REJECTED' })
    await assert.rejects(node().signIn('m', 'shapeless'), { code: NodeClientErrorCode.BAD_RESPONSE })
    await assert.rejects(node('endless').signIn('m', 'good'), { code: NodeClientErrorCode.TOO_LARGE })
  })
})

describe('transports: the same bounds over node:http and fetch', () => {
  for (const [name, request] of [['node:http', nodeRequest], ['fetch', fetchRequest]] as const) {
    it(`${name}: refuses endless, longer-than-announced and over-limit bodies; a stall ends at the signal`, async () => {
      const get = async (mode: string, limit = 1 << 20, signal = AbortSignal.timeout(5000)): Promise<unknown> => await request({ method: 'GET', url: `${base}/${mode}/x`, limit, signal })
      await assert.rejects(get('endless'), { code: NodeClientErrorCode.TOO_LARGE })
      // Bytes past the Content-Length: the connection breaks, or the body stops at the length.
      const longer = await get('longer').then(r => (r as { body: Uint8Array }).body.byteLength, (err: Error) => err)
      assert.ok(longer === 10 || longer instanceof Error, `read ${String(longer)} bytes`)
      await assert.rejects(get('huge'), { code: NodeClientErrorCode.TOO_LARGE })
      await assert.rejects(get('stall', 1 << 20, AbortSignal.timeout(300)), (err: Error) => err.name === 'AbortError' || err.name === 'TimeoutError')
      const ok = await request({ method: 'GET', url: `${base}/ipfs/${cid.toString()}`, limit: 1 << 20, signal: AbortSignal.timeout(5000) })
      assert.deepEqual(ok.body, block)
    })
  }
})

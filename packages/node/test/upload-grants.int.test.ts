// Nobody fills a node's disk for good: uploads carry signed grants the node checks (anonymous,
// expired, forged, other-node and over-allowance grants are refused before the block is read or
// written), and blocks no placement record claims within the grace are collected.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { blockCid } from '@p2pdv/core'
import { encodeGrant } from '@p2pdv/core/grants'
import { decodeStoreResponse, encodeStoreHeader, STORE_PROTOCOL } from '@p2pdv/core/wire'
import { Client } from '@p2pdv/sdk'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'
import { testGrant } from './fixtures/grants.ts'
import { lengthPrefixed } from '../src/frame-reader.ts'

interface Answer { status: number, code?: string, hint?: string }

async function put (node: SpawnedNode, bytes: Uint8Array, authorization?: string): Promise<Answer> {
  const cid = await blockCid(bytes)
  const res = await fetch(`${node.info.http}/ipfs/${cid.toString()}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.ipld.raw', ...(authorization === undefined ? {} : { authorization }) },
    body: bytes as Uint8Array<ArrayBuffer>
  })
  const body = await res.json() as { code?: string, hint?: string }
  return { status: res.status, ...(body.code === undefined ? {} : { code: body.code }), ...(body.hint === undefined ? {} : { hint: body.hint }) }
}

async function head (node: SpawnedNode, bytes: Uint8Array): Promise<number> {
  const res = await fetch(`${node.info.http}/ipfs/${(await blockCid(bytes)).toString()}`, { method: 'HEAD' })
  return res.status
}


/** One block on a raw store stream; the node's first response. */
async function storeRaw (dialer: Libp2p, node: SpawnedNode, bytes: Uint8Array, grant?: Uint8Array): Promise<ReturnType<typeof decodeStoreResponse>> {
  const stream = await dialer.dialProtocol(multiaddr(node.info.multiaddrs[0]!), STORE_PROTOCOL)
  for (const p of [lengthPrefixed(encodeStoreHeader({ cid: await blockCid(bytes), size: bytes.byteLength, ...(grant === undefined ? {} : { grant }) })), lengthPrefixed(bytes)]) {
    if (!stream.send(p)) await stream.onDrain()
  }
  await stream.close().catch(() => {})
  const chunks: Uint8Array[] = []
  try { for await (const c of stream) chunks.push(c.subarray()) } catch {}
  const all = Buffer.concat(chunks)
  let len = 0; let shift = 0; let off = 0; let b
  do { b = all[off++]!; len += (b & 0x7f) * 2 ** shift; shift += 7 } while (b & 0x80)
  return decodeStoreResponse(new Uint8Array(all.subarray(off, off + len)))
}

describe('upload grants', () => {
  let node: SpawnedNode
  let dialer: Libp2p

  before(async () => {
    node = await spawnNode({ args: ['--identity-quota', String(300_000)] })
    dialer = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  })
  after(async () => {
    await dialer?.stop()
    await node?.stop()
  })

  it('refuses an anonymous PUT with ERR_GRANT_REQUIRED and a hint, and stores nothing', async () => {
    const bytes = new Uint8Array(randomBytes(1000))
    const answer = await put(node, bytes)
    assert.equal(answer.status, 401)
    assert.equal(answer.code, 'ERR_GRANT_REQUIRED')
    assert.ok(answer.hint !== undefined && answer.hint.length > 0)
    assert.equal(await head(node, bytes), 404)
  })

  it('refuses a store stream whose header carries no grant', async () => {
    const res = await storeRaw(dialer, node, new Uint8Array(randomBytes(1000)))
    assert.equal(res.ok === false && res.code, 'ERR_GRANT_REQUIRED')
  })

  it('stores under a valid grant on both planes', async () => {
    const g = await testGrant(node.info.peerId)
    const bytes = new Uint8Array(randomBytes(1000))
    assert.equal((await put(node, bytes, g.authorization)).status, 201)
    const res = await storeRaw(dialer, node, new Uint8Array(randomBytes(1000)), g.bytes)
    assert.equal(res.ok, true)
  })

  it('refuses blocks past the grant\'s allowance', async () => {
    const g = await testGrant(node.info.peerId, { bytes: 1500 })
    assert.equal((await put(node, new Uint8Array(randomBytes(1000)), g.authorization)).status, 201)
    const over = await put(node, new Uint8Array(randomBytes(1000)), g.authorization)
    assert.deepEqual([over.status, over.code], [403, 'ERR_GRANT_EXHAUSTED'])
  })

  it('refuses expired, forged and other-node grants', async () => {
    const bytes = new Uint8Array(randomBytes(1000))
    const expired = await testGrant(node.info.peerId, { exp: Date.now() - 1000 })
    assert.deepEqual(Object.values(await put(node, bytes, expired.authorization)).slice(0, 2), [403, 'ERR_GRANT_EXPIRED'])
    // Forged: a valid grant with a larger allowance written in, the signature kept.
    const real = await testGrant(node.info.peerId, { bytes: 10 })
    const forged = { ...real.grant, bytes: 1024 ** 3 }
    const forgedHeader = `P2PDV-Grant ${Buffer.from(encodeGrant(forged)).toString('base64url')}`
    assert.deepEqual(Object.values(await put(node, bytes, forgedHeader)).slice(0, 2), [403, 'ERR_GRANT_BAD_SIGNATURE'])
    // A grant another node received, replayed here.
    const elsewhere = await testGrant('12D3KooWGRUVh8cCmTvgXgZxhNtKWsbJMeFKjGw1WJGX6wVvhJyV')
    assert.deepEqual(Object.values(await put(node, bytes, elsewhere.authorization)).slice(0, 2), [403, 'ERR_GRANT_WRONG_NODE'])
    const garbage = await put(node, bytes, 'P2PDV-Grant AAAA')
    assert.deepEqual([garbage.status, garbage.code], [400, 'ERR_GRANT_MALFORMED'])
    assert.equal(await head(node, bytes), 404)
  })

  it('charges every grant of one identity to its quota', async () => {
    const seed = new Uint8Array(randomBytes(32))
    const first = await testGrant(node.info.peerId, { seed })
    const second = await testGrant(node.info.peerId, { seed })
    assert.equal((await put(node, new Uint8Array(randomBytes(200_000)), first.authorization)).status, 201)
    const over = await put(node, new Uint8Array(randomBytes(200_000)), second.authorization)
    assert.deepEqual([over.status, over.code], [403, 'ERR_IDENTITY_QUOTA_EXCEEDED'])
    // Another identity still has its own quota.
    assert.equal((await put(node, new Uint8Array(randomBytes(200_000)), (await testGrant(node.info.peerId)).authorization)).status, 201)
  })
})

describe('unclaimed blocks', () => {
  let nodes: SpawnedNode[]

  before(async () => {
    // A short grace, so the test sees collection happen (the object's record arrives well within it).
    nodes = await Promise.all([0, 1, 2].map(async () => await spawnNode({ args: ['--unclaimed-grace', '3', '--identity-quota', String(150_000)] })))
  })
  after(async () => {
    await Promise.all((nodes ?? []).map(async n => { await n.stop() }))
  })

  it('deletes blocks no placement record claims after the grace, gives their bytes back to the uploader, and keeps claimed ones', async () => {
    const [node] = nodes as [SpawnedNode]
    // An object stored by the client: its placement record claims its blocks.
    const client = await Client.create({ peers: nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http })), workers: 0 })
    let capability: string
    try {
      capability = (await client.put((async function * () { yield new Uint8Array(randomBytes(50_000)) })(), { replicas: 3 })).capability
    } finally {
      await client.close()
    }
    // A bare block: no record will ever claim it. It spends 100 of the identity's 150 kB.
    const g = await testGrant(node.info.peerId)
    const orphan = new Uint8Array(randomBytes(100_000))
    assert.equal((await put(node, orphan, g.authorization)).status, 201)
    let status = 200
    for (let i = 0; i < 300 && status !== 404; i++) {
      await new Promise(resolve => setTimeout(resolve, 100))
      status = await head(node, orphan)
    }
    assert.equal(status, 404)
    // Its bytes were given back: another 100 kB fits the 150 kB quota again.
    assert.equal((await put(node, new Uint8Array(randomBytes(100_000)), g.authorization)).status, 201)
    const reader = await Client.create({ peers: [{ peerId: node.info.peerId, multiaddrs: node.info.multiaddrs, http: node.info.http }], workers: 0 })
    try {
      let n = 0
      for await (const chunk of reader.read(capability)) n += chunk.byteLength
      assert.equal(n, 50_000)
    } finally {
      await reader.close()
    }
  })
})

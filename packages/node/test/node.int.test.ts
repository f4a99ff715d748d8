// A real node process, attacked and used through both planes.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import * as dagCbor from '@ipld/dag-cbor'
import { blockCid, MAX_BLOCK_BYTES } from '@p2pdv/core'
import { decodeStoreResponse, encodeStoreHeader, STORE_PROTOCOL } from '@p2pdv/core/wire'
import { Client, StoreClient } from '@p2pdv/sdk'
import { decodePlacementRecord } from '@p2pdv/core/placement'
import { NextToLast } from 'blockstore-fs/sharding'
import { EVICT_IDLE_MS, MAX_CONCURRENT_UPLOADS } from '../src/block-routes.ts'
import { spawnNode, spawnNodes, type SpawnedNode } from './fixtures/spawn-node.ts'
import { testGrant, type TestGrant } from './fixtures/grants.ts'
import { lengthPrefixed } from '../src/frame-reader.ts'


/** Sends raw bytes on a store stream and collects the node's responses until it closes. */
async function rawStore (dialer: Libp2p, node: SpawnedNode, payload: Uint8Array[]): Promise<Array<ReturnType<typeof decodeStoreResponse>>> {
  const stream = await dialer.dialProtocol(multiaddr(node.info.multiaddrs[0]!), STORE_PROTOCOL)
  for (const p of payload) if (!stream.send(p)) await stream.onDrain()
  await stream.close().catch(() => {})
  const chunks: Uint8Array[] = []
  try { for await (const c of stream) chunks.push(c.subarray()) } catch {}
  const all = Buffer.concat(chunks)
  const out = []
  let off = 0
  while (off < all.length) {
    let len = 0; let shift = 0; let b
    do { b = all[off++]!; len += (b & 0x7f) * 2 ** shift; shift += 7 } while (b & 0x80)
    out.push(decodeStoreResponse(new Uint8Array(all.subarray(off, off + len))))
    off += len
  }
  return out
}

async function status (url: string, init?: RequestInit): Promise<number> {
  const r = await fetch(url, init)
  await r.arrayBuffer()
  return r.status
}

describe('storage node', () => {
  let node: SpawnedNode
  let client: StoreClient
  let dialer: Libp2p
  const bytes = new Uint8Array(randomBytes(300_000))
  let cid: Awaited<ReturnType<typeof blockCid>>
  let grant: TestGrant

  before(async () => {
    node = await spawnNode({ args: ['--quota', String(2 * 1024 * 1024), '--identity-quota', String(2 * 1024 * 1024)] })
    grant = await testGrant(node.info.peerId)
    client = await StoreClient.create({ transport: 'http' })
    dialer = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    cid = await blockCid(bytes)
  })
  after(async () => {
    await client?.close()
    await dialer?.stop()
    await node?.stop()
    if (node !== undefined) await rm(node.info.dataDir, { recursive: true, force: true })
  })

  it('stores blocks over the libp2p store protocol and over HTTP PUT, each with a receipt signed by the node', async () => {
    const peer = { peerId: node.info.peerId, multiaddrs: node.info.multiaddrs, http: node.info.http }
    const overLibp2p = await StoreClient.create({ transport: 'libp2p' })
    try {
      const other = new Uint8Array(randomBytes(70_000))
      const [a, b] = await overLibp2p.storeBlocks(peer, [{ cid, bytes }, { cid: await blockCid(other), bytes: other }])
      assert.equal(a?.peer, node.info.peerId)
      assert.equal(a?.cid, cid.toString())
      assert.equal(b?.size, other.byteLength)
    } finally {
      await overLibp2p.close()
    }
    const again = new Uint8Array(randomBytes(1000))
    const [r] = await client.storeBlocks(peer, [{ cid: await blockCid(again), bytes: again }])
    assert.equal(r?.peer, node.info.peerId)
    assert.equal(r?.size, again.byteLength)
  })

  it('refuses bad uploads over HTTP with codes: wrong hash, over the size limit, wrong type', async () => {
    const url = `${node.info.http}/ipfs/${cid.toString()}`
    const put = async (body: Uint8Array, type = 'application/vnd.ipld.raw'): Promise<{ status: number, code: string }> => {
      const res = await fetch(url, { method: 'PUT', headers: { 'content-type': type, authorization: grant.authorization }, body: body as Uint8Array<ArrayBuffer> })
      return { status: res.status, code: (await res.json() as { code: string }).code }
    }
    assert.deepEqual(await put(new Uint8Array([1, 2, 3])), { status: 400, code: 'ERR_BLOCK_HASH_MISMATCH' })
    // Oversized: refused from the Content-Length header alone. Only the header is sent (a client
    // still writing the body when the node answers and closes would see EPIPE instead).
    assert.deepEqual(await headerOnlyPut(url, MAX_BLOCK_BYTES + 1), { status: 413, code: 'ERR_BLOCK_TOO_LARGE' })
    assert.equal((await put(new Uint8Array([1]), 'text/plain')).status, 415)
    assert.equal(await status(`${node.info.http}/healthz`), 200)
  })

  it('cuts stalled uploads with 408 ERR_UPLOAD_STALLED, so 64 of them cannot lock out other uploads', { timeout: 120_000 }, async () => {
    // 64 uploads that declare 900 KB and send one byte: each holds an upload slot and a block buffer.
    const u = new URL(`${node.info.http}/ipfs/${cid.toString()}`)
    const stalled = await Promise.all(Array.from({ length: MAX_CONCURRENT_UPLOADS }, async () => {
      const socket = connect(Number(u.port), u.hostname)
      await new Promise<void>(resolve => socket.once('connect', resolve))
      const answer = answerOf(socket)
      socket.write(`PUT ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/vnd.ipld.raw\r\nAuthorization: ${grant.authorization}\r\nContent-Length: 900000\r\n\r\nx`)
      return { socket, answer }
    }))
    try {
      let refused: { status: number, code: string } | undefined
      // The node sees the stalled heads shortly after they are sent; meanwhile every slot is taken.
      for (let i = 0; i < 50 && refused?.status !== 503; i++) {
        await new Promise(resolve => setTimeout(resolve, 100))
        refused = await headerOnlyPut(u.toString(), 10)
      }
      assert.deepEqual(refused, { status: 503, code: 'ERR_BUSY' })
      // The node cuts each of them itself (this side never closes them), with a code...
      for (const s of stalled) assert.deepEqual(await s.answer, { status: 408, code: 'ERR_UPLOAD_STALLED' })
      // ...and the slots they held take uploads again at once.
      const again = new Uint8Array(randomBytes(100))
      assert.equal(await status(`${node.info.http}/ipfs/${(await blockCid(again)).toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization: grant.authorization }, body: again as Uint8Array<ArrayBuffer> }), 201)
      assert.equal(await status(`${node.info.http}/healthz`), 200)
    } finally {
      for (const s of stalled) s.socket.destroy()
    }
  })

  it('closes connections whose request head never completes with 408 ERR_REQUEST_TIMEOUT (slowloris)', { timeout: 60_000 }, async () => {
    const u = new URL(node.info.http)
    const sockets = await Promise.all(Array.from({ length: 16 }, async () => {
      const socket = connect(Number(u.port), u.hostname)
      await new Promise<void>(resolve => socket.once('connect', resolve))
      const answer = answerOf(socket)
      socket.write(`PUT /ipfs/${cid.toString()} HTTP/1.1\r\nHost: ${u.host}\r\nX-Slow: `)
      return { socket, answer }
    }))
    try {
      for (const s of sockets) assert.deepEqual(await s.answer, { status: 408, code: 'ERR_REQUEST_TIMEOUT' })
      assert.equal(await status(`${node.info.http}/healthz`), 200)
    } finally {
      for (const s of sockets) s.socket.destroy()
    }
  })

  it('serves it as a trustless-gateway raw block with caching headers, HEAD, Range and 304', async () => {
    const url = `${node.info.http}/ipfs/${cid.toString()}`
    const res = await fetch(url, { headers: { accept: 'application/vnd.ipld.raw' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/vnd.ipld.raw')
    assert.equal(res.headers.get('etag'), `"${cid.toString()}.raw"`)
    assert.match(res.headers.get('cache-control') ?? '', /immutable/)
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes)
    const head = await fetch(url, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), String(bytes.byteLength))
    const part = await fetch(url, { headers: { range: 'bytes=10-19' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${bytes.byteLength}`)
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), bytes.subarray(10, 20))
    assert.equal(await status(url, { headers: { range: `bytes=${bytes.byteLength}-` } }), 416)
    assert.equal(await status(url, { headers: { 'if-none-match': `"${cid.toString()}.raw"` } }), 304)
    assert.equal(await status(`${node.info.http}/ipfs/not-a-cid`), 400)
  })

  it('refuses a block whose bytes do not match its CID, and keeps serving', async () => {
    const other = new Uint8Array(randomBytes(1000))
    const [res] = await rawStore(dialer, node, [lengthPrefixed(encodeStoreHeader({ cid, size: other.byteLength, grant: grant.bytes })), lengthPrefixed(other)])
    assert.equal(res?.ok, false)
    assert.equal(res?.ok === false && res.code, 'ERR_BLOCK_HASH_MISMATCH')
    assert.equal(await status(`${node.info.http}/healthz`), 200)
  })

  it('refuses an oversized block from its header, before reading the body', async () => {
    const big = await blockCid(new Uint8Array([9]))
    // Only the header is sent: the refusal must not wait for 3 MiB that never come.
    const [res] = await rawStore(dialer, node, [lengthPrefixed(encodeStoreHeader({ cid: big, size: MAX_BLOCK_BYTES + 1 }))])
    assert.equal(res?.ok === false && res.code, 'ERR_BLOCK_TOO_LARGE')
    assert.equal(await status(`${node.info.http}/healthz`), 200)
  })

  it('answers malformed frames with a code and stays up', async () => {
    const garbage = await rawStore(dialer, node, [lengthPrefixed(new Uint8Array([0xff, 0x00, 0x13]))])
    assert.equal(garbage[0]?.ok === false && garbage[0].code, 'ERR_WIRE_MALFORMED')
    const wrongVersion = await rawStore(dialer, node, [lengthPrefixed(dagCbor.encode({ v: 9, cid, size: 1 }))])
    assert.equal(wrongVersion[0]?.ok === false && wrongVersion[0].code, 'ERR_WIRE_VERSION')
    const hugeHeader = await rawStore(dialer, node, [lengthPrefixed(new Uint8Array(5000))])
    assert.equal(hugeHeader[0]?.ok === false && hugeHeader[0].code, 'ERR_FRAME_TOO_LARGE')
    assert.equal(await status(`${node.info.http}/healthz`), 200)
  })

  it('refuses blocks past its quota', async () => {
    const peer = { peerId: node.info.peerId, multiaddrs: node.info.multiaddrs, http: node.info.http }
    const blocks = await Promise.all([1, 2, 3].map(async () => { const b = new Uint8Array(randomBytes(1024 * 1024)); return { cid: await blockCid(b), bytes: b } }))
    await assert.rejects(client.storeBlocks(peer, blocks), (err: any) => err.code === 'ERR_STORE_REFUSED' && err.details.code === 'ERR_QUOTA_EXCEEDED')
    assert.equal(await status(`${node.info.http}/healthz`), 200)
  })

  it('detects bit rot on disk: never serves the damaged bytes, counts and quarantines them', async () => {
    const rot = async (c: typeof cid): Promise<Buffer> => {
      const { dir, file } = new NextToLast().encode(c)
      const path = join(node.info.dataDir, 'blocks', dir, file)
      const onDisk = await readFile(path)
      onDisk[onDisk.length >> 1]! ^= 0x01
      await writeFile(path, onDisk)
      return onDisk
    }
    // A block no one has read since it was stored: the GET reads the file and verifies it.
    const cold = new Uint8Array(randomBytes(1000))
    const coldCid = await blockCid(cold)
    const url = `${node.info.http}/ipfs/${coldCid.toString()}`
    assert.equal(await status(url, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization: grant.authorization }, body: cold as Uint8Array<ArrayBuffer> }), 201)
    const onDisk = await rot(coldCid)
    // HEAD is a presence probe answered from the file system: it does not read the block, so it
    // cannot see the damage (audits and reads do); the GET that reads it finds and quarantines it.
    const head = await fetch(url, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), String(onDisk.byteLength))
    const res = await fetch(url)
    assert.equal(res.status, 502)
    assert.equal((await res.json() as { code: string }).code, 'ERR_BLOCK_CORRUPT')
    assert.equal(await status(url), 404)
    assert.equal((await fetch(url, { method: 'HEAD' })).status, 404)
    const metrics = await (await fetch(`${node.info.http}/metrics`)).text()
    assert.match(metrics, /p2pdv_corrupt_blocks_total 1\b/)
    // A hot block is answered from memory, where it was verified when read in: still the good
    // bytes, never the damaged file's.
    assert.equal(await status(`${node.info.http}/ipfs/${cid.toString()}`), 200)
    await rot(cid)
    const hot = await fetch(`${node.info.http}/ipfs/${cid.toString()}`)
    assert.equal(hot.status, 200)
    assert.deepEqual(new Uint8Array(await hot.arrayBuffer()), bytes)
  })
})

describe('node restarts and on-disk format', () => {
  it('keeps its blocks and identity across a restart, and refuses a data dir of another format', async () => {
    let node = await spawnNode()
    const dataDir = node.info.dataDir
    try {
      const client = await StoreClient.create()
      const b = new Uint8Array(randomBytes(5000))
      const cid = await blockCid(b)
      await client.storeBlocks({ peerId: node.info.peerId, multiaddrs: node.info.multiaddrs, http: node.info.http }, [{ cid, bytes: b }])
      await client.close()
      const peerId = node.info.peerId
      await node.kill9()
      node = await spawnNode({ dataDir })
      assert.equal(node.info.peerId, peerId)
      assert.deepEqual(new Uint8Array(await (await fetch(`${node.info.http}/ipfs/${cid.toString()}`)).arrayBuffer()), b)
      await node.stop()
      await writeFile(join(dataDir, 'VERSION'), JSON.stringify({ format: 99 }))
      await assert.rejects(spawnNode({ dataDir }), { code: 'ERR_DATA_VERSION' })
      await assert.rejects(spawnNode({ dataDir: join(dataDir, 'fresh'), env: { P2PDV_PASSPHRASE: '' } }), { code: 'ERR_NO_PASSPHRASE' })
    } finally {
      await node.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('supervised nodes', () => {
  it('stop cleanly when the supervisor goes away (its stdin pipe closes, as when it is SIGKILLed)', async () => {
    const node = await spawnNode()
    try {
      const exited = new Promise<number | null>(resolve => node.proc.once('exit', code => resolve(code)))
      node.proc.stdin!.destroy()
      assert.equal(await exited, 0)
    } finally {
      await node.stop()
      await rm(node.info.dataDir, { recursive: true, force: true })
    }
  })
})

describe('provider discovery across nodes', () => {
  it('a node finds, through the DHT, a block stored only on another node (no placement record covers it, so it is announced by itself after the grace period)', async () => {
    const nodes = await spawnNodes(3, { args: ['--announce-grace', '0.2'] })
    try {
      const client = await StoreClient.create()
      const b = new Uint8Array(randomBytes(2000))
      const cid = await blockCid(b)
      const holder = nodes[2]!
      await client.storeBlocks({ peerId: holder.info.peerId, multiaddrs: holder.info.multiaddrs, http: holder.info.http }, [{ cid, bytes: b }])
      await client.close()
      // Announcing is asynchronous: ask until the record is there (bounded).
      let found: Array<{ ID: string, Addrs: string[] }> = []
      for (let i = 0; i < 40 && !found.some(p => p.ID === holder.info.peerId); i++) {
        const res = await fetch(`${nodes[0]!.info.http}/routing/v1/providers/${cid.toString()}`)
        found = (await res.json() as { Providers: typeof found }).Providers
        if (!found.some(p => p.ID === holder.info.peerId)) await new Promise(resolve => setTimeout(resolve, 250))
      }
      const rec = found.find(p => p.ID === holder.info.peerId)
      assert.ok(rec !== undefined, 'the holder is listed as a provider')
      assert.ok(rec.Addrs.includes(`/ip4/127.0.0.1/tcp/${new URL(holder.info.http).port}/http`), 'with its HTTP data plane address')

      // The peer directory a browser reads: this node first, then the others' data planes.
      const listed = await fetch(`${nodes[0]!.info.http}/api/v1/peers`)
      assert.equal(listed.headers.get('access-control-allow-origin'), '*')
      const { peers } = await listed.json() as { peers: Array<{ peerId: string, http: string }> }
      assert.deepEqual(peers[0], { peerId: nodes[0]!.info.peerId, http: nodes[0]!.info.http })
      assert.deepEqual(new Set(peers.map(p => p.http)), new Set(nodes.map(n => n.info.http)))
      // Public reads are open to any origin; writes and node internals are not. Nothing a node
      // answers may run as a page (the web app, when served, has its own policy).
      const block = await fetch(`${holder.info.http}/ipfs/${cid.toString()}`, { method: 'HEAD' })
      assert.equal(block.headers.get('access-control-allow-origin'), '*')
      assert.equal(block.headers.get('referrer-policy'), 'no-referrer')
      assert.match(block.headers.get('content-security-policy') ?? '', /default-src 'none'/)
      const metrics = await fetch(`${holder.info.http}/metrics`)
      await metrics.arrayBuffer()
      assert.equal(metrics.headers.get('access-control-allow-origin'), null)
      // A node started without the web app has no pages.
      assert.equal((await fetch(`${holder.info.http}/`)).status, 404)
    } finally {
      await Promise.all(nodes.map(async n => { await n.stop(); await rm(n.info.dataDir, { recursive: true, force: true }) }))
    }
  })

  it('roots: each object is announced once, by its manifest CID; its other blocks only through the holders\' records, and a reader that knows none of the holders still gets it', async () => {
    const nodes = await spawnNodes(4)
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-roots-'))
    try {
      // The first node (everyone's bootstrap) takes no part in the upload: it holds nothing.
      const [outsider, ...holders] = nodes as [SpawnedNode, ...SpawnedNode[]]
      const writer = await Client.create({ peers: holders.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http })), workers: 0 })
      const data = new Uint8Array(randomBytes(3 * 1024 * 1024 + 5))
      let put: Awaited<ReturnType<Client['put']>>
      try {
        put = await writer.put((async function * () { yield data })(), { k: 2, m: 1 })
      } finally {
        await writer.close()
      }
      const record = decodePlacementRecord(new Uint8Array(await (await fetch(`${holders[0]!.info.http}/api/v1/objects/${put.manifestCid}/placement`)).arrayBuffer()))
      const manifestHolders = record.manifest.nodes
      const provides = async (n: SpawnedNode): Promise<number> => {
        const text = await (await fetch(`${n.info.http}/metrics`)).text()
        return [...text.matchAll(/^p2pdv_dht_provides_total\{result="[a-z]+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
      }

      // The outsider finds the manifest's holders through the DHT (announcing is asynchronous).
      let found: string[] = []
      for (let i = 0; i < 60 && !manifestHolders.every(h => found.includes(h)); i++) {
        const res = await fetch(`${outsider.info.http}/routing/v1/providers/${put.manifestCid}`)
        found = (await res.json() as { Providers: Array<{ ID: string }> }).Providers.map(p => p.ID)
        if (!manifestHolders.every(h => found.includes(h))) await new Promise(resolve => setTimeout(resolve, 250))
      }
      assert.deepEqual(manifestHolders.filter(h => !found.includes(h)), [], 'every holder of the manifest is found on the DHT')
      // One announcement per holder of the manifest and none for the object's other blocks:
      // checked after more than the provide queue's quiet spell, when they would have gone out.
      await new Promise(resolve => setTimeout(resolve, 1500))
      for (const n of holders) assert.equal(await provides(n), manifestHolders.includes(n.info.peerId) ? 1 : 0, `announcements made by ${n.info.peerId}`)

      // A holder answers routing queries for a data block from the record: all its holders.
      const block = record.stripes[0]!.blocks[0]!
      const answer = await (await fetch(`${holders[0]!.info.http}/routing/v1/providers/${block.cid.toString()}`)).json() as { Providers: Array<{ ID: string, Addrs: string[] }> }
      assert.deepEqual(new Set(answer.Providers.map(p => p.ID)), new Set(block.nodes))
      assert.ok(answer.Providers.every(p => p.Addrs.some(a => a.endsWith('/http'))), 'with their HTTP data planes')

      // A reader that knows only the outsider reads the object bit-exact.
      const reader = await Client.create({ peers: [{ peerId: outsider.info.peerId, multiaddrs: outsider.info.multiaddrs, http: outsider.info.http }], workers: 0 })
      try {
        const out = join(dir, 'out.bin')
        await reader.getToFile(put.capability, out)
        assert.deepEqual(new Uint8Array(await readFile(out)), data)
      } finally {
        await reader.close()
      }
    } finally {
      await Promise.all(nodes.map(async n => { await n.stop(); await rm(n.info.dataDir, { recursive: true, force: true }) }))
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('upload slots held by idle bodies (issue 15)', () => {
  let node: SpawnedNode
  before(async () => {
    // A grace longer than the test: the node's own sweep never cuts the stalled bodies here, so
    // only an eviction can free a slot.
    node = await spawnNode({ args: ['--upload-grace', '300'] })
  })
  after(async () => {
    await node?.stop()
    if (node !== undefined) await rm(node.info.dataDir, { recursive: true, force: true })
  })

  it('an admitted upload takes the slot of the idlest body when all 64 are held; the others stay; strangers evict no one', { timeout: 120_000 }, async () => {
    const grant = await testGrant(node.info.peerId)
    const held = new Uint8Array(randomBytes(64))
    const u = new URL(`${node.info.http}/ipfs/${(await blockCid(held)).toString()}`)
    const stalled = await Promise.all(Array.from({ length: MAX_CONCURRENT_UPLOADS }, async () => {
      const socket = connect(Number(u.port), u.hostname)
      await new Promise<void>(resolve => socket.once('connect', resolve))
      const answer = answerOf(socket)
      let answered = false
      void answer.then(() => { answered = true })
      socket.write(`PUT ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/vnd.ipld.raw\r\nAuthorization: ${grant.authorization}\r\nContent-Length: 900000\r\n\r\nx`)
      return { socket, answer, answered: () => answered }
    }))
    try {
      // Requests without a grant, for longer than a body needs to count as idle: each is refused
      // (503 while every held body is fresh, 401 once one is idle and the grant is checked first;
      // which one depends on timing) and none takes a slot: no held body is cut.
      const refusals = new Set<string>()
      const until = Date.now() + 3 * EVICT_IDLE_MS / 2
      while (Date.now() < until) {
        const r = await headerOnlyPut(u.toString(), 10)
        refusals.add(`${r.status} ${r.code}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      assert.deepEqual([...refusals].filter(r => r !== '503 ERR_BUSY' && r !== '401 ERR_GRANT_REQUIRED'), [])
      assert.equal(stalled.filter(s => s.answered()).length, 0, 'a stranger evicted a held body')
      // An upload with a grant gets through once a held body has been idle long enough.
      const fresh = new Uint8Array(randomBytes(100))
      const freshUrl = `${node.info.http}/ipfs/${(await blockCid(fresh)).toString()}`
      let code = 0
      for (let i = 0; i < 100 && code !== 201; i++) {
        await new Promise(resolve => setTimeout(resolve, 200))
        code = await status(freshUrl, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization: grant.authorization }, body: fresh as Uint8Array<ArrayBuffer> })
      }
      assert.equal(code, 201)
      // It took one slot, the idlest: one stalled body was cut with a code, the others are still read.
      await new Promise(resolve => setTimeout(resolve, 500))
      const cut = stalled.filter(s => s.answered())
      assert.equal(cut.length, 1)
      assert.deepEqual(await cut[0]!.answer, { status: 408, code: 'ERR_UPLOAD_STALLED' })
      // Strangers still cannot evict anyone.
      assert.equal((await headerOnlyPut(u.toString(), 10)).status, 401)
      assert.equal(stalled.filter(s => s.answered()).length, 1)
    } finally {
      for (const s of stalled) s.socket.destroy()
    }
  })
})

/** The status and error code of the one answer a raw socket gets before the node closes it. */
async function answerOf (socket: Socket): Promise<{ status: number, code: string }> {
  let text = ''
  socket.on('data', d => { text += String(d) })
  await new Promise<void>(resolve => socket.once('close', () => resolve()))
  const [head, body] = text.split('\r\n\r\n')
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]), code: (JSON.parse(body === undefined || body === '' ? '{}' : body) as { code: string }).code }
}

/** Sends only the request head of a PUT with this Content-Length; resolves with the answer. */
async function headerOnlyPut (url: string, length: number): Promise<{ status: number, code: string }> {
  const u = new URL(url)
  const socket = connect(Number(u.port), u.hostname)
  socket.write(`PUT ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/vnd.ipld.raw\r\nContent-Length: ${length}\r\n\r\n`)
  let text = ''
  for await (const chunk of socket) {
    text += String(chunk)
    const [head, body] = text.split('\r\n\r\n')
    const len = /content-length: (\d+)/i.exec(head ?? '')
    if (body !== undefined && len !== null && Buffer.byteLength(body) >= Number(len[1])) break
  }
  socket.destroy()
  const [head, body] = text.split('\r\n\r\n')
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]), code: (JSON.parse(body ?? '{}') as { code: string }).code }
}

// Issue 16 part 3, hot videos spread: 3 node processes with short hot-copy windows. An object is
// stored on one node only. A flood of block GETs from one client (127.0.0.1) makes no copies
// (per-client cap); many clients (127.0.0.2…, loopback addresses) asking for its blocks make the
// holder copy them to another node and publish a signed hot-copy record: the record lists the new
// holder, which serves the blocks; a forged record is refused. Once the demand stops, a `cold`
// version says so and the new holder deletes its copies.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Client, type PeerInfo } from '@p2pdv/sdk'
import { parseCid } from '@p2pdv/core'
import { decodeHotCopyRecordAsync, encodeHotCopyRecord, signHotCopyRecord, type HotCopyRecord } from '@p2pdv/core/placement'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

// Hot at 20 weighted GETs per 2 s window, one client counting at most 5: four clients at least.
const HOT_ARGS = ['--no-repair', '--hot-threshold', '20', '--hot-client-cap', '5', '--hot-window', '2', '--hot-cold-after', '1', '--hot-interval', '0.3', '--hot-copies', '1']
const peersOf = (nodes: SpawnedNode[]): PeerInfo[] => nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http }))

/** GETs a URL from a given local (loopback) address: the node sees that client address. */
async function getFrom (url: string, localAddress = '127.0.0.1'): Promise<{ status: number, body: Buffer }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, res => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

async function hotRecords (node: SpawnedNode, object: string): Promise<HotCopyRecord[]> {
  const res = await fetch(`${node.info.http}/api/v1/objects/${object}/hot`)
  assert.equal(res.status, 200)
  const body = await res.json() as { records: string[] }
  return await Promise.all(body.records.map(async r => await decodeHotCopyRecordAsync(new Uint8Array(Buffer.from(r, 'base64')))))
}

async function until<T> (what: string, probe: () => Promise<T | undefined>, during?: () => Promise<void>): Promise<T> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    await during?.()
    const v = await probe()
    if (v !== undefined) return v
    await sleep(200)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('hot copies (3 nodes, one holder)', () => {
  const nodes: SpawnedNode[] = []
  let object: string
  let blocks: string[]
  let holder: SpawnedNode

  before(async () => {
    nodes.push(await spawnNode({ args: HOT_ARGS }))
    while (nodes.length < 3) nodes.push(await spawnNode({ args: HOT_ARGS, bootstrap: [nodes[0]!.info.multiaddrs[0]!] }))
    const client = await Client.create({ peers: peersOf(nodes), workers: 0 })
    try {
      // One data block and the manifest, one replica each: at most two of the three nodes hold
      // anything, so at least one is free to take copies.
      const put = await client.put((async function * () { yield randomBytes(200 * 1024) })(), { replicas: 1 })
      const report = await client.check(put.capability)
      object = report.object
      // The node holding the most blocks of the object; the blocks it holds.
      const held = new Map<string, string[]>()
      for (const b of report.blocks) for (const h of b.holders) held.set(h, [...held.get(h) ?? [], b.cid])
      const [holderId, its] = [...held].sort((a, b) => b[1].length - a[1].length)[0]!
      holder = nodes.find(n => n.info.peerId === holderId)!
      blocks = its
      assert.ok(held.size < nodes.length)
    } finally {
      await client.close()
    }
  })
  after(async () => { await Promise.all(nodes.map(async n => { await n.stop() })) })

  it('a flood from one client makes no copies', async () => {
    for (let i = 0; i < 200; i++) assert.equal((await getFrom(`${holder.info.http}/ipfs/${blocks[i % blocks.length]!}`)).status, 200)
    await sleep(1500) // several passes of the hot-copy check
    assert.deepEqual(await hotRecords(holder, object), [])
    const status = await (await fetch(`${holder.info.http}/api/v1/status`)).json() as { hot: { demand: { capped: number }, spread: number } }
    assert.ok(status.hot.demand.capped >= 150, `${JSON.stringify(status.hot)}: `+'the client\'s requests beyond its cap were not counted')
    assert.equal(status.hot.spread, 0)
  })

  it('many clients make the holder copy the blocks to another node, which serves them; cold again, the copies go', async () => {
    let round = 0
    const demand = async (): Promise<void> => {
      // 8 clients, a few GETs each, every block: like 8 viewers watching.
      round++
      await Promise.all(Array.from({ length: 8 }, async (_, c) => {
        for (const b of blocks) assert.equal((await getFrom(`${holder.info.http}/ipfs/${b}`, `127.0.0.${c + 2}`)).status, 200)
      }))
    }
    const record = await until('a hot-copy record', async () => (await hotRecords(holder, object)).find(r => r.state === 'hot'), demand)
    assert.ok(round >= 1)
    assert.equal(record.object.toString(), object)
    const extra = record.blocks[0]!.nodes[0]!
    assert.notEqual(extra, holder.info.peerId)
    assert.deepEqual(new Set(record.blocks.map(b => b.cid.toString())), new Set(blocks), 'every block of the object held by the hot node is copied')
    const target = nodes.find(n => n.info.peerId === extra)!
    // The new holder serves every block (and knows the record too).
    for (const b of blocks) assert.equal((await getFrom(`${target.info.http}/ipfs/${b}`)).status, 200)
    assert.equal((await hotRecords(target, object)).some(r => r.version === record.version), true)
    // The durable placement record is untouched: hot copies never count for durability.
    const placement = await fetch(`${target.info.http}/api/v1/objects/${object}/placement`)
    assert.equal(placement.status, 404)
    const metrics = await (await fetch(`${holder.info.http}/metrics`)).text()
    assert.match(metrics, new RegExp(`p2pdv_hot_demand\\{object="${object}"\\} \\d+`))
    assert.match(metrics, /p2pdv_hot_objects 1/)

    // Demand stops: a cold version, and the copies are deleted on the new holder.
    const cold = await until('a cold record', async () => (await hotRecords(holder, object)).find(r => r.state === 'cold'))
    assert.ok(cold.version > record.version)
    await until('the copies deleted', async () => (await getFrom(`${target.info.http}/ipfs/${blocks[0]!}`)).status === 404 ? true : undefined)
  })

  it('refuses a forged or malformed hot-copy record with its code', async () => {
    const other = nodes.find(n => n !== holder)!
    const key = await generateKeyPair('Ed25519')
    const forger = await generateKeyPair('Ed25519')
    const now = Date.now()
    const forged = await signHotCopyRecord({ v: 1, object: parseCid(object), version: 99, time: now, expires: now + 60_000, state: 'hot', blocks: [{ cid: parseCid(blocks[0]!), size: 1, nodes: [other.info.peerId] }] },
      key.publicKey.raw, async p => await forger.sign(p))
    const put = async (body: Uint8Array): Promise<{ status: number, code: string }> => {
      const res = await fetch(`${other.info.http}/api/v1/objects/${object}/hot`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.dag-cbor' }, body: Buffer.from(body) })
      return { status: res.status, code: (await res.json() as { code: string }).code }
    }
    assert.deepEqual(await put(encodeHotCopyRecord(forged)), { status: 400, code: 'ERR_HOT_COPY_SIGNATURE' })
    assert.deepEqual(await put(new Uint8Array([0xa1, 0x61, 0x76, 0x01])), { status: 400, code: 'ERR_HOT_COPY_MALFORMED' })
    const honest = await signHotCopyRecord({ ...forged, version: 1 }, key.publicKey.raw, async p => await key.sign(p))
    // Signed right, but the block is not stored there: nothing is claimed.
    if ((await getFrom(`${other.info.http}/ipfs/${blocks[0]!}`)).status === 404) assert.deepEqual(await put(encodeHotCopyRecord(honest)), { status: 409, code: 'ERR_HOT_COPY_NOT_HELD' })
  })
})

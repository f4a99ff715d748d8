// ObjectReader's placement-record lookup against bare node:http servers on 127.0.0.1: a node that
// answers with more bytes than any record may have is refused without being read to the end,
// and a valid record from another node is still found.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { blockCid, generateContentKey } from '@p2pdv/core'
import { merkleRoot } from '@p2pdv/core/audit'
import { encodePlacementRecord, MAX_PLACEMENT_BYTES, placementOwnerKey, signPlacementRecord, type PlacementRecord } from '@p2pdv/core/placement'
import { BlockFetcher } from '../src/block-fetcher.ts'
import { getBytes } from '@p2pdv/node-client/transport'
import { ObjectReader } from '../src/object-reader.ts'
import { PeerSet, type PeerInfo } from '../src/peers.ts'

const PEERS = ['12D3KooWLRPJAA5o6aHxgB5sMQSHa4dPjmqmW5Mce9L2X3Yd6FwB', '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN']

async function record (): Promise<PlacementRecord> {
  const manifest = new Uint8Array([9])
  const block = new Uint8Array(100).fill(1)
  const owner = placementOwnerKey(generateContentKey())
  return await signPlacementRecord({
    v: 1,
    object: await blockCid(manifest),
    version: 1,
    time: 1_700_000_000_000,
    scheme: { type: 'replicas', replicas: 1 },
    manifest: { cid: await blockCid(manifest), size: 1, root: merkleRoot(manifest), nodes: [PEERS[1]!] },
    stripes: [{ data: 1, blocks: [{ cid: await blockCid(block), size: 100, root: merkleRoot(block), nodes: [PEERS[1]!] }] }],
    owner: owner.publicKey
  }, owner.publicKey, owner.sign)
}

describe('ObjectReader placement record lookup', () => {
  let good: PlacementRecord
  let sentOversized = 0
  const servers: Server[] = []
  const peers: PeerInfo[] = []
  before(async () => {
    good = await record()
    const body = encodePlacementRecord(good)
    const handlers = [
      // Announces and starts sending a body larger than any record; the reader must hang up.
      (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-length': MAX_PLACEMENT_BYTES + 1 })
        const chunk = new Uint8Array(64 * 1024)
        const pump = (): void => { while (sentOversized < MAX_PLACEMENT_BYTES + 1 && res.write(chunk)) sentOversized += chunk.byteLength; if (sentOversized < MAX_PLACEMENT_BYTES + 1) res.once('drain', pump) }
        pump()
        res.on('error', () => {})
      },
      (_req: unknown, res: import('node:http').ServerResponse) => { res.writeHead(200, { 'content-type': 'application/vnd.ipld.dag-cbor', 'content-length': body.byteLength }).end(body) }
    ]
    for (const [i, h] of handlers.entries()) {
      const s = createServer(h)
      await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
      servers.push(s)
      peers.push({ peerId: PEERS[i]!, multiaddrs: [], http: `http://127.0.0.1:${(s.address() as { port: number }).port}` })
    }
  })
  after(() => { for (const s of servers) { s.closeAllConnections(); s.close() } })

  it('refuses an oversized answer before reading it all, and takes the valid record from another node', async () => {
    for (const get of [getBytes, undefined]) {
      const set = new PeerSet(peers)
      const reader = new ObjectReader(new BlockFetcher(set, get === undefined ? {} : { get }), set)
      const found = await reader.placementRecord(good.object)
      assert.ok(found !== undefined, `found with ${get === undefined ? 'fetch' : 'node:http'}`)
      assert.deepEqual(encodePlacementRecord(found), encodePlacementRecord(good))
    }
    assert.ok(sentOversized < MAX_PLACEMENT_BYTES, 'the oversized body was not read to its end')
  })

  it('finds nothing when the only node answers with an oversized body', async () => {
    const set = new PeerSet([peers[0]!])
    const reader = new ObjectReader(new BlockFetcher(set, { get: getBytes }), set)
    assert.equal(await reader.placementRecord(good.object), undefined)
  })
})

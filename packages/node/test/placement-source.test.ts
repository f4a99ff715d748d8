// How the auditor follows placement records (node/src/audit/placement-source.ts): it replaces the
// holders it audits only with a record that comes later in comparePlacement's order, so after two
// repairs wrote the same version it follows the tie's winner, like every holder does, whichever
// copy it met first. The peer is a bare node:http server on 127.0.0.1 serving signed records.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import pino from 'pino'
import { blockCid, generateContentKey, P2pdvError } from '@p2pdv/core'
import { comparePlacement, encodePlacementRecord, placementOwnerKey, signPlacementRecord, type BlockPlacement, type PlacementRecord } from '@p2pdv/core/placement'
import { PlacementSourceErrorCode, PlacementTargetSource, recordBlocks } from '../src/audit/placement-source.ts'
import { AuditStoreErrorCode, type AuditStore } from '../src/audit/store.ts'

const A = '12D3KooWLRPJAA5o6aHxgB5sMQSHa4dPjmqmW5Mce9L2X3Yd6FwB'
const B = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const C = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

describe('auditor placement source', async () => {
  const owner = placementOwnerKey(generateContentKey())
  const data = new Uint8Array([7, 7, 7])
  const placed = async (b: Uint8Array, nodes: string[]): Promise<BlockPlacement> => ({ cid: await blockCid(b), size: b.byteLength, root: new Uint8Array(32), nodes })
  const v1 = await signPlacementRecord({
    v: 1, object: await blockCid(new Uint8Array([1])), version: 1, time: 1, scheme: { type: 'replicas', replicas: 2 },
    manifest: await placed(new Uint8Array([1]), [A, B]), stripes: [{ data: 1, blocks: [await placed(data, [A, B])] }], owner: owner.publicKey
  }, owner.publicKey, owner.sign)
  /** Version 2 written by a repair that moved the data block from B to `to`. */
  const repaired = async (to: string): Promise<PlacementRecord> => {
    const key = await generateKeyPair('Ed25519')
    return await signPlacementRecord({ ...v1, version: 2, time: 2, stripes: [{ data: 1, blocks: [{ ...v1.stripes[0]!.blocks[0]!, nodes: [A, to] }] }] }, key.publicKey.raw, async p => await key.sign(p))
  }
  const x = await repaired(C)
  const y = await repaired(B)
  const [winner, loser] = comparePlacement(x, y) > 0 ? [x, y] : [y, x]

  /** What the peer lists and serves. */
  let served: PlacementRecord | undefined
  /** Listed first when set: an object whose record the peer sends as an endless body. */
  let endless: string | undefined
  const server = createServer((req, res) => {
    const r = served
    if (r === undefined) { res.writeHead(404).end(); return }
    if (req.url === '/api/v1/placements') {
      const listed = [{ object: r.object.toString(), version: r.version, time: r.time, sig: Buffer.from(r.sig).toString('base64') }]
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ objects: endless === undefined ? listed : [{ object: endless, version: 1 }, ...listed] }))
    } else if (endless !== undefined && req.url === `/api/v1/objects/${endless}/placement`) {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.dag-cbor' })
      const chunk = Buffer.alloc(64 * 1024)
      const pump = (): void => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump) }
      pump()
    } else if (req.url === `/api/v1/objects/${r.object.toString()}/placement`) {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.dag-cbor' }).end(encodePlacementRecord(r))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  after(() => { server.closeAllConnections(); server.close() })

  /** A source, and the holders it last synced into its store for the data block. */
  const harness = (): { source: PlacementTargetSource, holders: () => string[] | undefined } => {
    let holders: string[] | undefined
    const store = { syncRecord: (_object: string, _source: string, blocks: Array<{ cid: string, holders: string[] }>) => { holders = blocks.find(b => b.cid === v1.stripes[0]!.blocks[0]!.cid.toString())?.holders } }
    const source = new PlacementTargetSource({ store: store as unknown as AuditStore, peers: async () => [url], log: pino({ level: 'silent' }) })
    return { source, holders: () => holders }
  }

  it('takes a newer version, and not an older one after it', () => {
    const { source, holders } = harness()
    assert.equal(source.ingest(winner), 2)
    assert.deepEqual(holders(), winner.stripes[0]!.blocks[0]!.nodes)
    assert.equal(source.ingest(v1), 0)
    assert.deepEqual(holders(), winner.stripes[0]!.blocks[0]!.nodes)
  })

  it('after two repairs of one version, follows the winner from a peer\'s listing, whichever it met first', async () => {
    const { source, holders } = harness()
    assert.equal(source.ingest(loser), 2)
    assert.deepEqual(holders(), loser.stripes[0]!.blocks[0]!.nodes)
    served = winner
    assert.deepEqual(await source.sync(AbortSignal.timeout(5000)), { records: 1, blocks: 2 })
    assert.deepEqual(holders(), winner.stripes[0]!.blocks[0]!.nodes)
    // The loser, listed later by some other peer, changes nothing.
    served = loser
    assert.deepEqual(await source.sync(AbortSignal.timeout(5000)), { records: 0, blocks: 0 })
    assert.deepEqual(holders(), winner.stripes[0]!.blocks[0]!.nodes)
  })

  it('refuses a record that lists one CID with two sizes or roots, and merges the holders of an exact repeat', async () => {
    const block = v1.stripes[0]!.blocks[0]!
    const twice = async (second: BlockPlacement): Promise<PlacementRecord> => await signPlacementRecord({
      ...v1, stripes: [{ data: 1, blocks: [block] }, { data: 1, blocks: [second] }]
    }, owner.publicKey, owner.sign)
    for (const liar of [{ ...block, size: block.size + 1 }, { ...block, root: new Uint8Array(32).fill(1) }]) {
      const record = await twice(liar)
      assert.throws(() => recordBlocks(record), { code: PlacementSourceErrorCode.CONFLICT })
      const { source, holders } = harness()
      assert.throws(() => source.ingest(record), { code: PlacementSourceErrorCode.CONFLICT })
      assert.equal(holders(), undefined)
    }
    const merged = recordBlocks(await twice({ ...block, nodes: [C] }))
    assert.deepEqual(merged.find(b => b.cid === block.cid.toString())?.holders, [A, B, C])
    assert.equal(merged.length, 2)
  })

  it('counts what a peer lists against that peer, and tries a record refused for a full source again at the next sync', async () => {
    const calls: Array<{ object: string, source: string }> = []
    let full = true
    const store = {
      syncRecord: (object: string, source: string) => {
        calls.push({ object, source })
        if (full) throw new P2pdvError(AuditStoreErrorCode.SOURCE_FULL, 'full')
      }
    }
    const source = new PlacementTargetSource({ store: store as unknown as AuditStore, peers: async () => [url], log: pino({ level: 'silent' }) })
    served = winner
    assert.deepEqual(await source.sync(AbortSignal.timeout(5000)), { records: 0, blocks: 0 })
    full = false
    assert.deepEqual(await source.sync(AbortSignal.timeout(5000)), { records: 1, blocks: 2 })
    assert.deepEqual(calls, [{ object: winner.object.toString(), source: url }, { object: winner.object.toString(), source: url }])
    // Taken: not fetched again.
    assert.deepEqual(await source.sync(AbortSignal.timeout(5000)), { records: 0, blocks: 0 })
    assert.equal(calls.length, 2)
  })

  it('skips a record a peer sends as an endless body (refused at the record limit) and takes the next one it lists', async () => {
    const { source, holders } = harness()
    served = winner
    endless = (await blockCid(new Uint8Array([2]))).toString()
    try {
      assert.deepEqual(await source.sync(AbortSignal.timeout(20_000)), { records: 1, blocks: 2 })
      assert.deepEqual(holders(), winner.stripes[0]!.blocks[0]!.nodes)
    } finally {
      endless = undefined
    }
  })
})

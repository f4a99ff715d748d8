// Readers and hot copies (sdk/src/hot-holders.ts, BlockFetcher `first`): a reader learns extra
// holders from verified hot-copy records (forged ones and unknown peers are ignored, a cold
// version removes them) and spreads its reads of those blocks over every holder.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import { blockCid, generateContentKey, type CID, type Manifest } from '@p2pdv/core'
import { merkleRoot } from '@p2pdv/core/audit'
import { encodeHotCopyRecord, placementOwnerKey, signHotCopyRecord, signPlacementRecord } from '@p2pdv/core/placement'
import { BlockFetcher, type GetBlock } from '../src/block-fetcher.ts'
import { HotHolders } from '../src/hot-holders.ts'
import { ObjectReader } from '../src/object-reader.ts'
import { PeerSet, type PeerInfo } from '../src/peers.ts'

const IDS = ['12D3KooWLRPJAA5o6aHxgB5sMQSHa4dPjmqmW5Mce9L2X3Yd6FwB', '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', '12D3KooWHPbX8VJkC1H6eQRe7bDc4MNxsdDzPmtaEhQbnSRiFZGv']
const STRANGER = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const peers: PeerInfo[] = IDS.map((peerId, i) => ({ peerId, multiaddrs: [], http: `http://node${i}.test` }))
const secret = ed25519.utils.randomSecretKey()

async function listing (object: CID, blocks: CID[], state: 'hot' | 'cold', version: number, signWith = secret, nodes = [IDS[1]!, IDS[2]!, STRANGER]): Promise<Uint8Array> {
  const now = Date.now()
  const r = await signHotCopyRecord({ v: 1, object, version, time: now, expires: now + 60_000, state, blocks: blocks.map(cid => ({ cid, size: 3, nodes })) },
    ed25519.getPublicKey(secret), p => ed25519.sign(p, signWith))
  return new TextEncoder().encode(JSON.stringify({ records: [Buffer.from(encodeHotCopyRecord(r)).toString('base64')] }))
}

describe('HotHolders', () => {
  it('learns live extra holders from a verified record, ignores forged ones, and forgets them when cold', async () => {
    const object = await blockCid(new Uint8Array([0]))
    const block = await blockCid(new Uint8Array([1, 2, 3]))
    let body = await listing(object, [block], 'hot', 1, ed25519.utils.randomSecretKey()) // forged
    const get: GetBlock = async url => { assert.match(url, new RegExp(`/api/v1/objects/${object.toString()}/hot$`)); return { status: 200, body } }
    const set = new PeerSet(peers)
    const hot = new HotHolders(get, set)
    await hot.lookup(object, [peers[0]!])
    assert.deepEqual(hot.holders(block), [], 'a forged record adds nothing')
    body = await listing(object, [block], 'hot', 2)
    assert.equal(hot.due(object), false, 'not asked again at once')
    await hot.lookup(object, [peers[0]!], undefined, Date.now() + 31_000)
    assert.deepEqual(hot.holders(block).sort(), [IDS[1]!, IDS[2]!].sort(), 'a peer the reader does not know is not used')
    body = await listing(object, [block], 'cold', 3)
    await hot.lookup(object, [peers[0]!], undefined, Date.now() + 62_000)
    assert.deepEqual(hot.holders(block), [])
  })

  it('spreads reads over every holder, skipping those backing off', async () => {
    const set = new PeerSet(peers)
    const hot = new HotHolders(async () => ({ status: 404 }), set)
    const counts = new Map<string, number>()
    for (let i = 0; i < 300; i++) {
      const id = hot.pick(await blockCid(new Uint8Array([i & 255, i >> 8])), IDS)!
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    for (const id of IDS) assert.ok((counts.get(id) ?? 0) >= 50, `${id} got ${counts.get(id) ?? 0} of 300`)
    set.recordFailure(IDS[0]!)
    for (let i = 0; i < 50; i++) assert.notEqual(hot.pick(await blockCid(new Uint8Array([i])), IDS), IDS[0])
  })

  it('BlockFetcher asks the `first` node first and verifies its bytes', async () => {
    const bytes = new Uint8Array([7, 7, 7])
    const cid = await blockCid(bytes)
    const asked: string[] = []
    const set = new PeerSet(peers)
    const fetcher = new BlockFetcher(set, { get: async url => { asked.push(new URL(url).host); return { status: 200, body: bytes } } })
    for (const first of [IDS[2]!, IDS[1]!]) {
      asked.length = 0
      const got = await fetcher.fetch(cid, undefined, new Set(IDS), { first })
      assert.equal(got.peerId, first)
      assert.deepEqual(asked, [new URL(peers[IDS.indexOf(first)]!.http).host])
    }
  })

  it('drops a node whose bytes fail their CID: no longer an extra holder, and a later record does not bring it back', async () => {
    const object = await blockCid(new Uint8Array([0]))
    const block = await blockCid(new Uint8Array([1, 2, 3]))
    const body = await listing(object, [block], 'hot', 1)
    const hot = new HotHolders(async () => ({ status: 200, body }), new PeerSet(peers))
    await hot.lookup(object, [peers[0]!])
    hot.drop(IDS[2]!)
    assert.deepEqual(hot.holders(block), [IDS[1]!])
    await hot.lookup(object, [peers[0]!], undefined, Date.now() + 31_000)
    assert.deepEqual(hot.holders(block), [IDS[1]!])
    for (let i = 0; i < 20; i++) assert.notEqual(hot.pick(block, IDS.slice(1)), IDS[2])
  })
})

describe('ObjectReader and hot copies', () => {
  it('counts bytes served by hot copies apart from the holders, and drops a hot copy that serves wrong bytes', async () => {
    const data = new Uint8Array(100).fill(5)
    const manifestBytes = new Uint8Array([9])
    const object = await blockCid(manifestBytes)
    const cid = await blockCid(data)
    const owner = placementOwnerKey(generateContentKey())
    // IDS[0] holds the block durably; IDS[1] (honest) and IDS[2] (hostile: junk bytes) hold hot copies.
    const record = await signPlacementRecord({
      v: 1, object, version: 1, time: Date.now(), scheme: { type: 'replicas', replicas: 1 },
      manifest: { cid: object, size: 1, root: merkleRoot(manifestBytes), nodes: [IDS[0]!] },
      stripes: [{ data: 1, blocks: [{ cid, size: 100, root: merkleRoot(data), nodes: [IDS[0]!] }] }],
      owner: owner.publicKey
    }, owner.publicKey, owner.sign)
    const hotBody = await listing(object, [cid], 'hot', 1, secret, [IDS[1]!, IDS[2]!])
    const get: GetBlock = async url => {
      if (url.endsWith('/hot')) return { status: 200, body: hotBody }
      if (!url.includes('/ipfs/')) return { status: 404 }
      return { status: 200, body: new URL(url).host === 'node2.test' ? new Uint8Array(100).fill(6) : data }
    }
    const set = new PeerSet(peers)
    const reader = new ObjectReader(new BlockFetcher(set, { get }), set)
    // A file manifest of one chunk (100 bytes sealed), which the record matches.
    const manifest = { v: 1, type: 'file', chunks: [{ cid, size: 100 - 16 }] } as unknown as Manifest
    await reader.register(object, manifest, undefined, Promise.resolve(undefined), record)
    for (let i = 0; i < 100 && reader.hotHolders(cid).length < 2; i++) await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(reader.hotHolders(cid).sort(), [IDS[1]!, IDS[2]!].sort())

    // Only the hostile copy is not backing off: it is asked first, fails the CID, the holder answers.
    set.recordFailure(IDS[0]!)
    set.recordFailure(IDS[1]!)
    assert.deepEqual(await reader.fetch(cid), data)
    assert.deepEqual(reader.hotHolders(cid), [IDS[1]!], 'the hostile copy is dropped')
    assert.equal(reader.hotCopyBytes, 0, 'bytes from the durable holder are not hot-copy bytes')

    // The honest copy, once healthy (and the holder busy), serves the block: counted as from a hot copy.
    set.recordSuccess(IDS[1]!, 1)
    set.recordFailure(IDS[0]!)
    assert.deepEqual(await reader.fetch(cid), data)
    assert.equal(reader.hotCopyBytes, 100)
    assert.equal(reader.hotCopyBlocks, 1)
  })
})

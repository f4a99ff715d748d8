// ObjectReader against a bare node:http server on 127.0.0.1: when a block's holder is gone and the
// other blocks of its stripe fail once (a busy node answering 503), the parity path takes a second
// round after a pause and rebuilds the block, instead of reporting it lost.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { blockCid, type CID, type FileManifest } from '@p2pdv/core'
import { encodeStripe } from '@p2pdv/core/erasure'
import { BlockFetcher } from '../src/block-fetcher.ts'
import { ObjectReader } from '../src/object-reader.ts'
import { PeerSet } from '../src/peers.ts'

const PEER = '12D3KooWLRPJAA5o6aHxgB5sMQSHa4dPjmqmW5Mce9L2X3Yd6FwB'

describe('ObjectReader parity path under transient failures', () => {
  let server: Server
  let http: string
  const blocks = new Map<string, Uint8Array>()
  /** Requests answered 503 before a CID is served (per CID). */
  let busyFirst = 0
  const served = new Map<string, number>()
  let manifest: FileManifest
  let lost: CID
  let lostBytes: Uint8Array

  before(async () => {
    const data = [new Uint8Array(randomBytes(1000)), new Uint8Array(randomBytes(700))]
    const [parity] = encodeStripe({ k: 2, m: 1 }, data)
    const cids = await Promise.all(data.map(async d => await blockCid(d)))
    const parityCid = await blockCid(parity!)
    lost = cids[0]!
    lostBytes = data[0]!
    // The node keeps the second data block and the parity block; the first is lost everywhere.
    blocks.set(cids[1]!.toString(), data[1]!)
    blocks.set(parityCid.toString(), parity!)
    manifest = {
      v: 1,
      type: 'file',
      objectId: new Uint8Array(16),
      // Plaintext sizes: each stored block is its chunk sealed (+ a 16-byte AEAD tag).
      size: 1668,
      chunkSize: 984,
      sha256: new Uint8Array(32),
      chunks: [{ cid: cids[0]!, size: 984 }, { cid: cids[1]!, size: 684 }],
      erasure: { k: 2, m: 1, stripes: [{ parity: [parityCid] }] }
    }
    server = createServer((req, res) => {
      const m = /^\/ipfs\/([a-z0-9]+)\?format=raw$/.exec(req.url ?? '')
      const bytes = m === null ? undefined : blocks.get(m[1]!)
      if (m === null || bytes === undefined) { res.writeHead(404).end(); return }
      const n = served.get(m[1]!) ?? 0
      served.set(m[1]!, n + 1)
      if (n < busyFirst) { res.writeHead(503).end(); return }
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw', 'content-length': bytes.byteLength }).end(bytes)
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    http = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  after(() => { server.closeAllConnections(); server.close() })

  const read = async (): Promise<Uint8Array> => {
    const set = new PeerSet([{ peerId: PEER, multiaddrs: [], http }])
    const reader = new ObjectReader(new BlockFetcher(set, {}), set, { hedgeMs: 50 })
    await reader.register(await blockCid(new Uint8Array([1])), manifest)
    return await reader.fetch(lost, AbortSignal.timeout(30_000))
  }

  it('rebuilds the lost block when the stripe\'s other blocks answer only on the second round', async () => {
    busyFirst = 1
    served.clear()
    assert.deepEqual(await read(), lostBytes)
    // Both sources were asked twice: refused once, then served.
    assert.deepEqual([...served.values()], [2, 2])
  })

  it('still reports the block lost, with a code, when the sources never answer', async () => {
    busyFirst = 1_000
    served.clear()
    await assert.rejects(read(), { code: 'ERR_ERASURE_TOO_FEW_SHARDS' })
  })
})

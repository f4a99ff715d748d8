// Who repairs an object when the holder ahead of this node in the repair order lacks its record,
// or claims a newer one: a RepairWorker (real placement store in a temp dir) against a fake holder
// over real HTTP on 127.0.0.1, which answers status, HEAD and the placement routes as told.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { pino } from 'pino'
import { blockCid, generateContentKey } from '@p2pdv/core'
import { decodePlacementRecord, encodePlacementRecord, placementOwnerKey, signPlacementRecord, weightedOrder, type PlacementRecord } from '@p2pdv/core/placement'
import { createMetrics } from '../src/metrics.ts'
import { PlacementStore } from '../src/placement-store.ts'
import { RepairWorker } from '../src/repair.ts'
import type { VerifiedBlockstore } from '../src/verified-blockstore.ts'

type Mode = 'keeps' | 'none' | 'forged-newer'

describe('repair: the holder this node would defer to', () => {
  let dir: string
  let server: Server
  let port: number
  let mode: Mode = 'keeps'
  let record: PlacementRecord
  let forged: Uint8Array
  const received: Uint8Array[] = []
  let gets = 0
  let down = false
  let me: { key: PrivateKey, id: string }
  let first: { key: PrivateKey, id: string }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-handover-'))
    const blocks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7])]
    const object = await blockCid(blocks[0]!)
    // Two node keys; the one first in the object's repair order plays the fake holder.
    const keys = await Promise.all([0, 1].map(async () => { const key = await generateKeyPair('Ed25519'); return { key, id: peerIdFromPrivateKey(key).toString() } }))
    const order = weightedOrder(object.toString(), keys.map(k => ({ peerId: k.id }))).map(h => h.peerId)
    first = keys.find(k => k.id === order[0])!
    me = keys.find(k => k.id === order[1])!
    const owner = placementOwnerKey(generateContentKey())
    const at = async (b: Uint8Array) => ({ cid: await blockCid(b), size: b.byteLength, root: new Uint8Array(32), nodes: [me.id, first.id] })
    const unsigned = { v: 1 as const, object, version: 1, time: 1_700_000_000_000, scheme: { type: 'replicas' as const, replicas: 2 }, manifest: await at(blocks[0]!), stripes: [{ data: 1, blocks: [await at(blocks[1]!)] }], owner: owner.publicKey }
    record = await signPlacementRecord(unsigned, owner.publicKey, owner.sign)
    const sizes = new Map([unsigned.manifest, ...unsigned.stripes[0]!.blocks].map(b => [b.cid.toString(), b.size]))
    // "Version 9", signed by a key that holds nothing of the object: no store may keep it.
    const stranger = await generateKeyPair('Ed25519')
    forged = encodePlacementRecord(await signPlacementRecord({ ...unsigned, version: 9 }, stranger.publicKey.raw, async p => await stranger.sign(p)))
    server = createServer((req, res) => {
      if (req.url === '/api/v1/status' && down) { res.statusCode = 503; res.end(); return }
      if (req.url === '/api/v1/status') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ peerId: first.id })); return }
      if (req.method === 'HEAD' && req.url?.startsWith('/ipfs/') === true) { res.setHeader('content-length', String(sizes.get(req.url.slice(6)) ?? 0)); res.end(); return }
      if (req.url === `/api/v1/objects/${object.toString()}/placement`) {
        if (req.method === 'PUT') {
          const parts: Buffer[] = []
          req.on('data', d => parts.push(d as Buffer))
          req.on('end', () => { received.push(new Uint8Array(Buffer.concat(parts))); mode = 'keeps'; res.statusCode = 201; res.end('{}') })
          return
        }
        gets++
        if (mode === 'none') { res.statusCode = 404; res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ code: 'ERR_NOT_FOUND' })); return }
        res.setHeader('content-type', 'application/vnd.ipld.dag-cbor')
        res.end(Buffer.from(mode === 'keeps' ? encodePlacementRecord(record) : forged))
        return
      }
      res.statusCode = 404
      res.end()
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  after(async () => {
    await new Promise(resolve => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })

  /** A worker on a fresh store holding the record, that knows the fake holder from its peer store. */
  async function worker (): Promise<{ w: RepairWorker, store: PlacementStore }> {
    const store = new PlacementStore({ dir: await mkdtemp(join(dir, 'store-')), peerId: me.id, has: async () => true, log: pino({ level: 'silent' }) })
    await store.open()
    await store.put(record.object, encodePlacementRecord(record))
    const libp2p = { peerStore: { all: async () => [{ id: peerIdFromString(first.id), addresses: [{ multiaddr: multiaddr(`/ip4/127.0.0.1/tcp/${port}/http`) }] }] } } as unknown as Libp2p
    const w = new RepairWorker({
      peerId: me.id,
      privateKey: me.key,
      selfUrl: () => 'http://127.0.0.1:1',
      blockstore: { has: async () => true } as unknown as VerifiedBlockstore,
      placements: store,
      libp2p: () => libp2p,
      intervalMs: 60_000,
      rateBytes: 1 << 20,
      metrics: createMetrics(),
      log: pino({ level: 'silent' })
    })
    return { w, store }
  }

  it('defers to a holder ahead of it that keeps the record, and asks it once per version', async () => {
    mode = 'keeps'
    gets = 0
    const { w } = await worker()
    await w.pass()
    await w.pass()
    assert.equal(w.stats.objectsChecked, 0, 'the first holder repairs, not this node')
    assert.equal(gets, 1, 'the answer is remembered for the version')
    assert.equal(w.stats.recordsHandedOver, 0)
  })

  it('hands its record to a holder ahead of it that has none, then defers to it', async () => {
    mode = 'none'
    received.length = 0
    const { w } = await worker()
    await w.pass()
    assert.equal(w.stats.recordsHandedOver, 1)
    assert.equal(received.length, 1)
    assert.equal(decodePlacementRecord(received[0]!).version, record.version)
    assert.equal(w.stats.objectsChecked, 0)
  })

  it('does not defer to a holder that claims a newer record it cannot show signed, nor keep that record', async () => {
    mode = 'forged-newer'
    const { w, store } = await worker()
    await w.pass()
    assert.equal(w.stats.objectsChecked, 1, 'this node checks the object itself')
    assert.equal(w.stats.backlog, 0, 'and finds both holders with their blocks')
    assert.equal(store.get(record.object.toString())?.version, 1, 'the forged version was not kept')
  })

  it('asks again after the holder was seen down: it may be back without its records', async () => {
    mode = 'keeps'
    down = false
    const { w } = await worker()
    await w.pass()
    assert.equal(w.stats.objectsChecked, 0)
    down = true
    await w.pass()
    assert.equal(w.stats.objectsChecked, 1, 'while it is down, this node checks the object')
    down = false
    mode = 'none'
    await w.pass()
    assert.equal(w.stats.recordsHandedOver, 1, 'back up without the record: handed it again')
    assert.equal(w.stats.objectsChecked, 1)
  })
})

// Nodes behind NAT, on loopback with the node's own libp2p configuration (libp2p-options.ts):
// node C listens on no address at all and reserves a slot on relay node A (`--relay A`); node B,
// which listens on no address either (`--relay auto`: it finds A by itself), reaches C only through `/p2p/A/p2p-circuit/p2p/C` and gets a 256 KiB block from C by bitswap —
// four times the viewers' relay limit, so the node tier is what carried it. A peer that is not a
// node is refused a relayed connection to C. Real TCP, Noise, Yamux and bitswap; the three hosts
// run in this process (no HTTP plane: what is tested is the libp2p path).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { FsBlockstore } from 'blockstore-fs'
import { LevelDatastore } from 'datastore-level'
import { createHeliaLight } from 'helia'
import { createLibp2p } from 'libp2p'
import { blockCid } from '@p2pdv/core'
import { BITSWAP_OPTIONS, libp2pOptions, VIEWER_RELAY_DATA_LIMIT, type RelayMode } from '../src/libp2p-options.ts'
import { AutoRelay, NodePeers } from '../src/nat.ts'

const dirs: string[] = []

const quiet = { info: () => {}, warn: () => {} }

async function makeNode (opts: { relay: RelayMode, listen: boolean, relayServer: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-nat-'))
  dirs.push(dir)
  const datastore = new LevelDatastore(join(dir, 'ds'))
  await datastore.open()
  const helia = withBitswap(withLibp2pLight(
    createHeliaLight({ blockstore: new FsBlockstore(join(dir, 'blocks')), datastore, routers: [] }),
    libp2pOptions(await generateKeyPair('Ed25519'), '127.0.0.1', 0, [], opts.relayServer ? { port: 0 } : undefined, undefined, { relay: opts.relay, listen: opts.listen, nodePeers: new NodePeers() })
  ), BITSWAP_OPTIONS)
  await helia.start()
  // What the node's libp2p plane does with `--relay auto` (components/libp2p-plane.ts).
  const auto = opts.relay.kind === 'auto' ? new AutoRelay({ libp2p: helia.libp2p, listens: opts.listen, reachability: () => undefined, log: quiet }) : undefined
  auto?.start()
  return { helia, libp2p: helia.libp2p, stop: async () => { auto?.stop(); await helia.stop(); await datastore.close() } }
}

type Node = Awaited<ReturnType<typeof makeNode>>

async function until<T> (what: string, f: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('nodes behind NAT: circuit relay between nodes', () => {
  let a: Node, b: Node, c: Node
  before(async () => {
    a = await makeNode({ relay: { kind: 'auto' }, listen: true, relayServer: true })
    const relayAddr = a.libp2p.getMultiaddrs().find(m => !m.toString().includes('/ws'))!.toString()
    c = await makeNode({ relay: { kind: 'via', relay: relayAddr }, listen: false, relayServer: false })
    // B cannot be dialled either (else C, which may dial out, would open a direct connection to
    // it): with `--relay auto` and no listener it finds a relay among its peers by itself.
    b = await makeNode({ relay: { kind: 'auto' }, listen: false, relayServer: false })
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
  })
  after(async () => {
    await Promise.all([a, b, c].map(async n => { await n?.stop() }))
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('C listens on no address, reserves on A and announces only its circuit address; B fetches a block from C through A', async () => {
    const circuit = await until('C\'s circuit address', () => {
      const addrs = c.libp2p.getMultiaddrs().map(m => m.toString())
      return addrs.length > 0 && addrs.every(x => x.includes('/p2p-circuit')) ? addrs[0] : undefined
    })
    assert.ok(circuit.startsWith(a.libp2p.getMultiaddrs()[0]!.toString().split('/p2p/')[0]!), `${circuit} goes through A`)
    assert.ok(circuit.endsWith(`/p2p/${a.libp2p.peerId.toString()}/p2p-circuit/p2p/${c.libp2p.peerId.toString()}`), circuit)

    const bytes = randomBytes(256 * 1024)
    assert.ok(BigInt(bytes.length) > VIEWER_RELAY_DATA_LIMIT, 'more than the viewers\' tier would carry')
    const cid = await blockCid(bytes)
    await c.helia.blockstore.put(cid, bytes)

    // B, with no listener and `--relay auto`, found A as its relay among its peers.
    await until('B\'s circuit address through A', () => b.libp2p.getMultiaddrs().find(m => m.toString().includes(`/p2p/${a.libp2p.peerId.toString()}/p2p-circuit`)))
    const conn = await b.libp2p.dial(multiaddr(circuit))
    assert.equal(conn.remotePeer.toString(), c.libp2p.peerId.toString())
    assert.match(conn.remoteAddr.toString(), /\/p2p-circuit/)
    assert.ok(conn.limits !== undefined, 'a relayed connection is limited')
    const got: unknown = await b.helia.blockstore.get(cid, { signal: AbortSignal.timeout(15_000) })
    const chunks: Uint8Array[] = []
    if (got instanceof Uint8Array) chunks.push(got)
    else for await (const chunk of got as AsyncIterable<Uint8Array>) chunks.push(chunk)
    assert.deepEqual(Buffer.concat(chunks), bytes)
    // Every connection between B and C went through the relay: C cannot be dialled directly.
    const bc = b.libp2p.getConnections(c.libp2p.peerId)
    assert.ok(bc.length > 0 && bc.every(x => x.remoteAddr.toString().includes('/p2p-circuit')), bc.map(x => x.remoteAddr.toString()).join(' '))
    assert.equal(a.libp2p.getConnections(c.libp2p.peerId).every(x => !x.remoteAddr.toString().includes('/p2p-circuit')), true)
  })

  it('a peer that is not a node (no network DHT) is refused a relayed connection to C', async () => {
    const stranger = await createLibp2p({ transports: [tcp(), circuitRelayTransport()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
    try {
      const circuit = c.libp2p.getMultiaddrs().find(m => m.toString().includes('/p2p-circuit'))!
      await assert.rejects(stranger.dial(circuit, { signal: AbortSignal.timeout(10_000) }), (err: Error) => /PERMISSION_DENIED|denied|permission/i.test(`${err.name} ${err.message}`))
    } finally {
      await stranger.stop()
    }
  })
})

// A restarted node comes back where it was: remembered ports, known peers dialled at start.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

const portOf = (url: string): number => Number(new URL(url).port)
const p2pPortOf = (addr: string): number => Number(addr.match(/\/tcp\/(\d+)/)![1])

async function occupy (port: number): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen({ host: '127.0.0.1', port }, resolve) })
  return server
}

async function statusOf (node: SpawnedNode): Promise<{ peerId: string, connectedPeers: number }> {
  return await (await fetch(`${node.info.http}/api/v1/status`)).json() as { peerId: string, connectedPeers: number }
}

describe('node ports across restarts', () => {
  it('a node started with ephemeral ports binds the same HTTP and libp2p ports when restarted on its data dir', async () => {
    let node = await spawnNode()
    try {
      const { http, multiaddrs, dataDir, peerId } = node.info
      await node.kill9()
      node = await spawnNode({ dataDir })
      assert.equal(node.info.peerId, peerId)
      assert.equal(node.info.http, http)
      assert.deepEqual(node.info.multiaddrs, multiaddrs)
      // The viewer relay's WebSockets port is remembered too (P2P delivery, libp2p-options.ts).
      assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'ports.json'), 'utf8')), { http: portOf(http), p2p: p2pPortOf(multiaddrs[0]!), viewer: p2pPortOf(multiaddrs.find(a => a.includes('/ws'))!) })
      // An explicit port wins over the remembered one, and becomes the remembered one.
      await node.stop()
      const free = await occupy(0)
      const explicit = (free.address() as { port: number }).port
      await new Promise(resolve => free.close(resolve))
      node = await spawnNode({ dataDir, args: ['--http-port', String(explicit)] })
      assert.equal(portOf(node.info.http), explicit)
      await node.stop()
      node = await spawnNode({ dataDir })
      assert.equal(portOf(node.info.http), explicit)
    } finally {
      await node.stop()
    }
  })

  it('a remembered port that another process took is replaced by a new one (remembered from then on); a taken explicit port is ERR_PORT_IN_USE', async () => {
    let node = await spawnNode()
    let squatter: Server | undefined
    try {
      const { http, dataDir } = node.info
      await node.stop()
      squatter = await occupy(portOf(http))
      node = await spawnNode({ dataDir })
      assert.notEqual(node.info.http, http)
      assert.match(node.stderr(), /port this node had before is taken/)
      assert.equal(JSON.parse(await readFile(join(dataDir, 'ports.json'), 'utf8')).http, portOf(node.info.http))
      await node.stop()
      await assert.rejects(spawnNode({ dataDir, args: ['--http-port', String(portOf(http))] }), { code: 'ERR_PORT_IN_USE' })
      await assert.rejects(spawnNode({ dataDir, args: ['--p2p-port', String(portOf(http))] }), { code: 'ERR_PORT_IN_USE' })
    } finally {
      await new Promise(resolve => squatter?.close(resolve) ?? resolve(undefined))
      await node.stop()
    }
  })

  // A guard more than a regression test: on the code before, the DHT's routing table (reloaded
  // from the persisted peer store) already redialled b within libp2p's one-hour address age; the
  // explicit dial of known peers and the 7-day age keep that true after longer outages.
  it('a node whose bootstrap peer moved rejoins through the peers it saw before (its peer store is persisted)', async () => {
    let a = await spawnNode()
    const b = await spawnNode({ bootstrap: [a.info.multiaddrs[0]!] })
    let c = await spawnNode({ bootstrap: [a.info.multiaddrs[0]!, b.info.multiaddrs[0]!] })
    try {
      assert.ok((await statusOf(c)).connectedPeers >= 2)
      const oldA = a.info.multiaddrs[0]!
      await c.stop()
      // The bootstrap node moves: restarted on another port, explicitly.
      await a.stop()
      const free = await occupy(0)
      const newPort = (free.address() as { port: number }).port
      await new Promise(resolve => free.close(resolve))
      a = await spawnNode({ dataDir: a.info.dataDir, args: ['--p2p-port', String(newPort)] })
      assert.notEqual(a.info.multiaddrs[0], oldA)
      // c's command line still names only a's old address.
      c = await spawnNode({ dataDir: c.info.dataDir, bootstrap: [oldA] })
      // The dials to peers it knew run beside the start: wait for one to land (not just after ready).
      let peers = 0
      for (let i = 0; i < 100 && peers < 1; i++) {
        peers = (await statusOf(c)).connectedPeers
        if (peers < 1) await new Promise(resolve => setTimeout(resolve, 200))
      }
      assert.ok(peers >= 1, 'c reached a peer it knew (b) although its bootstrap peer is gone')
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()])
    }
  })
})

// Nodes on distinct loopback addresses (as on distinct machines) that know each other only by
// what they announce: a bootstrap list file names the first, the DHT carries the rest.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { blockCid, httpUrlFromMultiaddr } from '@p2pdv/core'
import { StoreClient } from '@p2pdv/sdk'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

/** A port free on `host` now (the node binds it a moment later). */
async function freePort (host: string): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject).listen(0, host, resolve) })
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

interface Machine { host: string, p2p: number, http: number }

async function machine (host: string): Promise<Machine> {
  return { host, p2p: await freePort(host), http: await freePort(host) }
}

function announceArgs (m: Machine): string[] {
  // The viewer relay's WebSockets listener is bound too but not announced: peers must only see
  // what the operator announced.
  return ['--host', m.host, '--p2p-port', String(m.p2p), '--http-port', String(m.http), '--announce', `/ip4/${m.host}/tcp/${m.p2p},http://${m.host}:${m.http}`, '--announce-grace', '0.2']
}

describe('public addresses (--announce, --bootstrap-file)', () => {
  it('a block stored on one node is found through another, at the addresses its holder announced', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-announce-'))
    const nodes: SpawnedNode[] = []
    try {
      const [a, b, c] = [await machine('127.0.0.2'), await machine('127.0.0.3'), await machine('127.0.0.4')]
      const first = await spawnNode({ args: announceArgs(a) })
      nodes.push(first)
      assert.deepEqual(first.info.multiaddrs, [`/ip4/127.0.0.2/tcp/${a.p2p}/p2p/${first.info.peerId}`], 'only the announced address, not the bound WebSockets one')
      assert.equal(first.info.http, `http://127.0.0.2:${a.http}`)

      const list = join(dir, 'bootstrap.txt')
      await writeFile(list, `# the fleet's first node\n${first.info.multiaddrs[0]!}\n`)
      for (const m of [b, c]) nodes.push(await spawnNode({ args: [...announceArgs(m), '--bootstrap-file', list] }))
      const [, reader, holder] = nodes as [SpawnedNode, SpawnedNode, SpawnedNode]

      const bytes = new Uint8Array(randomBytes(4000))
      const cid = await blockCid(bytes)
      const client = await StoreClient.create({ transport: 'http' })
      try {
        await client.storeBlocks({ peerId: holder.info.peerId, multiaddrs: holder.info.multiaddrs, http: holder.info.http }, [{ cid, bytes }])
      } finally {
        await client.close()
      }

      // The reader was told only of the first node; it learns the holder through the DHT.
      let rec: { ID: string, Addrs: string[] } | undefined
      for (let i = 0; i < 80 && rec === undefined; i++) {
        const res = await fetch(`${reader.info.http}/routing/v1/providers/${cid.toString()}`)
        rec = (await res.json() as { Providers: Array<{ ID: string, Addrs: string[] }> }).Providers.find(p => p.ID === holder.info.peerId)
        if (rec === undefined) await new Promise(resolve => setTimeout(resolve, 250))
      }
      assert.ok(rec !== undefined, 'the holder is found through the node that does not hold the block')
      assert.ok(rec.Addrs.length > 0 && rec.Addrs.every(addr => addr.startsWith('/ip4/127.0.0.4/')), `only announced addresses: ${rec.Addrs.join(' ')}`)
      const url = rec.Addrs.map(httpUrlFromMultiaddr).find(u => u !== undefined)
      assert.equal(url, `http://127.0.0.4:${c.http}`)
      const got = await fetch(`${url!}/ipfs/${cid.toString()}`, { headers: { accept: 'application/vnd.ipld.raw' } })
      assert.deepEqual(new Uint8Array(await got.arrayBuffer()), bytes)

      // Peer lists (what browsers and repairers read) carry the announced data planes too.
      const { peers } = await (await fetch(`${reader.info.http}/api/v1/peers`)).json() as { peers: Array<{ peerId: string, http: string }> }
      assert.deepEqual(peers.find(p => p.peerId === first.info.peerId)?.http, `http://127.0.0.2:${a.http}`)
    } finally {
      await Promise.all(nodes.map(async n => { await n.stop() }))
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a node given an address no one can dial refuses to start, with the reason', async () => {
    await assert.rejects(spawnNode({ args: ['--announce', '/ip4/0.0.0.0/tcp/4001'] }), { code: 'ERR_BAD_ANNOUNCE' })
    await assert.rejects(spawnNode({ args: ['--announce', 'https://user:pw@node.example.org'] }), { code: 'ERR_BAD_ANNOUNCE' })
  })
})

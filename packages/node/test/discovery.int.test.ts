// Clients find nodes the way the network does: a client whose addresses are stale (nodes moved to
// new ports) learns where they are from any live node's peer list, and still gets and puts.
import assert from 'node:assert/strict'
import { randomBytes, createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client, PeerDirectory, type PeerInfo } from '@p2pdv/sdk'
import { spawnNode, spawnNodes, type SpawnedNode } from './fixtures/spawn-node.ts'

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise(resolve => s.close(resolve))
  return port
}

/** Until `node`'s peer list names every (peerId, http) in `want` (identify after a restart is asynchronous). */
async function listsAll (node: SpawnedNode, want: PeerInfo[]): Promise<void> {
  for (;;) {
    const { peers } = await (await fetch(`${node.info.http}/api/v1/peers`)).json() as { peers: Array<{ peerId: string, http: string }> }
    if (want.every(w => peers.some(p => p.peerId === w.peerId && p.http === w.http))) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

const info = (n: SpawnedNode): PeerInfo => ({ peerId: n.info.peerId, http: n.info.http, multiaddrs: n.info.multiaddrs })
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('clients follow nodes that moved', () => {
  let nodes: SpawnedNode[]
  let dir: string
  before(async () => {
    nodes = await spawnNodes(3)
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-discovery-'))
  })
  after(async () => {
    await Promise.all((nodes ?? []).map(async n => { await n.stop() }))
    await rm(dir, { recursive: true, force: true })
  })

  it('a client with stale URLs for two of three nodes refreshes from the third\'s peer list, then gets and puts (k=2, m=1)', async () => {
    const input = new Uint8Array(randomBytes(3 * 1024 * 1024))
    const src = join(dir, 'in.bin')
    await writeFile(src, input)
    const cacheFile = join(dir, 'peers.json')
    const first = await PeerDirectory.open({ file: cacheFile, seeds: nodes.map(info) })
    await first.save()
    const writer = await Client.create({ peers: first.peers(), directory: first, workers: 0 })
    const put = await writer.putFile(src, { k: 2, m: 1 })
    await writer.close()
    assert.equal(put.scheme, 'rs')

    // Two nodes move: restarted on their data dirs on new HTTP ports, chosen explicitly.
    for (const i of [1, 2]) {
      const { dataDir } = nodes[i]!.info
      await nodes[i]!.stop()
      nodes[i] = await spawnNode({ dataDir, bootstrap: [nodes[0]!.info.multiaddrs[0]!], args: ['--http-port', String(await freePort())] })
    }
    await listsAll(nodes[0]!, [info(nodes[1]!), info(nodes[2]!)])

    // The cache still has the old addresses.
    const stale = await PeerDirectory.open({ file: cacheFile })
    assert.notEqual(stale.get(nodes[1]!.info.peerId)?.http, nodes[1]!.info.http)
    // Without a directory to ask, the reader is stuck with them: one of three shards per stripe.
    const blind = await Client.create({ peers: stale.peers(), workers: 0 })
    await assert.rejects(blind.getToFile(put.capability, join(dir, 'blind.bin')), (err: { code?: string }) => ['ERR_ERASURE_TOO_FEW_SHARDS', 'ERR_BLOCK_UNAVAILABLE'].includes(err.code ?? ''))
    await blind.close()

    const client = await Client.create({ peers: stale.peers(), directory: stale, workers: 0 })
    try {
      const out = join(dir, 'out.bin')
      await client.getToFile(put.capability, out)
      assert.equal(sha(await readFile(out)), sha(input))
      const again = await client.putFile(src, { k: 2, m: 1 })
      assert.deepEqual(new Set(again.nodes), new Set(nodes.map(n => n.info.peerId)))
    } finally {
      await client.close()
    }
    // What the refresh learnt is in the cache for the next run.
    const reopened = await PeerDirectory.open({ file: cacheFile })
    assert.equal(reopened.get(nodes[2]!.info.peerId)?.http, nodes[2]!.info.http)
  })

  it('a put with stale URLs (and no directory) cannot place k + m blocks: the refresh is what makes it work', async () => {
    const stale = nodes.map((n, i) => i === 0 ? info(n) : { ...info(n), http: 'http://127.0.0.1:9' })
    const blind = await Client.create({ peers: stale, workers: 0 })
    await assert.rejects(blind.put((async function * () { yield new Uint8Array(1000) })(), { k: 2, m: 1 }), { code: 'ERR_NOT_ENOUGH_NODES' })
    await blind.close()
    const directory = await PeerDirectory.open({ seeds: stale })
    const client = await Client.create({ peers: directory.peers(), directory, workers: 0 })
    try {
      const r = await client.put((async function * () { yield new Uint8Array(1000) })(), { k: 2, m: 1 })
      assert.equal(r.scheme, 'rs')
    } finally {
      await client.close()
    }
  })
})

// Erasure coding end to end on real node processes (127.0.0.1): 8 nodes, k = 4, m = 2. Put; kill
// 2 nodes: get is bit-exact; repair restores full redundancy on the survivors; kill 2 more: still
// bit-exact. And a slow node does not stall reads.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { Client, type CheckReport, type PeerInfo } from '@p2pdv/sdk'
import { stripeSpread } from '@p2pdv/core/placement'
import { repairState, spawnNodes, type SpawnedNode } from './fixtures/spawn-node.ts'

/** How long repair may take here (detection, rebuild, new record) before the test gives up. */
const REPAIR_WAIT_MS = 8 * 60_000
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const peersOf = (nodes: SpawnedNode[]): PeerInfo[] => nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http }))

async function readAll (client: Client, capability: string): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of client.read(capability)) parts.push(c)
  return Buffer.concat(parts)
}

/** Holders (from the object's placement record) of stripe `i`'s blocks. */
/** The nodes holding stripe i's blocks, in block order. */
function stripeHolders (report: CheckReport, i: number): string[] {
  const before = report.stripes.slice(0, i).reduce((a, s) => a + s.blocks, 0)
  return [...new Set(report.blocks.slice(1 + before, 1 + before + report.stripes[i]!.blocks).flatMap(b => b.ok))]
}

/** How many blocks of stripe i sit on nodes of their own (a block may have more than one copy). */
function stripeSpreadOf (report: CheckReport, i: number): number {
  const before = report.stripes.slice(0, i).reduce((a, s) => a + s.blocks, 0)
  return stripeSpread(report.blocks.slice(1 + before, 1 + before + report.stripes[i]!.blocks).map(b => b.ok)).have
}

describe('erasure coding on 8 node processes (k = 4, m = 2)', () => {
  let nodes: SpawnedNode[]
  const input = randomBytes(6 * 1024 * 1024 + 4321) // 7 blocks: stripes of 4 and 3
  let capability: string
  const killed = new Set<string>()
  /** Each block's holders in the uploader's record. */
  let listed: Map<string, string[]>

  before(async () => {
    nodes = await spawnNodes(8, { args: ['--repair-interval', '1', '--repair-rate', String(64 * 1024 * 1024)] })
  })
  after(async () => {
    await Promise.all((nodes ?? []).map(async n => { await n.stop(); await rm(n.info.dataDir, { recursive: true, force: true }) }))
  })

  const kill = async (peerIds: string[]): Promise<void> => {
    for (const id of peerIds) {
      await nodes.find(n => n.info.peerId === id)!.kill9()
      killed.add(id)
    }
  }

  it('put spreads each stripe over 6 distinct nodes and records the placement', async () => {
    const client = await Client.create({ peers: peersOf(nodes) })
    try {
      const r = await client.put((async function * () { yield input })(), { k: 4, m: 2 })
      assert.equal(r.scheme, 'rs')
      assert.equal(r.stripes, 2)
      assert.equal(r.blocks, 7)
      // 7 data + 2 × 2 parity blocks, and the manifest on m + 1 = 3 nodes.
      assert.equal(r.receipts, 7 + 4 + 3)
      assert.ok(r.placementStoredOn >= 6, `placement kept by ${r.placementStoredOn} nodes`)
      capability = r.capability
      const report = await client.check(capability)
      assert.equal(report.healthy, true)
      assert.equal(report.placementVersion, 1)
      listed = new Map(report.blocks.map(b => [b.cid, b.holders]))
      for (const [i, s] of report.stripes.entries()) {
        assert.equal(s.blocks, s.needed + 2)
        assert.equal(stripeSpreadOf(report, i), s.blocks, 'every block of a stripe on its own node')
      }
    } finally {
      await client.close()
    }
  })

  it('after 2 nodes are killed, get is bit-exact (parity decoded)', async () => {
    const client = await Client.create({ peers: peersOf(nodes) })
    try {
      const report = await client.check(capability)
      // Two holders of stripe 0's data blocks: the read must decode.
      await kill(stripeHolders(report, 0).slice(0, 2))
      const out = await readAll(client, capability)
      assert.equal(sha(out), sha(input))
      assert.ok(client.reader.rebuilt > 0, 'blocks were rebuilt from parity')
    } finally {
      await client.close()
    }
  })

  it('repair restores full redundancy on the surviving nodes', async () => {
    const client = await Client.create({ peers: peersOf(nodes), workers: 0 })
    try {
      // Wait by deadline, not by a count of attempts: on a loaded machine each check takes longer.
      // A report counts only when no probe was left unanswered (`unknown` is not a verdict).
      // Killed holders stay listed (unreachable is not lost); each block needs a copy on a survivor.
      const repaired = (r: CheckReport): boolean => r.unknown === 0 && r.healthy && (r.placementVersion ?? 0) > 1 && r.blocks.every(b => b.ok.some(h => !killed.has(h)))
      const deadline = Date.now() + REPAIR_WAIT_MS
      let report = await client.check(capability)
      while (!repaired(report) && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 500))
        report = await client.check(capability)
      }
      // Then the full verdict, every copy downloaded and hashed (retried only while unanswered).
      report = await client.check(capability, { verify: true })
      while (report.unknown > 0 && Date.now() < deadline) report = await client.check(capability, { verify: true })
      assert.equal(report.unknown, 0, 'every holder answered')
      if (!report.healthy) for (const n of nodes) if (!killed.has(n.info.peerId)) process.stderr.write(`--- log of ${n.info.peerId}\n${n.stderr()}\n`)
      assert.equal(report.healthy, true, `${JSON.stringify(report.stripes)}\nkilled ${[...killed].map(k => k.slice(-6)).join(' ')}\n${await repairState(nodes.filter(n => !killed.has(n.info.peerId)), report.object)}`)
      assert.ok((report.placementVersion ?? 0) > 1, 'the repairing node published a new placement record')
      for (const b of report.blocks) {
        assert.ok(b.ok.length >= 1 && b.ok.every(h => !killed.has(h)), `${b.cid} held by survivors only`)
        // Repair never drops a holder it could not reach: the killed ones are still listed.
        for (const h of listed.get(b.cid) ?? []) assert.ok(b.holders.includes(h), `${b.cid}: holder ${h} is still listed`)
      }
      for (const [i, s] of report.stripes.entries()) assert.equal(stripeSpreadOf(report, i), s.blocks, `stripe ${i} on distinct nodes`)
      // m + 1 copies at least (two holders that each took the other for down may both add one).
      assert.ok(report.manifest.available >= 3, `manifest on ${report.manifest.available} nodes`)
    } finally {
      await client.close()
    }
  })

  it('after 2 more nodes are killed, get is still bit-exact', async () => {
    const client = await Client.create({ peers: peersOf(nodes) })
    try {
      const report = await client.check(capability)
      await kill(stripeHolders(report, 0).filter(h => !killed.has(h)).slice(0, 2))
      assert.equal(killed.size, 4)
      const out = await readAll(client, capability)
      assert.equal(sha(out), sha(input))
      assert.ok(client.reader.rebuilt > 0)
    } finally {
      await client.close()
    }
  })
})

describe('a slow node does not stall reads', () => {
  let nodes: SpawnedNode[]
  let proxy: Server
  const held: Array<() => void> = []

  before(async () => {
    nodes = await spawnNodes(6, { args: ['--no-repair'] })
  })
  after(async () => {
    for (const release of held) release()
    proxy?.closeAllConnections()
    proxy?.close()
    await Promise.all((nodes ?? []).map(async n => { await n.stop(); await rm(n.info.dataDir, { recursive: true, force: true }) }))
  })

  it('reads go around a node that answers nothing: the data is rebuilt from the other nodes', async () => {
    const input = randomBytes(4 * 1024 * 1024 + 99)
    const writer = await Client.create({ peers: peersOf(nodes) })
    const { capability } = await writer.put((async function * () { yield input })(), { k: 4, m: 2 })
    const report = await writer.check(capability)
    await writer.close()
    // The holder of the first data block becomes slow: a proxy that accepts block requests and
    // never answers them (everything else passes through).
    const slowId = report.blocks[1]!.ok[0]!
    const slow = nodes.find(n => n.info.peerId === slowId)!
    let stalled = 0
    proxy = createServer((req, res) => {
      if ((req.url ?? '').startsWith('/ipfs/')) { stalled++; held.push(() => res.destroy()); return }
      void fetch(slow.info.http + (req.url ?? '/')).then(async r => { res.writeHead(r.status, Object.fromEntries(r.headers)); res.end(Buffer.from(await r.arrayBuffer())) }, () => res.destroy())
    })
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
    const peers = peersOf(nodes).map(p => p.peerId === slowId ? { ...p, http: url } : p)
    // A block timeout far beyond the test's own: only going around the slow node finishes the read.
    const reader = await Client.create({ peers, blockTimeoutMs: 3_600_000 })
    try {
      const parts: Uint8Array[] = []
      for await (const c of reader.read(capability)) parts.push(c)
      assert.equal(sha(Buffer.concat(parts)), sha(input))
      assert.ok(stalled > 0, 'the slow node was asked')
      assert.ok(reader.reader.rebuilt > 0, 'its block was rebuilt from the other nodes instead')
    } finally {
      await reader.close()
    }
  })
})

// Hot copies (issue 16): readers of one much-watched object, with and without its hot copies, in
// the same run. 4 node processes; the object (one replica) sits on one node. Phase 1 (the
// baseline): readers (sdk Clients, the reader a page or `p2pdv get` uses) fetch every block of it
// in a loop; their own requests come from one address, below the per-client cap, so nothing turns
// hot and the holder serves everything. Then 8 clients on 127.0.0.2… ask for its blocks until the
// holder has copied them to other nodes (a signed hot-copy record), and phase 2 runs the same
// readers again (fresh Clients, which read the record). Printed: where the bytes came from (the
// busiest node's share, nodes serving), read throughput, and the time from demand to copies.
// On one 2-core machine every node shares the same cores, so throughput here cannot show what
// spreading egress over machines buys; the busiest node's share is the figure that carries over.
// HOT_BENCH_SECONDS sets each phase's length (default 12); HOT_BENCH_READERS the readers (6).
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client, type PeerInfo } from '@p2pdv/sdk'
import { objectBlocks, parseCapability } from '@p2pdv/core'
import { decodeHotCopyRecordAsync } from '@p2pdv/core/placement'
import { printTable } from '../../../scripts/bench-util.ts'
import { spawnNode, type SpawnedNode } from '../test/fixtures/spawn-node.ts'

const SECONDS = Math.max(3, Number(process.env.HOT_BENCH_SECONDS ?? 12))
const READERS = Math.max(1, Number(process.env.HOT_BENCH_READERS ?? 6))
const OBJECT_BYTES = 8 * 1024 * 1024
const DEMAND_CLIENTS = 8
// Hot at 40 weighted GETs per 2 s, one client counting at most 5 (so 8 clients at least), copied
// to 2 more nodes, cold only after 60 s (not during the bench).
const HOT_ARGS = ['--no-repair', '--hot-threshold', '40', '--hot-client-cap', '5', '--hot-window', '2', '--hot-cold-after', '60', '--hot-interval', '0.5', '--hot-copies', '2']

const peersOf = (nodes: SpawnedNode[]): PeerInfo[] => nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http }))

async function getFrom (url: string, localAddress: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, res => { res.resume(); res.on('end', () => { resolve(res.statusCode ?? 0) }); res.on('error', reject) })
    req.on('error', reject)
    req.end()
  })
}

/** Block bytes each node served over HTTP so far (its own counter). */
async function bytesServed (nodes: SpawnedNode[]): Promise<number[]> {
  return await Promise.all(nodes.map(async n => {
    const text = await (await fetch(`${n.info.http}/metrics`)).text()
    const m = /^p2pdv_bytes_served_total\{plane="http"\} (\S+)$/m.exec(text)
    return m === null ? 0 : Number(m[1])
  }))
}

/** Readers fetching every block of the object in a loop for SECONDS: bytes read, and spread. */
async function phase (nodes: SpawnedNode[], capability: string): Promise<{ mbps: number, served: number[], hotBytes: number }> {
  const clients = await Promise.all(Array.from({ length: READERS }, async () => await Client.create({ peers: peersOf(nodes), workers: 0 })))
  try {
    const before = await bytesServed(nodes)
    let bytes = 0
    const started = performance.now()
    const deadline = started + SECONDS * 1000
    await Promise.all(clients.map(async c => {
      const { manifest, key } = await c.manifest(capability)
      key.fill(0)
      const cids = objectBlocks(manifest).map(b => b.cid)
      while (performance.now() < deadline) {
        for (const cid of cids) {
          if (performance.now() >= deadline) break
          bytes += (await c.reader.fetch(cid)).byteLength
        }
      }
    }))
    const seconds = (performance.now() - started) / 1000
    const after = await bytesServed(nodes)
    return { mbps: bytes / 1e6 / seconds, served: after.map((a, i) => a - before[i]!), hotBytes: clients.reduce((s, c) => s + c.reader.hotCopyBytes, 0) }
  } finally {
    await Promise.all(clients.map(async c => { await c.close() }))
  }
}

const share = (served: number[]): number => Math.max(...served) / Math.max(1, served.reduce((a, b) => a + b, 0))
const serving = (served: number[]): number => served.filter(b => b > 0.05 * served.reduce((a, c) => a + c, 0)).length

const nodes: SpawnedNode[] = [await spawnNode({ args: HOT_ARGS })]
try {
  while (nodes.length < 4) nodes.push(await spawnNode({ args: HOT_ARGS, bootstrap: [nodes[0]!.info.multiaddrs[0]!] }))
  const uploader = await Client.create({ peers: peersOf(nodes), workers: 0 })
  let capability: string
  let holder: SpawnedNode
  let blocks: string[]
  try {
    const put = await uploader.put((async function * () { for (let i = 0; i < OBJECT_BYTES / (1024 * 1024); i++) yield randomBytes(1024 * 1024) })(), { replicas: 1 })
    capability = put.capability
    const report = await uploader.check(capability)
    const held = new Map<string, string[]>()
    for (const b of report.blocks) for (const h of b.holders) held.set(h, [...held.get(h) ?? [], b.cid])
    const [holderId, its] = [...held].sort((a, b) => b[1].length - a[1].length)[0]!
    holder = nodes.find(n => n.info.peerId === holderId)!
    blocks = its
  } finally {
    await uploader.close()
  }
  const object = parseCapability(capability).manifest.toString()

  const cold = await phase(nodes, capability)

  // Demand from many addresses until the holder has copied the object's blocks elsewhere.
  const demand = async (): Promise<void> => {
    await Promise.all(Array.from({ length: DEMAND_CLIENTS }, async (_, c) => {
      for (const b of blocks) await getFrom(`${holder.info.http}/ipfs/${b}`, `127.0.0.${c + 2}`)
    }))
  }
  const t0 = performance.now()
  let copies = 0
  while (performance.now() - t0 < 90_000) {
    await demand()
    const body = await (await fetch(`${holder.info.http}/api/v1/objects/${object}/hot`)).json() as { records: string[] }
    const records = await Promise.all(body.records.map(async r => await decodeHotCopyRecordAsync(new Uint8Array(Buffer.from(r, 'base64')))))
    copies = new Set(records.filter(r => r.state === 'hot').flatMap(r => r.blocks.flatMap(b => b.nodes))).size
    if (copies > 0) break
    await sleep(250)
  }
  const spreadSeconds = (performance.now() - t0) / 1000
  if (copies === 0) throw new Error('the object never turned hot')
  // Keep it hot while phase 2 reads (a light, steady demand).
  let keepHot = true
  const keeping = (async () => { while (keepHot) { await demand(); await sleep(1000) } })()
  const hot = await phase(nodes, capability)
  keepHot = false
  await keeping

  const mb = (b: number): string => `${(b / 1e6).toFixed(1)}`
  process.stdout.write(`Hot copies: ${READERS} readers of one ${OBJECT_BYTES / 1024 / 1024} MiB object (one replica), ${SECONDS} s per phase, 4 node processes on one machine\n`)
  printTable('hot copies vs none (same run)', [
    { name: 'busiest node\'s share of bytes served', value: share(hot.served) * 100, baselineName: 'no hot copies', baseline: share(cold.served) * 100, unit: '%', better: 'lower' },
    { name: 'nodes serving (>5 % of bytes)', value: serving(hot.served), baselineName: 'no hot copies', baseline: serving(cold.served), unit: 'nodes', better: 'higher' },
    { name: 'read throughput, all readers', value: hot.mbps, baselineName: 'no hot copies', baseline: cold.mbps, unit: 'MB/s', better: 'higher' }
  ])
  process.stdout.write(`\nbytes served per node (MB), no hot copies: ${cold.served.map(mb).join(' / ')}; with: ${hot.served.map(mb).join(' / ')} (the holder of most blocks is node ${nodes.indexOf(holder)}; with one replica the blocks may sit on two)\n`)
  process.stdout.write(`readers' bytes from hot copies in phase 2: ${mb(hot.hotBytes)} MB; demand to copies on ${copies} node(s): ${spreadSeconds.toFixed(1)} s\n`)
} finally {
  await Promise.all(nodes.map(async n => { await n.stop() }))
}

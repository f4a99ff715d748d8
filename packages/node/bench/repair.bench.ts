// Repair after losing one node, on 7 real node processes (127.0.0.1): the same user data stored
// erasure-coded (k = 4, m = 2) and as 3 replicas. For each, the node holding the most of it is
// killed and the clock runs until `check` sees every block back on live nodes in a new placement
// record; bytes moved are the repair workers' own counters (fetched + stored). Beside it, a raw
// HTTP copy of as many bytes between two of the same nodes (GET then PUT, block by block, like the
// repair worker): the transfer cost with no decoding, detection or bookkeeping.
// REPAIR_BENCH_GIB sets the user data per scheme (default 0.25 GiB).
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { Client, type CheckReport, type PeerInfo, type PutOptions } from '@p2pdv/sdk'
import { printTable, type Row } from '../../../scripts/bench-util.ts'
import { spawnNodes, type SpawnedNode } from '../test/fixtures/spawn-node.ts'
import { testGrant } from '../test/fixtures/grants.ts'

const GIB = Number(process.env.REPAIR_BENCH_GIB ?? 0.25)
const BYTES = Math.round((Number.isFinite(GIB) && GIB > 0 ? GIB : 0.25) * 1024 ** 3)
const NODES = 7
const REPAIR_INTERVAL_S = 0.5
const POLL_MS = 250
const GIVE_UP_MS = 15 * 60_000
const MiB = 1024 * 1024

const peersOf = (nodes: SpawnedNode[]): PeerInfo[] => nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http }))

async function * randomData (bytes: number): AsyncGenerator<Uint8Array> {
  for (let left = bytes; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left))
}

interface RepairStatus { bytesMoved: number, blocksRepaired: number }
async function repairStats (node: SpawnedNode): Promise<RepairStatus> {
  const s = await (await fetch(`${node.info.http}/api/v1/status`)).json() as { repair: RepairStatus }
  return s.repair
}

/** Bytes each node holds of an object, from a check report. */
function bytesByNode (report: CheckReport): Map<string, number> {
  const out = new Map<string, number>()
  for (const b of report.blocks) for (const h of b.ok) out.set(h, (out.get(h) ?? 0) + Math.max(0, b.size))
  return out
}

interface Phase { lostBytes: number, seconds: number, movedBytes: number, report: CheckReport }

async function loseOneNode (nodes: SpawnedNode[], dead: Set<string>, put: PutOptions): Promise<Phase> {
  const live = nodes.filter(n => !dead.has(n.info.peerId))
  const client = await Client.create({ peers: peersOf(live), workers: 0 })
  try {
    const { capability } = await client.put(randomData(BYTES), put)
    const before = await client.check(capability)
    const [victimId, lostBytes] = [...bytesByNode(before)].sort((a, b) => b[1] - a[1])[0]!
    const survivors = live.filter(n => n.info.peerId !== victimId)
    const moved0 = await Promise.all(survivors.map(repairStats))
    const t0 = performance.now()
    await nodes.find(n => n.info.peerId === victimId)!.kill9()
    dead.add(victimId)
    let report = before
    while (true) {
      if (performance.now() - t0 > GIVE_UP_MS) throw new Error(`repair did not finish in ${GIVE_UP_MS / 60_000} min: ${JSON.stringify(report.stripes.filter(s => s.status !== 'healthy'))}`)
      await new Promise(resolve => setTimeout(resolve, POLL_MS))
      report = await client.check(capability)
      const repaired = report.healthy && (report.placementVersion ?? 0) > (before.placementVersion ?? 0) && report.blocks.every(b => !b.ok.includes(victimId) && !b.holders.includes(victimId))
      if (repaired) break
    }
    const seconds = (performance.now() - t0) / 1000
    const moved1 = await Promise.all(survivors.map(repairStats))
    const movedBytes = moved1.reduce((a, s, i) => a + s.bytesMoved - moved0[i]!.bytesMoved, 0)
    return { lostBytes, seconds, movedBytes, report }
  } finally {
    await client.close()
  }
}

/** GET blocks that `from` holds and PUT them on `to`, one after another, until `bytes` moved. */
async function rawCopy (from: SpawnedNode, to: SpawnedNode, report: CheckReport, bytes: number): Promise<{ seconds: number, bytes: number }> {
  const blocks = report.blocks.filter(b => b.ok.includes(from.info.peerId) && !b.ok.includes(to.info.peerId) && b.size > 0)
  let copied = 0
  const { authorization } = await testGrant(to.info.peerId, { bytes: 64 * 1024 ** 3 })
  const t0 = performance.now()
  for (const b of blocks) {
    if (copied >= bytes) break
    const res = await fetch(`${from.info.http}/ipfs/${b.cid}`, { headers: { accept: 'application/vnd.ipld.raw' } })
    const body = new Uint8Array(await res.arrayBuffer())
    const put = await fetch(`${to.info.http}/ipfs/${b.cid}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization }, body })
    if (put.status !== 201) throw new Error(`raw copy: PUT answered ${put.status}`)
    await put.body?.cancel()
    copied += body.byteLength * 2 // fetched + stored, as the repair counters count
  }
  return { seconds: (performance.now() - t0) / 1000, bytes: copied }
}

const NODE_ARGS = ['--repair-interval', String(REPAIR_INTERVAL_S), '--repair-rate', String(64 * 1024 ** 3)]

/** Each scheme on a fresh cluster, so one scheme's repair traffic never counts for the other. */
async function onFreshCluster<T> (fn: (nodes: SpawnedNode[]) => Promise<T>): Promise<T> {
  const nodes = await spawnNodes(NODES, { args: NODE_ARGS })
  try {
    return await fn(nodes)
  } finally {
    await Promise.all(nodes.map(async n => { await n.stop(); await rm(n.info.dataDir, { recursive: true, force: true }) }))
  }
}

const { rs, raw } = await onFreshCluster(async nodes => {
  const dead = new Set<string>()
  const rs = await loseOneNode(nodes, dead, { k: 4, m: 2 })
  const live = nodes.filter(n => !dead.has(n.info.peerId))
  const holdings = bytesByNode(rs.report)
  const [from, to] = [...live].sort((a, b) => (holdings.get(b.info.peerId) ?? 0) - (holdings.get(a.info.peerId) ?? 0))
  return { rs, raw: await rawCopy(from!, to!, rs.report, rs.movedBytes) }
})
const rep = await onFreshCluster(async nodes => await loseOneNode(nodes, new Set(), { replicas: 3 }))
const mib = (n: number): number => n / MiB
const rows: Row[] = [
  { name: `repair time, k=4 m=2 (lost node held ${mib(rs.lostBytes).toFixed(0)} MiB)`, value: rs.seconds, baselineName: `3 replicas (lost node held ${mib(rep.lostBytes).toFixed(0)} MiB)`, baseline: rep.seconds, unit: 's', better: 'lower' },
  { name: 'bytes moved by repair, k=4 m=2', value: mib(rs.movedBytes), baselineName: '3 replicas', baseline: mib(rep.movedBytes), unit: 'MiB', better: 'lower' },
  { name: 'bytes moved per byte lost, k=4 m=2', value: rs.movedBytes / rs.lostBytes, baselineName: '3 replicas (re-copy)', baseline: rep.movedBytes / rep.lostBytes, unit: '×', better: 'lower', target: '≤ k + 1 = 5 vs ≤ 2' },
  { name: 'repair traffic rate, k=4 m=2 (bytes moved / time)', value: mib(rs.movedBytes) / rs.seconds, baselineName: 'raw HTTP copy node→node, same bytes', baseline: mib(raw.bytes) / raw.seconds, unit: 'MiB/s', better: 'higher' },
  { name: 'repair traffic rate, 3 replicas', value: mib(rep.movedBytes) / rep.seconds, baselineName: 'raw HTTP copy node→node', baseline: mib(raw.bytes) / raw.seconds, unit: 'MiB/s', better: 'higher' }
]
printTable(`Repair of one lost node of ${NODES}, ${(BYTES / 1024 ** 3).toFixed(2)} GiB of user data per scheme (REPAIR_BENCH_GIB), each scheme on a fresh cluster; time includes detection (repair pass every ${REPAIR_INTERVAL_S} s, check every ${POLL_MS} ms); bytes moved = fetched + stored by repair workers (a node's reads of its own store are free)`, rows)

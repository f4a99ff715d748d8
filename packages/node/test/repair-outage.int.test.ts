// Issue 22 part 3: a short outage must not become permanent loss. 6 node processes, one RS(4,2)
// stripe (a block on each node); 3 nodes are killed with SIGKILL, so the stripe has fewer than k
// reachable blocks. Repair runs at least twice meanwhile; it must not rewrite the record without
// the unreachable holders. The 3 nodes come back on their data dirs and ports: every holder the
// record listed is still listed, and check finds the object healthy and reads it back. Then the
// holder that repairs the object comes back without its record: it is handed it, and repairs.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client, type CheckReport, type PeerInfo } from '@p2pdv/sdk'
import { weightedOrder } from '@p2pdv/core/placement'
import { repairState, spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

const REPAIR_ARGS = ['--repair-interval', '1', '--repair-rate', String(64 * 1024 * 1024)]
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const peersOf = (nodes: SpawnedNode[]): PeerInfo[] => nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http }))

async function repairPasses (node: SpawnedNode): Promise<number> {
  const res = await fetch(`${node.info.http}/api/v1/status`)
  const body = await res.json() as { repair?: { passes?: number } }
  return body.repair?.passes ?? 0
}

/** The ports a node listens on, to start it again on the same ones. */
function portsOf (node: SpawnedNode): string[] {
  const p2p = /\/tcp\/(\d+)/.exec(node.info.multiaddrs[0]!)![1]!
  return ['--p2p-port', p2p, '--http-port', new URL(node.info.http).port]
}

describe('repair through an outage of more than m nodes (RS(4,2) on 6 nodes, 3 killed)', () => {
  /** Every process started, so a failed start still stops the others. */
  const started: SpawnedNode[] = []
  let nodes: SpawnedNode[]
  const input = randomBytes(3 * 1024 * 1024 + 777) // 4 data blocks: one full stripe
  let capability: string

  before(async () => {
    // One at a time: on a loaded 2-core machine, starting several at once only slows them all.
    started.push(await spawnNode({ args: REPAIR_ARGS }))
    while (started.length < 6) started.push(await spawnNode({ args: REPAIR_ARGS, bootstrap: [started[0]!.info.multiaddrs[0]!] }))
    nodes = [...started]
  })
  after(async () => { await Promise.all(started.map(async n => { await n.stop() })) })

  it('keeps every holder listed, and the object is healthy once the nodes are back', async t => {
    const client = await Client.create({ peers: peersOf(nodes), workers: 0 })
    let listed: Map<string, string[]>
    try {
      const put = await client.put((async function * () { yield input })(), { k: 4, m: 2 })
      capability = put.capability
      const report = await client.check(capability)
      assert.equal(report.healthy, true)
      assert.equal(report.stripes[0]!.blocks, 6)
      listed = new Map(report.blocks.map(b => [b.cid, b.holders]))
    } finally {
      await client.close()
    }

    // Kill 3 nodes (not the bootstrap node): the stripe keeps 3 reachable blocks, k = 4.
    const killed = nodes.slice(3)
    await Promise.all(killed.map(async n => { await n.kill9() }))
    const survivors = nodes.slice(0, 3)
    const start = await Promise.all(survivors.map(repairPasses))
    for (;;) {
      const now = await Promise.all(survivors.map(repairPasses))
      if (now.every((p, i) => p >= start[i]! + 2)) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }

    // Back on the same data dirs and ports.
    for (const n of killed) started.push(await spawnNode({ dataDir: n.info.dataDir, bootstrap: [nodes[0]!.info.multiaddrs[0]!], args: [...REPAIR_ARGS, ...portsOf(n)] }))
    nodes = [...survivors, ...started.slice(6)]

    const reader = await Client.create({ peers: peersOf(nodes), workers: 0 })
    try {
      let report = await reader.check(capability)
      while (report.unknown > 0) report = await reader.check(capability)
      t.diagnostic(`placement version after the outage: ${report.placementVersion ?? 'none'}`)
      for (const b of report.blocks) {
        for (const h of listed.get(b.cid) ?? []) assert.ok(b.holders.includes(h), `${b.cid}: holder ${h} is still listed`)
        assert.ok(b.ok.length >= 1, `${b.cid} is held`)
      }
      assert.equal(report.lost, 0)
      assert.equal(report.healthy, true, JSON.stringify(report.stripes))
      const parts: Uint8Array[] = []
      for await (const c of reader.read(capability)) parts.push(c)
      assert.equal(sha(Buffer.concat(parts)), sha(input))
    } finally {
      await reader.close()
    }
  })

  it('a holder that lost the record is handed it: the repair it owes happens', async () => {
    // The first holder in the object's repair order comes back without its record (as if a push
    // had missed it); then another holder dies. Every other holder defers to the first, which alone
    // may repair: without the record it would repair nothing, for ever.
    const probe = await Client.create({ peers: peersOf(nodes), workers: 0 })
    let object: string
    let order: string[]
    try {
      const report = await probe.check(capability)
      object = report.object
      order = weightedOrder(object, [...new Set(report.blocks.flatMap(b => b.holders))].map(peerId => ({ peerId }))).map(h => h.peerId)
    } finally {
      await probe.close()
    }
    const first = nodes.find(n => n.info.peerId === order[0])!
    const victim = nodes.find(n => n.info.peerId === order.at(-1))!
    // While the first is down, the six nodes all hold a block of the stripe: nobody can rebuild its
    // block anywhere, so the stripe stays as it is until the first is back.
    await first.stop()
    await rm(join(first.info.dataDir, 'placements'), { recursive: true, force: true })
    const others = nodes.filter(n => n !== first)
    const bootstrap = [others.find(n => n !== victim)!.info.multiaddrs[0]!]
    started.push(await spawnNode({ dataDir: first.info.dataDir, bootstrap, args: [...REPAIR_ARGS, ...portsOf(first)] }))
    const back = started.at(-1)!
    // Two full passes of every other node with the first back up: a pass that began while it was
    // down would rebuild its block onto the seventh node, leaving none free for the victim's.
    const passes = await Promise.all(others.map(repairPasses))
    while (!(await Promise.all(others.map(repairPasses))).every((p, i) => p >= passes[i]! + 2)) await new Promise(resolve => setTimeout(resolve, 250))
    // A seventh node, for the block the victim takes with it.
    started.push(await spawnNode({ bootstrap, args: REPAIR_ARGS }))
    const spare = started.at(-1)!
    await victim.kill9()
    nodes = [...others.filter(n => n !== victim), back, spare]

    const reader = await Client.create({ peers: peersOf(nodes), workers: 0 })
    try {
      const deadline = Date.now() + 3 * 60_000
      const repaired = (r: CheckReport): boolean => r.unknown === 0 && r.healthy && r.blocks.every(b => b.ok.some(h => h !== victim.info.peerId))
      let report = await reader.check(capability)
      while (!repaired(report) && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 500))
        report = await reader.check(capability)
      }
      assert.equal(report.healthy, true, `${JSON.stringify(report.stripes)}\nfirst ${first.info.peerId.slice(-6)}, victim ${victim.info.peerId.slice(-6)}, spare ${spare.info.peerId.slice(-6)}\n${await repairState(nodes, object)}`)
      assert.ok(report.blocks.some(b => b.ok.includes(spare.info.peerId)), 'the lost block was rebuilt onto the seventh node')
      assert.equal((await fetch(`${back.info.http}/api/v1/objects/${object}/placement`)).status, 200, 'the first holder keeps the record again')
    } finally {
      await reader.close()
    }
  })
})

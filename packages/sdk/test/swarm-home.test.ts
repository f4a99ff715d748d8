// Where a video's swarm meets (issue 16): every viewer ranks the nodes it knows the same way, so
// pages served by different nodes join one tracker and relay; a candidate that lies about who it
// is or runs no relay is passed over in rank order.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { isP2pdvError } from '@p2pdv/core/errors'
import { joinVideoSwarmAtHome, MAX_SWARM_HOMES, rankSwarmHomes, type SwarmNode } from '../src/swarm/index.ts'
import { swarmIdOf } from '../src/player.ts'
import { MemoryBlockSource } from '../src/swarm/memory-source.ts'

const node = (i: number): SwarmNode => ({ peerId: `12D3KooWnode${i}`, http: `http://127.0.0.1:${1000 + i}` })
const NODES = Array.from({ length: 12 }, (_, i) => node(i))

describe('rankSwarmHomes', () => {
  it('ranks the same nodes the same way whatever order they are listed in', async () => {
    const a = await rankSwarmHomes('0xvideo', NODES)
    const b = await rankSwarmHomes('0xvideo', [...NODES].reverse())
    assert.deepEqual(a.map(n => n.peerId), b.map(n => n.peerId))
    assert.equal(a.length, NODES.length)
  })

  it('gives two viewers with overlapping lists the same home when both list it', async () => {
    for (let v = 0; v < 20; v++) {
      const swarm = `0xvideo${v}`
      const home = (await rankSwarmHomes(swarm, NODES))[0]!
      // Each viewer knows the home and a different half of the rest.
      const rest = NODES.filter(n => n !== home)
      const first = await rankSwarmHomes(swarm, [home, ...rest.slice(0, 5)])
      const second = await rankSwarmHomes(swarm, [...rest.slice(5), home])
      assert.equal(first[0]!.peerId, home.peerId)
      assert.equal(second[0]!.peerId, home.peerId)
    }
  })

  it('spreads videos over the nodes and drops duplicate peer ids', async () => {
    const homes = new Set<string>()
    for (let v = 0; v < 60; v++) homes.add((await rankSwarmHomes(`0xvideo${v}`, NODES))[0]!.peerId)
    assert.ok(homes.size >= 6, `60 videos met at ${homes.size} of 12 nodes`)
    const ranked = await rankSwarmHomes('0xvideo', [NODES[0]!, { ...NODES[0]!, http: 'http://127.0.0.1:1' }, NODES[1]!])
    assert.equal(ranked.length, 2)
  })
})

describe('joinVideoSwarmAtHome', () => {
  let server: Server
  let base: string
  const asked: string[] = []
  /** What each fake node answers at /api/v1/node, by path prefix. */
  const answers = new Map<string, unknown>()

  before(async () => {
    server = createServer((req, res) => {
      const name = req.url!.split('/')[1]!
      asked.push(name)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(answers.get(name)))
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => { await new Promise(resolve => server.close(resolve)) })

  it('passes over a node that answers as another and one with no relay, in rank order, and says why', async () => {
    const manifest = CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode('a video')))
    // Node paths stand in for hosts: http://127.0.0.1:PORT/<name> is each fake node's base URL.
    const nodes: SwarmNode[] = Array.from({ length: 4 }, (_, i) => ({ peerId: `12D3KooWfake${i}`, http: `${base}/n${i}` }))
    const order = await rankSwarmHomes(await swarmIdOf(manifest), nodes)
    answers.set(order[0]!.http.split('/').at(-1)!, { peerId: '12D3KooWimpostor', multiaddrs: ['/ip4/127.0.0.1/tcp/9/ws'] })
    answers.set(order[1]!.http.split('/').at(-1)!, { peerId: order[1]!.peerId, multiaddrs: ['/ip4/127.0.0.1/tcp/9'] })
    answers.set(order[2]!.http.split('/').at(-1)!, { peerId: order[2]!.peerId, multiaddrs: [] })
    answers.set(order[3]!.http.split('/').at(-1)!, { peerId: order[3]!.peerId, multiaddrs: [] })
    await assert.rejects(joinVideoSwarmAtHome({ nodes, manifest, source: new MemoryBlockSource() }), err => {
      assert.ok(isP2pdvError(err) && err.code === 'ERR_SWARM_NO_NODE', String(err))
      assert.match(err.message, /runs no viewer relay/)
      return true
    })
    // The top MAX_SWARM_HOMES candidates, in rank order; the fourth is never asked.
    assert.deepEqual(asked, order.slice(0, MAX_SWARM_HOMES).map(n => n.http.split('/').at(-1)))
  })
})

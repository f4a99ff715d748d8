// P2P delivery between viewers (issue 16): real node process, real libp2p, WebRTC over loopback.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { lpStream } from '@libp2p/utils'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { WebRTC } from '@multiformats/multiaddr-matcher'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { blockCid } from '@p2pdv/core'
import { decodeShareResponse, decodeSwarmResponse, encodeShareRequest, encodeSwarmAnnounce, MAX_SWARM_REQUEST_BYTES, SHARE_PROTOCOL, SWARM_PROTOCOL, SwarmCode, WireErrorCode, type SwarmResponse } from '@p2pdv/core/wire'
import { MemoryBlockSource, SwarmErrorCode, ViewerSwarm, type BlockSource } from '@p2pdv/sdk/swarm'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

const video = '0x' + 'ab'.repeat(32)
const otherVideo = (n: number): string => '0x' + n.toString(16).padStart(64, '0')

/** Serves whatever it is asked for with the wrong bytes, and says it holds `claims`. */
function lyingSource (claims: CID[]): BlockSource {
  return { get: () => new Uint8Array(randomBytes(1000)), cids: () => claims }
}

/** Holds blocks but does not advertise them (so a requester asks it only after others). */
function quietSource (inner: MemoryBlockSource): BlockSource {
  return { get: cid => inner.get(cid), cids: () => [] }
}

async function rawClient (): Promise<Libp2p> {
  return await createLibp2p({ transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionGater: { denyDialMultiaddr: () => false }, services: { identify: identify() } })
}

async function exchange (client: Libp2p, node: string, body: Uint8Array): Promise<SwarmResponse> {
  const stream = await client.dialProtocol(multiaddr(node), SWARM_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const lp = lpStream(stream)
  await lp.write(body)
  const r = decodeSwarmResponse((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
  await stream.close().catch(() => {})
  return r
}

describe('viewer swarm through a storage node', () => {
  let node: SpawnedNode
  let wsAddr: string
  const swarms: ViewerSwarm[] = []
  const join = async (source: BlockSource): Promise<ViewerSwarm> => {
    const s = await ViewerSwarm.join({ video, nodes: [wsAddr], source, peerRequestTimeoutMs: 5_000 })
    swarms.push(s)
    // The join returns before its dials end (bounded); the assertions below count peers.
    await s.settled()
    return s
  }

  before(async () => {
    node = await spawnNode()
    wsAddr = node.info.multiaddrs.find(a => a.includes('/ws/'))!
    assert.ok(wsAddr, 'the node listens for viewers on WebSockets')
  })
  after(async () => {
    // In one CI run this hook never finished after the tests had passed (a stop that hangs after
    // WebRTC sessions; not yet understood): each stop is bounded, so the file always ends.
    const bounded = async (p: Promise<unknown>): Promise<void> => {
      await Promise.race([p.catch(() => {}), new Promise(resolve => setTimeout(resolve, 10_000).unref())])
    }
    for (const s of swarms) await bounded(s.stop())
    await bounded(node.stop())
    // WebRTC in Node runs on node-datachannel's native threads, which can outlive every closed
    // connection and keep the process from exiting: end them once all is stopped.
    const { cleanup } = await import('node-datachannel')
    cleanup()
  })

  it('viewer B fetches a block viewer A holds, over WebRTC, verified', async () => {
    const block = new Uint8Array(randomBytes(200_000))
    const cid = await blockCid(block)
    const held = new MemoryBlockSource()
    held.put(cid, block)
    const a = await join(held)
    const b = await join(new MemoryBlockSource())
    assert.equal(b.stats().peers, 1, 'B dialled A from the tracker sample')
    const got = await b.fetch(cid, { signal: AbortSignal.timeout(20_000) })
    assert.deepEqual(got, block)
    // The bytes came over a direct WebRTC connection, not through the node's relay.
    const conn = b.libp2p.getConnections(a.libp2p.peerId).find(c => c.limits === undefined)
    assert.ok(conn !== undefined && WebRTC.matches(conn.remoteAddr))
    assert.deepEqual({ from: b.stats().bytesFromPeers, to: a.stats().bytesToPeers, blocks: a.stats().blocksToPeers }, { from: 200_000, to: 200_000, blocks: 1 })
    assert.ok(conn !== undefined)
    // Hostile requests to a viewer get coded refusals, and it keeps serving.
    for (const junk of [new Uint8Array(randomBytes(100)), new Uint8Array(100_000)]) {
      const stream = await conn.newStream(SHARE_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(junk)
      const r = decodeShareResponse((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray(), 'want')
      assert.equal(r.ok ? 'ok' : r.code, WireErrorCode.MALFORMED)
    }
    // The node's relay carries signalling only: no share stream runs over a relayed connection.
    const relayed = b.libp2p.getConnections(a.libp2p.peerId).find(c => c.limits !== undefined)
    if (relayed !== undefined) {
      await assert.rejects(async () => {
        const stream = await relayed.newStream(SHARE_PROTOCOL, { runOnLimitedConnection: true, signal: AbortSignal.timeout(10_000) })
        const lp = lpStream(stream)
        await lp.write(encodeShareRequest({ v: 1, t: 'want', cid, max: 300_000 }))
        await lp.read({ signal: AbortSignal.timeout(10_000) })
      })
    }
    assert.deepEqual(await b.fetch(cid), block)
    // A block nobody holds: a coded error, so the player goes to a node.
    await assert.rejects(b.fetch(await blockCid(new Uint8Array([1, 2, 3]))), { code: SwarmErrorCode.UNAVAILABLE })
    for (const s of swarms.splice(0)) await s.stop()
  })

  it('a viewer serving wrong bytes is banned and the requester falls back to an honest peer', async () => {
    const block = new Uint8Array(randomBytes(50_000))
    const cid = await blockCid(block)
    const honestStore = new MemoryBlockSource()
    honestStore.put(cid, block)
    const hostile = await join(lyingSource([cid]))
    const honest = await join(quietSource(honestStore))
    const b = await join(new MemoryBlockSource())
    assert.equal(b.stats().peers, 2)
    const got = await b.fetch(cid, { signal: AbortSignal.timeout(20_000) })
    assert.deepEqual(got, block)
    assert.ok(b.isBanned(hostile.peerId), 'the peer whose bytes failed the CID is banned')
    assert.ok(!b.isBanned(honest.peerId))
    assert.deepEqual({ banned: b.stats().banned, peers: b.stats().peers }, { banned: 1, peers: 1 })
    // Banned for the session: not dialled again from the tracker, and its own dials are refused.
    await b.refresh()
    assert.equal(b.stats().peers, 1)
    const bAddr = b.relayAddresses()[0]!
    // force: a new connection, not the hostile side's stale handle to the one B just aborted.
    await assert.rejects(hostile.libp2p.dial(multiaddr(bAddr), { force: true, signal: AbortSignal.timeout(15_000) }))
    assert.equal(b.stats().peers, 1)
    for (const s of swarms.splice(0)) await s.stop()
  })

  it('hostile announces are refused with codes and the node keeps serving', async () => {
    const client = await rawClient()
    try {
      const self = client.peerId.toString()
      const fake = `${wsAddr}/p2p-circuit/webrtc/p2p/${self}`
      // Oversized: a frame far above the limit (thousands of fake entries in one announce).
      const huge = encodeSwarmAnnounce({ video, addrs: Array(5000).fill(fake), max: 8 })
      assert.ok(huge.byteLength > MAX_SWARM_REQUEST_BYTES)
      const big = await exchange(client, wsAddr, huge)
      assert.equal(big.ok ? 'ok' : big.code, WireErrorCode.MALFORMED)
      // Garbage and someone else's address.
      const junk = await exchange(client, wsAddr, new Uint8Array(randomBytes(100)))
      assert.equal(junk.ok ? 'ok' : junk.code, WireErrorCode.MALFORMED)
      const spoof = await exchange(client, wsAddr, encodeSwarmAnnounce({ video, addrs: [`${wsAddr}/p2p-circuit/webrtc/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf`], max: 8 }))
      assert.equal(spoof.ok ? 'ok' : spoof.code, SwarmCode.NOT_YOUR_ADDRESS)
      // One peer announcing into many swarms is listed in a few only. (30, not hundreds: every
      // viewer here shares 127.0.0.1, whose budget of MAX_ANNOUNCES_PER_IP_PER_MINUTE announces
      // the honest viewers below still need; the per-IP limits have their own unit tests.)
      const codes = new Map<string, number>()
      for (let i = 0; i < 30; i++) {
        const r = await exchange(client, wsAddr, encodeSwarmAnnounce({ video: otherVideo(i), addrs: [fake], max: 32 }))
        const c = r.ok ? (r.code ?? 'listed') : r.code
        codes.set(c, (codes.get(c) ?? 0) + 1)
      }
      assert.deepEqual(Object.fromEntries(codes), { listed: 4, [SwarmCode.PEER_LIMIT]: 26 })
    } finally {
      await client.stop()
    }
    // The node is alive and its tracker still works for honest viewers.
    assert.equal((await fetch(`${node.info.http}/api/v1/status`)).status, 200)
    const block = new Uint8Array(randomBytes(10_000))
    const cid = await blockCid(block)
    const held = new MemoryBlockSource()
    held.put(cid, block)
    await join(held)
    const b = await join(new MemoryBlockSource())
    assert.deepEqual(await b.fetch(cid, { signal: AbortSignal.timeout(20_000) }), block)
  })
})

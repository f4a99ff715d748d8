// NAT traversal logic (nat.ts, libp2p-options.ts, config.ts) at unit level. AutoNAT gives no
// verdict on loopback (it never tests private addresses), so the mapping from libp2p's address
// metadata to the node's status is tested here with the metadata AutoNAT leaves behind.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { relayOf } from '../src/config.ts'
import { circuitListenAddrs, DHT_PROTOCOL, MAX_NODE_RESERVATIONS, MAX_VIEWER_RESERVATIONS, relayGater } from '../src/libp2p-options.ts'
import { addressVerdicts, MAX_STATUS_ADDRESSES, natVerdict, NodePeers, pacedRandomWalk, type AddressMetadata } from '../src/nat.ts'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { PeerId } from '@libp2p/interface'

const NOW = 1_000_000
const RELAY = '12D3KooWPgqAFfyqf9meLdSSBvKvjzPWrsRdnTDwQAQXGv58kRa4'
const ME = '12D3KooWMd4vVYpRrZUNqwBNgWGgdJbULFsjmsk5Kiy5CkbbUk9D'
const addr = (a: string, m: Partial<AddressMetadata> = {}): AddressMetadata => ({ multiaddr: multiaddr(a), verified: false, expires: 0, type: 'transport', ...m })

describe('AutoNAT verdicts', () => {
  it('maps what AutoNAT left in the address manager: confirmed, refuted, untested, private, announced, relayed', () => {
    const v = addressVerdicts([
      addr('/ip4/93.184.216.7/tcp/4001', { verified: true, lastVerified: NOW - 10, expires: NOW + 60_000 }), // confirmed
      addr('/ip4/151.101.1.2/tcp/4001', { verified: false, expires: NOW + 60_000 }), // refuted, retry later
      addr('/ip4/151.101.1.3/tcp/4001', { verified: false, expires: 0 }), // never tested
      addr('/ip4/93.184.216.8/tcp/4001', { verified: true, lastVerified: NOW - 100_000, expires: NOW - 1 }), // due for a new test
      addr('/ip4/127.0.0.1/tcp/4001', { verified: true, lastVerified: NOW, expires: NOW + 60_000 }), // loopback: libp2p marks it verified, AutoNAT never tests it
      addr('/ip4/10.0.0.5/tcp/4001', { verified: true, lastVerified: NOW, expires: NOW + 60_000 }),
      addr('/dns4/node.example.org/tcp/4001', { verified: true, type: 'announce', expires: NOW + 60_000 }),
      addr(`/ip4/93.184.216.9/tcp/4001/p2p/${RELAY}/p2p-circuit`, { verified: true, expires: NOW + 60_000 }),
      addr('/ip4/93.184.216.7/tcp/8080/http', { verified: true, type: 'announce', expires: NOW + 60_000 }) // the data plane: not a libp2p address
    ], NOW)
    assert.deepEqual(v.map(x => [x.multiaddr.split('/')[2], x.verdict, x.source]), [
      ['93.184.216.7', 'reachable', 'autonat'],
      ['151.101.1.2', 'unreachable', 'autonat'],
      ['151.101.1.3', 'unknown', 'autonat'],
      ['93.184.216.8', 'unknown', 'autonat'],
      ['127.0.0.1', 'unknown', 'private'],
      ['10.0.0.5', 'unknown', 'private'],
      ['node.example.org', 'unknown', 'announced'],
      ['93.184.216.9', 'reachable', 'relay']
    ])
  })

  it('the node\'s verdict: reachable with one confirmed address; unreachable when refuted or listening nowhere; a relay address does not make it directly reachable', () => {
    const v = (verdict: 'reachable' | 'unreachable' | 'unknown', source: 'autonat' | 'private' | 'relay' | 'announced' = 'autonat') => ({ multiaddr: '/x', verdict, source })
    assert.equal(natVerdict([v('unreachable'), v('reachable')], true), 'reachable')
    assert.equal(natVerdict([v('unreachable'), v('unknown', 'private')], true), 'unreachable')
    assert.equal(natVerdict([v('unknown', 'private')], true), 'unknown', 'loopback only: AutoNAT cannot tell')
    assert.equal(natVerdict([v('unknown', 'announced')], true), 'unknown')
    assert.equal(natVerdict([v('reachable', 'relay')], false), 'unreachable', 'no listener: only the relay reaches it')
    assert.equal(natVerdict([], false), 'unreachable')
    assert.equal(natVerdict([], true), 'unknown')
  })

  it('stays bounded however many addresses libp2p holds, and lists each once', () => {
    const many = Array.from({ length: 500 }, (_, i) => addr(`/ip4/203.0.${Math.floor(i / 250)}.${i % 250}/tcp/4001`))
    assert.equal(addressVerdicts([...many, ...many], NOW).length, MAX_STATUS_ADDRESSES)
    assert.equal(addressVerdicts([addr('/ip4/203.0.113.1/tcp/1'), addr('/ip4/203.0.113.1/tcp/1')], NOW).length, 1)
  })
})

describe('relay tiers', () => {
  const ids = [ME, RELAY]

  it('knows a node by the network DHT in its identify, forgets it on disconnect, and waits briefly for an identify still running', async () => {
    const np = new NodePeers()
    np.identified(ME, ['/ipfs/id/1.0.0', DHT_PROTOCOL], DHT_PROTOCOL)
    np.identified(RELAY, ['/ipfs/id/1.0.0'], DHT_PROTOCOL)
    assert.equal(np.has(ME), true)
    assert.equal(np.has(RELAY), false)
    np.gone(ME)
    assert.equal(np.has(ME), false)
    const pending = np.isNode(ME, 2000)
    np.identified(ME, [DHT_PROTOCOL], DHT_PROTOCOL)
    assert.equal(await pending, true)
    const viewer = np.isNode(RELAY, 2000)
    np.identified(RELAY, ['/libp2p/circuit/relay/0.2.0/stop'], DHT_PROTOCOL)
    assert.equal(await viewer, false)
    assert.equal(await np.isNode('12D3KooWNoIdentifyEverArrivesXXXXXXXXXXXXXXXXXXXXXX', 20), false, 'no identify in time: not a node')
  })

  it('the gater: a relayed connection to a node must come from a node; node and viewer reservations are capped apart', async () => {
    const np = new NodePeers()
    const [node, viewer] = ids.map(s => peerIdFromString(s)) as [PeerId, PeerId]
    np.identified(node.toString(), [DHT_PROTOCOL], DHT_PROTOCOL)
    np.identified(viewer.toString(), [], DHT_PROTOCOL)
    // A relay already holding MAX_NODE_RESERVATIONS node slots (fake peers counted as nodes).
    const held: PeerId[] = []
    for (let i = 0; i < MAX_NODE_RESERVATIONS; i++) {
      const id = { equals: (o: PeerId) => o === (id as unknown), toString: () => `node-${i}` } as unknown as PeerId
      np.identified(`node-${i}`, [DHT_PROTOCOL], DHT_PROTOCOL)
      held.push(id)
    }
    const service = { reservations: { keys: () => held.values() } } as unknown as CircuitRelayService
    const gater = relayGater(np, () => service)
    assert.equal(await gater.denyOutboundRelayedConnection(node, node), false, 'node to node: allowed')
    assert.equal(await gater.denyOutboundRelayedConnection(viewer, node), true, 'viewer to node: refused')
    assert.equal(await gater.denyOutboundRelayedConnection(node, viewer), false, 'to a viewer: the viewer tier applies')
    assert.equal(await gater.denyInboundRelayReservation(node), true, 'node slots full')
    assert.equal(await gater.denyInboundRelayReservation(viewer), false, 'viewer slots are apart')
    held.pop()
    assert.equal(await gater.denyInboundRelayReservation(node), false, 'a node slot free again')
    assert.ok(MAX_VIEWER_RESERVATIONS > 0)
  })
})

describe('AutoNAT\'s random walk', () => {
  it('pauses between DHT queries, so a DHT that answers at once cannot starve the event loop (libp2p\'s own walk spins there and the node hangs)', async () => {
    let queries = 0
    const empty = { getClosestPeers: async function * () { queries++ } }
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 10)
    const started = Date.now()
    try {
      for await (const _ of pacedRandomWalk(empty, 50).walk({ signal: AbortSignal.timeout(300) })) assert.fail('no peers to yield')
    } finally {
      clearInterval(timer)
    }
    assert.ok(Date.now() - started < 1000, 'the caller\'s deadline ended the walk')
    assert.ok(queries >= 2 && queries <= 8, `${queries} queries in 300 ms with 50 ms pauses`)
    assert.ok(ticks >= 10, `timers ran meanwhile (${ticks})`)
  })

  it('yields the peers each query finds', async () => {
    const peer = { id: peerIdFromString(RELAY), multiaddrs: [] }
    const one = { getClosestPeers: async function * () { yield peer } }
    const got = []
    for await (const p of pacedRandomWalk(one, 10).walk({ signal: AbortSignal.timeout(1000) })) {
      got.push(p)
      if (got.length === 3) break
    }
    assert.deepEqual(got.map(p => p.id.toString()), [RELAY, RELAY, RELAY])
  })
})

describe('--relay and --no-p2p-listen', () => {
  it('parses auto (default), off and a relay multiaddr; refuses bad ones with the reason', () => {
    assert.deepEqual(relayOf(undefined, true), { kind: 'auto' })
    assert.deepEqual(relayOf('off', true), { kind: 'off' })
    const via = `/ip4/203.0.113.7/tcp/4001/p2p/${RELAY}`
    assert.deepEqual(relayOf(via, false), { kind: 'via', relay: via })
    assert.deepEqual(circuitListenAddrs({ kind: 'via', relay: via }), [`${via}/p2p-circuit`])
    assert.deepEqual(circuitListenAddrs({ kind: 'auto' }), [], 'auto reserves later, on a peer it is connected to')
    for (const [bad, why] of [
      ['/ip4/203.0.113.7/tcp/4001', /PEER_ID/],
      [`/ip4/203.0.113.7/tcp/4001/p2p/${RELAY}/p2p-circuit`, /without \/p2p-circuit/],
      ['not a multiaddr', /not a multiaddr/],
      [`/ip4/1.2.3.4/tcp/1/p2p/${RELAY}`.padEnd(600, '/'), /at most/]
    ] as const) {
      assert.throws(() => relayOf(bad, true), (err: Error & { code?: string }) => err.code === 'ERR_CONFIG' && why.test(err.message), bad.slice(0, 60))
    }
    assert.throws(() => relayOf('off', false), (err: Error & { code?: string }) => err.code === 'ERR_CONFIG' && /needs a relay/.test(err.message))
  })
})

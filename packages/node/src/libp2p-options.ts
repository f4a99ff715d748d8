/**
 * The libp2p host of a node: TCP + Noise + Yamux, identify, ping and a private Kademlia DHT
 * (`/p2pdv/kad/1.0.0`). Nothing is discovered or dialled implicitly: no mDNS, UPnP, public
 * bootstrap or delegated routing; peers come from `--bootstrap` and the DHT itself.
 *
 * With the viewer relay on (`--viewer-relay`, default), the node also listens for viewers on
 * WebSockets and runs a circuit-relay v2 server whose relayed connections may carry only WebRTC
 * signalling (small data and time limits): viewers then exchange blocks over direct WebRTC
 * connections, never through the node (docs/architecture.md "P2P delivery between viewers").
 *
 * NAT traversal (docs/architecture.md "Nodes behind NAT"): every node runs AutoNAT (v1), so peers
 * tell it which of its public addresses they can dial back (nat.ts maps that to the status
 * route). With `--relay auto` (default) or `--relay MULTIADDR` a node can dial `/p2p-circuit`
 * addresses, and reserves a relay slot when it cannot be dialled: at once with `--relay
 * MULTIADDR` (on that relay); with `auto`, on a peer node that runs the relay service, as soon as
 * it has one when it listens on no address (`--no-p2p-listen`), else once AutoNAT finds its
 * addresses unreachable. The relay server gives other *nodes* a
 * second tier with larger, still bounded, limits (NODE_RELAY_*), and only between two nodes;
 * bitswap, identify and the audit protocol run on such relayed (limited) connections.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { autoNAT, type AutoNATComponents } from '@libp2p/autonat'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayServerComponents, type CircuitRelayService, type Limit, type RelayReservation } from '@libp2p/circuit-relay-v2'
import type { Libp2pEvents, PeerId, PeerRouting, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import { PEER_ADDRESS_AGE_MS, PEER_AGE_MS } from './known-peers.ts'
import { NodePeers, pacedRandomWalk } from './nat.ts'

export const DHT_PROTOCOL = '/p2pdv/kad/1.0.0'
export const MAX_STREAM_WINDOW = 2 * 1024 * 1024

/** Viewers holding a relay reservation on one node at once (each costs a little memory, no data). */
export const MAX_VIEWER_RESERVATIONS = 256
/** A reservation lasts this long; viewers' relay transports renew it before it ends. */
export const VIEWER_RESERVATION_TTL_MS = 15 * 60_000
/**
 * A relayed connection closes after this many bytes or this long: an SDP offer, an answer and
 * the ICE candidates take a few KiB and under a second, so block data never flows through a node.
 */
export const VIEWER_RELAY_DATA_LIMIT = 64n * 1024n
export const VIEWER_RELAY_DURATION_MS = 30_000

/**
 * The relay's node tier: a relayed connection between two nodes (one of them behind NAT) closes
 * after this many bytes or this long. Enough for a few blocks, an audit answer, identify; the
 * NAT'd node's peers open a new relayed connection when they need more. At most
 * MAX_NODE_RESERVATIONS nodes hold a slot on one relay, and a peer has at most
 * MAX_RELAY_HOP_STREAMS hop requests open at once per connection. A relay forwards what it
 * receives, byte for byte: it does not amplify, and what it forwards per relayed connection is
 * bounded by these limits (a per-peer budget over time is not built).
 */
export const NODE_RELAY_DATA_LIMIT = 16n * 1024n * 1024n
export const NODE_RELAY_DURATION_MS = 2 * 60_000
export const MAX_NODE_RESERVATIONS = 32
export const MAX_RELAY_HOP_STREAMS = 64

/** Bitswap runs on relayed connections (their limits above bound what it moves). */
export const BITSWAP_OPTIONS = { runOnLimitedConnections: true }

/** `--relay`: off; auto (reserve when not dialable); or reserve on this relay. */
export type RelayMode = { kind: 'off' } | { kind: 'auto' } | { kind: 'via', relay: string }

export interface NatOptions {
  relay: RelayMode
  /** false = `--no-p2p-listen`: no direct listener at all; the node is reached through its relay only. */
  listen: boolean
  /** Which connected peers are nodes (the relay's node tier); shared with the status route. */
  nodePeers: NodePeers
}

export const DEFAULT_NAT: Omit<NatOptions, 'nodePeers'> = { relay: { kind: 'auto' }, listen: true }

/**
 * The relay listen address set at start: only `--relay MULTIADDR` names one. `auto` reserves later,
 * on a peer node it is connected to (components/libp2p-plane.ts), never by libp2p's own relay
 * search (`/p2p-circuit`): that search walks the DHT at random, which on a small private DHT spins
 * without end.
 */
export function circuitListenAddrs (relay: RelayMode): string[] {
  return relay.kind === 'via' ? [`${relay.relay}/p2p-circuit`] : []
}

const VIEWER_LIMIT: Limit = { data: VIEWER_RELAY_DATA_LIMIT, duration: VIEWER_RELAY_DURATION_MS }
const NODE_LIMIT: Limit = { data: NODE_RELAY_DATA_LIMIT, duration: NODE_RELAY_DURATION_MS }

/** The relay server's view of its reservations (its `reservationStore` is not in the public types). */
interface ReservationStoreLike { reserve: (peer: PeerId, addr: unknown, limit?: Limit) => unknown, get: (peer: PeerId) => RelayReservation | undefined }

/**
 * The circuit relay server with two tiers. The installed relay (v4) gives every reservation the
 * same default limits and has no hook to choose them per peer; so each reservation's `limit` is
 * made a getter, read when a relayed connection is set up (`handleConnect`): the node tier when
 * the destination is a node, else the viewer tier. Who may use the node tier is checked by the
 * connection gater (`relayGater`): a relayed connection to a node must come from a node.
 */
export function tieredRelayServer (nodePeers: NodePeers, onService: (s: CircuitRelayService) => void) {
  const make = circuitRelayServer({
    hopTimeout: 10_000,
    maxInboundHopStreams: MAX_RELAY_HOP_STREAMS,
    reservations: {
      maxReservations: MAX_VIEWER_RESERVATIONS + MAX_NODE_RESERVATIONS,
      reservationTtl: VIEWER_RESERVATION_TTL_MS,
      applyDefaultLimit: true,
      defaultDataLimit: VIEWER_RELAY_DATA_LIMIT,
      defaultDurationLimit: VIEWER_RELAY_DURATION_MS
    }
  })
  return (components: CircuitRelayServerComponents): CircuitRelayService => {
    const service = make(components)
    const store = (service as unknown as { reservationStore?: ReservationStoreLike }).reservationStore
    if (store !== undefined && typeof store.reserve === 'function') {
      const reserve = store.reserve.bind(store)
      store.reserve = (peer, addr, limit) => {
        const result = reserve(peer, addr, limit)
        const r = store.get(peer)
        if (r !== undefined && Object.getOwnPropertyDescriptor(r, 'limit')?.get === undefined) {
          Object.defineProperty(r, 'limit', { get: () => nodePeers.has(peer) ? NODE_LIMIT : VIEWER_LIMIT, enumerable: true, configurable: true })
        }
        return result
      }
    }
    onService(service)
    return service
  }
}

/**
 * The relay's admission rules, as a libp2p connection gater:
 * - a node may hold a slot while fewer than MAX_NODE_RESERVATIONS other nodes do (viewers have
 *   their own MAX_VIEWER_RESERVATIONS, within the server's total);
 * - a relayed connection *to a node* (node tier) is set up only *from a node*: viewers reach
 *   nodes over HTTP and WebSockets, never through another node's relay.
 */
export function relayGater (nodePeers: NodePeers, service: () => CircuitRelayService | undefined) {
  const count = (node: boolean, except: PeerId): number => {
    let n = 0
    for (const peer of service()?.reservations.keys() ?? []) if (!peer.equals(except) && nodePeers.has(peer) === node) n++
    return n
  }
  return {
    denyInboundRelayReservation: async (peer: PeerId): Promise<boolean> => {
      const node = await nodePeers.isNode(peer)
      return count(node, peer) >= (node ? MAX_NODE_RESERVATIONS : MAX_VIEWER_RESERVATIONS)
    },
    denyOutboundRelayedConnection: async (source: PeerId, destination: PeerId): Promise<boolean> => nodePeers.has(destination) && !await nodePeers.isNode(source)
  }
}

/** AutoNAT (v1) with few streams per connection, whose random walk pauses between DHT queries. */
function pacedAutoNAT () {
  const make = autoNAT({ maxInboundStreams: 2, maxOutboundStreams: 2, timeout: 15_000 })
  return (components: AutoNATComponents & { peerRouting: PeerRouting }): unknown =>
    // libp2p's components object is a proxy; this one differs from it in the walk only.
    make(Object.create(components, { randomWalk: { value: pacedRandomWalk(components.peerRouting) } }) as AutoNATComponents)
}

/** Keeps `nodePeers` up to date from identify and disconnects (a libp2p service with no API of its own). */
function nodePeerTracker (nodePeers: NodePeers) {
  return (components: { events: TypedEventTarget<Libp2pEvents> }) => {
    const onIdentify = (e: CustomEvent<Libp2pEvents['peer:identify']['detail']>): void => { nodePeers.identified(e.detail.peerId.toString(), e.detail.protocols, DHT_PROTOCOL) }
    const onGone = (e: CustomEvent<PeerId>): void => { nodePeers.gone(e.detail.toString()) }
    return {
      start: () => {
        components.events.addEventListener('peer:identify', onIdentify)
        components.events.addEventListener('peer:disconnect', onGone)
      },
      stop: () => {
        components.events.removeEventListener('peer:identify', onIdentify)
        components.events.removeEventListener('peer:disconnect', onGone)
      }
    }
  }
}

export interface ViewerRelayOptions {
  /** The WebSockets port viewers dial (0 = ephemeral). */
  port: number
}

/**
 * `announce` (the operator's `--announce` multiaddrs) replaces the bound addresses in what peers
 * learn; `appendAnnounce` (the HTTP plane's address) is announced either way.
 */
export function libp2pOptions (privateKey: PrivateKey, host: string, port: number, appendAnnounce: string[] = [], viewerRelay?: ViewerRelayOptions, announce?: string[], nat: NatOptions = { ...DEFAULT_NAT, nodePeers: new NodePeers() }) {
  const relayOn = nat.relay.kind !== 'off'
  let relayService: CircuitRelayService | undefined
  return {
    privateKey,
    addresses: {
      listen: [
        ...(nat.listen ? [`/ip4/${host}/tcp/${port}`] : []),
        ...(viewerRelay === undefined ? [] : [`/ip4/${host}/tcp/${viewerRelay.port}/ws`]),
        ...circuitListenAddrs(nat.relay)
      ],
      ...(announce === undefined ? { appendAnnounce } : { announce: [...announce, ...appendAnnounce] })
    },
    transports: [tcp(), ...(viewerRelay === undefined ? [] : [webSockets()]), ...(relayOn ? [circuitRelayTransport({ reservationCompletionTimeout: 10_000 })] : [])],
    connectionGater: relayGater(nat.nodePeers, () => relayService),
    connectionEncrypters: [noise()],
    // A stream's receive window stays below the stream's read buffer, so pausing a stream
    // (back-pressure in FrameReader) can never overflow it.
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: MAX_STREAM_WINDOW } })],
    peerDiscovery: [],
    // The peer store is persisted in the node's datastore; peers seen in the last week are
    // dialled again at start (known-peers.ts), so a moved bootstrap peer does not strand a node.
    peerStore: { maxAddressAge: PEER_ADDRESS_AGE_MS, maxPeerAge: PEER_AGE_MS },
    services: {
      identify: identify(),
      ping: ping(),
      // Peers dial this node's public addresses back and say whether they could (nat.ts).
      // Its random walk is paced (nat.ts pacedRandomWalk): libp2p's spins on our private DHT.
      autoNAT: pacedAutoNAT(),
      nodePeers: nodePeerTracker(nat.nodePeers),
      // Loopback and LAN addresses are real addresses in this network: keep them (passthrough).
      dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true }),
      ...(viewerRelay === undefined
        ? {}
        : {
            relay: tieredRelayServer(nat.nodePeers, s => { relayService = s })
          })
    }
  }
}

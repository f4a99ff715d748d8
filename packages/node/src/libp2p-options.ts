/**
 * The libp2p host of a node: TCP + Noise + Yamux, identify, ping and a private Kademlia DHT
 * (`/p2pdv/kad/1.0.0`). Nothing is discovered or dialled implicitly: no mDNS, UPnP, public
 * bootstrap or delegated routing; peers come from `--bootstrap` and the DHT itself.
 *
 * With the viewer relay on (`--viewer-relay`, default), the node also listens for viewers on
 * WebSockets and runs a circuit-relay v2 server whose relayed connections may carry only WebRTC
 * signalling (small data and time limits): viewers then exchange blocks over direct WebRTC
 * connections, never through the node (docs/architecture.md "P2P delivery between viewers").
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { PrivateKey } from '@libp2p/interface'
import { PEER_ADDRESS_AGE_MS, PEER_AGE_MS } from './known-peers.ts'

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

export interface ViewerRelayOptions {
  /** The WebSockets port viewers dial (0 = ephemeral). */
  port: number
}

/**
 * `announce` (the operator's `--announce` multiaddrs) replaces the bound addresses in what peers
 * learn; `appendAnnounce` (the HTTP plane's address) is announced either way.
 */
export function libp2pOptions (privateKey: PrivateKey, host: string, port: number, appendAnnounce: string[] = [], viewerRelay?: ViewerRelayOptions, announce?: string[]) {
  return {
    privateKey,
    addresses: {
      listen: [`/ip4/${host}/tcp/${port}`, ...(viewerRelay === undefined ? [] : [`/ip4/${host}/tcp/${viewerRelay.port}/ws`])],
      ...(announce === undefined ? { appendAnnounce } : { announce: [...announce, ...appendAnnounce] })
    },
    transports: viewerRelay === undefined ? [tcp()] : [tcp(), webSockets()],
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
      // Loopback and LAN addresses are real addresses in this network: keep them (passthrough).
      dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true }),
      ...(viewerRelay === undefined
        ? {}
        : {
            relay: circuitRelayServer({
              hopTimeout: 10_000,
              reservations: {
                maxReservations: MAX_VIEWER_RESERVATIONS,
                reservationTtl: VIEWER_RESERVATION_TTL_MS,
                applyDefaultLimit: true,
                defaultDataLimit: VIEWER_RELAY_DATA_LIMIT,
                defaultDurationLimit: VIEWER_RELAY_DURATION_MS
              }
            })
          })
    }
  }
}

/**
 * The libp2p host of a node: TCP + Noise + Yamux, identify, ping and a private Kademlia DHT
 * (`/p2pdv/kad/1.0.0`). Nothing is discovered or dialled implicitly: no mDNS, UPnP, public
 * bootstrap or delegated routing; peers come from `--bootstrap` and the DHT itself.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { PrivateKey } from '@libp2p/interface'
import { PEER_ADDRESS_AGE_MS, PEER_AGE_MS } from './known-peers.ts'

export const DHT_PROTOCOL = '/p2pdv/kad/1.0.0'
export const MAX_STREAM_WINDOW = 2 * 1024 * 1024

export function libp2pOptions (privateKey: PrivateKey, host: string, port: number, appendAnnounce: string[] = []) {
  return {
    privateKey,
    addresses: { listen: [`/ip4/${host}/tcp/${port}`], appendAnnounce },
    transports: [tcp()],
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
      dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true })
    }
  }
}

/**
 * The client's libp2p host: dials out only (no listen address, no discovery), TCP with Noise and
 * Yamux, identify. Used by the libp2p transports of uploads and key requests, each loading it only
 * when that transport is chosen.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'

export async function createClientHost (): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() }
  })
}

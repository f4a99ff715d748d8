/**
 * On start a node dials its bootstrap peers and the peers it has seen before: the libp2p peer
 * store lives in the node's LevelDB datastore, so it survives restarts. A node whose bootstrap
 * peer moved (or is gone) still rejoins through any known peer that is still where it was.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'

/** Known peers dialled at start, besides the bootstrap list (most recently connected first). */
export const MAX_KNOWN_PEER_DIALS = 16
export const START_DIAL_TIMEOUT_MS = 10_000
/** Peer addresses are kept this long without news (libp2p's default is an hour). */
export const PEER_ADDRESS_AGE_MS = 7 * 24 * 3600_000
export const PEER_AGE_MS = 30 * 24 * 3600_000

/**
 * Dials every bootstrap address and up to MAX_KNOWN_PEER_DIALS known peers, side by side; each
 * failure is logged and skipped. Resolves with the number of peers connected afterwards.
 */
export async function dialStartPeers (libp2p: Libp2p, bootstrap: string[], log: Logger): Promise<number> {
  const self = libp2p.peerId.toString()
  const known: PeerId[] = []
  try {
    for (const p of await libp2p.peerStore.all()) {
      if (p.id.toString() === self || p.addresses.length === 0) continue
      known.push(p.id)
      if (known.length >= MAX_KNOWN_PEER_DIALS) break
    }
  } catch (err) {
    log.warn({ err }, 'could not read the peer store; dialling the bootstrap list only')
  }
  await Promise.all([
    ...bootstrap.map(async b => {
      try {
        await libp2p.dial(multiaddr(b), { signal: AbortSignal.timeout(START_DIAL_TIMEOUT_MS) })
      } catch (err) {
        log.warn({ err, bootstrap: b }, 'could not reach a bootstrap peer; continuing')
      }
    }),
    // Dialled by peer id: libp2p tries every address the peer store has for it.
    ...known.map(async id => {
      try {
        await libp2p.dial(id, { signal: AbortSignal.timeout(START_DIAL_TIMEOUT_MS) })
      } catch (err) {
        log.debug({ err, peer: id.toString() }, 'a known peer is not where it was')
      }
    })
  ])
  const connected = libp2p.getPeers().length
  if (bootstrap.length + known.length > 0) log.info({ connected, bootstrap: bootstrap.length, known: known.length }, 'dialled start peers')
  return connected
}

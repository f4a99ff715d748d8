/**
 * Where a client command finds nodes: `--node URL` flags, or the running devnet's state file —
 * the seeds of a PeerDirectory that follows nodes as they move (`$P2PDV_HOME/peers/<network>.json`).
 */
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import type { PeerDirectory, PeerInfo } from '@p2pdv/sdk'
import { listOpt, type ParsedArgs } from './command.ts'
import { devnetDir, readDevnetState } from './devnet-state.ts'
import { p2pdvHome } from './home.ts'

export const NODE_OPTION = { node: { type: 'string', multiple: true } } as const

/** Where downloaded blocks are kept for offline playback. */
export function cacheDir (): string {
  return resolve(process.env.P2PDV_CACHE_DIR ?? '.p2pdv/cache')
}

/** Like peersFromArgs, but with no devnet running it goes on with no nodes (cache only). */
export async function peersOrOffline (args: ParsedArgs): Promise<PeerInfo[]> {
  try {
    return await peersFromArgs(args)
  } catch (err) {
    if (isP2pdvError(err, 'ERR_NO_DEVNET')) return []
    throw err
  }
}

/** Like clientPeers, but with no devnet running it goes on with no nodes (cache only). */
export async function clientPeersOrOffline (args: ParsedArgs): Promise<{ peers: PeerInfo[], directory?: PeerDirectory }> {
  try {
    return await clientPeers(args)
  } catch (err) {
    if (isP2pdvError(err, 'ERR_NO_DEVNET')) return { peers: [] }
    throw err
  }
}

/** The client's peer cache for one network: the devnet run, or the set of `--node` URLs. */
export function peerCacheFile (network: string): string {
  return join(p2pdvHome(), 'peers', `${createHash('sha256').update(network).digest('hex').slice(0, 16)}.json`)
}

/** The network a command works on, by name: the running devnet's run, or the set of `--node` URLs. */
export async function networkOf (args: ParsedArgs): Promise<string> {
  const urls = listOpt(args, 'node')
  if (urls.length > 0) return `nodes ${urls.map(u => u.replace(/\/+$/, '')).sort().join(' ')}`
  return `devnet ${devnetDir()} ${(await readDevnetState()).startedAt}`
}

/**
 * The nodes a client starts with and the directory that finds them again when they move: seeded
 * from devnet.json (or the `--node` URLs, each checked), merged with what this network's cache
 * file learnt before. Pass both to `Client.create({ peers, directory })`.
 */
export async function clientPeers (args: ParsedArgs): Promise<{ peers: PeerInfo[], directory: PeerDirectory }> {
  const { PeerDirectory } = await import('@p2pdv/sdk/client')
  const urls = listOpt(args, 'node')
  let network: string
  let seeds: Array<PeerInfo & { seen?: number }>
  if (urls.length === 0) {
    const state = await readDevnetState()
    network = `devnet ${devnetDir()} ${state.startedAt}`
    seeds = state.nodes.map(n => ({ peerId: n.peerId, http: n.http, multiaddrs: n.multiaddrs, ...(n.seen === undefined ? {} : { seen: n.seen }) }))
  } else {
    network = `nodes ${urls.map(u => u.replace(/\/+$/, '')).sort().join(' ')}`
    const now = Date.now()
    try {
      seeds = (await peersFromArgs(args)).map(p => ({ ...p, seen: now }))
    } catch (err) {
      // A named node does not answer (it may have moved): go on with what this network's cache
      // knows, refreshed from whichever of those nodes answers.
      if (!isP2pdvError(err, 'ERR_NODE_UNREACHABLE')) throw err
      const cached = await PeerDirectory.open({ file: peerCacheFile(network) })
      if (cached.peers().length === 0) throw err
      await cached.refresh()
      return { peers: cached.peers(), directory: cached }
    }
    // Checked just now: remembered for when one of these URLs stops answering.
    const directory = await PeerDirectory.open({ file: peerCacheFile(network), seeds })
    await directory.save().catch(() => {})
    return { peers: directory.peers(), directory }
  }
  const directory = await PeerDirectory.open({ file: peerCacheFile(network), seeds })
  return { peers: directory.peers(), directory }
}

export async function peersFromArgs (args: ParsedArgs): Promise<PeerInfo[]> {
  const urls = listOpt(args, 'node')
  if (urls.length === 0) return (await readDevnetState()).nodes
  return await Promise.all(urls.map(async url => {
    const base = url.replace(/\/+$/, '')
    try {
      const { nodeInfo } = await import('@p2pdv/sdk/client')
      return await nodeInfo(base, AbortSignal.timeout(5000))
    } catch (cause) {
      if (isP2pdvError(cause, 'ERR_BAD_NODE_INFO')) throw cause
      throw new P2pdvError('ERR_NODE_UNREACHABLE', `cannot reach the node at ${base}`, {
        hint: 'Check the URL and that the node is running (`p2pdv node start`).', cause
      })
    }
  }))
}

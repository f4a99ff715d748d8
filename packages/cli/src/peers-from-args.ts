/** Where a client command finds nodes: `--node URL` flags, or the running devnet's state file. */
import { resolve } from 'node:path'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import type { PeerInfo } from '@p2pdv/sdk'
import { listOpt, type ParsedArgs } from './command.ts'
import { readDevnetState } from './devnet-state.ts'

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

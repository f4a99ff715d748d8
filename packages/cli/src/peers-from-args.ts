/** Where a client command finds nodes: `--node URL` flags, or the running devnet's state file. */
import { P2pdvError } from '@p2pdv/core/errors'
import type { PeerInfo } from '@p2pdv/sdk'
import { listOpt, type ParsedArgs } from './command.ts'
import { readDevnetState } from './devnet-state.ts'

export const NODE_OPTION = { node: { type: 'string', multiple: true } } as const

export async function peersFromArgs (args: ParsedArgs): Promise<PeerInfo[]> {
  const urls = listOpt(args, 'node')
  if (urls.length === 0) return (await readDevnetState()).nodes
  return await Promise.all(urls.map(async url => {
    const base = url.replace(/\/+$/, '')
    try {
      const res = await fetch(`${base}/api/v1/node`, { signal: AbortSignal.timeout(5000) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const info = await res.json() as { peerId: string, multiaddrs: string[] }
      return { peerId: info.peerId, multiaddrs: info.multiaddrs, http: base }
    } catch (cause) {
      throw new P2pdvError('ERR_NODE_UNREACHABLE', `cannot reach the node at ${base}`, {
        hint: 'Check the URL and that the node is running (`p2pdv node start`).', cause
      })
    }
  }))
}

import { NODE_OPTIONS, NODE_USAGE } from '@p2pdv/node/config'
import type { Command } from '../command.ts'

/**
 * `p2pdv node start`: runs the node daemon in this process (the daemon parses its own options),
 * serving the web app at `/`. The daemon (Helia, libp2p: seconds to load) is imported only when
 * this command runs, so every other command starts fast.
 */
export const nodeStart: Command = {
  name: 'node start',
  summary: 'run one storage node (blocks on disk, libp2p control plane, HTTP data plane); with --wallet it registers and stakes on chain',
  usage: NODE_USAGE,
  options: NODE_OPTIONS,
  async run () {
    const [{ runDaemon }, { createWebApp }] = await Promise.all([import('@p2pdv/node'), import('@p2pdv/web/app')])
    await runDaemon(process.argv.slice(process.argv.indexOf('start') + 1).filter(a => a !== '--json'), { webApp: createWebApp() })
    // The daemon keeps running until a signal stops it.
    return await new Promise<number>(() => {})
  }
}

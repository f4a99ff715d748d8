import { runDaemon, NODE_OPTIONS, NODE_USAGE } from '@p2pdv/node'
import type { Command } from '../command.ts'

/** `p2pdv node start`: runs the node daemon in this process; the daemon parses its own options. */
export const nodeStart: Command = {
  name: 'node start',
  summary: 'run one storage node (blocks on disk, libp2p control plane, HTTP data plane)',
  usage: NODE_USAGE,
  options: NODE_OPTIONS,
  async run () {
    await runDaemon(process.argv.slice(process.argv.indexOf('start') + 1).filter(a => a !== '--json'))
    // The daemon keeps running until a signal stops it.
    return await new Promise<number>(() => {})
  }
}

import { runDaemon, NODE_USAGE } from '@p2pdv/node'
import type { Command } from '../command.ts'

/** `p2pdv node start`: runs the node daemon in this process; the daemon parses its own options. */
export const nodeStart: Command = {
  name: 'node start',
  summary: 'run one storage node (blocks on disk, libp2p control plane, HTTP data plane); with --wallet it registers and stakes on chain',
  usage: NODE_USAGE,
  options: {
    data: { type: 'string' },
    'p2p-port': { type: 'string' },
    'http-port': { type: 'string' },
    host: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    quota: { type: 'string' },
    zone: { type: 'string' },
    repair: { type: 'boolean' },
    'no-repair': { type: 'boolean' },
    'repair-interval': { type: 'string' },
    'repair-rate': { type: 'string' },
    auditor: { type: 'string' },
    'passphrase-file': { type: 'string' },
    wallet: { type: 'string' },
    chain: { type: 'string' },
    rpc: { type: 'string' },
    keys: { type: 'string' },
    stake: { type: 'string' },
    keeper: { type: 'boolean' }
  },
  async run () {
    await runDaemon(process.argv.slice(process.argv.indexOf('start') + 1).filter(a => a !== '--json'))
    // The daemon keeps running until a signal stops it.
    return await new Promise<number>(() => {})
  }
}

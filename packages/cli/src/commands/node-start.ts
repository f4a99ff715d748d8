import { type Command } from '../command.ts'
import { nodeMainPath } from './devnet.ts'
import { spawn } from 'node:child_process'

/**
 * `p2pdv node start` runs the node daemon in this process's place: the daemon owns its own
 * option parsing (`packages/node/src/main.ts`), so the CLI passes the arguments through.
 */
export const nodeStart: Command = {
  name: 'node start',
  summary: 'run one storage node (blocks on disk, libp2p control plane, HTTP data plane)',
  usage: 'node start --data DIR [--p2p-port N] [--http-port N] [--bootstrap ADDR] [--quota BYTES] [--passphrase-file F]',
  options: {
    data: { type: 'string' },
    'p2p-port': { type: 'string' },
    'http-port': { type: 'string' },
    host: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    quota: { type: 'string' },
    'passphrase-file': { type: 'string' }
  },
  async run () {
    const argv = process.argv.slice(process.argv.indexOf('start') + 1).filter(a => a !== '--json')
    const child = spawn(process.execPath, [nodeMainPath(), ...argv], { stdio: 'inherit' })
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig))
    return await new Promise<number>(resolve => child.on('exit', code => resolve(code ?? 1)))
  }
}

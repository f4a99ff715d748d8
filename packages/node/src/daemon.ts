// The node daemon: parses options, starts the node, prints one JSON ready line on stdout, logs
// JSON to stderr, and stops cleanly on SIGINT/SIGTERM. `main.ts` and `p2pdv node start` run it.
import { P2pdvError } from '@p2pdv/core/errors'
import { registerNodeOnChain, type ChainRegistration } from './chain-registration.ts'
import { parseNodeArgs } from './config.ts'
import { tuneGcForBlockTraffic } from './gc-tuning.ts'
import type { WebApp } from './http-api.ts'
import { startNode } from './node.ts'

/** Set to `1` by a supervisor that keeps the child's stdin open as a lifeline. */
export const EXIT_WITH_PARENT_ENV = 'P2PDV_EXIT_WITH_PARENT'

export interface DaemonExtras {
  /** Served at `/` when given (`p2pdv node start` and the devnet pass the web app). */
  webApp?: WebApp
}

export async function runDaemon (argv: string[], extras: DaemonExtras = {}): Promise<void> {
  tuneGcForBlockTraffic()
  try {
    const config = parseNodeArgs(argv)
    const node = await startNode({ ...config, ...extras })
    // A node configured with a wallet must be registered to be useful: failing here stops it.
    let chain: ChainRegistration | undefined
    if (config.chain !== undefined) {
      try {
        chain = await registerNodeOnChain(node, config.chain, config.passphrase, config.quotaBytes)
      } catch (err) {
        await node.stop()
        throw err
      }
    }
    process.stdout.write(JSON.stringify({ event: 'ready', peerId: node.peerId, multiaddrs: node.multiaddrs, http: node.httpUrl, dataDir: node.dataDir, ...(chain === undefined ? {} : { chain }), ...(node.keeper === undefined ? {} : { keeper: node.keeper }) }) + '\n')
    let stopping = false
    const stop = (): void => {
      if (stopping) return
      stopping = true
      node.stop().then(() => process.exit(0), () => process.exit(1))
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    // Supervised (devnet, tests): stdin is a pipe from the supervisor, and its end means the
    // supervisor is gone (even killed with SIGKILL), so the node stops instead of living on orphaned.
    if (process.env[EXIT_WITH_PARENT_ENV] === '1') {
      process.stdin.on('end', stop).on('error', stop).resume()
    }
  } catch (err) {
    const e = err instanceof P2pdvError ? err : new P2pdvError('ERR_START', (err as Error).message)
    process.stderr.write(`error: ${e.message} [${e.code}]\n${e.hint === undefined ? '' : `  hint: ${e.hint}\n`}`)
    process.stdout.write(JSON.stringify({ event: 'error', error: e.toJSON() }) + '\n')
    process.exit(1)
  }
}

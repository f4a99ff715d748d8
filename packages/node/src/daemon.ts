// The node daemon: parses options, starts the node, prints one JSON ready line on stdout, logs
// JSON to stderr, and stops cleanly on SIGINT/SIGTERM. `main.ts` and `p2pdv node start` run it.
import { P2pdvError } from '@p2pdv/core/errors'
import { parseNodeArgs } from './config.ts'
import { startNode } from './node.ts'

export async function runDaemon (argv: string[]): Promise<void> {
  try {
    const node = await startNode(parseNodeArgs(argv))
    process.stdout.write(JSON.stringify({ event: 'ready', peerId: node.peerId, multiaddrs: node.multiaddrs, http: node.httpUrl, dataDir: node.dataDir, ...(node.keeper === undefined ? {} : { keeper: node.keeper }) }) + '\n')
    let stopping = false
    const stop = (): void => {
      if (stopping) return
      stopping = true
      node.stop().then(() => process.exit(0), () => process.exit(1))
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  } catch (err) {
    const e = err instanceof P2pdvError ? err : new P2pdvError('ERR_START', (err as Error).message)
    process.stderr.write(`error: ${e.message} [${e.code}]\n${e.hint === undefined ? '' : `  hint: ${e.hint}\n`}`)
    process.stdout.write(JSON.stringify({ event: 'error', error: e.toJSON() }) + '\n')
    process.exit(1)
  }
}

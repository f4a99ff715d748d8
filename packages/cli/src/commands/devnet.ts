import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { intOpt, type Command } from '../command.ts'
import { devnetDir, removeDevnetState, writeDevnetState, type DevnetNode, type DevnetState } from '../devnet-state.ts'
import { spawnReady, stopAll, type Child } from '../process-supervisor.ts'

/** Six nodes: enough for the default erasure coding (k = 4 data + m = 2 parity per stripe). */
export const DEFAULT_DEVNET_NODES = 6

interface NodeReady { event: 'ready', peerId: string, multiaddrs: string[], http: string, dataDir: string }

/** The node daemon's entry point, resolved through the package so it works from any cwd. */
export function nodeMainPath (): string {
  return fileURLToPath(new URL('./main.ts', import.meta.resolve('@p2pdv/node')))
}

/**
 * The devnet's node identities are sealed with a passphrase kept beside them (mode 0600). That is
 * a convenience for a throw-away local network only; real nodes take theirs from the operator.
 */
async function devnetPassphrase (dir: string): Promise<string> {
  const file = join(dir, 'passphrase')
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch {
    const pass = randomBytes(24).toString('base64url')
    await writeFile(file, pass + '\n', { mode: 0o600 })
    return pass
  }
}

export const devnet: Command = {
  name: 'devnet',
  summary: 'run a local network: several storage nodes on 127.0.0.1 (Ctrl-C stops everything)',
  usage: 'devnet [--nodes 6] [--fresh]',
  options: {
    nodes: { type: 'string' },
    fresh: { type: 'boolean', default: false }
  },
  async run (args, out) {
    const count = intOpt(args, 'nodes', DEFAULT_DEVNET_NODES, 1, 64)
    const dir = devnetDir()
    if (args.values.fresh === true) await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const passphrase = await devnetPassphrase(dir)
    const children: Array<Child<NodeReady>> = []
    let stopping = false
    const stop = async (): Promise<void> => {
      if (stopping) return
      stopping = true
      out.note('\nstopping devnet…')
      await stopAll(children)
      await removeDevnetState(dir)
      out.note('devnet stopped')
    }
    process.once('SIGINT', () => { void stop().then(() => process.exit(0)) })
    process.once('SIGTERM', () => { void stop().then(() => process.exit(0)) })

    try {
      out.note(`starting ${count} storage node(s) in ${dir}`)
      for (let i = 0; i < count; i++) {
        const name = `node-${i}`
        const dataDir = join(dir, name)
        const bootstrap = children[0]?.ready.multiaddrs[0]
        const child = await spawnReady<NodeReady>({
          name,
          args: [nodeMainPath(), '--data', dataDir, ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap])],
          env: { P2PDV_PASSPHRASE: passphrase },
          logFile: join(dir, `${name}.log`)
        })
        children.push(child)
        child.exited.then(code => {
          if (!stopping) out.note(`${name} exited (code ${String(code)}); the rest of the devnet keeps running`)
        }, () => {})
      }
    } catch (err) {
      await stop()
      throw err
    }

    const nodes: DevnetNode[] = children.map(c => ({
      name: c.name,
      peerId: c.ready.peerId,
      multiaddrs: c.ready.multiaddrs,
      http: c.ready.http,
      dataDir: c.ready.dataDir,
      pid: c.proc.pid ?? -1
    }))
    const state: DevnetState = { version: 1, startedAt: new Date().toISOString(), pid: process.pid, nodes }
    await writeDevnetState(state, dir)
    out.result({ event: 'ready', ...state }, () => [
      '',
      ...nodes.map(n => `  ${n.name}  ${n.http}  ${n.peerId}`),
      '',
      `devnet ready: ${nodes.length} node(s). State in ${join(dir, 'devnet.json')}; logs in ${dir}/*.log`,
      'Try: npx p2pdv put FILE   then   npx p2pdv get CAPABILITY -o OUT      (Ctrl-C to stop)'
    ].join('\n'))
    // Keep running until a signal arrives.
    setInterval(() => {}, 1 << 30)
    await new Promise(() => {})
  }
}

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { P2pdvError } from '@p2pdv/core/errors'
import { intOpt, stringOpt, type Command } from '../command.ts'
import { startDevnetChain, type StartedChain } from '../chain/devnet-chain.ts'
import { devnetDir, devnetKeysDir, removeDevnetState, writeDevnetState, type DevnetNode, type DevnetState } from '../devnet-state.ts'
import { spawnReady, stopAll, type Child } from '../process-supervisor.ts'
import type { Monitoring } from '../monitoring.ts'
import { DEFAULT_RESTART_POLICY, RestartPolicy } from '../restart-policy.ts'

/** Keepers anchor their audit-log heads this often on the devnet, so anchors show up in seconds. */
export const DEVNET_ANCHOR_INTERVAL_SECONDS = 10

/** Six nodes: enough for the default erasure coding (k = 4 data + m = 2 parity per stripe). */
export const DEFAULT_DEVNET_NODES = 6
/** Which devnet node runs the auditor role. */
export const DEVNET_AUDITOR_INDEX = 0
/**
 * The auditor also settles rewards (`--settle`) in epochs this long, so a developer sees an epoch
 * posted within minutes of uploading (audits run every minute); real settlers default to a day.
 */
export const DEVNET_SETTLE_EPOCH_MS = 120_000

interface NodeReady { event: 'ready', peerId: string, multiaddrs: string[], http: string, dataDir: string }

/** The node daemon's entry point (a node that also serves the web app), from any cwd. */
export function nodeMainPath (): string {
  return fileURLToPath(new URL('../node-main.ts', import.meta.url))
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
  summary: 'run a local network on 127.0.0.1: an EVM chain with the contracts deployed and storage nodes staked on it (Ctrl-C stops everything)',
  usage: 'devnet [--nodes 6] [--fresh] [--rpc URL | --no-chain] [--monitoring] [--restarts 5] [--p2p-default on|off] [--audit-interval MS] [--settle-epoch MS]',
  options: {
    nodes: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    rpc: { type: 'string' },
    'no-chain': { type: 'boolean', default: false },
    monitoring: { type: 'boolean', default: false },
    // Crashes per node within 10 min that the devnet restarts; the next one leaves it down. 0 = never.
    restarts: { type: 'string' },
    // The nodes' pages: P2P for viewers who have not chosen (node start --p2p-default).
    'p2p-default': { type: 'string' },
    // The auditor node's audit round (node start --audit-interval; default a minute) and reward
    // epoch (--settle-epoch; default DEVNET_SETTLE_EPOCH_MS): shorter ones let a test or a
    // developer see audits settle and a claim within seconds.
    'audit-interval': { type: 'string' },
    'settle-epoch': { type: 'string' }
  },
  async run (args, out) {
    const count = intOpt(args, 'nodes', DEFAULT_DEVNET_NODES, 1, 64)
    const maxCrashes = intOpt(args, 'restarts', DEFAULT_RESTART_POLICY.maxCrashes, 0, 100)
    const p2pDefaultArg = args.values['p2p-default']
    if (p2pDefaultArg !== undefined && p2pDefaultArg !== 'on' && p2pDefaultArg !== 'off') throw new P2pdvError('ERR_USAGE', `--p2p-default must be on or off, not ${JSON.stringify(p2pDefaultArg)}`, { hint: `usage: p2pdv ${devnet.usage}` })
    const p2pDefault = p2pDefaultArg === undefined ? [] : ['--p2p-default', p2pDefaultArg]
    const auditInterval = args.values['audit-interval'] === undefined ? [] : ['--audit-interval', String(intOpt(args, 'audit-interval', 60_000, 100, 86_400_000))]
    const settleEpochMs = intOpt(args, 'settle-epoch', DEVNET_SETTLE_EPOCH_MS, 1_000, 30 * 86_400_000)
    if (args.values['no-chain'] === true && stringOpt(args, 'rpc') !== undefined) {
      throw new P2pdvError('ERR_USAGE', '--rpc names the chain to deploy to; --no-chain runs without one: pick one', { hint: `usage: p2pdv ${devnet.usage}` })
    }
    const dir = devnetDir()
    // npm may itself run on an older system Node: say which one runs the network.
    out.note(`Node.js ${process.version} (${process.execPath})`)
    if (args.values.fresh === true) await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const passphrase = await devnetPassphrase(dir)
    const children: Array<Child<NodeReady>> = []
    let bootstrapOf: (i: number) => string | undefined = () => undefined
    let respawn: ((i: number, bootstrap: string | undefined) => Promise<Child<NodeReady>>) | undefined
    let chain: StartedChain | undefined
    let monitoring: Monitoring | undefined
    let stopping = false
    /** Set once the devnet is ready: from then on a node that dies is restarted. */
    let onCrash: ((i: number, child: Child<NodeReady>) => void) | undefined
    const stop = async (): Promise<void> => {
      if (stopping) return
      stopping = true
      out.note('\nstopping devnet…')
      await monitoring?.stop()
      await stopAll(children)
      await chain?.stop()
      await removeDevnetState(dir)
      out.note('devnet stopped')
    }
    process.once('SIGINT', () => { void stop().then(() => process.exit(0)) })
    process.once('SIGTERM', () => { void stop().then(() => process.exit(0)) })

    try {
      if (args.values['no-chain'] !== true) {
        const rpc = stringOpt(args, 'rpc')
        out.note(rpc === undefined ? 'starting the chain (anvil) and deploying the contracts' : `deploying the contracts to ${rpc}`)
        chain = await startDevnetChain(dir, passphrase, Array.from({ length: count }, (_, i) => `node-${i}`), {
          ...(rpc === undefined ? {} : { rpc }),
          // The auditor node's wallet slashes and publishes reputation through the audit role.
          auditors: [`node-${DEVNET_AUDITOR_INDEX}`],
          // …and posts reward epochs with the Rewards settler role.
          settlers: [`node-${DEVNET_AUDITOR_INDEX}`]
        })
      }
      out.note(`starting ${count} storage node(s) in ${dir}`)
      const spawnNode = async (i: number, bootstrap: string | undefined): Promise<Child<NodeReady>> => {
        const name = `node-${i}`
        const dataDir = join(dir, name)
        // Each node registers and stakes with its own wallet as it starts, and offers the keeper role.
        const chainArgs = chain === undefined ? [] : ['--chain', chain.chainFile, '--wallet', name, '--keys', devnetKeysDir(dir), '--keeper', '--anchor-interval', String(DEVNET_ANCHOR_INTERVAL_SECONDS)]
        // node-0 also runs the auditor role: it audits the objects whose placement records the
        // nodes keep and publishes reputation (GET /api/v1/reputation); the other nodes' repair
        // workers weigh placement by it.
        const auditorUrl = children[DEVNET_AUDITOR_INDEX]?.ready.http
        const auditor = chain === undefined ? ['--audit', ...auditInterval] : ['--audit', ...auditInterval, '--settle', '--settle-epoch', String(settleEpochMs)]
        const role = i === DEVNET_AUDITOR_INDEX ? auditor : auditorUrl === undefined ? [] : ['--auditor', auditorUrl]
        const child = await spawnReady<NodeReady>({
          name,
          args: [nodeMainPath(), '--data', dataDir, ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap]), ...role, ...chainArgs, ...p2pDefault],
          env: { P2PDV_PASSPHRASE: passphrase },
          logFile: join(dir, `${name}.log`)
        })
        child.exited.then(code => {
          if (stopping) return
          if (onCrash !== undefined) onCrash(i, child)
          else out.note(`${name} exited (code ${String(code)}); the rest of the devnet keeps running`)
        }, () => {})
        return child
      }
      const startNode = async (i: number, bootstrap: string | undefined): Promise<Child<NodeReady>> => {
        const child = await spawnNode(i, bootstrap)
        children.push(child)
        return child
      }
      bootstrapOf = i => i === 0 ? undefined : children.find(c => c.name === 'node-0')?.ready.multiaddrs[0]
      respawn = spawnNode
      // The first node is everyone's bootstrap peer; the others start side by side, as many at
      // once as there are cores (more would only slow each start down).
      const first = await startNode(0, undefined)
      let next = 1
      const lanes = Array.from({ length: Math.min(availableParallelism(), count - 1) }, async () => {
        while (next < count) await startNode(next++, first.ready.multiaddrs[0])
      })
      const failed = (await Promise.allSettled(lanes)).find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
      children.sort((a, b) => Number(a.name.slice(5)) - Number(b.name.slice(5)))
      if (args.values.monitoring === true) {
        out.note('starting Prometheus (--monitoring)')
        const { startMonitoring } = await import('../monitoring.ts')
        monitoring = await startMonitoring(dir, children.map(c => ({ name: c.name, http: c.ready.http })))
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
    const state: DevnetState = {
      version: 1, startedAt: new Date().toISOString(), pid: process.pid, nodes, auditor: nodes[DEVNET_AUDITOR_INDEX]!.http,
      ...(chain === undefined ? {} : { settler: nodes[DEVNET_AUDITOR_INDEX]!.http }),
      ...(chain === undefined ? {} : { chain: chain.state }),
      ...(monitoring === undefined ? {} : { monitoring: { prometheus: monitoring.url } })
    }
    await writeDevnetState(state, dir)

    // Self-healing: a node that dies (a crash, kill -9) comes back on its remembered ports with
    // its data dir, with backoff; after --restarts crashes within the window it stays down.
    const policies = new Map<number, RestartPolicy>()
    onCrash = (i, dead) => {
      // Exit code 0 is a clean stop (SIGTERM, an operator's hand): like systemd's on-failure, the
      // devnet restarts only crashes, so a node stopped to be started by hand is left to its owner.
      if (dead.proc.exitCode === 0) {
        out.note(`${dead.name} stopped cleanly (code 0): not restarting it; the rest of the devnet keeps running`)
        return
      }
      const policy = policies.get(i) ?? new RestartPolicy({ maxCrashes })
      policies.set(i, policy)
      const how = dead.proc.signalCode ?? `code ${String(dead.proc.exitCode)}`
      const decision = policy.crashed(Date.now())
      if (!decision.restart) {
        out.result({ event: 'node-given-up', name: dead.name, crashes: decision.crashesInWindow }, () =>
          `${dead.name} exited (${how}), its crash ${decision.crashesInWindow} within ${policy.options.windowMs / 60_000} min: not restarting it; the rest of the devnet keeps running. See ${join(dir, `${dead.name}.log`)}`)
        return
      }
      out.note(`${dead.name} exited (${how}); restarting it in ${decision.delayMs / 1000} s (crash ${decision.crashesInWindow} of ${policy.options.maxCrashes} allowed within ${policy.options.windowMs / 60_000} min)`)
      setTimeout(() => {
        if (stopping) return
        respawn!(i, bootstrapOf(i)).then(child => {
          if (stopping) { void stopAll([child]); return }
          children[children.indexOf(dead)] = child
          const node = state.nodes.find(n => n.name === child.name)!
          node.pid = child.proc.pid ?? -1
          node.http = child.ready.http
          node.multiaddrs = child.ready.multiaddrs
          writeDevnetState(state, dir).catch((err: unknown) => { out.note(`could not update devnet.json: ${String(err)}`) })
          out.result({ event: 'node-restarted', name: child.name, pid: node.pid, http: child.ready.http }, () => `${child.name} is back at ${child.ready.http}`)
        }, () => {
          // It died again before it was ready: that is one more crash.
          if (!stopping) onCrash?.(i, dead)
        })
      }, decision.delayMs).unref()
    }
    out.result({ event: 'ready', ...state }, () => [
      '',
      ...nodes.map((n, i) => `  ${n.name}  ${n.http}  ${n.peerId}${i === DEVNET_AUDITOR_INDEX ? (chain === undefined ? '  (auditor)' : `  (auditor; settles rewards every ${settleEpochMs >= 60_000 ? `${settleEpochMs / 60_000} min` : `${settleEpochMs / 1000} s`}: \`p2pdv rewards --as node-1\`)`) : ''}`),
      ...(chain === undefined ? [] : [
        '',
        `  chain   ${chain.state.rpc} (chain id ${chain.state.chainId}); contracts in ${join(dir, 'chain.json')}`,
        `  wallets ${Object.entries(chain.state.accounts).filter(([n]) => !n.startsWith('node-')).map(([n, a]) => `${n} ${a.slice(0, 8)}…`).join(', ')} (commands act as alice; --as NAME for another)`
      ]),
      ...(monitoring === undefined ? [] : ['', `  prometheus ${monitoring.url}  (alerts: ${monitoring.url}/alerts; dashboards for Grafana in deploy/grafana/)`]),
      '',
      `web app: ${nodes[0]?.http ?? ''}/  (every node serves it)`,
      '',
      `devnet ready: ${nodes.length} node(s). State in ${join(dir, 'devnet.json')}; logs in ${dir}/*.log`,
      chain === undefined
        ? 'Try: npx p2pdv put FILE   then   npx p2pdv get CAPABILITY -o OUT      (Ctrl-C to stop)'
        : 'Try: npx p2pdv upload VIDEO --price 0.01   then   npx p2pdv ls   and   npx p2pdv buy VIDEO_ID --as bob      (Ctrl-C to stop)'
    ].join('\n'))
    // Keep running until a signal arrives.
    setInterval(() => {}, 1 << 30)
    await new Promise(() => {})
  }
}

/**
 * The devnet writes what it started to `<dir>/devnet.json`; every other command reads it to find
 * the nodes (and, later, the chain and the web app) without any flags.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { PORTS_FILE, readRememberedPorts } from '@p2pdv/node/ports'
import type { PeerInfo } from '@p2pdv/sdk'

export const DEFAULT_DEVNET_DIR = '.p2pdv/devnet'
export const DEVNET_STATE_VERSION = 1

export interface DevnetNode extends PeerInfo {
  name: string
  dataDir: string
  pid: number
  /** When this entry was last known right (ms): devnet.json's or the node's ports.json's write time. */
  seen?: number
}

/** The devnet's chain: where it is, what is deployed, and the named dev accounts. */
export interface DevnetChain {
  rpc: string
  chainId: number
  /** Block of the first deployment transaction (decimal string). */
  startBlock: string
  contracts: Record<string, string>
  /** Dev identity name → address (alice, bob, carol, ops, node-0…). */
  accounts: Record<string, string>
}

export interface DevnetState {
  version: typeof DEVNET_STATE_VERSION
  startedAt: string
  pid: number
  nodes: DevnetNode[]
  chain?: DevnetChain
  /** HTTP URL of the node running the auditor role (reputation: GET <auditor>/api/v1/reputation). */
  auditor?: string
  /** HTTP URL of the node running the settler role (reward proofs: GET <settler>/api/v1/rewards/…). */
  settler?: string
  [extra: string]: unknown
}

/** Dev wallets live here, sealed with the devnet passphrase. */
export function devnetKeysDir (dir = devnetDir()): string {
  return join(dir, 'keys')
}

export function devnetPassphrasePath (dir = devnetDir()): string {
  return join(dir, 'passphrase')
}

export function devnetDir (): string {
  return resolve(process.env.P2PDV_DEVNET_DIR ?? DEFAULT_DEVNET_DIR)
}

export function statePath (dir = devnetDir()): string {
  return join(dir, 'devnet.json')
}

export async function writeDevnetState (state: DevnetState, dir = devnetDir()): Promise<void> {
  await mkdir(dir, { recursive: true })
  const tmp = `${statePath(dir)}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, statePath(dir))
}

export async function removeDevnetState (dir = devnetDir()): Promise<void> {
  await rm(statePath(dir), { force: true })
}

export async function readDevnetState (dir = devnetDir()): Promise<DevnetState> {
  let text: string
  try {
    text = await readFile(statePath(dir), 'utf8')
  } catch {
    throw new P2pdvError('ERR_NO_DEVNET', `no running devnet found (${statePath(dir)} is missing)`, {
      hint: 'Start one with `npm start` (or `p2pdv devnet`) in another terminal, or pass --node http://HOST:PORT.'
    })
  }
  try {
    const state = JSON.parse(text) as DevnetState
    if (state.version !== DEVNET_STATE_VERSION || !Array.isArray(state.nodes)) throw new Error('shape')
    const written = (await stat(statePath(dir))).mtimeMs
    const followed = await Promise.all(state.nodes.map(async n => await followRestart(n, written)))
    // The auditor is one of the nodes: it moves with it.
    const auditor = state.nodes.findIndex(n => n.http === state.auditor)
    if (auditor >= 0) state.auditor = followed[auditor]!.http
    const settler = state.nodes.findIndex(n => n.http === state.settler)
    if (settler >= 0) state.settler = followed[settler]!.http
    state.nodes = followed
    return state
  } catch {
    throw new P2pdvError('ERR_DEVNET_STATE', `${statePath(dir)} is not a devnet state file this version understands`, {
      hint: 'Stop the devnet, delete .p2pdv/devnet/devnet.json and start it again.'
    })
  }
}

/**
 * A devnet node restarted by hand (or on other ports) writes the ports it bound to its data dir:
 * the entry follows them, so devnet.json never sends a client to a port the node left.
 */
async function followRestart (node: DevnetNode, written: number): Promise<DevnetNode> {
  const ports = await readRememberedPorts(node.dataDir)
  let http: URL
  try { http = new URL(node.http) } catch { return node }
  const portsWritten = await stat(join(node.dataDir, PORTS_FILE)).then(s => s.mtimeMs, () => 0)
  if (ports.http === undefined || ports.p2p === undefined || portsWritten <= written) return { ...node, seen: written }
  http.port = String(ports.http)
  const p2p = ports.p2p
  return {
    ...node,
    http: http.origin,
    multiaddrs: node.multiaddrs.map(a => a.replace(/\/tcp\/\d+/, `/tcp/${p2p}`)),
    seen: portsWritten
  }
}

/** Node configuration: typed, with documented defaults, parsed once from argv and the environment. */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { P2pdvError } from '@p2pdv/core/errors'

export const DEFAULT_HOST = '127.0.0.1'
/** 0 = an ephemeral port chosen by the OS. */
export const DEFAULT_P2P_PORT = 0
export const DEFAULT_HTTP_PORT = 0
/** Bytes of block data a node accepts before it refuses with ERR_QUOTA_EXCEEDED. */
export const DEFAULT_QUOTA_BYTES = 10 * 1024 ** 3
/** A store stream that sends nothing for this long is closed. */
export const DEFAULT_STORE_IDLE_TIMEOUT_MS = 30_000
export const DEFAULT_PROVIDER_LOOKUP_TIMEOUT_MS = 5_000

/** Register and stake on chain at start (when the node has a wallet). */
export interface NodeChainConfig {
  /** A chain description (JSON: rpc, chainId, contracts; or a devnet.json). */
  chainFile: string
  /** Overrides the file's RPC endpoint. */
  rpc?: string
  /** Wallet name in `keysDir`, opened with the node's passphrase. */
  wallet: string
  keysDir: string
  /** P2PV (in tokens, e.g. "1500") to stake at first registration; at least the minimum. */
  stake?: string
  /** Offer the key-keeper role. */
  keeper: boolean
}

export interface NodeConfig {
  dataDir: string
  host: string
  p2pPort: number
  httpPort: number
  bootstrap: string[]
  quotaBytes: number
  passphrase: string
  storeIdleTimeoutMs: number
  chain?: NodeChainConfig
}

export const ConfigErrorCode = {
  INVALID: 'ERR_CONFIG',
  NO_PASSPHRASE: 'ERR_NO_PASSPHRASE'
} as const

export const NODE_USAGE = 'node start --data DIR [--host 127.0.0.1] [--p2p-port 0] [--http-port 0] [--bootstrap MULTIADDR …] [--quota BYTES] [--passphrase-file FILE] [--wallet NAME --chain FILE [--rpc URL] [--keys DIR] [--stake P2PV] [--keeper]]'

function port (v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new P2pdvError(ConfigErrorCode.INVALID, `--${name} must be a port number from 0 to 65535`, { hint: `e.g. --${name} 0 for any free port` })
  return n
}

export function parseNodeArgs (argv: string[], env: NodeJS.ProcessEnv = process.env): NodeConfig {
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        host: { type: 'string' },
        'p2p-port': { type: 'string' },
        'http-port': { type: 'string' },
        bootstrap: { type: 'string', multiple: true },
        quota: { type: 'string' },
        'passphrase-file': { type: 'string' },
        wallet: { type: 'string' },
        chain: { type: 'string' },
        rpc: { type: 'string' },
        keys: { type: 'string' },
        stake: { type: 'string' },
        keeper: { type: 'boolean' },
        json: { type: 'boolean' }
      },
      strict: true
    }))
  } catch (cause) {
    throw new P2pdvError(ConfigErrorCode.INVALID, (cause as Error).message, { hint: `usage: p2pdv ${NODE_USAGE}` })
  }
  const dataDir = values.data
  if (typeof dataDir !== 'string' || dataDir === '') throw new P2pdvError(ConfigErrorCode.INVALID, '--data DIR is required', { hint: `usage: p2pdv ${NODE_USAGE}` })
  const quota = values.quota === undefined ? DEFAULT_QUOTA_BYTES : Number(values.quota)
  if (!Number.isSafeInteger(quota) || quota < 0) throw new P2pdvError(ConfigErrorCode.INVALID, '--quota must be a number of bytes', { hint: 'e.g. --quota 10737418240 for 10 GiB' })
  let passphrase = env.P2PDV_PASSPHRASE
  const file = values['passphrase-file']
  if (typeof file === 'string') {
    try { passphrase = readFileSync(file, 'utf8').trim() } catch (cause) {
      throw new P2pdvError(ConfigErrorCode.INVALID, `cannot read --passphrase-file ${file}`, { hint: 'Check the path and permissions.', cause })
    }
  }
  if (passphrase === undefined || passphrase === '') {
    throw new P2pdvError(ConfigErrorCode.NO_PASSPHRASE, 'no passphrase for the node identity key', {
      hint: 'The node seals its identity key at rest: set P2PDV_PASSPHRASE or pass --passphrase-file FILE.'
    })
  }
  const host = typeof values.host === 'string' ? values.host : DEFAULT_HOST
  const chain = parseChainOptions(values, env)
  return {
    dataDir,
    host,
    p2pPort: port(values['p2p-port'] as string | undefined, 'p2p-port', DEFAULT_P2P_PORT),
    httpPort: port(values['http-port'] as string | undefined, 'http-port', DEFAULT_HTTP_PORT),
    bootstrap: (values.bootstrap as string[] | undefined) ?? [],
    quotaBytes: quota,
    passphrase,
    storeIdleTimeoutMs: DEFAULT_STORE_IDLE_TIMEOUT_MS,
    ...(chain === undefined ? {} : { chain })
  }
}

function parseChainOptions (values: Record<string, string | string[] | boolean | undefined>, env: NodeJS.ProcessEnv): NodeChainConfig | undefined {
  const wallet = values.wallet
  const chainFile = values.chain
  const chainOnly = ['rpc', 'keys', 'stake', 'keeper'].filter(k => values[k] !== undefined)
  if (wallet === undefined && chainFile === undefined) {
    if (chainOnly.length > 0) throw new P2pdvError(ConfigErrorCode.INVALID, `--${chainOnly[0]} needs --wallet NAME and --chain FILE`, { hint: `usage: p2pdv ${NODE_USAGE}` })
    return undefined
  }
  if (typeof wallet !== 'string' || typeof chainFile !== 'string') {
    throw new P2pdvError(ConfigErrorCode.INVALID, '--wallet NAME and --chain FILE go together', { hint: 'The node registers and stakes on the chain the file describes, with that wallet.' })
  }
  const stake = values.stake
  if (typeof stake === 'string' && !/^\d{1,12}(\.\d{1,18})?$/.test(stake)) {
    throw new P2pdvError(ConfigErrorCode.INVALID, '--stake is a number of P2PV tokens', { hint: 'e.g. --stake 1500' })
  }
  const home = resolve(env.P2PDV_HOME ?? join(homedir(), '.p2pdv'))
  return {
    chainFile,
    wallet,
    keysDir: typeof values.keys === 'string' ? resolve(values.keys) : join(home, 'keys'),
    keeper: values.keeper === true,
    ...(typeof values.rpc === 'string' ? { rpc: values.rpc } : {}),
    ...(typeof stake === 'string' ? { stake } : {})
  }
}

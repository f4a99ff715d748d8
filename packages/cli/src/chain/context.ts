/**
 * Where a chain command finds the chain and the wallet it signs with.
 *
 * - Chain: `--chain FILE` (a chain description, or a devnet.json), else the running devnet's.
 *   `--rpc URL` points either at another JSON-RPC endpoint.
 * - Wallet: on the devnet (no --chain/--rpc/--keys) the dev wallets in `.p2pdv/devnet/keys`,
 *   opened with the devnet's passphrase, and `alice` unless `--as NAME`; otherwise the wallets in
 *   `$P2PDV_HOME/keys` (or `--keys DIR`), `--as NAME` required, passphrase from
 *   P2PDV_PASSPHRASE / --passphrase-file / a prompt.
 */
import { readFile } from 'node:fs/promises'
import { getAddress, isAddress, type Address, type Hex } from 'viem'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { ChainClient, parseChainConfig, type ChainConfig } from '@p2pdv/chain'
import { IdentityStore, type Identity } from '@p2pdv/chain/identity'
import { stringOpt, type ParsedArgs } from '../command.ts'
import { devnetKeysDir, devnetPassphrasePath, readDevnetState, statePath } from '../devnet-state.ts'
import { KEYS_OPTION, keysDir } from '../home.ts'
import { PASSPHRASE_OPTION, readPassphrase } from '../passphrase.ts'

export const DEFAULT_DEVNET_IDENTITY = 'alice'

export const CHAIN_OPTIONS = {
  rpc: { type: 'string' },
  chain: { type: 'string' },
  as: { type: 'string' },
  ...KEYS_OPTION,
  ...PASSPHRASE_OPTION
} as const

export const ChainContextErrorCode = {
  NO_CHAIN: 'ERR_NO_CHAIN',
  BAD_VIDEO_ID: 'ERR_BAD_VIDEO_ID',
  BAD_ADDRESS: 'ERR_BAD_ADDRESS'
} as const

export interface ChainContext {
  client: ChainClient
  identity: Identity | undefined
  /** The wallet directory in use, for resolving names. */
  keysDir: string
  /** True when the chain is the running devnet's. */
  devnet: boolean
  /** Known wallet names by address, for display. */
  names: Map<string, string>
}

/** The chain to use, or undefined when none is configured and `required` is false. */
export async function resolveChainConfig (args: ParsedArgs, required = true): Promise<{ config: ChainConfig, devnet: boolean } | undefined> {
  const rpc = stringOpt(args, 'rpc')
  const file = stringOpt(args, 'chain')
  const overrides = rpc === undefined ? {} : { rpc }
  if (file !== undefined) {
    let json: unknown
    try {
      json = JSON.parse(await readFile(file, 'utf8'))
    } catch (cause) {
      throw new P2pdvError('ERR_CHAIN_CONFIG', `cannot read the chain description ${file}`, { hint: 'Pass a JSON file like the `chain` part of .p2pdv/devnet/devnet.json.', cause })
    }
    const inner = typeof json === 'object' && json !== null && 'chain' in json ? (json as { chain: unknown }).chain : json
    return { config: parseChainConfig(inner, file, overrides), devnet: false }
  }
  try {
    const state = await readDevnetState()
    if (state.chain === undefined) throw new P2pdvError(ChainContextErrorCode.NO_CHAIN, 'the running devnet has no chain (it was started with --no-chain)', { hint: 'Restart it without --no-chain, or pass --rpc URL --chain FILE.' })
    return { config: parseChainConfig(state.chain, statePath(), overrides), devnet: rpc === undefined }
  } catch (err) {
    if (!isP2pdvError(err, 'ERR_NO_DEVNET')) throw err
    if (rpc !== undefined) throw new P2pdvError(ChainContextErrorCode.NO_CHAIN, `no contract addresses for ${rpc}`, { hint: 'Pass --chain FILE with the deployment (chainId and contract addresses).' })
    if (!required) return undefined
    throw new P2pdvError(ChainContextErrorCode.NO_CHAIN, 'no chain to talk to: no devnet is running and no --rpc/--chain was given', {
      hint: 'Start the devnet with `npm start` in another terminal, or pass --rpc URL --chain FILE.'
    })
  }
}

/** Opens the chain and, when `wallet` is 'required', the wallet to sign with. */
export async function chainContext (args: ParsedArgs, wallet: 'required' | 'optional' | 'none'): Promise<ChainContext> {
  const resolved = await resolveChainConfig(args)
  return await openContext(args, resolved!, wallet)
}

export async function openContext (args: ParsedArgs, resolved: { config: ChainConfig, devnet: boolean }, wallet: 'required' | 'optional' | 'none'): Promise<ChainContext> {
  const devnetWallets = resolved.devnet && stringOpt(args, 'keys') === undefined
  const dir = devnetWallets ? devnetKeysDir() : keysDir(args)
  const store = new IdentityStore(dir)
  const names = new Map<string, string>()
  for (const id of await store.list().catch(() => [])) names.set(id.address.toLowerCase(), id.name)
  const name = stringOpt(args, 'as') ?? (devnetWallets ? DEFAULT_DEVNET_IDENTITY : undefined)
  let identity: Identity | undefined
  if (wallet !== 'none' && name !== undefined) {
    const passphrase = devnetWallets
      ? await readFile(devnetPassphrasePath(), 'utf8').then(t => t.trim(), (cause: unknown) => {
        throw new P2pdvError('ERR_NO_PASSPHRASE', `the devnet's passphrase file ${devnetPassphrasePath()} is missing`, { hint: 'Restart the devnet (`npm start`), or pass --keys DIR for your own wallets.', cause })
      })
      : await readPassphrase(args, { purpose: `the wallet "${name}"` })
    identity = await store.open(name, passphrase)
  } else if (wallet === 'required') {
    throw new P2pdvError('ERR_USAGE', 'which wallet? pass --as NAME', { hint: `Wallets in ${dir}: \`p2pdv keys ls\`; create one with \`p2pdv keys new NAME\`.` })
  }
  const client = await ChainClient.connect(resolved.config, identity === undefined ? {} : { account: identity.account })
  return { client, identity, keysDir: dir, devnet: resolved.devnet, names }
}

/** A 0x address, or the name of a wallet in the context's key directory. */
export function resolveAddress (text: string, ctx: ChainContext): Address {
  if (isAddress(text, { strict: false })) return getAddress(text)
  for (const [address, name] of ctx.names) if (name === text) return getAddress(address)
  throw new P2pdvError(ChainContextErrorCode.BAD_ADDRESS, `"${text.slice(0, 50)}" is neither an address nor a wallet name`, {
    hint: `Pass 0x… or one of: ${[...ctx.names.values()].join(', ') || '(no wallets)'}.`
  })
}

export function parseVideoId (text: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) {
    throw new P2pdvError(ChainContextErrorCode.BAD_VIDEO_ID, `"${text.slice(0, 70)}" is not a video id`, { hint: 'A video id is 0x and 64 hex digits; `p2pdv ls` lists them.' })
  }
  return text.toLowerCase() as Hex
}

/** A wallet name for display when known, else the address. */
export function displayName (address: string, ctx: ChainContext): string {
  return ctx.names.get(address.toLowerCase()) ?? address
}

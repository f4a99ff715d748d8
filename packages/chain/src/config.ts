/**
 * Where the protocol lives: an EVM JSON-RPC endpoint, its chain id and the contract addresses
 * (what the devnet writes under `chain` in devnet.json, or what `--contracts FILE` holds).
 */
import { getAddress, isAddress, type Address } from 'viem'
import { CONTRACT_NAMES, type ContractAddresses } from '@p2pdv/contracts/constants'
import { P2pdvError } from '@p2pdv/core/errors'

export interface ChainConfig {
  rpc: string
  chainId: number
  contracts: ContractAddresses
  /** The deployment block: event scans start here (0 when unknown). */
  startBlock: bigint
}

/** The JSON shape (bigints as decimal strings). */
export interface ChainConfigJson {
  rpc: string
  chainId: number
  contracts: Record<string, string>
  startBlock?: string
}

export const ChainConfigErrorCode = { INVALID: 'ERR_CHAIN_CONFIG' } as const

function invalid (source: string, what: string): P2pdvError {
  return new P2pdvError(ChainConfigErrorCode.INVALID, `${source} is not a usable chain description: ${what}`, {
    hint: 'It needs { "rpc": URL, "chainId": N, "contracts": { "videoRegistry": "0x…", … } } (the `chain` part of a devnet.json).'
  })
}

/** Validates a chain description read from a file; `rpc` may be overridden by the caller. */
export function parseChainConfig (value: unknown, source: string, overrides: { rpc?: string } = {}): ChainConfig {
  if (typeof value !== 'object' || value === null) throw invalid(source, 'not an object')
  const v = value as Partial<ChainConfigJson>
  const rpc = overrides.rpc ?? v.rpc
  if (typeof rpc !== 'string' || !/^(https?|wss?):\/\/./.test(rpc)) throw invalid(source, 'rpc must be an http(s) or ws(s) URL')
  if (typeof v.chainId !== 'number' || !Number.isSafeInteger(v.chainId) || v.chainId <= 0) throw invalid(source, 'chainId')
  if (typeof v.contracts !== 'object' || v.contracts === null) throw invalid(source, 'contracts')
  const contracts = {} as Record<string, Address>
  for (const name of CONTRACT_NAMES) {
    const a = v.contracts[name]
    if (typeof a !== 'string' || !isAddress(a, { strict: false })) throw invalid(source, `contracts.${name} is missing or not an address`)
    contracts[name] = getAddress(a)
  }
  let startBlock = 0n
  if (v.startBlock !== undefined) {
    if (typeof v.startBlock !== 'string' || !/^\d{1,20}$/.test(v.startBlock)) throw invalid(source, 'startBlock')
    startBlock = BigInt(v.startBlock)
  }
  return { rpc, chainId: v.chainId, contracts: contracts as ContractAddresses, startBlock }
}

export function chainConfigToJson (c: ChainConfig): ChainConfigJson {
  return { rpc: c.rpc, chainId: c.chainId, contracts: { ...c.contracts }, startBlock: c.startBlock.toString() }
}

/**
 * Deploying the protocol to a real EVM chain with the operator's own key (`p2pdv chain deploy`).
 *
 * Safe to run again: contracts go through the CREATE2 factory, so their addresses follow from the
 * deployer and the options, and a second run (or one resumed after a failure halfway) finds what
 * is there, checks its code and only does the steps still missing. Before anything is sent it
 * checks the chain id, refuses anvil's published keys off dev chains (anyone holds them), and
 * checks the balance against the deployment's gas. Node-only: it pulls in every contract's bytecode.
 */
import { createWalletClient, formatEther, http, publicActions, type Address, type LocalAccount } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, type ContractDeployEvent, type DeployOptions } from '@p2pdv/contracts'
import { ANVIL_KEYS } from '@p2pdv/contracts/anvil'
import { DEV_CHAIN_IDS, isDevChainId } from '@p2pdv/contracts/constants'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import type { ChainConfig } from './config.ts'
import { chainError, ChainErrorCode } from './errors.ts'

/**
 * Gas of a whole deployment: 17.6 M measured on anvil (ten contracts and the role wiring, 22
 * transactions), plus room for optional roles and allocations. The balance check asks for this
 * much at the current gas price.
 */
export const DEPLOY_GAS = 20_000_000n
export const DEPLOY_RPC_TIMEOUT_MS = 30_000

export const DeployCheckErrorCode = {
  DEV_KEY: 'ERR_DEV_KEY_ON_REAL_CHAIN'
} as const

export interface DeployProtocolOptions extends Pick<DeployOptions, 'allocations' | 'roles' | 'onContract' | 'onProgress'> {
  rpc: string
  account: LocalAccount
  /** Refuse when the RPC serves another chain (a typo in the URL, a lying endpoint). */
  expectedChainId?: number
  /** After the checks, before the first transaction: say what is about to be spent. */
  onChecked?: (info: { chainId: number, deployer: Address, balance: bigint, need: bigint }) => void
}

export interface DeployProtocolResult {
  config: ChainConfig
  deployer: Address
  deployed: ContractDeployEvent[]
  existing: ContractDeployEvent[]
}

let devAddresses: Set<string> | undefined
/** The addresses of anvil's published keys (lower case). */
export function isPublishedDevAccount (address: Address): boolean {
  devAddresses ??= new Set(ANVIL_KEYS.map(k => privateKeyToAccount(k).address.toLowerCase()))
  return devAddresses.has(address.toLowerCase())
}

export async function deployProtocol (options: DeployProtocolOptions): Promise<DeployProtocolResult> {
  const client = createWalletClient({ account: options.account, transport: http(options.rpc, { timeout: DEPLOY_RPC_TIMEOUT_MS, retryCount: 2 }) }).extend(publicActions)
  const deployer = options.account.address
  let chainId: number
  try {
    chainId = await client.getChainId()
  } catch (err) {
    throw chainError(err, 'reading the chain id')
  }
  if (options.expectedChainId !== undefined && chainId !== options.expectedChainId) {
    throw new P2pdvError(ChainErrorCode.WRONG_CHAIN, `the RPC endpoint serves chain ${chainId}, not ${options.expectedChainId}`, {
      hint: 'Nothing was sent. Check the --rpc URL against --chain-id.'
    })
  }
  if (!isDevChainId(chainId) && isPublishedDevAccount(deployer)) {
    throw new P2pdvError(DeployCheckErrorCode.DEV_KEY, `${deployer} is one of anvil's published development keys, and chain ${chainId} is not a dev chain (${DEV_CHAIN_IDS.join(', ')})`, {
      hint: 'Anyone can sign with that key: deploy with a key of your own (`p2pdv keys new NAME`, fund it, then --as NAME). Nothing was sent.'
    })
  }
  const deployed: ContractDeployEvent[] = []
  const existing: ContractDeployEvent[] = []
  // Checked just before the first transaction: a run that only confirms a finished deployment
  // needs no funds.
  const checkBalance = async (): Promise<void> => {
    const [balance, gasPrice] = await Promise.all([client.getBalance({ address: deployer }), client.getGasPrice()])
    const need = DEPLOY_GAS * gasPrice
    if (balance < need) {
      throw new P2pdvError(ChainErrorCode.INSUFFICIENT_FUNDS, `${deployer} holds ${formatEther(balance)} ETH; deploying takes about ${formatEther(need)} ETH (${DEPLOY_GAS} gas at ${formatEther(gasPrice, 'gwei')} gwei)`, {
        hint: 'Fund the deployer, then run again: steps already done are kept.'
      })
    }
    options.onChecked?.({ chainId, deployer, balance, need })
  }
  try {
    const d = await deployAll(client, {
      resume: true,
      requireCreate2: true,
      beforeFirstSend: checkBalance,
      onContract: e => {
        (e.status === 'deployed' ? deployed : existing).push(e)
        options.onContract?.(e)
      },
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.allocations === undefined ? {} : { allocations: options.allocations }),
      ...(options.roles === undefined ? {} : { roles: options.roles })
    })
    return { config: { rpc: options.rpc, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock }, deployer, deployed, existing }
  } catch (err) {
    if (isP2pdvError(err)) throw err
    throw chainError(err, 'deploying the contracts')
  }
}

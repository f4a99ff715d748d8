/**
 * The devnet's chain: anvil on 127.0.0.1 (or any dev chain behind --rpc whose first well-known
 * account is funded), the whole protocol deployed from anvil's first account through the CREATE2
 * factory (the same addresses on every start), named dev wallets funded with ETH and P2PV, and a
 * wallet per storage node so each node registers and stakes when it starts.
 *
 * Dev wallets are imported from anvil's published keys and sealed with the devnet passphrase kept
 * beside them, with light scrypt: a throw-away local network, never for real funds.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createWalletClient, http, publicActions, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, P2PVTokenAbi, WEI_PER_TOKEN, type GovernanceInit, type ProtocolParamsInit } from '@p2pdv/contracts'
import { DEV_CHAIN_IDS, isDevChainId } from '@p2pdv/contracts/constants'
import { P2pdvError } from '@p2pdv/core/errors'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { IdentityStore } from '@p2pdv/chain/identity'
import { devnetKeysDir, type DevnetChain } from '../devnet-state.ts'

/** Dev wallets, imported from anvil's accounts 1…4 (account 0 deploys). */
export const DEV_WALLETS = ['alice', 'bob', 'carol', 'ops'] as const
/** Devnet wallets are sealed with light scrypt: their passphrase sits beside them anyway. */
export const DEVNET_SCRYPT = { N: 2 ** 14, r: 8, p: 1 }
export const DEV_P2PV = 100_000n * WEI_PER_TOKEN
/** ops holds 10 % of the supply, enough to pass a proposal alone (quorum 4 %). */
export const OPS_P2PV = 100_000_000n * WEI_PER_TOKEN
export const NODE_P2PV = 10_000n * WEI_PER_TOKEN
export const NODE_ETH = 100n * 10n ** 18n
/**
 * The Rewards pool starts with this much, so the devnet's first settled epoch pays audited nodes
 * without anyone buying a video first; later epochs pay the node share of sales.
 */
export const DEVNET_REWARD_POOL = 10_000n * WEI_PER_TOKEN

/** Short periods so a developer sees unbonding and governance finish in minutes. */
export const DEVNET_PARAMS: Partial<ProtocolParamsInit> = { minStake: 1_000n * WEI_PER_TOKEN, unbondingPeriod: 60n }
export const DEVNET_GOVERNANCE: Partial<GovernanceInit> = { votingDelay: 1, votingPeriod: 60, proposalThreshold: 1_000n * WEI_PER_TOKEN, timelockDelay: 60n }

export interface StartedChain {
  state: DevnetChain
  /** The chain description nodes read (`--chain FILE`). */
  chainFile: string
  anvil: Anvil | undefined
  stop: () => Promise<void>
}

/** Creates the wallets that are missing; existing ones (from an earlier start) are kept. */
async function ensureWallets (dir: string, passphrase: string, nodeWallets: string[]): Promise<Map<string, Address>> {
  const store = new IdentityStore(devnetKeysDir(dir))
  const existing = new Map((await store.list()).map(i => [i.name, i.address]))
  await Promise.all([
    ...DEV_WALLETS.map(async (name, i) => {
      if (!existing.has(name)) existing.set(name, (await store.create(name, passphrase, { ethPrivateKey: ANVIL_KEYS[i + 1]!, scrypt: DEVNET_SCRYPT })).address)
    }),
    ...nodeWallets.map(async name => {
      if (!existing.has(name)) existing.set(name, (await store.create(name, passphrase, { scrypt: DEVNET_SCRYPT })).address)
    })
  ])
  return existing
}

/**
 * The devnet deploys and funds with anvil's published keys: on any chain but a local dev chain
 * anyone could take what they hold, so `devnet --rpc` refuses other chain ids before it sends anything.
 */
async function requireDevChain (rpc: string): Promise<void> {
  let chainId: number
  try {
    chainId = await createWalletClient({ transport: http(rpc, { timeout: 10_000, retryCount: 1 }) }).extend(publicActions).getChainId()
  } catch (cause) {
    throw new P2pdvError('ERR_CHAIN_UNREACHABLE', `the chain at ${new URL(rpc).origin} did not answer`, { hint: 'Check the --rpc URL, or drop --rpc to start a local anvil.', cause })
  }
  if (!isDevChainId(chainId)) {
    throw new P2pdvError('ERR_NOT_DEV_CHAIN', `devnet --rpc deploys with anvil's published keys, so it runs only on dev chains (${DEV_CHAIN_IDS.join(', ')}), not chain ${chainId}`, {
      hint: 'Point --rpc at a local dev chain (anvil, hardhat), or deploy to a real chain with your own keys.'
    })
  }
}

/**
 * Starts (or uses, with `rpc`) the chain and deploys. `auditors` name node wallets that get the
 * NodeRegistry's audit role at deploy, besides `ops`: the devnet's auditor nodes slash and
 * publish reputation with them.
 */
export async function startDevnetChain (dir: string, passphrase: string, nodeWallets: string[], options: { rpc?: string, auditors?: string[], settlers?: string[] } = {}): Promise<StartedChain> {
  if (options.rpc !== undefined) await requireDevChain(options.rpc)
  const wallets = await ensureWallets(dir, passphrase, nodeWallets)
  const anvil = options.rpc === undefined ? await startAnvil({ logFile: join(dir, 'anvil.log') }) : undefined
  try {
    const rpc = options.rpc ?? anvil!.rpc
    const deployer = createWalletClient({ account: privateKeyToAccount(ANVIL_KEYS[0]), transport: http(rpc) }).extend(publicActions)
    const address = (name: string): Address => wallets.get(name)!
    const deployment = await deployAll(deployer, {
      allocations: [
        ...DEV_WALLETS.map(name => ({ to: address(name), amount: name === 'ops' ? OPS_P2PV : DEV_P2PV })),
        ...nodeWallets.map(name => ({ to: address(name), amount: NODE_P2PV })),
        { to: deployer.account.address, amount: DEVNET_REWARD_POOL }
      ],
      params: DEVNET_PARAMS,
      governance: DEVNET_GOVERNANCE,
      roles: { auditors: [address('ops'), ...(options.auditors ?? []).map(address)], settlers: [address('ops'), ...(options.settlers ?? []).map(address)], arbiters: [address('ops')] }
    })
    const funded = await deployer.writeContract({ address: deployment.contracts.token, abi: P2PVTokenAbi, functionName: 'transfer', args: [deployment.contracts.rewards, DEVNET_REWARD_POOL], chain: null })
    await deployer.waitForTransactionReceipt({ hash: funded, pollingInterval: 50 })
    // Node wallets are fresh keys: give them ETH for gas.
    for (const name of nodeWallets) {
      const hash = await deployer.sendTransaction({ to: address(name), value: NODE_ETH, chain: null })
      await deployer.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    }
    const state: DevnetChain = {
      rpc,
      chainId: deployment.chainId,
      startBlock: deployment.startBlock.toString(),
      contracts: { ...deployment.contracts },
      accounts: Object.fromEntries([...DEV_WALLETS, ...nodeWallets].map(name => [name, address(name)]))
    }
    const chainFile = join(dir, 'chain.json')
    await writeFile(chainFile, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
    return { state, chainFile, anvil, stop: async () => { await anvil?.stop() } }
  } catch (err) {
    await anvil?.stop()
    throw err
  }
}

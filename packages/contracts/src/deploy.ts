/**
 * Deploys the whole protocol and hands every admin role to governance.
 *
 * Contracts are created through the deterministic deployment proxy (CREATE2 factory at
 * 0x4e59…956C, present on anvil and most public chains), so an address is a pure function of the
 * contract's code, constructor arguments and salt: the devnet gets the same addresses on every
 * start, and so does any chain deployed with the same deployer and options. Chains without the
 * factory fall back to plain CREATE (addresses then depend on the deployer's nonce).
 *
 * After deployment the deployer keeps nothing: the timelock is admin of every contract, the
 * governor is the timelock's only proposer, and the optional operational roles (auditors,
 * settlers, arbiters) go to the addresses given.
 */
import {
  concat, encodeDeployData, encodeFunctionData, getContractAddress, keccak256, publicActions, toHex, zeroAddress,
  type Abi, type Account, type Address, type Chain, type Hex, type Transport, type WalletClient
} from 'viem'
import { DEFAULT_K, DEFAULT_M } from '@p2pdv/core/erasure'
import { P2pdvError } from '@p2pdv/core/errors'
import type { ContractAddresses } from './constants.ts'
import { isExpectedRuntimeCode, type DeployedContractName } from './verify-code.ts'
import {
  AccessManagerAbi, KeyCustodyAbi, LicensingAbi, NodeRegistryAbi, P2PVGovernorAbi, P2PVTimelockAbi, P2PVTokenAbi, ProtocolParamsAbi, RewardsAbi, VideoRegistryAbi
} from './generated/abis.ts'
import {
  AccessManagerBytecode, KeyCustodyBytecode, LicensingBytecode, NodeRegistryBytecode, P2PVGovernorBytecode, P2PVTimelockBytecode, P2PVTokenBytecode,
  ProtocolParamsBytecode, RewardsBytecode, VideoRegistryBytecode
} from './generated/bytecode.ts'

/** The deterministic deployment proxy (Arachnid), at the same address on every chain that has it. */
export const CREATE2_FACTORY: Address = '0x4e59b44847b379578588920ca78fbf26c0b4956c'
export const WEI_PER_TOKEN = 10n ** 18n

export const ROLES = {
  DEFAULT_ADMIN: '0x0000000000000000000000000000000000000000000000000000000000000000',
  MODERATOR: keccak256(toHex('MODERATOR_ROLE')),
  AUDITOR: keccak256(toHex('AUDITOR_ROLE')),
  SETTLER: keccak256(toHex('SETTLER_ROLE')),
  ARBITER: keccak256(toHex('ARBITER_ROLE')),
  PROPOSER: keccak256(toHex('PROPOSER_ROLE')),
  EXECUTOR: keccak256(toHex('EXECUTOR_ROLE')),
  CANCELLER: keccak256(toHex('CANCELLER_ROLE'))
} as const satisfies Record<string, Hex>


export interface ProtocolParamsInit {
  /** P2PV wei a node must keep staked to be active. */
  minStake: bigint
  /** Seconds between an unbond request and the withdrawal. */
  unbondingPeriod: bigint
  creatorBps: number
  nodePoolBps: number
  /** Fraction of a node's stake an auditor's slash takes. */
  slashBps: number
  /**
   * Default erasure coding clients use: k data + m parity blocks per stripe (k ≥ 1, m ≥ 1,
   * k + m ≤ 256). Deployed as the core client default (4 + 2: any 2 of 6 nodes may fail);
   * governance raises it as the network grows (the durability model wants wide stripes such as
   * RS(29,80) at 10 % monthly churn, which needs ≥ 80 nodes).
   */
  defaultK: number
  defaultM: number
  /** Basis points of an epoch's reward pool paid for storage; the rest pays served bytes. */
  storageShareBps: number
  /** Audit pass rate (basis points) below which a node earns nothing for storage. */
  minPassBps: number
}

export interface GovernanceInit {
  /** Seconds from proposal to the start of voting. */
  votingDelay: number
  /** Seconds voting lasts. */
  votingPeriod: number
  /** P2PV wei of votes needed to propose. */
  proposalThreshold: bigint
  /** Percent of the supply that must vote for a proposal to pass. */
  quorumPercent: number
  /** Seconds a passed proposal waits in the timelock. */
  timelockDelay: bigint
}

export const DEFAULT_TOTAL_SUPPLY = 1_000_000_000n * WEI_PER_TOKEN

/** Production-minded defaults; the devnet shortens the periods. */
export const DEFAULT_PARAMS: ProtocolParamsInit = {
  minStake: 1_000n * WEI_PER_TOKEN,
  unbondingPeriod: 7n * 86_400n,
  creatorBps: 8_500,
  nodePoolBps: 1_000,
  slashBps: 1_000,
  defaultK: DEFAULT_K,
  defaultM: DEFAULT_M,
  storageShareBps: 8_000,
  minPassBps: 5_000
}

export const DEFAULT_GOVERNANCE: GovernanceInit = {
  votingDelay: 86_400,
  votingPeriod: 7 * 86_400,
  proposalThreshold: 100_000n * WEI_PER_TOKEN,
  quorumPercent: 4,
  timelockDelay: 2n * 86_400n
}

export interface DeployOptions {
  /** Fixed P2PV supply, in wei (default one billion tokens). */
  totalSupply?: bigint
  /** Genesis allocations; the treasury (timelock) receives the rest of the supply. */
  allocations?: Array<{ to: Address, amount: bigint }>
  params?: Partial<ProtocolParamsInit>
  governance?: Partial<GovernanceInit>
  roles?: { auditors?: Address[], settlers?: Address[], arbiters?: Address[] }
  /** Mixed into every CREATE2 salt, to deploy a second, independent set on the same chain. */
  salt?: string
  /** false = plain CREATE even when the factory exists. */
  create2?: boolean
  onProgress?: (step: string) => void
  /** Called once per contract: deployed now, or found already deployed (resume). */
  onContract?: (event: ContractDeployEvent) => void
  /**
   * Resume an earlier run with the same deployer and options: contracts already at their CREATE2
   * addresses are checked and kept, and role steps already done are skipped. Without it a
   * contract found at its address is an error (the caller wanted a fresh set).
   */
  resume?: boolean
  /** Refuse chains without the CREATE2 factory instead of falling back to plain CREATE. */
  requireCreate2?: boolean
  /** Runs once, before the first transaction (a run that finds everything done sends none). */
  beforeFirstSend?: () => Promise<void>
}

export interface ContractDeployEvent {
  name: DeployedContractName
  address: Address
  status: 'deployed' | 'existing'
  /** The deployment transaction (status 'deployed'). */
  tx?: Hex
}

export interface Deployment {
  chainId: number
  deployer: Address
  /** The block of the first deployment transaction: where event scans start. */
  startBlock: bigint
  contracts: ContractAddresses
}

export type DeployerClient = WalletClient<Transport, Chain | undefined, Account>

/** Gas limit for an estimate: +25 % and 10 000, as wallets do. */
export function withMargin (estimate: bigint): bigint {
  return estimate * 5n / 4n + 10_000n
}

export const DeployErrorCode = {
  FAILED: 'ERR_DEPLOY',
  /** The chain reports no code, or other code than ours, at a contract's address. */
  UNVERIFIED: 'ERR_DEPLOY_UNVERIFIED',
  NO_FACTORY: 'ERR_NO_CREATE2_FACTORY'
} as const

function unverified (name: string, address: Address, code: Hex | undefined): P2pdvError {
  const what = code === undefined || code === '0x' ? 'reports no code' : `reports ${(code.length - 2) / 2} bytes of code that are not ${name}`
  return new P2pdvError(DeployErrorCode.UNVERIFIED, `the chain ${what} at ${address}, where ${name} was deployed`, {
    hint: 'The RPC endpoint may be lying or broken: nothing was written. Check it against another endpoint of the same chain, then run again (finished steps are kept).'
  })
}

/**
 * The block where the contract at `address` got its code: the start of event scans when a run
 * only resumes. Needs historical state (an archive RPC, or anvil); 0 (scan from genesis) otherwise.
 */
async function creationBlock (client: { getCode: (a: { address: Address, blockNumber?: bigint }) => Promise<Hex | undefined>, getBlockNumber: (a: { cacheTime: number }) => Promise<bigint> }, address: Address): Promise<bigint> {
  try {
    let hi = await client.getBlockNumber({ cacheTime: 0 })
    let lo = 0n
    while (lo < hi) {
      const mid = (lo + hi) / 2n
      if ((await client.getCode({ address, blockNumber: mid }) ?? '0x') === '0x') lo = mid + 1n
      else hi = mid
    }
    return lo
  } catch {
    return 0n
  }
}

function deployError (message: string): P2pdvError {
  return new P2pdvError(DeployErrorCode.FAILED, message, { hint: 'Check the RPC endpoint and that the deployer has ETH for gas.' })
}

/** Deploys every contract, wires the roles and returns the addresses. */
export async function deployAll (walletClient: DeployerClient, options: DeployOptions = {}): Promise<Deployment> {
  const client = walletClient.extend(publicActions)
  const deployer = walletClient.account.address
  const chainId = await client.getChainId()
  const hasFactory = (await client.getCode({ address: CREATE2_FACTORY }) ?? '0x') !== '0x'
  if (!hasFactory && options.requireCreate2 === true) {
    throw new P2pdvError(DeployErrorCode.NO_FACTORY, `chain ${chainId} has no CREATE2 factory at ${CREATE2_FACTORY}`, {
      hint: 'Deploy the deterministic deployment proxy (github.com/Arachnid/deterministic-deployment-proxy) first: without it addresses depend on the nonce and a run cannot be resumed.'
    })
  }
  const useCreate2 = options.create2 !== false && hasFactory
  let startBlock = await client.getBlockNumber() + 1n
  let firstFound = false
  const params = { ...DEFAULT_PARAMS, ...options.params }
  const gov = { ...DEFAULT_GOVERNANCE, ...options.governance }
  const progress = options.onProgress ?? (() => {})

  // Estimates plus a margin: a node's estimate is the gas a call used, which can be less than it
  // needs while running (an SSTORE needs 2300 gas left).
  let sent = false
  const send = async (request: { to?: Address, data: Hex }): Promise<Hex> => {
    if (!sent) {
      sent = true
      await options.beforeFirstSend?.()
    }
    const gas = await client.estimateGas({ account: walletClient.account, ...request })
    return await walletClient.sendTransaction({ ...request, gas: withMargin(gas), chain: walletClient.chain ?? null })
  }

  const confirm = async (hash: Hex, what: string): Promise<void> => {
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    if (receipt.status !== 'success') throw deployError(`${what} reverted (transaction ${hash})`)
  }

  // Every address is checked after deployment: a receipt alone does not prove the code is there.
  const verified = async (name: DeployedContractName, address: Address): Promise<void> => {
    const code = await client.getCode({ address })
    if (!isExpectedRuntimeCode(name, code)) throw unverified(name, address, code)
  }

  const deploy = async (name: DeployedContractName, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<Address> => {
    progress(`deploy ${name}`)
    const initCode = encodeDeployData({ abi, bytecode, args })
    if (useCreate2) {
      const salt = keccak256(toHex(`p2pdv/v1/${options.salt ?? ''}/${name}`))
      const address = getContractAddress({ opcode: 'CREATE2', from: CREATE2_FACTORY, salt, bytecode: initCode })
      if ((await client.getCode({ address }) ?? '0x') !== '0x') {
        if (options.resume !== true) throw deployError(`${name} is already deployed at ${address}; pass another salt to deploy a second set`)
        await verified(name, address)
        if (name === 'P2PVTimelock') firstFound = true
        options.onContract?.({ name, address, status: 'existing' })
        return address
      }
      const tx = await send({ to: CREATE2_FACTORY, data: concat([salt, initCode]) })
      await confirm(tx, name)
      await verified(name, address)
      options.onContract?.({ name, address, status: 'deployed', tx })
      return address
    }
    const hash = await send({ data: initCode })
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    if (receipt.status !== 'success' || receipt.contractAddress == null) throw deployError(`${name} deployment failed (transaction ${hash})`)
    await verified(name, receipt.contractAddress)
    options.onContract?.({ name, address: receipt.contractAddress, status: 'deployed', tx: hash })
    return receipt.contractAddress
  }

  const allocations = options.allocations ?? []
  const timelock = await deploy('P2PVTimelock', P2PVTimelockAbi, P2PVTimelockBytecode, [gov.timelockDelay, [], [zeroAddress], deployer])
  const token = await deploy('P2PVToken', P2PVTokenAbi, P2PVTokenBytecode, [
    timelock, options.totalSupply ?? DEFAULT_TOTAL_SUPPLY, allocations.map(a => a.to), allocations.map(a => a.amount)
  ])
  const governor = await deploy('P2PVGovernor', P2PVGovernorAbi, P2PVGovernorBytecode, [
    token, timelock, gov.votingDelay, gov.votingPeriod, gov.proposalThreshold, BigInt(gov.quorumPercent)
  ])
  const paramsAddress = await deploy('ProtocolParams', ProtocolParamsAbi, ProtocolParamsBytecode, [timelock, {
    treasury: timelock,
    minStake: params.minStake,
    unbondingPeriod: params.unbondingPeriod,
    creatorBps: params.creatorBps,
    nodePoolBps: params.nodePoolBps,
    slashBps: params.slashBps,
    defaultK: params.defaultK,
    defaultM: params.defaultM,
    storageShareBps: params.storageShareBps,
    minPassBps: params.minPassBps
  }])
  const videoRegistry = await deploy('VideoRegistry', VideoRegistryAbi, VideoRegistryBytecode, [deployer])
  const rewards = await deploy('Rewards', RewardsAbi, RewardsBytecode, [deployer, token])
  const accessManager = await deploy('AccessManager', AccessManagerAbi, AccessManagerBytecode, [videoRegistry, paramsAddress, token, rewards])
  const nodeRegistry = await deploy('NodeRegistry', NodeRegistryAbi, NodeRegistryBytecode, [deployer, token, paramsAddress])
  const licensing = await deploy('Licensing', LicensingAbi, LicensingBytecode, [deployer, videoRegistry])
  // Keeper sets per video and keepers' log anchors: no admin, nothing to hand over.
  const keyCustody = await deploy('KeyCustody', KeyCustodyAbi, KeyCustodyBytecode, [videoRegistry])

  // On resume a role step already done is skipped (a renounced admin could not grant again).
  const hasRole = async (address: Address, role: Hex, account: Address): Promise<boolean> => options.resume === true &&
    await client.readContract({ address, abi: VideoRegistryAbi, functionName: 'hasRole', args: [role, account] })
  const grant = async (address: Address, role: Hex, account: Address, what: string): Promise<void> => {
    if (await hasRole(address, role, account)) return
    progress(what)
    await confirm(await send({ to: address, data: encodeFunctionData({ abi: VideoRegistryAbi, functionName: 'grantRole', args: [role, account] }) }), what)
  }
  const renounce = async (address: Address, role: Hex, what: string): Promise<void> => {
    if (options.resume === true && !await client.readContract({ address, abi: VideoRegistryAbi, functionName: 'hasRole', args: [role, deployer] })) return
    progress(what)
    await confirm(await send({ to: address, data: encodeFunctionData({ abi: VideoRegistryAbi, functionName: 'renounceRole', args: [role, deployer] }) }), what)
  }

  await grant(videoRegistry, ROLES.MODERATOR, licensing, 'registry moderator: licensing')
  for (const a of options.roles?.auditors ?? []) await grant(nodeRegistry, ROLES.AUDITOR, a, `auditor ${a}`)
  for (const a of options.roles?.settlers ?? []) await grant(rewards, ROLES.SETTLER, a, `settler ${a}`)
  for (const a of options.roles?.arbiters ?? []) await grant(licensing, ROLES.ARBITER, a, `arbiter ${a}`)
  for (const [name, address] of [['VideoRegistry', videoRegistry], ['Rewards', rewards], ['NodeRegistry', nodeRegistry], ['Licensing', licensing]] as const) {
    await grant(address, ROLES.DEFAULT_ADMIN, timelock, `${name} admin: timelock`)
    await renounce(address, ROLES.DEFAULT_ADMIN, `${name}: deployer renounces admin`)
  }
  await grant(timelock, ROLES.PROPOSER, governor, 'timelock proposer: governor')
  await grant(timelock, ROLES.CANCELLER, governor, 'timelock canceller: governor')
  await renounce(timelock, ROLES.DEFAULT_ADMIN, 'timelock: deployer renounces admin')
  if (firstFound) startBlock = await creationBlock(client, timelock)

  return {
    chainId,
    deployer,
    startBlock,
    contracts: { token, timelock, governor, params: paramsAddress, videoRegistry, accessManager, nodeRegistry, rewards, licensing, keyCustody }
  }
}

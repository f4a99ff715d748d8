/**
 * Storage nodes (NodeRegistry.sol): profiles, stake and registration, and what the audit role
 * may do to a node (set its reputation, slash its stake).
 */
import { keccak256, parseEventLogs, toBytes, zeroAddress, type Address, type Hex, type TransactionReceipt } from 'viem'
import { NodeRegistryAbi } from '@p2pdv/contracts/abis'
import { P2pdvError } from '@p2pdv/core/errors'
import { signerAddress, type ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { minStake } from './governance.ts'
import { approveExactly } from './token.ts'
import { writeContract } from './write.ts'

/** NodeRegistry.MAX_REPUTATION: reputations on chain are basis points of a perfect score. */
export const MAX_CHAIN_REPUTATION = 10_000
/** Operators read per `nodes(offset, limit)` call. */
const NODE_PAGE = 100n
/** keccak256 of the role name, as the contracts define it. */
const AUDITOR_ROLE = keccak256(toBytes('AUDITOR_ROLE'))

export interface NodeProfile {
  peerId: string
  endpoints: string[]
  /** X25519 public key, 32 bytes as hex. */
  encryptionKey: Hex
  capacity: bigint
  keeper: boolean
}

export interface NodeInfo extends NodeProfile {
  operator: Address
  registered: boolean
  active: boolean
  stake: bigint
  unbonding: bigint
  unbondingReadyAt: bigint
  reputation: number
}

/** What a slash took, from the NodeRegistry's `Slashed` event. */
export interface SlashResult {
  operator: Address
  /** P2PV wei moved from the node's stake (bonded, then unbonding) to the treasury. */
  amount: bigint
  evidence: Hex
  receipt: TransactionReceipt
}

async function registryWrite (ctx: ChainContext, action: string, functionName: string, args: readonly unknown[]): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action, address: ctx.config.contracts.nodeRegistry, abi: NodeRegistryAbi, functionName, args })
}

export async function getNode (ctx: ChainContext, operator: Address): Promise<NodeInfo> {
  const registry = ctx.config.contracts.nodeRegistry
  try {
    const [n, active] = await Promise.all([
      ctx.public.readContract({ address: registry, abi: NodeRegistryAbi, functionName: 'getNode', args: [operator] }),
      ctx.public.readContract({ address: registry, abi: NodeRegistryAbi, functionName: 'isActive', args: [operator] })
    ])
    return {
      operator,
      registered: n.registered,
      active,
      stake: n.stake,
      unbonding: n.unbonding,
      unbondingReadyAt: n.unbondingReadyAt,
      reputation: n.reputation,
      peerId: n.profile.peerId,
      endpoints: [...n.profile.endpoints],
      encryptionKey: n.profile.encryptionKey,
      capacity: n.profile.capacity,
      keeper: n.profile.keeper
    }
  } catch (err) {
    throw chainError(err, 'reading the node')
  }
}

/** Every operator that registered (a page at a time), with its current state. */
export async function listNodes (ctx: ChainContext): Promise<NodeInfo[]> {
  const registry = ctx.config.contracts.nodeRegistry
  const count = await ctx.public.readContract({ address: registry, abi: NodeRegistryAbi, functionName: 'nodeCount' })
  const operators: Address[] = []
  for (let offset = 0n; offset < count; offset += NODE_PAGE) {
    operators.push(...await ctx.public.readContract({ address: registry, abi: NodeRegistryAbi, functionName: 'nodes', args: [offset, NODE_PAGE] }))
  }
  return await Promise.all(operators.map(async o => await getNode(ctx, o)))
}

/**
 * Makes the signer a registered, active node with this profile: registers with `stake` (at
 * least the minimum) the first time; later updates a changed profile (ports move between
 * starts) and tops the stake up to the minimum when it fell below (a slash, a new minimum).
 */
export async function ensureNodeRegistered (ctx: ChainContext, profile: NodeProfile, stake = 0n): Promise<{ action: 'registered' | 'updated' | 'unchanged', toppedUp: bigint, node: NodeInfo }> {
  const registry = ctx.config.contracts.nodeRegistry
  const min = await minStake(ctx)
  const current = await getNode(ctx, signerAddress(ctx))
  let action: 'registered' | 'updated' | 'unchanged' = 'unchanged'
  let toppedUp = 0n
  if (!current.registered) {
    const amount = stake > min ? stake : min
    await approveExactly(ctx, amount, registry)
    await registryWrite(ctx, 'registering the node', 'register', [profile, amount])
    action = 'registered'
  } else {
    if (!sameProfile(current, profile)) {
      await registryWrite(ctx, 'updating the node profile', 'updateProfile', [profile])
      action = 'updated'
    }
    if (current.stake < min) {
      toppedUp = min - current.stake
      await approveExactly(ctx, toppedUp, registry)
      await registryWrite(ctx, 'adding stake', 'addStake', [toppedUp])
    }
  }
  return { action, toppedUp, node: await getNode(ctx, signerAddress(ctx)) }
}

function sameProfile (a: NodeProfile, b: NodeProfile): boolean {
  return a.peerId === b.peerId && a.encryptionKey.toLowerCase() === b.encryptionKey.toLowerCase() && a.capacity === b.capacity &&
    a.keeper === b.keeper && a.endpoints.length === b.endpoints.length && a.endpoints.every((e, i) => e === b.endpoints[i])
}

/** The operator that registered this libp2p peer id, or undefined when nobody did. */
export async function operatorOfPeer (ctx: ChainContext, peerId: string): Promise<Address | undefined> {
  try {
    const a = await ctx.public.readContract({ address: ctx.config.contracts.nodeRegistry, abi: NodeRegistryAbi, functionName: 'operatorOfPeer', args: [keccak256(toBytes(peerId))] })
    return a === zeroAddress ? undefined : a
  } catch (err) {
    throw chainError(err, 'looking up the operator of a peer id')
  }
}

/** Whether `account` (default the signer) holds the NodeRegistry's audit role. */
export async function isAuditor (ctx: ChainContext, account: Address = signerAddress(ctx)): Promise<boolean> {
  try {
    return await ctx.public.readContract({ address: ctx.config.contracts.nodeRegistry, abi: NodeRegistryAbi, functionName: 'hasRole', args: [AUDITOR_ROLE, account] })
  } catch (err) {
    throw chainError(err, 'reading the audit role')
  }
}

/**
 * Slashes the governance fraction of `operator`'s stake (bonded and unbonding) to the treasury,
 * recording `evidence` (a 32-byte hash of what proves the offence) in the `Slashed` event.
 * Needs the audit role (or governance).
 */
export async function slashNode (ctx: ChainContext, operator: Address, evidence: Hex): Promise<SlashResult> {
  const receipt = await registryWrite(ctx, 'slashing the node', 'slash', [operator, evidence])
  const [log] = parseEventLogs({ abi: NodeRegistryAbi, logs: receipt.logs, eventName: 'Slashed' })
  return { operator, amount: log?.args.amount ?? 0n, evidence, receipt }
}

/** Sets a node's reputation (0 … MAX_CHAIN_REPUTATION); needs the audit role (or governance). */
export async function setNodeReputation (ctx: ChainContext, operator: Address, reputation: number): Promise<TransactionReceipt> {
  if (!Number.isInteger(reputation) || reputation < 0 || reputation > MAX_CHAIN_REPUTATION) {
    throw new P2pdvError('ERR_CHAIN_INVALID_REPUTATION', `reputation must be an integer 0 … ${MAX_CHAIN_REPUTATION}, not ${reputation}`, { hint: 'Scale a score in [0, 1] by MAX_CHAIN_REPUTATION.' })
  }
  return await registryWrite(ctx, 'setting the node reputation', 'setReputation', [operator, reputation])
}

/** Values the contracts define, for clients (they must match the Solidity constants). */
import { zeroAddress, type Address } from 'viem'

/** The deployed contracts, by the name clients use for them. */
export const CONTRACT_NAMES = ['token', 'timelock', 'governor', 'params', 'videoRegistry', 'accessManager', 'nodeRegistry', 'rewards', 'licensing', 'keyCustody'] as const
export type ContractName = typeof CONTRACT_NAMES[number]
export type ContractAddresses = Record<ContractName, Address>

/** Access policies (VideoRegistry.POLICY_*). */
export const Policy = {
  public: 0,
  paid: 1,
  subscribers: 2,
  private: 3
} as const
export type PolicyName = keyof typeof Policy
export type PolicyValue = typeof Policy[PolicyName]

export function policyName (value: number): PolicyName {
  const name = (Object.keys(Policy) as PolicyName[]).find(k => Policy[k] === value)
  if (name === undefined) throw new RangeError(`unknown access policy ${value}`)
  return name
}

/** Content ratings (VideoRegistry.MAX_RATING = 4). */
export const Rating = {
  unrated: 0,
  allAges: 1,
  teen: 2,
  mature: 3,
  adult: 4
} as const

/** AccessManager's asset address for ether. */
export const ETH: Address = zeroAddress
/** AccessManager.FOREVER: paid access that never expires. */
export const FOREVER = 2n ** 64n - 1n

/** Licensing claim states (Licensing.STATE_*). */
export const ClaimState = {
  none: 0,
  open: 1,
  countered: 2,
  upheld: 3,
  rejected: 4,
  withdrawn: 5
} as const

/**
 * Chain ids of local development chains (anvil/hardhat 31337, ganache/geth --dev 1337). Only on
 * these does the devnet deploy with anvil's published keys, and does the web page keep a wallet
 * in localStorage: anywhere else those keys would guard real value.
 */
export const DEV_CHAIN_IDS: readonly number[] = [31337, 1337]

export function isDevChainId (chainId: number): boolean {
  return DEV_CHAIN_IDS.includes(chainId)
}

import type { ErrorTable } from './spec.ts'

/** Chain access, contracts and the local devnet. Contract reverts are the ERR_CHAIN_ family (index.ts). */
export const CHAIN_ERRORS = {
  ERR_CHAIN: { status: 502, hint: 'The chain call failed; run again with P2PDV_DEBUG=1 for details.' },
  ERR_CHAIN_CONFIG: { status: 400, hint: 'Check the chain settings (RPC URL, chain id, contract addresses).' },
  ERR_CHAIN_INSUFFICIENT_FUNDS: { status: 402, hint: 'The account cannot pay for gas and value; fund it.' },
  ERR_CHAIN_INVALID_REPUTATION: { status: 502, hint: 'The chain returned a reputation out of range; check the contract addresses.' },
  ERR_CHAIN_MISMATCH: { status: 400, hint: 'The RPC serves another chain than configured; fix the RPC URL or chain id.' },
  ERR_CHAIN_NO_ACCOUNT: { status: 400, hint: 'Pick an account with --as NAME.' },
  ERR_CHAIN_NO_SUBSCRIPTION_PLAN: { status: 404, hint: 'This creator offers no subscription.' },
  ERR_CHAIN_NOTHING_TO_WITHDRAW: { status: 409, hint: 'Nothing is owed to this account in that currency.' },
  ERR_CHAIN_TX_FAILED: { status: 502, hint: 'The transaction reverted; the message names the reason.' },
  ERR_CHAIN_UNKNOWN_VIDEO: { status: 404, hint: 'No video with this id is registered; list them with `p2pdv ls`.' },
  ERR_CHAIN_UNREACHABLE: { status: 502, hint: 'The chain RPC cannot be reached; check the URL and the network.' },
  ERR_NOT_FOR_SALE: { status: 409, hint: 'The video is not for sale; `p2pdv ls` shows its policy.' },
  ERR_BAD_ADDRESS: { status: 400, hint: 'Addresses are 0x followed by 40 hex digits.' },
  ERR_BAD_AMOUNT: { status: 400, hint: 'Give an amount like 1.5 (P2PV) or 0.01eth.' },
  ERR_BAD_DURATION: { status: 400, hint: 'Give a duration like 30d, 12h or 90m.' },
  ERR_CAPABILITY_MISMATCH: { status: 400, hint: 'The capability is for another video than the id given.' },
  ERR_NO_CHAIN: { status: 400, hint: 'Configure a chain (--rpc, or start a devnet with `p2pdv devnet up`).' },
  ERR_NO_DEVNET: { status: 400, hint: 'Start one with `p2pdv devnet up`.' },
  ERR_NOT_DEV_CHAIN: { status: 400, hint: 'This works on a local devnet only.' },
  ERR_DEVNET_STATE: { status: 500, hint: 'The devnet state file is damaged; run `p2pdv devnet down` and `up` again.' },
  ERR_ANVIL_NOT_INSTALLED: { status: 500, hint: 'Install Foundry (anvil) to run a local chain.' },
  ERR_ANVIL_START: { status: 500, hint: 'anvil did not start; check the port and its output.' },
  ERR_DEPLOY: { status: 500, hint: 'The contracts could not be deployed; check the RPC and the deployer\'s funds.' }
} as const satisfies ErrorTable

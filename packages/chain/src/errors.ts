/**
 * Chain failures as P2pdvErrors. A contract revert becomes `ERR_CHAIN_<ERROR_NAME>` (e.g.
 * `ERR_CHAIN_NOT_FOR_SALE` for `NotForSale`), so programs match on the contract's own custom
 * error; transport problems become ERR_CHAIN_UNREACHABLE. Messages never carry the RPC URL
 * (it may hold an API key).
 */
import { BaseError, HttpRequestError, InsufficientFundsError, TimeoutError, UserRejectedRequestError } from 'viem'
import { decodeRevert } from '@p2pdv/contracts/errors'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'

export const ChainErrorCode = {
  UNREACHABLE: 'ERR_CHAIN_UNREACHABLE',
  INSUFFICIENT_FUNDS: 'ERR_CHAIN_INSUFFICIENT_FUNDS',
  WRONG_CHAIN: 'ERR_CHAIN_MISMATCH',
  NO_ACCOUNT: 'ERR_CHAIN_NO_ACCOUNT',
  TX_FAILED: 'ERR_CHAIN_TX_FAILED',
  /** A browser wallet's user said no (EIP-1193 error 4001). */
  WALLET_REFUSED: 'ERR_WALLET_REFUSED',
  FAILED: 'ERR_CHAIN'
} as const

/** `NotForSale` → `ERR_CHAIN_NOT_FOR_SALE`. */
export function revertCode (errorName: string): string {
  return `ERR_CHAIN_${errorName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toUpperCase()}`
}

const HINTS: Record<string, string> = {
  NotForSale: 'The video is not for sale (it is free, subscribers-only, private or retired, or has no price). `p2pdv ls` shows its policy.',
  AlreadyPaid: 'This viewer already has permanent access.',
  TermsChanged: 'The price or duration changed after it was read; look again with `p2pdv ls` and retry.',
  InsufficientPayment: 'Send at least the price.',
  NotVideoManager: 'Only the video\'s owner or a delegate it approved can do this; pick the owner with --as NAME.',
  NotVideoOwner: 'Only the video\'s owner can do this.',
  UnknownVideo: 'No video with this id is registered; list them with `p2pdv ls`.',
  VideoAlreadyRegistered: 'The video id is taken; an upload picks a fresh random id, so upload again.',
  VideoIsRetired: 'The video was retired; nothing about it can change any more.',
  NoSubscriptionPlan: 'This creator offers no subscription.',
  NothingToWithdraw: 'Nothing is owed to this account in that currency.',
  StakeBelowMinimum: 'Stake at least the governance minimum (ProtocolParams.minStake).',
  PeerIdTaken: 'Another operator registered this peer id.',
  ERC20InsufficientBalance: 'The account does not hold enough P2PV.',
  ERC20InsufficientAllowance: 'Approve the contract to spend the P2PV first.',
  AccessControlUnauthorizedAccount: 'This account lacks the role the call needs.',
  InvalidProof: 'The proof does not lead to the epoch\'s posted root: fetch it again from the settler.',
  AlreadyClaimed: 'This node\'s share of the epoch was paid already.',
  UnknownEpoch: 'No root was posted for this epoch yet.',
  OwnerCannotClaim: 'A video\'s owner cannot file a claim on it.',
  VideoUnavailable: 'The video is retired or blocked already; there is nothing to claim.',
  UnknownClaim: '`p2pdv claims` lists the claims and their ids.',
  InvalidClaimState: 'The claim is past that step (countered, resolved or withdrawn); `p2pdv claims` shows its state.',
  NotClaimant: 'Only the account that filed the claim can withdraw it; pick it with --as NAME.',
  InvalidClause: 'A clause of the condition is malformed (the error names which, from 0); `p2pdv require --help` shows the forms.',
  InvalidClauseCount: 'A condition has 1 to 4 clauses.',
  NotRefundable: 'Only the payer of a purchase made under a refund window can refund it, once, within the window.',
  InvalidRefundWindow: 'A refund window is 0 to 30 days.',
  InvalidBatch: 'Release at most 100 held sales per call, one viewer per video.',
  InvalidCid: 'Evidence, counter notices and reasons are 1 to 128 characters (a URL or a stored file\'s capability).'
}

/** Turns anything a viem call threw into a P2pdvError with a stable code. */
export function chainError (err: unknown, action: string): P2pdvError {
  if (isP2pdvError(err)) return err
  const revert = decodeRevert(err)
  if (revert !== undefined && revert.name !== 'unknown') {
    const args = revert.args.map(a => typeof a === 'bigint' ? a.toString() : String(a)).join(', ')
    return new P2pdvError(revertCode(revert.name), `${action} was refused by the contract: ${revert.name}(${args})`, {
      details: { error: revert.name, args: revert.args.map(a => typeof a === 'bigint' ? a.toString() : a) },
      ...(HINTS[revert.name] === undefined ? {} : { hint: HINTS[revert.name] }),
      cause: err
    })
  }
  if (err instanceof BaseError) {
    if (err.walk(e => e instanceof UserRejectedRequestError) !== null) {
      return new P2pdvError(ChainErrorCode.WALLET_REFUSED, `${action}: the wallet refused to send the transaction`, { hint: 'Nothing was sent or paid. Approve the transaction in your wallet to go on.', cause: err })
    }
    if (err.walk(e => e instanceof InsufficientFundsError) !== null) {
      return new P2pdvError(ChainErrorCode.INSUFFICIENT_FUNDS, `${action}: the account has too little ETH for the value and gas`, { hint: 'Fund the account first.', cause: err })
    }
    if (err.walk(e => e instanceof HttpRequestError || e instanceof TimeoutError) !== null) {
      return new P2pdvError(ChainErrorCode.UNREACHABLE, `${action}: the chain's RPC endpoint did not answer`, {
        hint: 'Is the devnet (or the node behind --rpc) running?', cause: err
      })
    }
    return new P2pdvError(ChainErrorCode.FAILED, `${action} failed: ${err.shortMessage}`, { cause: err })
  }
  return new P2pdvError(ChainErrorCode.FAILED, `${action} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

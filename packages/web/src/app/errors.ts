/** What a person is told for each failure: a title, the stable code, and what to do next. */
import { P2pdvError } from '@p2pdv/core/errors'

export interface UserError {
  code: string
  title: string
  detail: string
  hint: string
}

const TITLES: Record<string, string> = {
  ERR_BAD_CAPABILITY: 'This link is not complete',
  ERR_KEY_MISSING: 'This link has no key',
  ERR_CHUNK_AUTH: 'The key in this link does not open this video',
  ERR_BLOCK_UNAVAILABLE: 'No node could serve part of this video',
  ERR_PEERS_UNAVAILABLE: 'This node cannot reach the network',
  ERR_NOT_A_VIDEO: 'This link is a file, not a video',
  ERR_MANIFEST_MALFORMED: 'This video is damaged',
  ERR_MANIFEST_UNSUPPORTED: 'This video needs a newer player',
  ERR_PLAINTEXT_SIZE_MISMATCH: 'This video is damaged',
  ERR_MEDIA_UNSUPPORTED: 'This browser cannot play the video',
  ERR_PLAYBACK: 'The video stopped playing',
  ERR_BAD_LINK: 'This page does not name a video',
  ERR_ACCESS_DENIED: 'You do not have access to this video',
  ERR_KEEPERS_UNAVAILABLE: 'Too few key keepers answered',
  ERR_NO_KEEPERS: 'No key keepers hold this video',
  ERR_NO_CHAIN: 'This node cannot look the video up',
  ERR_VIDEO_UNKNOWN: 'This video is not registered',
  ERR_WALLET_REFUSED: 'Your wallet did not sign',
  ERR_KEY_FINGERPRINT_MISMATCH: 'The key does not match this video',
  ERR_NO_WALLET: 'No wallet',
  ERR_CHAIN_MISMATCH: 'Your wallet is on another chain',
  ERR_CHAIN_INSUFFICIENT_FUNDS: 'Not enough funds',
  ERR_CHAIN_TX_FAILED: 'The transaction reverted',
  ERR_CHAIN_UNREACHABLE: 'The chain did not answer',
  ERR_NOT_FOR_SALE: 'This video is not for sale',
  ERR_CHAIN_NO_SUBSCRIPTION_PLAN: 'This creator offers no subscription',
  ERR_NOT_REFUNDABLE: 'This purchase cannot be refunded',
  ERR_SIWE_REJECTED: 'The node refused the sign-in',
  ERR_RATING_HIDDEN: 'Hidden by your settings',
  ERR_RATING_UNKNOWN: 'This stream\'s rating could not be checked'
}

/** What to do next, where the error's own hint is written for the CLI. */
const PAGE_HINTS: Record<string, string> = {
  ERR_WALLET_REFUSED: 'Nothing was sent or paid. Approve the request in your wallet to go on.',
  ERR_CHAIN_INSUFFICIENT_FUNDS: 'The account cannot pay the price plus gas. Add ETH to it (on the devnet: "Add test ETH" in the wallet menu) and try again.',
  ERR_NOT_REFUNDABLE: 'Only the account that paid can refund a purchase, once, before its refund window closes. Nothing was sent. Reload the page to see where this purchase stands.',
  ERR_CHAIN_TX_FAILED: 'The chain reverted the transaction: nothing was bought, only gas was spent. Reload the page to see the current price, then try again.'
}

export function userError (err: unknown): UserError {
  const e = err instanceof P2pdvError ? err : new P2pdvError('ERR_INTERNAL', (err as Error)?.message ?? String(err))
  return {
    code: e.code,
    title: TITLES[e.code] ?? (e.code.startsWith('ERR_CHAIN_') ? 'The contract refused' : 'Something went wrong'),
    detail: e.message,
    hint: PAGE_HINTS[e.code] ?? e.hint ?? 'Reload the page. If it keeps happening, the nodes holding this video may be offline.'
  }
}

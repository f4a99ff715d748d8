/**
 * The options of serving receipts (serving-receipts.ts), in a module that loads nothing: `get`
 * takes them without loading the chain client unless it signs receipts.
 */
export const RECEIPT_OPTIONS = { 'no-receipts': { type: 'boolean', default: false } } as const

/** The wallet options (chain/context.ts CHAIN_OPTIONS, spelled out here so `get` stays light). */
export const RECEIPT_WALLET_OPTIONS = {
  rpc: { type: 'string' },
  chain: { type: 'string' },
  as: { type: 'string' },
  keys: { type: 'string' },
  'passphrase-file': { type: 'string' }
} as const

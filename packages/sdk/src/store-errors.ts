/** Error codes of uploads to nodes (both transports). */
export const StoreClientErrorCode = {
  REFUSED: 'ERR_STORE_REFUSED',
  BAD_RECEIPT: 'ERR_BAD_RECEIPT',
  UNREACHABLE: 'ERR_NODE_UNREACHABLE',
  TIMEOUT: 'ERR_STORE_TIMEOUT'
} as const

/** A receipt that takes longer than this to arrive fails the session. */
export const DEFAULT_STORE_TIMEOUT_MS = 30_000

/**
 * Error codes of the node client. Match on these, never on messages. Codes shared with the
 * uploads' older names (ERR_NODE_UNREACHABLE, ERR_BAD_RECEIPT, ERR_STORE_REFUSED,
 * ERR_BLOCK_TOO_LARGE) keep their spelling so callers matching them keep working.
 */
export const NodeClientErrorCode = {
  /** The node answered 404: it does not have the block or record. */
  NOT_FOUND: 'ERR_NODE_NOT_FOUND',
  /** A body longer than the call's limit or than its own Content-Length; the connection was dropped. */
  TOO_LARGE: 'ERR_BLOCK_TOO_LARGE',
  /** Block bytes that do not hash to the CID asked for (or not of the expected size). */
  HASH_MISMATCH: 'ERR_BLOCK_HASH_MISMATCH',
  /** Refused connection, reset, DNS failure, a body cut short. */
  UNREACHABLE: 'ERR_NODE_UNREACHABLE',
  /** No complete answer before the call's deadline. */
  TIMEOUT: 'ERR_NODE_TIMEOUT',
  /** The node refused a PUT (its code is in `details.code`). */
  REFUSED: 'ERR_STORE_REFUSED',
  /** A store receipt that is malformed, for another peer, CID or size, or not signed by the node. */
  BAD_RECEIPT: 'ERR_BAD_RECEIPT',
  /** Any other answer than the API promises (status, content type, JSON shape). */
  BAD_RESPONSE: 'ERR_BAD_NODE_RESPONSE',
  /** The base URL is not an http(s) URL. */
  BAD_URL: 'ERR_BAD_URL'
} as const

export type NodeClientErrorCodeName = typeof NodeClientErrorCode[keyof typeof NodeClientErrorCode]

/**
 * The chain the serving node shares with pages (`GET /api/v1/chain`), read through NodeClient so
 * the answer is bounded and typed. Unchecked JSON: callers parse it as a chain config.
 */
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { NodeClient, NodeClientErrorCode } from '@p2pdv/node-client'

const CHAIN_TIMEOUT_MS = 15_000

export async function nodeChainDescription (origin: string, signal?: AbortSignal): Promise<unknown> {
  try {
    return await new NodeClient(origin, { timeoutMs: CHAIN_TIMEOUT_MS }).chain(signal === undefined ? {} : { signal })
  } catch (cause) {
    if (isP2pdvError(cause, NodeClientErrorCode.NOT_FOUND)) {
      throw new P2pdvError('ERR_NO_CHAIN', 'this node shares no chain', { hint: 'Open the app from a node of its network (the devnet, or one started with --public-rpc).', cause })
    }
    if (isP2pdvError(cause, NodeClientErrorCode.UNREACHABLE) || isP2pdvError(cause, NodeClientErrorCode.TIMEOUT)) {
      throw new P2pdvError('ERR_PEERS_UNAVAILABLE', 'this node did not answer', { hint: 'Reload the page, or open it from another node.', cause })
    }
    throw cause
  }
}

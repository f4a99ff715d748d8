/**
 * Signs in to a node's HTTP API with Ethereum (EIP-4361): fetch a nonce, sign a message naming
 * the node's authority, chain and a short expiry, and trade it for a session token. Works with
 * any signer that signs personal messages (a local account, or an EIP-1193 wallet).
 */
import { createSiweMessage } from 'viem/siwe'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { NodeClient, NodeClientErrorCode } from '@p2pdv/node-client'
import type { Hex } from '@p2pdv/core/keys'

export const DEFAULT_SESSION_SECONDS = 3600

export interface MessageSigner {
  address: Hex
  signMessage: (args: { message: string }) => Promise<Hex>
}

export interface NodeSession { token: string, address: Hex, expiresAt: number, roles: string[] }

export async function signInToNode (http: string, signer: MessageSigner, chainId: number, o: { seconds?: number, signal?: AbortSignal } = {}): Promise<NodeSession> {
  const node = new NodeClient(http)
  const call = o.signal === undefined ? {} : { signal: o.signal }
  let nonce: string
  try {
    nonce = await node.signInNonce(call)
  } catch (cause) {
    if (isP2pdvError(cause, NodeClientErrorCode.UNREACHABLE) || isP2pdvError(cause, NodeClientErrorCode.TIMEOUT)) throw new P2pdvError('ERR_NODE_UNREACHABLE', `cannot reach ${http} to sign in`, { cause })
    if (isP2pdvError(cause)) throw new P2pdvError('ERR_SIWE_UNAVAILABLE', `${http} offers no sign-in (${cause.code})`, { cause })
    throw cause
  }
  const url = new URL(http)
  const message = createSiweMessage({
    address: signer.address,
    chainId,
    domain: url.host,
    nonce,
    uri: url.origin,
    version: '1',
    statement: 'Sign in to this p2pdv node.',
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + (o.seconds ?? DEFAULT_SESSION_SECONDS) * 1000)
  })
  const signature = await signer.signMessage({ message })
  const s = await node.signIn(message, signature, call)
  return { ...s, address: s.address as Hex }
}

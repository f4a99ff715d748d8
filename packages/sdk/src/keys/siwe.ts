/**
 * Signs in to a node's HTTP API with Ethereum (EIP-4361): fetch a nonce, sign a message naming
 * the node's authority, chain and a short expiry, and trade it for a session token. Works with
 * any signer that signs personal messages (a local account, or an EIP-1193 wallet).
 */
import { createSiweMessage } from 'viem/siwe'
import { P2pdvError } from '@p2pdv/core/errors'
import type { Hex } from '@p2pdv/core/keys'

export const DEFAULT_SESSION_SECONDS = 3600

export interface MessageSigner {
  address: Hex
  signMessage: (args: { message: string }) => Promise<Hex>
}

export interface NodeSession { token: string, address: Hex, expiresAt: number, roles: string[] }

export async function signInToNode (http: string, signer: MessageSigner, chainId: number, o: { seconds?: number, signal?: AbortSignal } = {}): Promise<NodeSession> {
  const init = o.signal === undefined ? {} : { signal: o.signal }
  let nonceRes: Response
  try {
    nonceRes = await fetch(`${http}/api/v1/auth/nonce`, init)
  } catch (cause) {
    throw new P2pdvError('ERR_NODE_UNREACHABLE', `cannot reach ${http} to sign in`, { cause })
  }
  if (!nonceRes.ok) throw new P2pdvError('ERR_SIWE_UNAVAILABLE', `${http} offers no sign-in (HTTP ${nonceRes.status})`)
  const { nonce } = await nonceRes.json() as { nonce: string }
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
  const res = await fetch(`${http}/api/v1/auth/siwe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, signature }), ...init })
  const body = await res.json() as Partial<NodeSession> & { code?: string, message?: string }
  if (!res.ok || typeof body.token !== 'string') throw new P2pdvError(body.code ?? 'ERR_SIWE_REJECTED', `sign-in to ${http} refused: ${body.message ?? res.statusText}`)
  return { token: body.token, address: body.address!, expiresAt: body.expiresAt!, roles: body.roles ?? [] }
}

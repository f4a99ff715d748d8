/**
 * Sign-in with Ethereum (EIP-4361) for the node's HTTP API. A client fetches a one-time nonce,
 * signs a SIWE message naming this node's authority, chain and that nonce with an expiry, and
 * gets a session token back (also as an HttpOnly cookie). Tokens are
 * `base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`, checked in constant time; the
 * secret is random per node process, so a restart signs everyone out. Roles are derived from
 * chain state each time a session is looked at, never stored in the token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { getAddress, recoverMessageAddress, type Hex } from 'viem'
import { parseSiweMessage, validateSiweMessage } from 'viem/siwe'
import { P2pdvError } from '@p2pdv/core/errors'

export const AuthErrorCode = {
  BAD_MESSAGE: 'ERR_SIWE_MALFORMED',
  REJECTED: 'ERR_SIWE_REJECTED',
  BAD_SIGNATURE: 'ERR_BAD_SIGNATURE',
  NO_SESSION: 'ERR_NO_SESSION'
} as const

export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000
export const NONCE_TTL_MS = 5 * 60_000
export const MAX_OPEN_NONCES = 10_000
/**
 * Open nonces per source (IP address): past it the source's own oldest nonce is forgotten, so
 * one sender asking for nonces in a loop cannot push everyone else's out of the table.
 */
export const MAX_NONCES_PER_SOURCE = 16
/** A SIWE message may not ask for a session longer than this. */
export const MAX_SESSION_TTL_MS = 24 * 3600_000
export const MAX_SIWE_MESSAGE_BYTES = 2048
export const SESSION_COOKIE = 'p2pdv_session'

export type Role = 'viewer' | 'creator' | 'node-host'

export interface Session { address: Hex, chainId: number, expiresAt: number }

export interface SiweAuthOptions {
  chainId: number
  /** Authorities (host:port) a message may name: this node's own, plus configured web apps. */
  domains: () => string[]
  sessionTtlMs?: number
  now?: () => number
}

export class SiweAuth {
  private readonly secret = randomBytes(32)
  private readonly nonces = new Map<string, { expiresAt: number, source: string }>()
  /** Each source's open nonces, oldest first. */
  private readonly bySource = new Map<string, string[]>()
  private readonly o: SiweAuthOptions
  private readonly now: () => number

  constructor (o: SiweAuthOptions) {
    this.o = o
    this.now = o.now ?? Date.now
  }

  /** `source` names the requester (e.g. `ip:…`); each holds at most MAX_NONCES_PER_SOURCE open nonces. */
  issueNonce (source = 'unknown'): { nonce: string, expiresAt: number } {
    const now = this.now()
    for (const [n, v] of this.nonces) { if (v.expiresAt > now && this.nonces.size < MAX_OPEN_NONCES) break; this.forget(n) }
    const mine = this.bySource.get(source) ?? []
    while (mine.length >= MAX_NONCES_PER_SOURCE) this.forget(mine[0]!)
    // EIP-4361 nonces are at least 8 alphanumerics; 128 random bits in base62-ish hex.
    const nonce = randomBytes(16).toString('hex')
    const expiresAt = now + NONCE_TTL_MS
    this.nonces.set(nonce, { expiresAt, source })
    const list = this.bySource.get(source) ?? []
    list.push(nonce)
    this.bySource.set(source, list)
    return { nonce, expiresAt }
  }

  private forget (nonce: string): void {
    const v = this.nonces.get(nonce)
    if (v === undefined) return
    this.nonces.delete(nonce)
    const list = this.bySource.get(v.source)
    if (list === undefined) return
    const i = list.indexOf(nonce)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.bySource.delete(v.source)
  }

  async signIn (message: unknown, signature: unknown): Promise<{ token: string } & Session> {
    if (typeof message !== 'string' || message.length > MAX_SIWE_MESSAGE_BYTES) throw new P2pdvError(AuthErrorCode.BAD_MESSAGE, `send a SIWE message of at most ${MAX_SIWE_MESSAGE_BYTES} characters`)
    if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new P2pdvError(AuthErrorCode.BAD_MESSAGE, 'the signature must be 65 bytes of 0x hex')
    const parsed = parseSiweMessage(message)
    const now = this.now()
    const reject = (why: string): P2pdvError => new P2pdvError(AuthErrorCode.REJECTED, `sign-in refused: ${why}`, { hint: 'Fetch a new nonce from /api/v1/auth/nonce and sign again.' })
    if (parsed.address === undefined || parsed.nonce === undefined || parsed.domain === undefined) throw reject('the message lacks an address, domain or nonce')
    if (!this.o.domains().includes(parsed.domain)) throw reject(`it names ${parsed.domain}, not this node`)
    if (parsed.chainId !== this.o.chainId) throw reject(`it is for chain ${String(parsed.chainId)}; this node is on chain ${this.o.chainId}`)
    if (parsed.expirationTime === undefined) throw reject('it has no expiration time')
    if (parsed.expirationTime.getTime() > now + MAX_SESSION_TTL_MS) throw reject('it asks for a session longer than 24 h')
    if (!validateSiweMessage({ message: parsed, time: new Date(now) })) throw reject('it is expired, not yet valid or malformed')
    const nonceExpiry = this.nonces.get(parsed.nonce)?.expiresAt
    if (nonceExpiry === undefined || nonceExpiry <= now) throw reject('the nonce is unknown, used or expired')
    let signer: Hex
    try {
      signer = await recoverMessageAddress({ message, signature: signature as Hex })
    } catch {
      throw new P2pdvError(AuthErrorCode.BAD_SIGNATURE, 'the SIWE signature is invalid')
    }
    if (signer.toLowerCase() !== parsed.address.toLowerCase()) throw new P2pdvError(AuthErrorCode.BAD_SIGNATURE, 'the SIWE message is not signed by the address it names')
    // Only a correctly signed message uses up its nonce (a forger cannot burn someone else's).
    this.forget(parsed.nonce)
    const expiresAt = Math.min(parsed.expirationTime.getTime(), now + (this.o.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS))
    const session: Session = { address: getAddress(signer), chainId: this.o.chainId, expiresAt }
    return { token: this.token(session), ...session }
  }

  private mac (payload: string): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest()
  }

  private token (s: Session): string {
    const payload = Buffer.from(JSON.stringify({ v: 1, a: s.address, c: s.chainId, exp: s.expiresAt, sid: randomBytes(8).toString('hex') })).toString('base64url')
    return `${payload}.${this.mac(payload).toString('base64url')}`
  }

  /** The session a token stands for, or undefined (bad MAC, expired, malformed). */
  verify (token: string | undefined): Session | undefined {
    if (token === undefined || token.length > 512) return undefined
    const dot = token.indexOf('.')
    if (dot < 1) return undefined
    const payload = token.slice(0, dot)
    const mac = Buffer.from(token.slice(dot + 1), 'base64url')
    const want = this.mac(payload)
    if (mac.byteLength !== want.byteLength || !timingSafeEqual(mac, want)) return undefined
    try {
      const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { v: number, a: Hex, c: number, exp: number }
      if (p.v !== 1 || p.exp <= this.now() || p.c !== this.o.chainId) return undefined
      return { address: getAddress(p.a), chainId: p.c, expiresAt: p.exp }
    } catch {
      return undefined
    }
  }
}

/** The bearer token or session cookie of a request. */
export function sessionToken (headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim()
  const cookie = headers.cookie
  if (typeof cookie !== 'string') return undefined
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === SESSION_COOKIE) return v.join('=')
  }
  return undefined
}

/**
 * Who may drive the studio. It holds the creator's keys, so a request must prove it comes from
 * the page this run printed: the Host is this server (a DNS-rebinding page names its own host),
 * any Origin is this server (another site's page sends its own), and the per-run token from the
 * printed URL is in the Authorization header (a cross-site request cannot set it without a CORS
 * preflight, which is never answered). The token is compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { P2pdvError } from '@p2pdv/core/errors'

export interface StudioGuard {
  token: string
  /** Throws ERR_STUDIO_ORIGIN (wrong Host, Origin or fetch site). */
  checkOrigin: (req: IncomingMessage) => void
  /** Throws ERR_STUDIO_TOKEN (no token, or another one). */
  checkToken: (req: IncomingMessage) => void
}

export function newStudioToken (): string {
  return randomBytes(32).toString('base64url')
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export function studioGuard (token: string, port: () => number): StudioGuard {
  const expected = digest(token)
  const hosts = (): string[] => [`127.0.0.1:${port()}`, `localhost:${port()}`]
  return {
    token,
    checkOrigin (req) {
      const host = req.headers.host ?? ''
      if (!hosts().includes(host)) {
        throw new P2pdvError('ERR_STUDIO_ORIGIN', `the studio answers only to http://127.0.0.1:${port()}, not to host "${host.slice(0, 80)}"`)
      }
      const origin = req.headers.origin
      if (origin !== undefined && !hosts().map(h => `http://${h}`).includes(origin)) {
        throw new P2pdvError('ERR_STUDIO_ORIGIN', `a page from ${origin.slice(0, 80)} may not drive the studio`)
      }
      const site = req.headers['sec-fetch-site']
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw new P2pdvError('ERR_STUDIO_ORIGIN', `a ${String(site).slice(0, 20)} request may not drive the studio`)
      }
    },
    checkToken (req) {
      const auth = req.headers.authorization ?? ''
      const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(auth)
      // Hashing both sides gives equal lengths, so the compare takes the same time for any token.
      if (m === null || !timingSafeEqual(digest(m[1]!), expected)) {
        throw new P2pdvError('ERR_STUDIO_TOKEN', m === null ? 'the request carries no studio token' : 'the studio token is not this run\'s')
      }
    }
  }
}

import { P2pdvError } from '@p2pdv/core/errors'
import { NodeClientErrorCode } from '../errors.ts'

/** A node's http(s) URL, or ERR_BAD_URL: both transports refuse anything else before a request. */
export function httpUrl (url: string): URL {
  let u: URL
  try { u = new URL(url) } catch { throw new P2pdvError(NodeClientErrorCode.BAD_URL, `not a URL: ${url.slice(0, 100)}`) }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new P2pdvError(NodeClientErrorCode.BAD_URL, `not an HTTP URL: ${url.slice(0, 100)}`)
  return u
}

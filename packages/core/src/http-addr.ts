/**
 * Nodes announce their HTTP data plane the way IPFS delegated routing does: a multiaddr ending in
 * `/http` (e.g. `/ip4/127.0.0.1/tcp/4001/http`). This maps one to a base URL, and refuses anything
 * else (paths, user info, other protocols), so a hostile peer record cannot point a reader at an
 * arbitrary URL shape.
 */
export function httpUrlFromMultiaddr (addr: string): string | undefined {
  if (addr.length > 256) return undefined
  const m = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d{1,5})\/(http|https|tls\/http)$/.exec(addr)
  if (m === null) return undefined
  const port = Number(m[3])
  if (port < 1 || port > 65535) return undefined
  const name = m[2] ?? ''
  if (m[1] === 'ip6' ? !/^[0-9a-fA-F:.]+$/.test(name) : !/^[A-Za-z0-9.-]+$/.test(name)) return undefined
  const host = m[1] === 'ip6' ? `[${name}]` : name
  return `${m[4] === 'http' ? 'http' : 'https'}://${host}:${port}`
}

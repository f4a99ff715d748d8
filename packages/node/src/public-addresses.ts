/**
 * What a node tells the network about where to reach it (`--announce ADDR,…`) and whom it dials
 * first (`--bootstrap-file FILE`). A node behind a NAT, a load balancer or in a container binds
 * one address (often 0.0.0.0) and is reached at another: peers learn the announced libp2p
 * multiaddrs through identify and the DHT, and the announced HTTP URL as a `/http` (or `/https`)
 * multiaddr beside them, so listed peers, provider records and the on-chain endpoint all name
 * the public address. Everything is checked at start: a typo here would otherwise make a node
 * that runs fine but that no one can reach.
 */
import { readFileSync, statSync } from 'node:fs'
import { isIPv4, isIPv6 } from 'node:net'
import { P2pdvError } from '@p2pdv/core/errors'

export const ANNOUNCE_ERROR = 'ERR_BAD_ANNOUNCE'
/** Announced libp2p addresses (each one is sent to every peer in identify). */
export const MAX_ANNOUNCED_MULTIADDRS = 8
export const MAX_ADDRESS_LENGTH = 256
/** A bootstrap list file: its size and entries (a handful of peers is plenty; dials run side by side). */
export const MAX_BOOTSTRAP_FILE_BYTES = 64 * 1024
export const MAX_BOOTSTRAP_PEERS = 64

export interface PublicAddresses {
  /** libp2p multiaddrs peers should dial (without `/p2p/…`: libp2p appends the node's id). */
  multiaddrs: string[]
  /** The data plane's public URL (`http(s)://host:port`), when announced. */
  http?: string
}

const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
/** The transports a node listens on: TCP, and WebSockets for viewers (plain or behind TLS). */
const MULTIADDR = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d{1,5})(\/ws|\/wss|\/tls\/ws)?$/

function bad (value: string, reason: string, hint: string): P2pdvError {
  return new P2pdvError(ANNOUNCE_ERROR, `--announce ${JSON.stringify(value.slice(0, MAX_ADDRESS_LENGTH))}: ${reason}`, { hint })
}

function checkHost (kind: string, host: string, value: string): void {
  const ok = kind === 'ip4' ? isIPv4(host) : kind === 'ip6' ? isIPv6(host) : DNS_NAME.test(host)
  if (!ok) throw bad(value, `${host} is not a valid ${kind === 'ip4' ? 'IPv4 address' : kind === 'ip6' ? 'IPv6 address' : 'DNS name'}`, 'e.g. /ip4/203.0.113.7/tcp/4001 or /dns4/node1.example.org/tcp/4001')
  // Announcing "any address" tells peers nothing they can dial.
  const unspecified = kind === 'ip4' ? host === '0.0.0.0' : kind === 'ip6' && new URL(`http://[${host}]`).hostname === '[::]'
  if (unspecified) throw bad(value, 'the unspecified address cannot be dialled', 'Bind 0.0.0.0 with --host if you like, but announce the address peers reach this machine at.')
}

function port (raw: string, value: string): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw bad(value, 'the port must be 1 to 65535', 'Announce the port peers connect to (a NAT or load balancer may map it to --p2p-port / --http-port).')
  return n
}

function parseMultiaddr (value: string): string {
  const m = MULTIADDR.exec(value)
  if (m === null) {
    const hint = value.includes('/p2p/')
      ? 'Leave out /p2p/…: the node appends its own peer id.'
      : 'A libp2p address over TCP, e.g. /ip4/203.0.113.7/tcp/4001, /dns4/node1.example.org/tcp/4001 or …/tcp/443/wss.'
    throw bad(value, 'not a TCP multiaddr this node can be dialled at', hint)
  }
  checkHost(m[1]!, m[2]!, value)
  port(m[3]!, value)
  return value
}

function parseHttpUrl (value: string): string {
  let url: URL
  try { url = new URL(value) } catch { throw bad(value, 'neither a multiaddr nor a URL', 'Announce /ip4/…/tcp/PORT multiaddrs and one https://host:port URL (or roots|all, the DHT strategy).') }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(value, 'the data plane URL must be http or https', 'e.g. https://node1.example.org')
  if (url.username !== '' || url.password !== '') throw bad(value, 'a URL with credentials would publish them', 'Announce the URL without user:password@.')
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') throw bad(value, 'the data plane is served at the root of its origin', 'Announce only scheme, host and port, e.g. https://node1.example.org:8443')
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  checkHost(isIPv4(host) ? 'ip4' : isIPv6(host) ? 'ip6' : 'dns', host, value)
  return url.origin
}

/** The `/http` multiaddr peers read the data plane's URL from (core's httpUrlFromMultiaddr reverses it). */
export function httpMultiaddr (origin: string): string {
  const url = new URL(origin)
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const kind = isIPv4(host) ? 'ip4' : isIPv6(host) ? 'ip6' : 'dns'
  const p = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'
  return `/${kind}/${host}/tcp/${p}/${url.protocol === 'https:' ? 'https' : 'http'}`
}

/**
 * `--announce` values (repeatable, each a comma-separated list of multiaddrs and at most one
 * http(s) URL). `roots` and `all` are the DHT strategy (config.ts), not addresses.
 */
export function parseAnnounce (values: readonly string[]): PublicAddresses | undefined {
  const multiaddrs: string[] = []
  let http: string | undefined
  for (const raw of values.flatMap(v => v.split(',')).map(v => v.trim())) {
    if (raw === '') throw bad(raw, 'an empty address', 'Separate addresses with single commas, e.g. --announce /ip4/203.0.113.7/tcp/4001,https://node1.example.org')
    if (raw.length > MAX_ADDRESS_LENGTH) throw bad(raw, `longer than ${MAX_ADDRESS_LENGTH} characters`, 'Announce a shorter address.')
    if (raw.startsWith('/')) {
      const ma = parseMultiaddr(raw)
      if (!multiaddrs.includes(ma)) multiaddrs.push(ma)
    } else {
      const origin = parseHttpUrl(raw)
      if (http !== undefined && http !== origin) throw bad(raw, `a second data plane URL (${http} is announced already)`, 'A node serves one data plane: announce one http(s) URL.')
      http = origin
    }
  }
  if (multiaddrs.length > MAX_ANNOUNCED_MULTIADDRS) throw bad(multiaddrs.join(','), `more than ${MAX_ANNOUNCED_MULTIADDRS} multiaddrs`, 'Announce the few addresses peers really reach this node at.')
  if (multiaddrs.length === 0 && http === undefined) return undefined
  return { multiaddrs, ...(http === undefined ? {} : { http }) }
}

/**
 * A bootstrap list: one multiaddr with `/p2p/<peer id>` a line; blank lines and `#` comments are
 * skipped. Entries are checked here so a broken list fails at start, not silently at every dial.
 */
export function readBootstrapFile (file: string): string[] {
  let text: string
  try {
    if (statSync(file).size > MAX_BOOTSTRAP_FILE_BYTES) {
      throw new P2pdvError('ERR_CONFIG', `--bootstrap-file ${file} is larger than ${MAX_BOOTSTRAP_FILE_BYTES} bytes`, { hint: `List at most ${MAX_BOOTSTRAP_PEERS} peers, one multiaddr a line.` })
    }
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    if (cause instanceof P2pdvError) throw cause
    throw new P2pdvError('ERR_CONFIG', `cannot read --bootstrap-file ${file}`, { hint: 'Check the path and permissions.', cause })
  }
  const out: string[] = []
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const entry = line.replace(/#.*$/, '').trim()
    if (entry === '') continue
    const m = /^(.*)\/p2p\/([1-9A-HJ-NP-Za-km-z]{46,60}|b[a-z2-7]{50,70})$/.exec(entry)
    if (entry.length > MAX_ADDRESS_LENGTH || m === null || !MULTIADDR.test(m[1]!)) {
      throw new P2pdvError('ERR_CONFIG', `--bootstrap-file ${file} line ${i + 1} is not a peer's multiaddr`, { hint: 'One address a line, ending in the peer id: /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…' })
    }
    if (!out.includes(entry)) out.push(entry)
    if (out.length > MAX_BOOTSTRAP_PEERS) throw new P2pdvError('ERR_CONFIG', `--bootstrap-file ${file} lists more than ${MAX_BOOTSTRAP_PEERS} peers`, { hint: 'A few reachable peers are enough: the DHT finds the rest.' })
  }
  return out
}

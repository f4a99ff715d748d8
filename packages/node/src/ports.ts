/**
 * A node keeps its ports across restarts. The ports it bound are remembered in `ports.json` in
 * its data dir; a later start that asks for ephemeral ports (0, the default) binds the remembered
 * ones again, so the addresses peers, clients, devnet.json and the chain registry hold stay valid.
 *
 * - An explicit port (`--http-port`, `--p2p-port`) always wins; if it is taken the start fails
 *   with ERR_PORT_IN_USE (the operator asked for exactly that port).
 * - A remembered port that is taken (another process got it while the node was down) is given up:
 *   the node binds a new ephemeral port, remembers that one and logs a warning. Refusing to start
 *   would turn a port clash into an outage; a moved node is still found through peer lists,
 *   signed-in clients refresh (sdk PeerDirectory) and the chain registration is updated at start.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'

export const PORTS_FILE = 'ports.json'

export const PortErrorCode = {
  IN_USE: 'ERR_PORT_IN_USE'
} as const

/** `viewer` is the WebSockets port of the viewer relay (libp2p-options.ts), when it is on. */
export interface RememberedPorts { http?: number, p2p?: number, viewer?: number }

/** Where a port to bind came from: asked for on the command line, remembered, or any (0). */
export interface PortChoice { port: number, source: 'explicit' | 'remembered' | 'ephemeral' }

function validPort (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535 ? v : undefined
}

/** The ports a previous start bound; a missing or unreadable file remembers nothing (ports are not precious). */
export async function readRememberedPorts (dataDir: string): Promise<RememberedPorts> {
  let parsed: unknown
  try {
    const text = await readFile(join(dataDir, PORTS_FILE), 'utf8')
    if (text.length > 1024) return {}
    parsed = JSON.parse(text)
  } catch {
    return {}
  }
  if (typeof parsed !== 'object' || parsed === null) return {}
  const { http, p2p, viewer } = parsed as { http?: unknown, p2p?: unknown, viewer?: unknown }
  const h = validPort(http)
  const p = validPort(p2p)
  const v = validPort(viewer)
  return { ...(h === undefined ? {} : { http: h }), ...(p === undefined ? {} : { p2p: p }), ...(v === undefined ? {} : { viewer: v }) }
}

export async function writeRememberedPorts (dataDir: string, ports: { http: number, p2p: number, viewer?: number }): Promise<void> {
  const path = join(dataDir, PORTS_FILE)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ http: ports.http, p2p: ports.p2p, ...(ports.viewer === undefined ? {} : { viewer: ports.viewer }) }) + '\n', { mode: 0o600 })
  await rename(tmp, path)
}

/** True when `port` on `host` can be listened on now (a probe: bound and closed at once). */
export async function portFree (host: string, port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve(true) }) })
  })
}

/**
 * The port to bind for one plane. Explicit: that port or ERR_PORT_IN_USE. Remembered: that port
 * if free, else 0 (`onMoved` is told, for a loud log line).
 */
export async function choosePort (plane: 'http' | 'p2p' | 'viewer', host: string, configured: number, remembered: number | undefined, onMoved: (port: number) => void): Promise<PortChoice> {
  if (configured !== 0) {
    if (!await portFree(host, configured)) throw portInUse(plane, host, configured)
    return { port: configured, source: 'explicit' }
  }
  if (remembered === undefined) return { port: 0, source: 'ephemeral' }
  if (await portFree(host, remembered)) return { port: remembered, source: 'remembered' }
  onMoved(remembered)
  return { port: 0, source: 'ephemeral' }
}

export function portInUse (plane: 'http' | 'p2p' | 'viewer', host: string, port: number, cause?: unknown): P2pdvError {
  const flag = `--${plane}-port`
  return new P2pdvError(PortErrorCode.IN_USE, `${host}:${port} (${plane === 'http' ? 'HTTP' : plane === 'p2p' ? 'libp2p' : 'viewer WebSockets'}) is already in use`, {
    hint: `Stop whatever listens there (another node on this port?), or pass another ${flag} (0 = any free port).`,
    details: { plane, host, port },
    ...(cause === undefined ? {} : { cause })
  })
}

/** True for the error Node's listen raises on a taken port. */
export function isAddressInUse (err: unknown): boolean {
  for (let e: unknown = err, i = 0; e !== undefined && e !== null && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    if ((e as { code?: unknown }).code === 'EADDRINUSE') return true
  }
  return false
}

/**
 * The HTTP data plane: blocks, delegated routing and the API (http-api.ts), bound on the port the
 * operator asked for, else the one this data dir bound last time (ports.ts), else any. It starts
 * before libp2p so its address can be announced with the libp2p ones.
 */
import type { Logger } from 'pino'
import { createHttpApi, type HttpApiDeps } from '../http-api.ts'
import { notStarted, type Component } from '../lifecycle.ts'
import { httpMultiaddr } from '../public-addresses.ts'
import { choosePort, isAddressInUse, portInUse, readRememberedPorts } from '../ports.ts'

export interface HttpPlaneDeps {
  host: string
  /** `--http-port`; 0 = the remembered port, else any. */
  port: number
  /** The URL announced with `--announce` (a proxy, a NAT, a DNS name), when it is not the bound one. */
  publicUrl?: string
  dataDir: () => string
  /** The API's dependencies, read when the plane starts (after the components it serves). */
  api: () => HttpApiDeps
  log: Logger
}

type HttpApi = Awaited<ReturnType<typeof createHttpApi>>

export class HttpPlane implements Component {
  readonly name = 'http'
  private readonly deps: HttpPlaneDeps
  private app: HttpApi | undefined
  private boundUrl: string | undefined

  constructor (deps: HttpPlaneDeps) {
    this.deps = deps
  }

  /** Where others reach the plane: the announced URL, else `http://host:port` once listening. */
  get url (): string {
    if (this.boundUrl === undefined) throw notStarted(this.name)
    return this.deps.publicUrl ?? this.boundUrl
  }

  /** `http://host:port` as bound (the port is remembered for the next start). */
  get listenUrl (): string {
    if (this.boundUrl === undefined) throw notStarted(this.name)
    return this.boundUrl
  }

  /** The URL, or '' before the plane listens (for handlers that may run earlier). */
  get urlOrEmpty (): string {
    return this.boundUrl === undefined ? '' : this.url
  }

  /** The `/http` (or `/https`) multiaddr announced beside the libp2p addresses. */
  get multiaddr (): string {
    if (this.deps.publicUrl !== undefined) return httpMultiaddr(this.deps.publicUrl)
    const u = new URL(this.url)
    return `/ip4/${u.hostname}/tcp/${u.port}/http`
  }

  async start (): Promise<void> {
    const { host, log } = this.deps
    const remembered = await readRememberedPorts(this.deps.dataDir())
    const chosen = await choosePort('http', host, this.deps.port, remembered.http, port => {
      log.warn({ plane: 'http', port }, 'the http port this node had before is taken: binding a new one (clients and peers find it through peer lists)')
    })
    const app = await createHttpApi(this.deps.api())
    try {
      await app.listen({ host, port: chosen.port })
    } catch (err) {
      await app.close()
      throw isAddressInUse(err) ? portInUse('http', host, chosen.port, err) : err
    }
    const addr = app.server.address()
    this.app = app
    this.boundUrl = `http://${host}:${typeof addr === 'object' && addr !== null ? addr.port : chosen.port}`
  }

  async stop (): Promise<void> {
    const app = this.app
    this.app = undefined
    await app?.close()
  }
}

/**
 * The libp2p plane: Helia (the verified blockstore, the LevelDB datastore, bitswap) on a libp2p
 * host that announces the HTTP plane's `/http` address beside its own. Once it listens, the ports
 * both planes bound are remembered for the next start (ports.ts).
 */
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import type { Libp2p } from '@libp2p/interface'
import type { LevelDatastore } from 'datastore-level'
import { createHeliaLight } from 'helia'
import type { Logger } from 'pino'
import { libp2pOptions } from '../libp2p-options.ts'
import { notStarted, type Component, type Resource } from '../lifecycle.ts'
import { choosePort, isAddressInUse, portInUse, readRememberedPorts, writeRememberedPorts } from '../ports.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import type { NodeDisk } from './disk.ts'
import type { HttpPlane } from './http-plane.ts'

export interface Libp2pPlaneDeps {
  host: string
  /** `--p2p-port`; 0 = the remembered port, else any. */
  port: number
  /** The viewer relay's WebSockets port (`--viewer-port`; 0 = remembered, else any), or undefined when it is off. */
  viewerPort?: number
  /** `--announce` multiaddrs: announced instead of the bound ones (the HTTP plane's is added). */
  announce?: string[]
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  datastore: Resource<LevelDatastore>
  http: HttpPlane
  log: Logger
}

function createHelia (deps: Libp2pPlaneDeps, port: number, viewerPort?: number) {
  return withBitswap(withLibp2pLight(
    createHeliaLight({ blockstore: deps.blockstore.value, datastore: deps.datastore.value, routers: [] }),
    libp2pOptions(deps.disk.value.privateKey, deps.host, port, [deps.http.multiaddr], viewerPort === undefined ? undefined : { port: viewerPort }, deps.announce)
  ))
}

/**
 * The addresses the transports listen on. libp2p's public API gives only the announced ones once
 * `announce` is set; the node object has its transport manager (libp2p 3), read defensively.
 */
function listenAddrs (libp2p: Libp2p): string[] {
  const tm = (libp2p as unknown as { components?: { transportManager?: { getAddrs?: () => Array<{ toString: () => string }> } } }).components?.transportManager
  return tm?.getAddrs?.().map(a => a.toString()) ?? []
}

export type NodeHelia = ReturnType<typeof createHelia>

export class Libp2pPlane implements Component {
  readonly name = 'libp2p'
  private readonly deps: Libp2pPlaneDeps
  private current: NodeHelia | undefined

  constructor (deps: Libp2pPlaneDeps) {
    this.deps = deps
  }

  get helia (): NodeHelia {
    if (this.current === undefined) throw notStarted(this.name)
    return this.current
  }

  /** The libp2p host, or undefined while it is not running (handlers may run before and after). */
  get libp2p (): Libp2p | undefined {
    return this.current?.libp2p
  }

  /** libp2p addresses only (the announced `/http` one is the data plane, not dialable by libp2p). */
  multiaddrs (): string[] {
    return (this.current?.libp2p.getMultiaddrs() ?? []).map(m => m.toString()).filter(a => !a.includes('/http'))
  }

  async start (): Promise<void> {
    const { host, log } = this.deps
    const root = this.deps.disk.value.dir.root
    const remembered = await readRememberedPorts(root)
    const chosen = await choosePort('p2p', host, this.deps.port, remembered.p2p, port => {
      log.warn({ plane: 'p2p', port }, 'the p2p port this node had before is taken: binding a new one (clients and peers find it through peer lists)')
    })
    const viewer = this.deps.viewerPort === undefined
      ? undefined
      : await choosePort('viewer', host, this.deps.viewerPort, remembered.viewer, port => {
        log.warn({ plane: 'viewer', port }, 'the viewer port this node had before is taken: binding a new one (viewers find it through the node\'s addresses)')
      })
    const helia = createHelia(this.deps, chosen.port, viewer?.port)
    try {
      await helia.start()
    } catch (err) {
      await helia.stop().catch(() => {})
      throw isAddressInUse(err) ? portInUse('p2p', host, chosen.port, err) : err
    }
    this.current = helia
    // The bound addresses (announced ones may name other ports, mapped by a NAT or a proxy).
    const bound = this.deps.announce === undefined ? this.multiaddrs() : listenAddrs(helia.libp2p)
    const boundP2p = Number(bound.find(a => !a.includes('/ws'))?.match(/\/tcp\/(\d+)/)?.[1] ?? 0)
    const boundHttp = Number(new URL(this.deps.http.listenUrl).port)
    const boundViewer = viewer === undefined ? undefined : Number(bound.find(a => a.includes('/ws'))?.match(/\/tcp\/(\d+)/)?.[1] ?? 0)
    try {
      if (boundP2p > 0 && (remembered.http !== boundHttp || remembered.p2p !== boundP2p || remembered.viewer !== boundViewer)) {
        await writeRememberedPorts(root, { http: boundHttp, p2p: boundP2p, ...(boundViewer === undefined ? {} : { viewer: boundViewer }) })
      }
    } catch (err) {
      // Not started, so the lifecycle will not stop it: give the ports back here.
      this.current = undefined
      await helia.stop().catch(() => {})
      throw err
    }
  }

  async stop (): Promise<void> {
    await this.current?.stop()
  }
}

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
import { BITSWAP_OPTIONS, libp2pOptions, type RelayMode } from '../libp2p-options.ts'
import { addressVerdicts, AutoRelay, isCircuit, natVerdict, NodePeers, type AddressMetadata, type AddressVerdict, type Reachability } from '../nat.ts'
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
  /** `--relay` (default auto) and `--no-p2p-listen` (listen defaults to true). */
  relay?: RelayMode
  listen?: boolean
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  datastore: Resource<LevelDatastore>
  http: HttpPlane
  log: Logger
}

function createHelia (deps: Libp2pPlaneDeps, port: number, nodePeers: NodePeers, viewerPort?: number) {
  return withBitswap(withLibp2pLight(
    createHeliaLight({ blockstore: deps.blockstore.value, datastore: deps.datastore.value, routers: [] }),
    libp2pOptions(deps.disk.value.privateKey, deps.host, port, [deps.http.multiaddr], viewerPort === undefined ? undefined : { port: viewerPort }, deps.announce, { relay: deps.relay ?? { kind: 'auto' }, listen: deps.listen ?? true, nodePeers })
  ), BITSWAP_OPTIONS)
}

/** What the status route and the metrics say of NAT traversal. */
export interface NatStatus {
  /** Direct reachability (nat.ts natVerdict). */
  reachability: Reachability
  /** `--relay` and the relay addresses this node is reachable at now. */
  relay: { mode: RelayMode['kind'], relay?: string, addresses: string[] }
  /** Nodes connected now (they get the relay's node tier). */
  nodePeers: number
  addresses: AddressVerdict[]
}

interface AddressManagerLike { getAddressesWithMetadata?: () => AddressMetadata[] }
interface TransportManagerLike { getAddrs?: () => Array<{ toString: () => string }> }

/** libp2p 3's internal components (address and transport managers), read defensively: they are not in the public types. */
function internals (libp2p: Libp2p): { addressManager?: AddressManagerLike, transportManager?: TransportManagerLike } {
  return (libp2p as unknown as { components?: { addressManager?: AddressManagerLike, transportManager?: TransportManagerLike } }).components ?? {}
}

/**
 * The addresses the transports listen on. libp2p's public API gives only the announced ones once
 * `announce` is set; the node object has its transport manager (libp2p 3), read defensively.
 */
function listenAddrs (libp2p: Libp2p): string[] {
  return internals(libp2p).transportManager?.getAddrs?.().map(a => a.toString()) ?? []
}

export type NodeHelia = ReturnType<typeof createHelia>

export class Libp2pPlane implements Component {
  readonly name = 'libp2p'
  private readonly deps: Libp2pPlaneDeps
  private current: NodeHelia | undefined
  /** Which connected peers are nodes (the relay's node tier, nat.ts). */
  readonly nodePeers = new NodePeers()
  private autoRelay: AutoRelay | undefined

  constructor (deps: Libp2pPlaneDeps) {
    this.deps = deps
  }

  /** AutoNAT's verdicts, the relay in use and the node's relay addresses (`undefined` before start). */
  natStatus (now = Date.now()): NatStatus | undefined {
    const libp2p = this.current?.libp2p
    if (libp2p === undefined) return undefined
    const relay = this.deps.relay ?? { kind: 'auto' }
    const listens = this.deps.listen ?? true
    const addresses = addressVerdicts(internals(libp2p).addressManager?.getAddressesWithMetadata?.() ?? [], now)
    return {
      reachability: natVerdict(addresses, listens),
      relay: { mode: relay.kind, ...(relay.kind === 'via' ? { relay: relay.relay } : {}), addresses: this.multiaddrs().filter(isCircuit) },
      nodePeers: this.nodePeers.size,
      addresses
    }
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
    const helia = createHelia(this.deps, chosen.port, this.nodePeers, viewer?.port)
    try {
      await helia.start()
    } catch (err) {
      await helia.stop().catch(() => {})
      throw isAddressInUse(err) ? portInUse('p2p', host, chosen.port, err) : err
    }
    this.current = helia
    // The bound addresses (announced ones may name other ports, mapped by a NAT or a proxy).
    const bound = this.deps.announce === undefined ? this.multiaddrs() : listenAddrs(helia.libp2p)
    const boundP2p = Number(bound.find(a => !a.includes('/ws') && !isCircuit(a))?.match(/\/tcp\/(\d+)/)?.[1] ?? 0)
    const boundHttp = Number(new URL(this.deps.http.listenUrl).port)
    const boundViewer = viewer === undefined ? undefined : Number(bound.find(a => a.includes('/ws') && !isCircuit(a))?.match(/\/tcp\/(\d+)/)?.[1] ?? 0)
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
    if ((this.deps.relay ?? { kind: 'auto' }).kind === 'auto') {
      this.autoRelay = new AutoRelay({ libp2p: helia.libp2p, listens: this.deps.listen ?? true, reachability: () => this.natStatus()?.reachability, log: this.deps.log })
      this.autoRelay.start()
    }
  }

  async stop (): Promise<void> {
    this.autoRelay?.stop()
    this.autoRelay = undefined
    await this.current?.stop()
  }
}

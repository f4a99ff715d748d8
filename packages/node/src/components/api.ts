/**
 * What the HTTP API reads and calls, from the node's components: info and status, uploads (gate,
 * intake), delegated routing, peers, audits, the keeper routes and sign-in. Built when the HTTP
 * plane starts, so every component it reads at that moment has started; what starts later
 * (libp2p, the intake, repair) is read through getters that answer "not yet" until then.
 */
import type { Logger } from 'pino'
import type { AccessOracle } from '@p2pdv/core/keys'
import { grantFromAuthorization } from '@p2pdv/core/grants'
import type { AuditorChain } from '../audit/chain-reporter.ts'
import { SiweAuth } from '../auth.ts'
import type { NodeConfig } from '../config.ts'
import { DEFAULT_PROVIDER_LOOKUP_TIMEOUT_MS } from '../config.ts'
import type { TestFault } from '../faults.ts'
import type { HttpApiDeps, PeerHttp, WebApp } from '../http-api.ts'
import { keeperRoutes } from '../keeper/keeper-http.ts'
import type { Resource } from '../lifecycle.ts'
import type { NodeMetrics } from '../metrics.ts'
import type { ProvideQueue } from '../provide-queue.ts'
import type { RepairStats, RepairWorker } from '../repair.ts'
import type { UploadGate } from '../upload-gate.ts'
import type { VerifiedBlockstore } from '../verified-blockstore.ts'
import type { AuditRole } from './audit-role.ts'
import type { SettleRole } from './settle-role.ts'
import type { ReceiptsComponent } from './receipts.ts'
import { rewardRoutes } from '../settle/routes.ts'
import { latencyRoutes, type LatencyHistory } from '../latency-history.ts'
import type { DiscoveryComponent } from './discovery.ts'
import { discoveryRoutes } from '../discovery/routes.ts'
import { findProviders, viewerWsOrigins } from './directory.ts'
import type { NodeDisk } from './disk.ts'
import type { HttpPlane } from './http-plane.ts'
import type { KeeperRole } from './keeper-role.ts'
import type { LiveComponent } from './live.ts'
import type { Libp2pPlane } from './libp2p-plane.ts'
import type { PlacementsComponent } from './placements.ts'
import type { ProtocolsComponent } from './protocols.ts'
import type { HotCopiesComponent } from './hot-copies.ts'

/** The chain as the API shows it (the node's chain access). */
export interface ApiChain {
  oracle?: AccessOracle
  auditorChain?: AuditorChain
  keeperOrigins?: () => Promise<string[]>
  describe?: () => Record<string, unknown>
  rpcOrigin?: string
}

export interface NodeParts {
  version: string
  config: NodeConfig & { webApp?: WebApp }
  metrics: NodeMetrics
  faults: Set<TestFault>
  log: Logger
  /** `/readyz`: every check must hold (started, the block store, the chain RPC when used). */
  ready: () => { ok: boolean, checks: Record<string, boolean> }
  /** Windowed block-GET latency (latency-history.ts), once started. */
  latency: () => LatencyHistory | undefined
  chain: ApiChain
  disk: Resource<NodeDisk>
  blockstore: Resource<VerifiedBlockstore>
  gate: Resource<UploadGate>
  placements: PlacementsComponent
  keeper: KeeperRole
  audit: AuditRole
  settle: SettleRole
  receipts: ReceiptsComponent
  live: LiveComponent
  net: Libp2pPlane
  http: HttpPlane
  protocols: ProtocolsComponent
  provideQueue: Resource<ProvideQueue>
  repair: Resource<RepairWorker | undefined>
  peers: () => Promise<PeerHttp[]>
  /** ws:// origins of the listed nodes' viewer relays (the page's CSP). */
  viewerOrigins: () => Promise<string[]>
  discovery?: DiscoveryComponent
  hot?: HotCopiesComponent
}

export function apiDeps (p: NodeParts): HttpApiDeps {
  const { config, faults, log, chain, http, net } = p
  const peerId = p.disk.value.peerId
  const blockstore = p.blockstore.value
  const gate = p.gate.value
  const placements = p.placements.placements
  const { auditor, store: auditStore } = p.audit
  const keeper = p.keeper.keeper
  const oracle = chain.oracle
  const auth = oracle === undefined
    ? undefined
    : new SiweAuth({ chainId: oracle.domain.chainId, domains: () => [new URL(http.url).host, ...(config.keeper?.siweDomains ?? [])] })
  const auditorChain = chain.auditorChain
  return {
    blockstore,
    metrics: p.metrics,
    log,
    info: () => ({
      peerId, multiaddrs: net.multiaddrs(), http: http.urlOrEmpty, version: p.version, blocks: blockstore.blocks, bytesUsed: blockstore.bytes, quotaBytes: config.quotaBytes,
      auditor: auditor !== undefined, ...(faults.size > 0 ? { testFaults: [...faults] } : {})
    }),
    status: () => {
      const repair = p.repair.maybe
      const nat = net.natStatus()
      return {
        peerId,
        version: p.version,
        blocks: blockstore.blocks,
        usedBytes: blockstore.bytes,
        quotaBytes: config.quotaBytes,
        freeBytes: Math.max(0, config.quotaBytes - blockstore.bytes),
        ...(config.zone === undefined ? {} : { zone: config.zone }),
        placements: placements.list().length,
        connectedPeers: net.libp2p?.getPeers().length ?? 0,
        ...(nat === undefined ? {} : { nat }),
        unclaimed: { waiting: p.placements.unclaimed.pending, ...p.placements.unclaimed.stats },
        repair: repair === undefined ? { enabled: false } : repair.stats satisfies RepairStats | { enabled: false },
        ...(p.hot === undefined ? {} : { hot: p.hot.status() })
      }
    },
    placements,
    ready: p.ready,
    findProviders: findProviders({ disk: p.disk, blockstore: p.blockstore, placements: p.placements, net, http, log }),
    accept: async (cid, body, hashMatches, session) => {
      const intake = p.protocols.intake
      if (intake === undefined) return { response: { v: 1, ok: false, code: 'ERR_NOT_READY', message: 'the node is starting' }, result: 'ERR_NOT_READY' }
      return await intake.accept(cid, body, hashMatches, session)
    },
    admit: async (authorization, source) => await gate.admit(grantFromAuthorization(authorization), source),
    providerLookupTimeoutMs: DEFAULT_PROVIDER_LOOKUP_TIMEOUT_MS,
    routes: [keeperRoutes({ keeper, auth, oracle, log, describe: () => ({ peerId, http: http.urlOrEmpty, multiaddrs: net.multiaddrs() }), ...(chain.describe === undefined ? {} : { chain: chain.describe }) }), p.live.routes(), discoveryRoutes(() => p.discovery?.store), rewardRoutes(() => p.settle.settler), latencyRoutes(p.latency), p.receipts.routes(), ...(p.hot === undefined ? [] : [p.hot.routes()])],
    // The page's P2P delivery dials the viewer relay (WebSockets) of the video's home node, which
    // may be any node it lists: this node's ws:// origins and those of the nodes it knows.
    pageConnectOrigins: async () => [...(chain.rpcOrigin === undefined ? [] : [chain.rpcOrigin]), ...(await chain.keeperOrigins?.() ?? []), ...viewerWsOrigins(net.multiaddrs()), ...(await p.viewerOrigins())],
    peers: p.peers,
    ...(config.webApp === undefined ? {} : { webApp: config.webApp }),
    ...(config.p2pDefault === undefined ? {} : { p2pDefault: config.p2pDefault }),
    audit: async body => await p.audit.responder.answer(body),
    ...(auditor === undefined || auditStore === undefined
      ? {}
      : {
          auditor: {
            // Read at each request: the supervisor may have replaced the auditor and its publisher.
            get auditor () { return p.audit.auditor ?? auditor },
            store: auditStore,
            peerId,
            chain: () => {
              const last = p.audit.publisher?.last
              return auditorChain === undefined ? undefined : { operator: auditorChain.operator, auditorRole: auditorChain.auditorRole, ...(last === undefined ? {} : { lastPublish: last }) }
            }
          }
        }),
    onBlockTraffic: () => { p.provideQueue.maybe?.traffic() },
    ...(p.hot === undefined ? {} : { onBlockServed: p.hot.served.bind(p.hot) }),
    serveGarbage: faults.has('serve-garbage'),
    ...(config.uploadGraceMs === undefined ? {} : { uploadGraceMs: config.uploadGraceMs })
  }
}


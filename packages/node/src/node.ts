/**
 * One storage node: Helia (verified fs blockstore, LevelDB datastore, bitswap) on a libp2p host,
 * the store protocol, and the HTTP data plane. `startNode` returns once both planes listen.
 *
 * The node is a stack of components (components/*.ts) started in order by a Lifecycle
 * (lifecycle.ts): a failed start stops what had started, last first, and `stop` runs every stop.
 */
import { statSync } from 'node:fs'
import type { Logger } from 'pino'
import { createNodeLogger } from './logging.ts'
import { connectAuditorChain, type AuditorChain } from './audit/chain-reporter.ts'
import type { NodeConfig } from './config.ts'
import type { WebApp } from './http-api.ts'
import { createMetrics, LATENCY_BUCKETS, registerStateGauges } from './metrics.ts'
import { LatencyHistory, readBlockGetBuckets } from './latency-history.ts'
import { toHex, type LogAnchor } from '@p2pdv/core/keys'
import { ChainClient } from '@p2pdv/chain'
import { IdentityStore } from '@p2pdv/chain/identity'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { readChainFile } from './chain-registration.ts'
import { DevFileOracle } from './keeper/dev-file-oracle.ts'
import { connectQuorumOracle } from './keeper/chain-quorum.ts'
import type { PlacementStore } from './placement-store.ts'
import { RepairWorker } from './repair.ts'
import { startSwarmTracker } from './swarm-tracker.ts'
import { nodeGrantSigner } from './node-grants.ts'
import type { Auditor } from './audit/auditor.ts'
import { component, Lifecycle, Resource, type Component } from './lifecycle.ts'
import { blockstoreComponent, datastoreComponent, diskComponent, uploadGateComponent } from './components/disk.ts'
import { PlacementsComponent } from './components/placements.ts'
import { AuditRole } from './components/audit-role.ts'
import { SettleRole } from './components/settle-role.ts'
import { KeeperRole, type KeeperAccess } from './components/keeper-role.ts'
import { HttpPlane } from './components/http-plane.ts'
import { Libp2pPlane } from './components/libp2p-plane.ts'
import { ProtocolsComponent, provideQueueComponent } from './components/protocols.ts'
import { listPeers, listViewerOrigins } from './components/directory.ts'
import { apiDeps } from './components/api.ts'
import { DiscoveryComponent } from './components/discovery.ts'
import { ReceiptsComponent } from './components/receipts.ts'
import { LiveComponent } from './components/live.ts'
import { HotCopiesComponent } from './components/hot-copies.ts'
import { hotConfig } from './config.ts'
import { Supervisor } from './components/supervisor.ts'
import { ChainHealth } from './components/chain-health.ts'
import type { VerifiedBlockstore } from './verified-blockstore.ts'

export const NODE_VERSION = '0.1.0'

/**
 * Readiness needs the block store: a data volume that went away (unmounted, deleted) must take the
 * node out of a load balancer's rotation. A stat per probe (microseconds) keeps `/readyz` honest.
 */
function storeUsable (blocksDir: string): boolean {
  try {
    return statSync(blocksDir).isDirectory()
  } catch {
    return false
  }
}

/** What `/readyz` reports: started, the block store there, and the chain's RPC answering (when the node uses one). */
function readiness (started: boolean, blocksDir: string, chainHealth: ChainHealth): { ok: boolean, checks: Record<string, boolean> } {
  const checks: Record<string, boolean> = { started, store: started && storeUsable(blocksDir) }
  const chain = chainHealth.reachable
  if (chain !== undefined) checks.chain = chain
  return { ok: Object.values(checks).every(Boolean), checks }
}

function isLoopback (url: string): boolean {
  try {
    const h = new URL(url).hostname
    return h === '127.0.0.1' || h === 'localhost' || h === '[::1]'
  } catch {
    return false
  }
}

export interface NodeHandle {
  peerId: string
  multiaddrs: string[]
  httpUrl: string
  dataDir: string
  blockstore: VerifiedBlockstore
  /** Present when the node runs the keeper role. */
  keeper?: { address: string, x25519PublicKey: string }
  /** The auditor role, when started with one. */
  auditor?: Auditor
  placements: PlacementStore
  repair: RepairWorker | undefined
  stop: () => Promise<void>
}

export interface StartNodeOptions extends NodeConfig {
  logger?: Logger
  /** A web app to serve at `/` (the CLI passes `@p2pdv/web`'s); none by default. */
  webApp?: WebApp
}

/** How the node reads the chain: the auditor's wallet, the keeper's and sign-in's access oracle. */
interface ChainAccess extends KeeperAccess {
  auditorChain?: AuditorChain
  keeperOrigins?: () => Promise<string[]>
  /** What pages are told about the chain (only with an RPC endpoint safe to hand out). */
  describe?: () => Record<string, unknown>
  rpcOrigin?: string
  forgetWallet?: () => void
  /** Read access to the chain, for the discovery index. */
  reader?: ChainClient
}

/**
 * Connects to the chain first, before anything opens, so a wrong passphrase or an unreachable
 * chain stops the start cleanly; on stop the wallet's keys are forgotten.
 */
function chainComponent (config: StartNodeOptions, log: Logger, onRpcError: () => void): Resource<ChainAccess> {
  return new Resource<ChainAccess>('chain', async () => {
    const access: ChainAccess = {}
    if (config.audit !== undefined && config.chain !== undefined) {
      access.auditorChain = await connectAuditorChain(config.chain, config.passphrase, onRpcError)
      if (!access.auditorChain.auditorRole) {
        log.warn({ operator: access.auditorChain.operator }, 'this wallet lacks the NodeRegistry audit role: slashing reports stay local and reputation is not published on chain')
      }
    }
    if (config.keeper?.devOracleFile !== undefined) {
      access.oracle = new DevFileOracle(config.keeper.devOracleFile)
      log.warn({ file: config.keeper.devOracleFile }, 'TEST-ONLY: access is read from a JSON file, not from the chain')
    } else if (config.chain !== undefined) {
      // The keeper signs releases and anchors its log with the node's wallet: the address the
      // NodeRegistry lists, whose X25519 key creators seal shares to.
      const wallet = config.keeper?.enabled === true ? await new IdentityStore(config.chain.keysDir).open(config.chain.wallet, config.passphrase) : undefined
      try {
        const chainConfig = await readChainFile(config.chain)
        const client = await ChainClient.connect(chainConfig, wallet === undefined ? { onRpcError } : { account: wallet.account, onRpcError })
        const chainOracle = new ChainKeyOracle(client)
        access.reader = client
        access.oracle = chainOracle
        if (config.keeper?.enabled === true) access.releaseOracle = await connectQuorumOracle(chainConfig, config.chain.rpcs ?? [])
        access.keeperOrigins = async () => (await chainOracle.keepersCached()).flatMap(k => k.http === undefined ? [] : [new URL(k.http).origin])
        // Pages read the chain themselves. Only an endpoint that is safe to hand out is shared: a
        // loopback one (the devnet), or one the operator names (an RPC URL may carry an API key).
        const publicRpc = config.chain.publicRpc ?? (isLoopback(chainConfig.rpc) ? chainConfig.rpc : undefined)
        if (publicRpc !== undefined) {
          access.describe = () => ({ chainId: chainConfig.chainId, rpc: publicRpc, startBlock: chainConfig.startBlock.toString(), contracts: chainConfig.contracts })
          access.rpcOrigin = new URL(publicRpc).origin
        }
        if (wallet !== undefined) {
          access.anchor = chainOracle satisfies LogAnchor
          access.walletKeys = { account: wallet.account, x25519: { publicKey: wallet.x25519PublicKey, privateKey: wallet.x25519PrivateKey } }
          access.forgetWallet = wallet.forget
        }
      } catch (err) {
        wallet?.forget()
        throw err
      }
    }
    return access
  }, access => { access.forgetWallet?.() })
}

export async function startNode (config: StartNodeOptions): Promise<NodeHandle> {
  const log = config.logger ?? createNodeLogger(config.logFormat)
  let ready = false
  const metrics = createMetrics()
  const faults = new Set(config.testFaults)
  if (faults.size > 0) log.warn({ faults: [...faults] }, 'TEST FAULTS ARE ON: this node misbehaves on purpose (P2PDV_TEST_FAULTS)')

  const chain = chainComponent(config, log, () => { metrics.chainRpcErrors.inc() })
  const disk = diskComponent(config.dataDir, config.passphrase)
  const blockstore = blockstoreComponent(disk, metrics, log)
  const datastore = datastoreComponent(disk)
  const gate = uploadGateComponent(disk, config.identityQuotaBytes, log)
  // Windowed block-GET latency for `p2pdv sla --since` (latency-history.ts).
  const latency = new Resource('latency history', async () => {
    const h = new LatencyHistory({ dataDir: disk.value.dir.root, read: async () => await readBlockGetBuckets(metrics.httpRequestSeconds), bounds: LATENCY_BUCKETS, log })
    await h.start()
    return h
  }, async h => { await h.stop() })
  const http: HttpPlane = new HttpPlane({
    host: config.host, port: config.httpPort, dataDir: () => disk.value.dir.root, log,
    ...(config.publicAddresses?.http === undefined ? {} : { publicUrl: config.publicAddresses.http }),
    // Read when the plane starts, once the components it serves have started.
    api: () => apiDeps({ version: NODE_VERSION, config, metrics, faults, log, ready: () => readiness(ready, disk.value.dir.blocks, chainHealth), latency: () => latency.maybe, chain: chain.value, discovery, disk, blockstore, gate, placements, keeper, audit, settle, receipts, live, net, http, protocols, provideQueue, repair, peers, viewerOrigins: listViewerOrigins({ disk, net }), hot })
  })
  const net = new Libp2pPlane({
    host: config.host, port: config.p2pPort, disk, blockstore, datastore, http, log,
    ...(config.publicAddresses === undefined || config.publicAddresses.multiaddrs.length === 0 ? {} : { announce: config.publicAddresses.multiaddrs }),
    // A node that listens on no address (--no-p2p-listen) cannot serve viewers' WebSockets either.
    ...(config.viewerRelay === false || config.p2pListen === false ? {} : { viewerPort: config.viewerPort ?? 0 }),
    ...(config.relay === undefined ? {} : { relay: config.relay }),
    ...(config.p2pListen === undefined ? {} : { listen: config.p2pListen })
  })
  const provideQueue = provideQueueComponent(net, metrics, log)
  const placements: PlacementsComponent = new PlacementsComponent({
    disk, blockstore, gate, log,
    announce: { strategy: config.announce, graceMs: config.announceGraceMs },
    unclaimedGraceMs: config.unclaimedGraceMs,
    // Blocks a hot-copy record places here are claimed while it lasts (components/hot-copies.ts).
    claimedElsewhere: (cid): boolean => hot.claims(cid),
    provide: cid => { provideQueue.maybe?.add(cid) }
  })
  const keeper = new KeeperRole({ disk, config: config.keeper, access: () => chain.value, passphrase: config.passphrase, registry: metrics.registry, log })
  const peers = listPeers({ disk, net, http })
  // Hot objects get temporary extra copies on more nodes (issue 16); its routes are served by the HTTP plane.
  let hotGrants: ((peerId: string) => Promise<string>) | undefined
  const hot: HotCopiesComponent = new HotCopiesComponent({
    disk, blockstore, peers, log,
    placements: (): PlacementStore => placements.placements,
    grantFor: async id => await (hotGrants ??= nodeGrantSigner(disk.value.privateKey))(id),
    config: config.hot ?? hotConfig({}, config.quotaBytes),
    registry: metrics.registry
  })
  // Live stream announcements (issue 17); its routes are served by the HTTP plane.
  const live = new LiveComponent({ blockstore, log })
  const audit = new AuditRole({
    disk, blockstore, placements, metrics, log,
    config: config.audit,
    chain: () => chain.value.auditorChain,
    peerUrls: async () => (await peers()).slice(1).map(p => p.http),
    libp2p: () => net.libp2p,
    forgeProofs: faults.has('forge-proofs'),
    failFirstAuditor: faults.has('fail-audit')
  })
  const settle = new SettleRole({ config: config.settle, disk, audit, chain: () => chain.value.auditorChain, log })
  const protocols = new ProtocolsComponent({
    disk, blockstore, gate, net, keeper, audit, metrics, log,
    quotaBytes: config.quotaBytes,
    storeIdleTimeoutMs: config.storeIdleTimeoutMs,
    bootstrap: config.bootstrap,
    onStored: (cid, size, identity) => { placements.announcer.stored(cid); placements.unclaimed.stored(cid, size, identity) }
  })
  // Viewers of a video find each other here for P2P delivery (swarm-tracker.ts).
  const tracker = new Resource('viewer tracker', async () => config.viewerRelay === false ? undefined : await startSwarmTracker(net.helia.libp2p, log), t => { t?.stop() })
  // The `fail-repair` test fault breaks the first worker only: a restarted one works.
  let brokenRepairWorkers = faults.has('fail-repair') ? 1 : 0
  const repair = new Resource('repair', () => {
    const failingRepairWorker = brokenRepairWorkers-- > 0
    if (!config.repair) return undefined
    const worker = new RepairWorker({
      ...(failingRepairWorker ? { beforePass: () => { throw new Error('test fault fail-repair: this repair worker fails every pass') } } : {}),
      peerId: disk.value.peerId,
      privateKey: disk.value.privateKey,
      selfUrl: () => http.url,
      ...(config.zone === undefined ? {} : { zone: config.zone }),
      blockstore: blockstore.value,
      placements: placements.placements,
      libp2p: () => net.libp2p,
      // Scores from the auditor named by --auditor, else from this node's own auditor role.
      ...(config.auditor !== undefined ? { auditor: config.auditor } : audit.auditor !== undefined ? { auditor: http.url } : {}),
      intervalMs: config.repairIntervalMs,
      rateBytes: config.repairRateBytes,
      ...(config.gc ? { gcGraceMs: config.gcGraceMs } : {}),
      grantFor: nodeGrantSigner(disk.value.privateKey),
      metrics,
      log
    })
    worker.start()
    return worker
  }, async worker => { await worker?.stop() })

  // The chain's RPC answering is part of being ready (components/chain-health.ts).
  const chainHealth = new ChainHealth({ client: () => chain.value.reader, log, registry: metrics.registry })
  const receipts = new ReceiptsComponent({ dataDir: () => disk.value.dir.root, peerId: () => disk.value.peerId, chain: () => chain.value.reader, log })
  const discovery = new DiscoveryComponent({ dataDir: () => disk.value.dir.root, chain: () => chain.value.reader, localBlock: async (cid, signal) => await blockstore.value.has(cid) ? await blockstore.value.getVerified(cid, { signal }) : undefined, peers, log })

  // The order: each component may use the ones before it; stop runs it backwards (so the node
  // first stops reporting ready).
  // Restarts the repair worker, the auditor and the reputation publisher when their passes keep failing (components/supervisor.ts).
  const supervisor = new Supervisor({
    log,
    onRestart: (name, ok) => { metrics.componentRestarts.inc({ component: name, result: ok ? 'ok' : 'failed' }) },
    children: [{
      name: 'repair',
      failing: () => config.repair && (repair.maybe === undefined || repair.maybe.failing),
      restart: async () => { await repair.stop(); await repair.start() }
    }, {
      name: 'audit',
      failing: () => audit.roundsFailing,
      restart: async () => { await audit.restartRounds() }
    }, {
      // Reputation publishing is supervised apart from the auditor: either is replaced alone.
      name: 'reputation',
      failing: () => audit.publisherFailing,
      restart: async () => { await audit.restartPublisher() }
    }]
  })
  const components: Component[] = [
    chain, disk, blockstore, datastore, gate, latency, provideQueue, placements, hot, keeper, audit, live,
    receipts, discovery, http, net, protocols, tracker, repair, audit.rounds(), settle, supervisor, chainHealth,
    component('ready', () => { ready = true }, () => { ready = false })
  ]
  registerStateGauges(metrics, {
    version: NODE_VERSION,
    peerId: () => disk.value.peerId,
    dataDir: () => disk.value.dir.root,
    quotaBytes: config.quotaBytes,
    connections: () => net.libp2p?.getConnections().length ?? 0,
    nat: () => net.natStatus(),
    placementRecords: () => placements.placements.list().length,
    repair: () => repair.maybe?.stats
  })
  const lifecycle = new Lifecycle(log)
  await lifecycle.start(components)
  const auditor = audit.auditor
  const keeperRole = keeper.keeper
  log.info({ peerId: disk.value.peerId, multiaddrs: net.multiaddrs(), http: http.url, auditor: auditor !== undefined }, 'node ready')

  return {
    peerId: disk.value.peerId,
    multiaddrs: net.multiaddrs(),
    httpUrl: http.url,
    dataDir: config.dataDir,
    blockstore: blockstore.value,
    ...(keeperRole === undefined ? {} : { keeper: { address: keeperRole.address, x25519PublicKey: toHex(keeperRole.x25519PublicKey) } }),
    ...(auditor === undefined ? {} : { auditor }),
    placements: placements.placements,
    repair: repair.value,
    stop: async () => { await lifecycle.stop() }
  }
}

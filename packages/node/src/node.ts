/**
 * One storage node: Helia (verified fs blockstore, LevelDB datastore, bitswap) on a libp2p host,
 * the store protocol, and the HTTP data plane. `startNode` returns once both planes listen.
 */
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { LevelDatastore } from 'datastore-level'
import { createHeliaLight } from 'helia'
import { pino, type Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import { join } from 'node:path'
import { AUDIT_PROTOCOL, STORE_PROTOCOL } from '@p2pdv/core/wire'
import { Auditor } from './audit/auditor.ts'
import { chainSlashReporter, connectAuditorChain, ReputationPublisher, type AuditorChain } from './audit/chain-reporter.ts'
import { createAuditHandler } from './audit/protocol.ts'
import { AuditResponder } from './audit/responder.ts'
import { localSlashReporter, SlashPolicy } from './audit/slash.ts'
import { AUDIT_DB_FILE, AuditStore } from './audit/store.ts'
import { createAuditTransport, libp2pHttpResolver } from './audit/transport.ts'
import { PlacementTargetSource } from './audit/placement-source.ts'
import type { NodeConfig } from './config.ts'
import { DEFAULT_PROVIDER_LOOKUP_TIMEOUT_MS } from './config.ts'
import { loadIdentity, prepareDataDir } from './data-dir.ts'
import { httpUrlFromMultiaddr } from '@p2pdv/core'
import { createHttpApi, MAX_LISTED_PEERS, type PeerHttp, type ProviderRecord, type WebApp } from './http-api.ts'
import { libp2pOptions } from './libp2p-options.ts'
import { startSwarmTracker } from './swarm-tracker.ts'
import { dialStartPeers } from './known-peers.ts'
import { choosePort, isAddressInUse, portInUse, readRememberedPorts, writeRememberedPorts } from './ports.ts'
import { createMetrics } from './metrics.ts'
import { ProvideQueue } from './provide-queue.ts'
import { Announcer } from './announcer.ts'
import { createStoreHandler } from './store-protocol.ts'
import { BlockIntake } from './block-intake.ts'
import { VerifiedBlockstore } from './verified-blockstore.ts'
import { KEEPER_PROTOCOL, toHex, type AccessOracle, type LogAnchor } from '@p2pdv/core/keys'
import { ChainClient } from '@p2pdv/sdk/chain'
import { IdentityStore } from '@p2pdv/sdk/identity'
import { ChainKeyOracle } from '@p2pdv/sdk/keys'
import { readChainFile } from './chain-registration.ts'
import { SiweAuth } from './auth.ts'
import { DevFileOracle } from './keeper/dev-file-oracle.ts'
import { Keeper, SOURCE_BURST } from './keeper/keeper.ts'
import { keeperRoutes } from './keeper/keeper-http.ts'
import { connectQuorumOracle } from './keeper/chain-quorum.ts'
import { loadKeeperKeys, type KeeperKeys } from './keeper/keeper-keys.ts'
import { createKeeperHandler } from './keeper/keeper-protocol.ts'
import { KeeperStore } from './keeper/keeper-store.ts'
import { PlacementStore } from './placement-store.ts'
import { RepairWorker, type RepairStats } from './repair.ts'
import { grantFromAuthorization } from '@p2pdv/core/grants'
import { nodeGrantSigner } from './node-grants.ts'
import { UnclaimedCollector } from './unclaimed.ts'
import { openAdmission, UploadGate } from './upload-gate.ts'

export const NODE_VERSION = '0.1.0'

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

export async function startNode (config: StartNodeOptions): Promise<NodeHandle> {
  const log = config.logger ?? pino({ name: 'p2pdv-node', level: process.env.P2PDV_LOG_LEVEL ?? 'info' }, pino.destination(2))
  // An auditor with a wallet slashes and publishes reputation on chain: connect before anything
  // opens, so a wrong passphrase or an unreachable chain stops the start cleanly.
  const auditorChain: AuditorChain | undefined = config.audit !== undefined && config.chain !== undefined
    ? await connectAuditorChain(config.chain, config.passphrase)
    : undefined
  if (auditorChain !== undefined && !auditorChain.auditorRole) {
    log.warn({ operator: auditorChain.operator }, 'this wallet lacks the NodeRegistry audit role: slashing reports stay local and reputation is not published on chain')
  }
  const dir = await prepareDataDir(config.dataDir)
  const privateKey = await loadIdentity(dir, config.passphrase)
  const metrics = createMetrics()
  const blockstore = new VerifiedBlockstore(dir.blocks, dir.quarantine, metrics, log)
  await blockstore.open()
  const datastore = new LevelDatastore(dir.datastore)
  await datastore.open()
  const faults = new Set(config.testFaults)
  if (faults.size > 0) log.warn({ faults: [...faults] }, 'TEST FAULTS ARE ON: this node misbehaves on purpose (P2PDV_TEST_FAULTS)')
  const peerIdEarly = peerIdFromPrivateKey(privateKey).toString()
  let provideQueue: ProvideQueue | undefined
  const announcer = new Announcer({
    strategy: config.announce,
    graceMs: config.announceGraceMs,
    announce: cid => { provideQueue?.add(cid) },
    covered: cid => placements.covers(cid),
    has: async cid => await blockstore.has(cid)
  })
  const placements = new PlacementStore({
    dir: dir.placements,
    peerId: peerIdEarly,
    has: async cid => await blockstore.has(cid),
    onKept: record => { unclaimed.kept(record); announcer.kept(record).catch(err => { log.debug({ err }, 'could not announce an object') }) },
    log
  })
  // Uploads carry signed grants (upload-gate.ts); blocks no record claims are collected (unclaimed.ts).
  const gate = new UploadGate({ peerId: peerIdEarly, policy: openAdmission, identityQuotaBytes: config.identityQuotaBytes, ledgerFile: join(dir.root, 'uploads.json'), log })
  await gate.open()
  const unclaimed = new UnclaimedCollector({
    graceMs: config.unclaimedGraceMs,
    claimed: cid => placements.covers(cid),
    delete: async cid => { await blockstore.delete(cid) },
    onCollected: (cid, size, identity) => {
      if (identity !== undefined) gate.release(identity, size)
      log.info({ cid: cid.toString(), size }, 'collected a block no placement record claimed')
    }
  })
  await placements.open()
  // Blocks on disk that no record lists (an upload cut short before a restart) wait their grace again.
  void (async () => {
    for await (const { cid } of blockstore.getAll()) unclaimed.stored(cid, await blockstore.sizeOf(cid) ?? 0)
  })().catch(err => { log.warn({ err }, 'could not list stored blocks for unclaimed collection') })
  let repair: RepairWorker | undefined

  // The keeper role and sign-in read the chain through an oracle.
  let oracle: AccessOracle | undefined
  /** What the keeper releases on: every --rpc endpoint must agree, in time (chain-quorum.ts). */
  let releaseOracle: AccessOracle | undefined
  let anchor: LogAnchor | undefined
  let walletKeys: KeeperKeys | undefined
  let keeperOrigins: (() => Promise<string[]>) | undefined
  let chainDescription: (() => Record<string, unknown>) | undefined
  let rpcOrigin: string | undefined
  let forgetWallet: (() => void) | undefined
  if (config.keeper?.devOracleFile !== undefined) {
    oracle = new DevFileOracle(config.keeper.devOracleFile)
    log.warn({ file: config.keeper.devOracleFile }, 'TEST-ONLY: access is read from a JSON file, not from the chain')
  } else if (config.chain !== undefined) {
    // The keeper signs releases and anchors its log with the node's wallet: the address the
    // NodeRegistry lists, whose X25519 key creators seal shares to.
    const wallet = config.keeper?.enabled === true ? await new IdentityStore(config.chain.keysDir).open(config.chain.wallet, config.passphrase) : undefined
    const chainConfig = await readChainFile(config.chain)
    const client = await ChainClient.connect(chainConfig, wallet === undefined ? {} : { account: wallet.account })
    const chainOracle = new ChainKeyOracle(client)
    oracle = chainOracle
    if (config.keeper?.enabled === true) releaseOracle = await connectQuorumOracle(chainConfig, config.chain.rpcs ?? [])
    keeperOrigins = async () => (await chainOracle.keepersCached()).flatMap(k => k.http === undefined ? [] : [new URL(k.http).origin])
    // Pages read the chain themselves. Only an endpoint that is safe to hand out is shared: a
    // loopback one (the devnet), or one the operator names (an RPC URL may carry an API key).
    const publicRpc = config.chain.publicRpc ?? (isLoopback(chainConfig.rpc) ? chainConfig.rpc : undefined)
    if (publicRpc !== undefined) {
      chainDescription = () => ({ chainId: chainConfig.chainId, rpc: publicRpc, startBlock: chainConfig.startBlock.toString(), contracts: chainConfig.contracts })
      rpcOrigin = new URL(publicRpc).origin
    }
    if (wallet !== undefined) {
      anchor = chainOracle
      walletKeys = { account: wallet.account, x25519: { publicKey: wallet.x25519PublicKey, privateKey: wallet.x25519PrivateKey } }
      forgetWallet = wallet.forget
    }
  }
  let keeper: Keeper | undefined
  let keeperStore: KeeperStore | undefined
  if (config.keeper?.enabled === true && oracle !== undefined) {
    const keeperDir = join(dir.root, 'keeper')
    const keys = walletKeys ?? await loadKeeperKeys(keeperDir, config.passphrase)
    keeperStore = new KeeperStore(keeperDir)
    keeper = new Keeper({
      keys,
      store: keeperStore,
      oracle: releaseOracle ?? oracle,
      ...(anchor === undefined ? {} : { anchor }),
      log,
      registry: metrics.registry,
      rate: { perMinute: config.keeper.ratePerMinute, burst: config.keeper.burst },
      sourceRate: { perMinute: config.keeper.sourceRatePerMinute, burst: Math.max(SOURCE_BURST, Math.ceil(config.keeper.sourceRatePerMinute / 30)) },
      newSignerRate: { perMinute: config.keeper.newSignerRatePerMinute, burst: Math.max(1, Math.ceil(config.keeper.newSignerRatePerMinute / 3)) },
      anchorIntervalMs: config.keeper.anchorIntervalSeconds * 1000
    })
  }
  const auth = oracle === undefined
    ? undefined
    : new SiweAuth({ chainId: oracle.domain.chainId, domains: () => [new URL(httpUrl).host, ...(config.keeper?.siweDomains ?? [])] })

  // The HTTP plane starts first so its address can be announced with the libp2p ones; its
  // handlers reach libp2p through these bindings, which are set before the node reports ready.
  let ready = false
  let libp2p: Libp2p | undefined
  let intake: BlockIntake | undefined
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  // libp2p addresses only (the announced `/http` one is the data plane, not dialable by libp2p).
  const multiaddrs = (): string[] => (libp2p?.getMultiaddrs() ?? []).map(m => m.toString()).filter(a => !a.includes('/http'))
  let httpUrl = ''
  const httpAddr = (): string => {
    const u = new URL(httpUrl)
    return `/ip4/${u.hostname}/tcp/${u.port}/http`
  }

  const findProviders = async (cid: CID, signal: AbortSignal): Promise<ProviderRecord[]> => {
    const found = new Map<string, ProviderRecord>()
    if (await blockstore.has(cid)) found.set(peerId, { ID: peerId, Addrs: [...multiaddrs(), httpAddr()] })
    // A block of an object this node keeps the record of: its holders are listed there (with
    // `--announce roots` such blocks have no DHT entry of their own), at the addresses the peer
    // store has for them.
    const peerStore = libp2p?.peerStore
    for (const id of placements.holdersOf(cid) ?? []) {
      if (found.has(id) || peerStore === undefined) continue
      try {
        const peer = await peerStore.get(peerIdFromString(id))
        if (peer.addresses.length > 0) found.set(id, { ID: id, Addrs: peer.addresses.map(a => a.multiaddr.toString()) })
      } catch {
        // Not in the peer store: the DHT lookup below may still find it.
      }
    }
    if ([...found.keys()].some(id => id !== peerId)) return [...found.values()]
    try {
      if (libp2p === undefined) return [...found.values()]
      for await (const p of libp2p.contentRouting.findProviders(cid, { signal })) {
        const id = p.id.toString()
        if (found.has(id)) continue
        // Nodes announce their HTTP data plane as a `/http` multiaddr beside their libp2p ones.
        found.set(id, { ID: id, Addrs: p.multiaddrs.map(m => m.toString()) })
        if (found.size >= 20) break
      }
    } catch (err) {
      if (!signal.aborted) log.debug({ err }, 'provider lookup failed')
    }
    return [...found.values()]
  }

  // The data planes this node can vouch for: itself, then peers it is connected to, then others
  // from its peer store, each by the `/http` multiaddr it announced (validated, deduplicated).
  const peers = async (): Promise<PeerHttp[]> => {
    const out: PeerHttp[] = [{ peerId, http: httpUrl }]
    if (libp2p === undefined) return out
    const connected = new Set(libp2p.getPeers().map(p => p.toString()))
    const known = (await libp2p.peerStore.all()).filter(p => p.id.toString() !== peerId)
    known.sort((a, b) => Number(connected.has(b.id.toString())) - Number(connected.has(a.id.toString())))
    const seen = new Set([httpUrl])
    for (const p of known) {
      const http = p.addresses.map(a => httpUrlFromMultiaddr(a.multiaddr.toString())).find(u => u !== undefined)
      if (http === undefined || seen.has(http)) continue
      seen.add(http)
      out.push({ peerId: p.id.toString(), http })
      if (out.length >= MAX_LISTED_PEERS) break
    }
    return out
  }

  const responder = new AuditResponder({ peerId, privateKey, blockstore, metrics, log, forgeProofs: faults.has('forge-proofs') })
  let auditor: Auditor | undefined
  let auditStore: AuditStore | undefined
  let publisher: ReputationPublisher | undefined
  if (config.audit !== undefined) {
    auditStore = new AuditStore(join(dir.root, AUDIT_DB_FILE))
    const resolve = (peer: string, signal: AbortSignal): Promise<string | undefined> => libp2p === undefined ? Promise.resolve(undefined) : libp2pHttpResolver(libp2p)(peer, signal)
    const { transport, chainIntervalMs, ...options } = config.audit
    const onChain = auditorChain?.auditorRole === true ? auditorChain : undefined
    const placementSource = new PlacementTargetSource({ store: auditStore, local: placements, peers: async () => (await peers()).slice(1).map(p => p.http), log })
    auditor = new Auditor({
      peerId,
      privateKey,
      store: auditStore,
      transport: createAuditTransport(transport, { resolveHttp: resolve, libp2p: () => libp2p }),
      log,
      metrics,
      slashPolicy: new SlashPolicy(),
      slashReporter: onChain === undefined ? localSlashReporter(auditStore, log) : chainSlashReporter(onChain, auditStore, log),
      options,
      sync: async signal => await placementSource.sync(signal)
    })
    if (onChain !== undefined) {
      const a = auditor
      publisher = new ReputationPublisher({ chain: onChain, scores: () => a.reputation(), log, intervalMs: chainIntervalMs })
    }
  }

  const http = await createHttpApi({
    blockstore,
    metrics,
    log,
    info: () => ({
      peerId, multiaddrs: multiaddrs(), http: httpUrl, version: NODE_VERSION, blocks: blockstore.blocks, bytesUsed: blockstore.bytes, quotaBytes: config.quotaBytes,
      auditor: auditor !== undefined, ...(faults.size > 0 ? { testFaults: [...faults] } : {})
    }),
    status: () => ({
      peerId,
      version: NODE_VERSION,
      blocks: blockstore.blocks,
      usedBytes: blockstore.bytes,
      quotaBytes: config.quotaBytes,
      freeBytes: Math.max(0, config.quotaBytes - blockstore.bytes),
      ...(config.zone === undefined ? {} : { zone: config.zone }),
      placements: placements.list().length,
      connectedPeers: libp2p?.getPeers().length ?? 0,
      unclaimed: { waiting: unclaimed.pending, ...unclaimed.stats },
      repair: repair === undefined ? { enabled: false } : repair.stats satisfies RepairStats | { enabled: false }
    }),
    placements,
    ready: () => ready,
    findProviders,
    accept: async (cid, body, hashMatches, session) => {
      if (intake === undefined) return { response: { v: 1, ok: false, code: 'ERR_NOT_READY', message: 'the node is starting' }, result: 'ERR_NOT_READY' }
      return await intake.accept(cid, body, hashMatches, session)
    },
    admit: async (authorization, source) => await gate.admit(grantFromAuthorization(authorization), source),
    providerLookupTimeoutMs: DEFAULT_PROVIDER_LOOKUP_TIMEOUT_MS,
    routes: [keeperRoutes({ keeper, auth, oracle, log, describe: () => ({ peerId, http: httpUrl, multiaddrs: multiaddrs() }), ...(chainDescription === undefined ? {} : { chain: chainDescription }) })],
    pageConnectOrigins: async () => [...(rpcOrigin === undefined ? [] : [rpcOrigin]), ...(await keeperOrigins?.() ?? [])],
    peers,
    ...(config.webApp === undefined ? {} : { webApp: config.webApp }),
    audit: async body => await responder.answer(body),
    ...(auditor === undefined || auditStore === undefined
      ? {}
      : {
          auditor: {
            auditor,
            store: auditStore,
            peerId,
            chain: () => auditorChain === undefined
              ? undefined
              : { operator: auditorChain.operator, auditorRole: auditorChain.auditorRole, ...(publisher?.last === undefined ? {} : { lastPublish: publisher.last }) }
          }
        }),
    onBlockTraffic: () => { provideQueue?.traffic() },
    serveGarbage: faults.has('serve-garbage')
  })
  // Ports: explicit ones, else the ones this data dir bound last time (ports.ts), else any.
  const remembered = await readRememberedPorts(dir.root)
  const moved = (plane: string) => (port: number): void => { log.warn({ plane, port }, `the ${plane} port this node had before is taken: binding a new one (clients and peers find it through peer lists)`) }
  const httpPort = await choosePort('http', config.host, config.httpPort, remembered.http, moved('http'))
  const p2pPort = await choosePort('p2p', config.host, config.p2pPort, remembered.p2p, moved('p2p'))
  const viewerPort = config.viewerRelay === false ? undefined : await choosePort('viewer', config.host, config.viewerPort ?? 0, remembered.viewer, moved('viewer'))
  try {
    await http.listen({ host: config.host, port: httpPort.port })
  } catch (err) {
    throw isAddressInUse(err) ? portInUse('http', config.host, httpPort.port, err) : err
  }
  const addr = http.server.address()
  httpUrl = `http://${config.host}:${typeof addr === 'object' && addr !== null ? addr.port : httpPort.port}`
  const helia = withBitswap(withLibp2pLight(
    createHeliaLight({ blockstore, datastore, routers: [] }),
    libp2pOptions(privateKey, config.host, p2pPort.port, [httpAddr()], viewerPort === undefined ? undefined : { port: viewerPort.port })
  ))
  try {
    await helia.start()
  } catch (err) {
    await http.close()
    throw isAddressInUse(err) ? portInUse('p2p', config.host, p2pPort.port, err) : err
  }
  libp2p = helia.libp2p
  const boundP2p = Number(multiaddrs()[0]?.match(/\/tcp\/(\d+)/)?.[1] ?? 0)
  const boundHttp = Number(new URL(httpUrl).port)
  const boundViewer = viewerPort === undefined ? undefined : Number(multiaddrs().find(a => a.includes('/ws'))?.match(/\/tcp\/(\d+)/)?.[1] ?? 0)
  if (boundP2p > 0 && (remembered.http !== boundHttp || remembered.p2p !== boundP2p || remembered.viewer !== boundViewer)) await writeRememberedPorts(dir.root, { http: boundHttp, p2p: boundP2p, ...(boundViewer === undefined ? {} : { viewer: boundViewer }) })
  provideQueue = new ProvideQueue(async (cid, signal) => {
    try {
      await helia.routing.provide(cid, { signal })
      metrics.dhtProvides.inc({ result: 'ok' })
    } catch (err) {
      metrics.dhtProvides.inc({ result: 'failed' })
      throw err
    }
  }, log)
  intake = new BlockIntake({
    peerId,
    privateKey,
    blockstore,
    quotaBytes: config.quotaBytes,
    metrics,
    log,
    onStored: (cid, size, identity) => { announcer.stored(cid); unclaimed.stored(cid, size, identity) }
  })
  await helia.libp2p.handle(STORE_PROTOCOL, createStoreHandler({ idleTimeoutMs: config.storeIdleTimeoutMs, log, admit: async (grant, source) => await gate.admit(grant, source) }, intake), { maxInboundStreams: 32 })
  if (keeper !== undefined) {
    await helia.libp2p.handle(KEEPER_PROTOCOL, createKeeperHandler(keeper, log), { maxInboundStreams: 64 })
    keeper.start()
    log.info({ address: keeper.address }, 'keeper role on')
  }
  await helia.libp2p.handle(AUDIT_PROTOCOL, createAuditHandler(responder, log), { maxInboundStreams: 16 })
  // Viewers find each other here for P2P delivery (swarm-tracker.ts).
  const tracker = viewerPort === undefined ? undefined : await startSwarmTracker(helia.libp2p, log)

  await dialStartPeers(helia.libp2p, config.bootstrap, log)
  if (config.repair) {
    repair = new RepairWorker({
      peerId,
      privateKey,
      selfUrl: () => httpUrl,
      ...(config.zone === undefined ? {} : { zone: config.zone }),
      blockstore,
      placements,
      libp2p: () => libp2p,
      // Scores from the auditor named by --auditor, else from this node's own auditor role.
      ...(config.auditor !== undefined ? { auditor: config.auditor } : auditor !== undefined ? { auditor: httpUrl } : {}),
      intervalMs: config.repairIntervalMs,
      rateBytes: config.repairRateBytes,
      ...(config.gc ? { gcGraceMs: config.gcGraceMs } : {}),
      grantFor: nodeGrantSigner(privateKey),
      metrics,
      log
    })
    repair.start()
  }
  ready = true
  auditor?.start()
  publisher?.start()
  log.info({ peerId, multiaddrs: multiaddrs(), http: httpUrl, auditor: auditor !== undefined }, 'node ready')

  return {
    peerId,
    multiaddrs: multiaddrs(),
    httpUrl,
    dataDir: config.dataDir,
    blockstore,
    ...(keeper === undefined ? {} : { keeper: { address: keeper.address, x25519PublicKey: toHex(keeper.x25519PublicKey) } }),
    ...(auditor === undefined ? {} : { auditor }),
    placements,
    repair,
    stop: async () => {
      ready = false
      tracker?.stop()
      await publisher?.stop()
      await auditor?.stop()
      await repair?.stop()
      provideQueue?.stop()
      announcer.stop()
      unclaimed.stop()
      await gate.close()
      await keeper?.stop()
      await http.close()
      await helia.stop()
      await datastore.close()
      await blockstore.close()
      keeperStore?.close()
      forgetWallet?.()
      auditStore?.close()
    }
  }
}

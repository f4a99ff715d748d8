/**
 * Prometheus metrics of one node (a registry per node, so tests can run several in a process).
 *
 * Every label value comes from a closed set the node chooses (route templates, known methods,
 * status codes the node sends, error codes, fixed kinds): nothing a client sends becomes a label
 * value, so a hostile client cannot grow the number of series (test/metrics.test.ts).
 */
import { statfs } from 'node:fs/promises'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { REACHABILITY, type Reachability } from './nat.ts'

export interface NodeMetrics {
  registry: Registry
  blocksStored: Gauge
  bytesStored: Gauge
  storeRequests: Counter<'result'>
  blocksServed: Counter<'plane'>
  bytesServed: Counter<'plane'>
  corruptBlocks: Counter
  httpRequestSeconds: Histogram<'route' | 'method' | 'status'>
  auditsAnswered: Counter<'result'>
  auditsPerformed: Counter<'kind' | 'outcome'>
  repairedBlocks: Counter<'kind'>
  repairBytes: Counter<'direction'>
  dhtProvides: Counter
  unrecoverableStripes: Counter
  chainRpcErrors: Counter
  componentRestarts: Counter
}

/** Seconds; the block plane's SLO is p99 < 200 ms, so buckets are dense around it. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5]

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'])
/** A method as a label value: the node's HTTP parser accepts dozens; only these are told apart. */
export function methodLabel (method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'OTHER'
}

/** A status code as a label value: a 3-digit code the node itself sent, else "other". */
export function statusLabel (status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other'
}

export function createMetrics (): NodeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'p2pdv_node_process_' })
  return {
    registry,
    blocksStored: new Gauge({ name: 'p2pdv_blocks_stored', help: 'Blocks held by this node', registers: [registry] }),
    bytesStored: new Gauge({ name: 'p2pdv_bytes_stored', help: 'Bytes of block data held by this node', registers: [registry] }),
    storeRequests: new Counter({ name: 'p2pdv_store_requests_total', help: 'Blocks offered over the store protocol, by result (ok or refusal code)', labelNames: ['result'], registers: [registry] }),
    blocksServed: new Counter({ name: 'p2pdv_blocks_served_total', help: 'Blocks served, by plane', labelNames: ['plane'], registers: [registry] }),
    bytesServed: new Counter({ name: 'p2pdv_bytes_served_total', help: 'Block bytes served, by plane', labelNames: ['plane'], registers: [registry] }),
    corruptBlocks: new Counter({ name: 'p2pdv_corrupt_blocks_total', help: 'Stored blocks that failed verification on read and were quarantined', registers: [registry] }),
    auditsAnswered: new Counter({ name: 'p2pdv_audits_answered_total', help: 'Audit challenges this node answered, by result (ok or refusal code)', labelNames: ['result'], registers: [registry] }),
    auditsPerformed: new Counter({ name: 'p2pdv_audits_performed_total', help: 'Audits this node ran as an auditor, by kind (proof, read) and outcome', labelNames: ['kind', 'outcome'], registers: [registry] }),
    repairedBlocks: new Counter({ name: 'p2pdv_repair_blocks_total', help: 'Blocks rebuilt from parity or re-copied by the repair worker and placed on other nodes', labelNames: ['kind'], registers: [registry] }),
    repairBytes: new Counter({ name: 'p2pdv_repair_bytes_total', help: 'Repair traffic: bytes fetched (in) and stored on other nodes (out)', labelNames: ['direction'], registers: [registry] }),
    dhtProvides: new Counter({ name: 'p2pdv_dht_provides_total', help: 'Provider announcements made on the DHT, by result (ok, failed)', labelNames: ['result'], registers: [registry] }),
    unrecoverableStripes: new Counter({ name: 'p2pdv_repair_unrecoverable_total', help: 'Stripes found with fewer than k blocks left', registers: [registry] }),
    componentRestarts: new Counter({ name: 'p2pdv_component_restarts_total', help: 'Restarts of failing subsystems by the node\'s supervisor, by subsystem and result (ok, failed)', labelNames: ['component', 'result'], registers: [registry] }),
    chainRpcErrors: new Counter({ name: 'p2pdv_chain_rpc_errors_total', help: 'JSON-RPC requests to the chain that failed (transport errors, timeouts, RPC errors incl. reverted calls), after retries', registers: [registry] }),
    httpRequestSeconds: new Histogram({ name: 'p2pdv_http_request_duration_seconds', help: 'HTTP requests by route template (never the raw path), method and status, with their latency', labelNames: ['route', 'method', 'status'], buckets: LATENCY_BUCKETS, registers: [registry] })
  }
}

/** What the node's state gauges read at scrape time (each source may be absent: role off). */
export interface NodeStateSources {
  version: string
  peerId: () => string
  /** The data directory, whose filesystem's free space is reported. */
  dataDir: () => string
  quotaBytes?: number
  connections: () => number
  placementRecords: () => number
  repair: () => { atRisk: number, unrecoverable: number, backlog?: number, passes: number } | undefined
  /** AutoNAT's verdicts and the node's relay addresses (components/libp2p-plane.ts); undefined before start. */
  nat?: () => { reachability: Reachability, addresses: Array<{ verdict: Reachability }>, relay: { addresses: string[] } } | undefined
}

/** Gauges computed when Prometheus scrapes, so nothing is kept up to date between scrapes. */
export function registerStateGauges (metrics: NodeMetrics, src: NodeStateSources): void {
  const registers = [metrics.registry]
  new Gauge({
    name: 'p2pdv_node_info', help: 'Always 1; labels name the node (one series per node)', labelNames: ['version', 'peer_id'], registers,
    collect () { this.reset(); try { this.set({ version: src.version, peer_id: src.peerId() }, 1) } catch { /* not started yet */ } }
  })
  const fsGauge = (name: string, help: string, read: (s: { bavail: number, blocks: number, bsize: number }) => number): void => {
    new Gauge({
      name, help, registers,
      async collect () {
        try { this.set(read(await statfs(src.dataDir()))) } catch { /* not started yet: no sample */ }
      }
    })
  }
  fsGauge('p2pdv_disk_free_bytes', 'Free bytes (for unprivileged users) on the filesystem of the data directory', s => s.bavail * s.bsize)
  fsGauge('p2pdv_disk_size_bytes', 'Size of the filesystem of the data directory', s => s.blocks * s.bsize)
  if (src.quotaBytes !== undefined) {
    const quota = src.quotaBytes
    new Gauge({ name: 'p2pdv_store_quota_bytes', help: 'Block bytes this node accepts at most (--quota)', registers, collect () { this.set(quota) } })
  }
  new Gauge({ name: 'p2pdv_libp2p_connections', help: 'Open libp2p connections', registers, collect () { try { this.set(src.connections()) } catch { /* not started */ } } })
  new Gauge({ name: 'p2pdv_placement_records', help: 'Placement records this node keeps (newest version of each object)', registers, collect () { try { this.set(src.placementRecords()) } catch { /* not started */ } } })
  const repairGauge = (name: string, help: string, read: (s: NonNullable<ReturnType<NodeStateSources['repair']>>) => number | undefined): void => {
    new Gauge({ name, help, registers, collect () { const s = src.repair(); const v = s === undefined ? undefined : read(s); if (v !== undefined) this.set(v) } })
  }
  repairGauge('p2pdv_repair_backlog_actions', 'Repair work the last full pass found: block copies, stripe rebuilds, and groups deferred until holders return', s => s.passes > 0 ? s.backlog : undefined)
  repairGauge('p2pdv_repair_at_risk_groups', 'Stripes with too few blocks reachable to rebuild now (holders may come back)', s => s.passes > 0 ? s.atRisk : undefined)
  repairGauge('p2pdv_repair_lost_groups', 'Stripes every other holder says it lost: unreadable', s => s.passes > 0 ? s.unrecoverable : undefined)
  repairGauge('p2pdv_repair_passes', 'Repair passes completed since start', s => s.passes)
  // NAT traversal: labels are the three verdicts, fixed in code (nat.ts REACHABILITY).
  const nat = src.nat
  if (nat !== undefined) {
    const read = (): ReturnType<typeof nat> => { try { return nat() } catch { return undefined } }
    new Gauge({
      name: 'p2pdv_nat_reachability', help: 'This node\'s direct reachability from AutoNAT: 1 for the current verdict (reachable, unreachable, unknown), 0 for the others', labelNames: ['verdict'], registers,
      collect () { const s = read(); if (s !== undefined) for (const v of REACHABILITY) this.set({ verdict: v }, s.reachability === v ? 1 : 0) }
    })
    new Gauge({
      name: 'p2pdv_nat_addresses', help: 'This node\'s libp2p addresses by AutoNAT verdict (private and announced addresses count as unknown, relay addresses as reachable)', labelNames: ['verdict'], registers,
      collect () { const s = read(); if (s !== undefined) for (const v of REACHABILITY) this.set({ verdict: v }, s.addresses.filter(a => a.verdict === v).length) }
    })
    new Gauge({
      name: 'p2pdv_relay_reserved_addresses', help: 'Circuit-relay addresses this node is reachable at (a slot reserved on a relay node)', registers,
      collect () { const s = read(); if (s !== undefined) this.set(s.relay.addresses.length) }
    })
  }
}

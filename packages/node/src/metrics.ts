/** Prometheus metrics of one node (a registry per node, so tests can run several in a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface NodeMetrics {
  registry: Registry
  blocksStored: Gauge
  bytesStored: Gauge
  storeRequests: Counter<'result'>
  blocksServed: Counter<'plane'>
  bytesServed: Counter<'plane'>
  corruptBlocks: Counter
  httpRequestSeconds: Histogram<'route' | 'status'>
  auditsAnswered: Counter<'result'>
  auditsPerformed: Counter<'kind' | 'outcome'>
  repairedBlocks: Counter<'kind'>
  repairBytes: Counter<'direction'>
  dhtProvides: Counter
  unrecoverableStripes: Counter
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
    httpRequestSeconds: new Histogram({ name: 'p2pdv_http_request_seconds', help: 'HTTP data plane latency', labelNames: ['route', 'status'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] })
  }
}

/**
 * Where the auditor learns what to audit: the placement records nodes keep (docs/protocol.md,
 * "Placement records"). Each sync lists the records this node and every peer it knows keep
 * (`GET /api/v1/placements`), fetches those it has not seen at that version, checks them (strict
 * decode and signature, `decodePlacementRecord`) and turns every block — manifest, data and
 * parity — into a target: CID, size, audit root, holders. A newer version (after a repair)
 * replaces the holders of its blocks.
 *
 * Records are written by uploaders and repairing nodes, so nothing in them is trusted to frame a
 * node: listed holders start uncommitted (a failure counts only after the holder passed once), and
 * a wrong root is corrected from the block itself (see auditor.ts).
 */
import { auditLeafBytes, comparePlacement, decodePlacementRecord, MAX_PLACEMENT_BYTES, placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'
import type { Logger } from 'pino'
import type { PlacementStore } from '../placement-store.ts'
import type { AuditStore } from './store.ts'

/** Records fetched per sync at most (the rest wait for the next one). */
export const MAX_RECORDS_PER_SYNC = 1000
export const PLACEMENT_FETCH_TIMEOUT_MS = 5_000
const MAX_LISTING_BYTES = 16 * 1024 * 1024

export interface PlacementSourceDeps {
  store: AuditStore
  /** This node's own records. */
  local?: PlacementStore
  /** HTTP base URLs of the peers to ask. */
  peers: () => Promise<string[]>
  log: Logger
}

async function getBytes (url: string, limit: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(PLACEMENT_FETCH_TIMEOUT_MS)]) })
  if (!res.ok || Number(res.headers.get('content-length') ?? 0) > limit) { await res.body?.cancel(); return undefined }
  const bytes = new Uint8Array(await res.arrayBuffer())
  return bytes.byteLength > limit ? undefined : bytes
}

export class PlacementTargetSource {
  private readonly deps: PlacementSourceDeps
  /** The record ingested per object: the latest in `comparePlacement`'s order seen so far. */
  private readonly seen = new Map<string, Pick<PlacementRecord, 'version' | 'sig'>>()

  /** Whether a record of this version and signature would replace the one ingested. */
  private isNews (object: string, record: Pick<PlacementRecord, 'version' | 'sig'>): boolean {
    const seen = this.seen.get(object)
    return seen === undefined || comparePlacement(record, seen) > 0
  }

  constructor (deps: PlacementSourceDeps) { this.deps = deps }

  /** Turns a record into targets (replacing the holders of its blocks). */
  ingest (record: PlacementRecord, now = Date.now()): number {
    const key = record.object.toString()
    if (!this.isNews(key, record)) return 0
    const leafBytes = auditLeafBytes(record)
    const blocks = placementBlocks(record).map(({ block }) => ({ cid: block.cid.toString(), size: block.size, root: block.root, leafBytes, holders: block.nodes }))
    this.deps.store.syncTargets(blocks, now)
    this.seen.set(key, { version: record.version, sig: record.sig })
    return blocks.length
  }

  /** One pass over this node's records and every known peer's. */
  async sync (signal: AbortSignal): Promise<{ records: number, blocks: number }> {
    let records = 0
    let blocks = 0
    for (const r of this.deps.local?.list() ?? []) {
      const n = this.ingest(r)
      if (n > 0) { records++; blocks += n }
    }
    for (const url of await this.deps.peers()) {
      if (signal.aborted || records >= MAX_RECORDS_PER_SYNC) break
      try {
        const listing = await getBytes(`${url}/api/v1/placements`, MAX_LISTING_BYTES, signal)
        if (listing === undefined) continue
        const { objects } = JSON.parse(new TextDecoder().decode(listing)) as { objects?: Array<{ object?: unknown, version?: unknown, sig?: unknown }> }
        for (const o of Array.isArray(objects) ? objects : []) {
          if (records >= MAX_RECORDS_PER_SYNC || signal.aborted) break
          if (typeof o.object !== 'string' || typeof o.version !== 'number' || o.object.length > 128) continue
          // A peer that lists no signature (an older node) is asked whenever the version ties.
          const sig = typeof o.sig === 'string' && o.sig.length <= 256 ? new Uint8Array(Buffer.from(o.sig, 'base64')) : new Uint8Array(0)
          if (!this.isNews(o.object, { version: o.version, sig })) continue
          const bytes = await getBytes(`${url}/api/v1/objects/${encodeURIComponent(o.object)}/placement`, MAX_PLACEMENT_BYTES, signal)
          if (bytes === undefined) continue
          let record: PlacementRecord
          try {
            record = decodePlacementRecord(bytes)
          } catch (err) {
            this.deps.log.warn({ err, peer: url, object: o.object }, 'ignoring a placement record that does not validate')
            continue
          }
          if (record.object.toString() !== o.object) continue
          const n = this.ingest(record)
          if (n > 0) { records++; blocks += n }
        }
      } catch (err) {
        if (!signal.aborted) this.deps.log.debug({ err, peer: url }, 'could not list placement records')
      }
    }
    return { records, blocks }
  }
}

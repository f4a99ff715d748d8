/**
 * Where the auditor learns what to audit: the placement records nodes keep (docs/protocol.md,
 * "Placement records"). Each sync lists the records this node and every peer it knows keep
 * (`GET /api/v1/placements`), fetches those it has not seen at that version, checks them (strict
 * decode and signature, `decodePlacementRecord`) and turns every block — manifest, data and
 * parity — into a target: CID, size, audit root, holders. A newer version (after a repair)
 * replaces the holders of its blocks.
 *
 * This is the only way targets reach the auditor: a record is signed (version 1 by its owner),
 * its blocks' sizes and roots can never change between versions, and the nodes that keep it hold
 * some of its blocks. Records are still written by anyone who uploads, so nothing in them is
 * trusted to frame a node: listed holders start uncommitted (losing the block counts only after
 * the holder passed once), a wrong size or root is corrected from the block itself and costs the
 * holder nothing (see auditor.ts), a record that gives one CID two sizes or roots is refused, and
 * each source (the peer listing the record, or this node) may bring at most
 * MAX_TARGETS_PER_SOURCE blocks (store.ts).
 */
import { equalBytes } from '@p2pdv/core'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { auditLeafBytes, comparePlacement, decodePlacementRecord, placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'
import { NodeClient, NodeClientErrorCode } from '@p2pdv/node-client'
import type { Logger } from 'pino'
import type { PlacementStore } from '../placement-store.ts'
import { AuditStoreErrorCode, type AuditStore, type RecordBlock } from './store.ts'

export const PlacementSourceErrorCode = {
  CONFLICT: 'ERR_AUDIT_RECORD_CONFLICT'
} as const

/** The source name of this node's own records. */
export const LOCAL_SOURCE = 'local'

/** Records fetched per sync at most (the rest wait for the next one). */
export const MAX_RECORDS_PER_SYNC = 1000
export const PLACEMENT_FETCH_TIMEOUT_MS = 5_000

export interface PlacementSourceDeps {
  store: AuditStore
  /** This node's own records. */
  local?: PlacementStore
  /** HTTP base URLs of the peers to ask. */
  peers: () => Promise<string[]>
  log: Logger
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

  /**
   * Turns a record brought by `source` into targets (replacing what its earlier version claimed).
   * Throws ERR_AUDIT_RECORD_CONFLICT for a record that lists one CID with two sizes or roots, and
   * the store's ERR_AUDIT_SOURCE_FULL / ERR_AUDIT_TARGETS_FULL (the record is then tried again
   * at a later sync).
   */
  ingest (record: PlacementRecord, source = LOCAL_SOURCE, now = Date.now()): number {
    const key = record.object.toString()
    if (!this.isNews(key, record)) return 0
    let blocks: RecordBlock[]
    try {
      blocks = recordBlocks(record)
    } catch (err) {
      // For good: this version is not fetched again; a newer one is judged afresh.
      this.seen.set(key, { version: record.version, sig: record.sig })
      throw err
    }
    this.deps.store.syncRecord(key, source, blocks, now)
    this.seen.set(key, { version: record.version, sig: record.sig })
    return blocks.length
  }

  /** `ingest` for a sync: a refused record is logged and skipped. */
  private tryIngest (record: PlacementRecord, source: string): number {
    try {
      return this.ingest(record, source)
    } catch (err) {
      // A full source is the normal state of a flood (its records wait for later syncs): not worth a warning each time.
      const full = isP2pdvError(err, AuditStoreErrorCode.SOURCE_FULL) || isP2pdvError(err, AuditStoreErrorCode.FULL)
      this.deps.log[full ? 'debug' : 'warn']({ err, source, object: record.object.toString() }, 'not auditing the blocks of a placement record')
      return 0
    }
  }

  /** One pass over this node's records and every known peer's. */
  async sync (signal: AbortSignal): Promise<{ records: number, blocks: number }> {
    let records = 0
    let blocks = 0
    for (const r of this.deps.local?.list() ?? []) {
      const n = this.tryIngest(r, LOCAL_SOURCE)
      if (n > 0) { records++; blocks += n }
    }
    for (const url of await this.deps.peers()) {
      if (signal.aborted || records >= MAX_RECORDS_PER_SYNC) break
      const node = new NodeClient(url, { timeoutMs: PLACEMENT_FETCH_TIMEOUT_MS })
      try {
        for (const o of await node.placements({ signal })) {
          if (records >= MAX_RECORDS_PER_SYNC || signal.aborted) break
          if (!this.isNews(o.object, o)) continue
          let bytes: Uint8Array
          try {
            bytes = await node.placement(o.object, { signal })
          } catch (err) {
            // Gone since the listing, or answered with junk: asked again at the next sync.
            if (isP2pdvError(err, NodeClientErrorCode.NOT_FOUND) || isP2pdvError(err, NodeClientErrorCode.BAD_RESPONSE) || isP2pdvError(err, NodeClientErrorCode.TOO_LARGE)) continue
            throw err
          }
          let record: PlacementRecord
          try {
            record = decodePlacementRecord(bytes)
          } catch (err) {
            this.deps.log.warn({ err, peer: url, object: o.object }, 'ignoring a placement record that does not validate')
            continue
          }
          if (record.object.toString() !== o.object) continue
          const n = this.tryIngest(record, url)
          if (n > 0) { records++; blocks += n }
        }
      } catch (err) {
        if (!signal.aborted) this.deps.log.debug({ err, peer: url }, 'could not list placement records')
      }
    }
    return { records, blocks }
  }
}

/**
 * A record's blocks as targets, one per CID: a CID listed twice (no honest upload does) must
 * agree on size and root and its holders are merged; otherwise the record is refused, so it
 * cannot make the auditor hold two claims about one block.
 */
export function recordBlocks (record: PlacementRecord): RecordBlock[] {
  const leafBytes = auditLeafBytes(record)
  const byCid = new Map<string, RecordBlock>()
  for (const { block } of placementBlocks(record)) {
    const cid = block.cid.toString()
    const known = byCid.get(cid)
    if (known === undefined) {
      byCid.set(cid, { cid, size: block.size, root: block.root, leafBytes, holders: [...block.nodes] })
      continue
    }
    if (known.size !== block.size || !equalBytes(known.root, block.root)) {
      throw new P2pdvError(PlacementSourceErrorCode.CONFLICT, `the placement record of ${record.object.toString()} lists block ${cid} with two sizes or roots`, {
        hint: 'The record was forged or written by a faulty uploader; its blocks are not audited.'
      })
    }
    for (const peer of block.nodes) if (!known.holders.includes(peer)) known.holders.push(peer)
  }
  return [...byCid.values()]
}

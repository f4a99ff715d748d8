/**
 * Lays out one object's blocks on nodes, by replication or by erasure coding, and writes the
 * object's placement record.
 *
 * Erasure (scheme rs): blocks are cut, in the order they are written, into stripes of k. Each
 * stripe gets its own weighted-rendezvous order of nodes (key: its first block's CID; distinct
 * failure domains first) and one shared set of nodes already used, so its k + m blocks land on
 * k + m distinct nodes even when a refusing node's block moves on. Data blocks go out as soon as
 * they are sealed; when the stripe is full (or the object ends) its m parity blocks are encoded
 * and follow. The manifest block is replicated m + 1 times, so it survives what a stripe does.
 *
 * When every block has its receipt, the placement record (scheme, stripes, CIDs, sizes, audit
 * roots, holders from the signed receipts) is signed with the object's owner key and sent to the
 * nodes that hold the object's blocks.
 *
 * The scheme is always the one requested. Only a degraded write (the writer's `degraded`, from
 * `--allow-degraded`) can leave the holders short of it — a stripe sharing nodes, fewer copies —
 * and then the record's `degraded` says so, for `check` to report and repair to raise.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { blockCid, type CID, type ErasureInfo } from '@p2pdv/core'
import { encodeStripe } from '@p2pdv/core/erasure'
import {
  chooseStripeNodes, encodePlacementRecord, placementOwnerSigner, placementShortfall, schemeNodes, signPlacementRecord, weightedOrder,
  type BlockPlacement, type PlacementRecord, type PlacementScheme
} from '@p2pdv/core/placement'
import { AUDIT_LEAF_BYTES } from '@p2pdv/core/audit'
import { merkleRootFast } from './merkle.ts'
import { NodeClient } from '@p2pdv/node-client'
import type { NodeCandidate } from './node-status.ts'
import type { ReplicatedWriter, StoreReceipt } from './replicated-writer.ts'

export const PLACEMENT_PUT_TIMEOUT_MS = 10_000

interface Written { cid: CID, size: number, root: Uint8Array }

interface OpenStripe {
  order: NodeCandidate[]
  group: Set<string>
  data: Array<Written & { bytes: Uint8Array }>
}

export class ObjectWriter {
  readonly scheme: PlacementScheme
  private readonly writer: ReplicatedWriter
  private readonly candidates: NodeCandidate[]
  private readonly stripes: Array<{ data: Written[], parity: Written[] }> = []
  private readonly blocks: Written[] = []
  private open: OpenStripe | undefined
  private manifestBlock: Written | undefined

  constructor (scheme: PlacementScheme, candidates: NodeCandidate[], writer: ReplicatedWriter) {
    this.scheme = scheme
    this.candidates = candidates
    this.writer = writer
  }

  /**
   * Writes one of the object's blocks (in object order). `root` is its audit Merkle root if the
   * sealer already computed it (computed here otherwise). `release` is called when the bytes are
   * no longer needed (replicas: every copy stored; erasure stripes keep them for parity and do not
   * call it).
   */
  async write (cid: CID, bytes: Uint8Array, root?: Uint8Array, release?: () => void): Promise<void> {
    const w: Written = { cid, size: bytes.byteLength, root: root ?? merkleRootFast(bytes) }
    if (this.scheme.type === 'replicas') {
      this.blocks.push(w)
      await this.writer.write(cid, bytes, { order: weightedOrder(cid.toString(), this.candidates, bytes.byteLength), replicas: this.scheme.replicas, ...(release === undefined ? {} : { release }) })
      return
    }
    const { k, m } = this.scheme
    if (this.open === undefined) {
      this.open = { order: chooseStripeNodes(cid.toString(), this.candidates, k + m, { needBytes: bytes.byteLength }), group: new Set(), data: [] }
    }
    const stripe = this.open
    stripe.data.push({ ...w, bytes })
    await this.writer.write(cid, bytes, { order: stripe.order, replicas: 1, group: stripe.group })
    if (stripe.data.length === k) await this.closeStripe()
  }

  private async closeStripe (): Promise<void> {
    const stripe = this.open
    if (stripe === undefined || this.scheme.type !== 'rs') return
    this.open = undefined
    const parity = encodeStripe(this.scheme, stripe.data.map(d => d.bytes))
    const written: Written[] = []
    for (const p of parity) {
      const cid = await blockCid(p)
      written.push({ cid, size: p.byteLength, root: merkleRootFast(p) })
      await this.writer.write(cid, p, { order: stripe.order, replicas: 1, group: stripe.group })
    }
    this.stripes.push({ data: stripe.data.map(({ cid, size, root }) => ({ cid, size, root })), parity: written })
  }

  /** Ends the data: encodes the last (short) stripe; the erasure field for the manifest (rs only). */
  async endData (): Promise<ErasureInfo | undefined> {
    if (this.scheme.type !== 'rs') return undefined
    await this.closeStripe()
    return { k: this.scheme.k, m: this.scheme.m, stripes: this.stripes.map(s => ({ parity: s.parity.map(p => p.cid) })) }
  }

  async writeManifest (cid: CID, bytes: Uint8Array): Promise<void> {
    this.manifestBlock = { cid, size: bytes.byteLength, root: merkleRootFast(bytes) }
    const replicas = this.scheme.type === 'rs' ? this.scheme.m + 1 : this.scheme.replicas
    await this.writer.write(cid, bytes, { order: weightedOrder(cid.toString(), this.candidates, bytes.byteLength), replicas })
  }

  /** The unsigned record's content from the receipts (holders are the nodes that signed one). */
  placement (receipts: readonly StoreReceipt[], owner: Uint8Array): Omit<PlacementRecord, 'signer' | 'sig'> {
    if (this.manifestBlock === undefined) throw new P2pdvError('ERR_INTERNAL', 'placement() before writeManifest()')
    const holders = new Map<string, string[]>()
    for (const r of receipts) {
      const list = holders.get(r.cid) ?? []
      if (!list.includes(r.peer)) list.push(r.peer)
      holders.set(r.cid, list)
    }
    const placed = (w: Written): BlockPlacement => ({ cid: w.cid, size: w.size, root: w.root, nodes: holders.get(w.cid.toString()) ?? [] })
    const stripes = this.scheme.type === 'rs'
      ? this.stripes.map(s => ({ data: s.data.length, blocks: [...s.data, ...s.parity].map(placed) }))
      : this.blocks.map(b => ({ data: 1, blocks: [placed(b)] }))
    const manifest = placed(this.manifestBlock)
    // Short of the scheme only when the writer was allowed to be (a degraded write): the record
    // then says so, and keeps the requested scheme for repair to raise the object to.
    const short = placementShortfall({ scheme: this.scheme, manifest, stripes }).length > 0
    return {
      v: 1,
      object: this.manifestBlock.cid,
      version: 1,
      time: Date.now(),
      scheme: this.scheme,
      manifest,
      stripes,
      // The roots were computed with merkleRootFast's default leaves.
      leaf: AUDIT_LEAF_BYTES,
      ...(short ? { degraded: { need: schemeNodes(this.scheme), found: holders.size === 0 ? 0 : new Set([...holders.values()].flat()).size } } : {}),
      owner
    }
  }

  /** Signs the record with the owner key and sends it to every holder; resolves with how many kept it. */
  async publishPlacement (receipts: readonly StoreReceipt[], key: Uint8Array, signal?: AbortSignal): Promise<{ record: PlacementRecord, storedOn: number }> {
    const owner = await placementOwnerSigner(key)
    let record: PlacementRecord
    try {
      record = await signPlacementRecord(this.placement(receipts, owner.publicKey), owner.publicKey, owner.sign)
    } finally {
      owner.forget()
    }
    const bytes = encodePlacementRecord(record)
    const holders = new Set(receipts.map(r => r.peer))
    let storedOn = 0
    await Promise.all(this.candidates.filter(c => holders.has(c.peerId)).map(async c => {
      try {
        await new NodeClient(c.http, { peerId: c.peerId, timeoutMs: PLACEMENT_PUT_TIMEOUT_MS }).putPlacement(record.object, bytes, signal === undefined ? {} : { signal })
        storedOn++
      } catch {
        // The object stays readable without its record (the manifest names every block); repair
        // and audits need it, so the caller reports how many nodes kept it.
      }
    }))
    return { record, storedOn }
  }
}

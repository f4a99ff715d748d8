/**
 * Accepting a block, whichever plane it arrives on (libp2p store protocol or HTTP PUT): verify
 * its hash, keep within the quota (bytes being written are reserved, so concurrent writes cannot
 * overshoot), persist atomically, sign a receipt, and announce it.
 */
import { createHash } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { isP2pdvError } from '@p2pdv/core/errors'
import { receiptPayload, StoreRefusal, type Receipt, type StoreResponse } from '@p2pdv/core/wire'
import type { NodeMetrics } from './metrics.ts'
import type { VerifiedBlockstore } from './verified-blockstore.ts'
import { identitySigner, type Sign } from './identity-signer.ts'
import type { UploadSession } from './upload-gate.ts'

/** `hint`: what the uploader can do about a refusal (HTTP error bodies carry it). */
export interface Outcome { response: StoreResponse, result: string, hint?: string }

export interface BlockIntakeDeps {
  peerId: string
  privateKey: PrivateKey
  blockstore: VerifiedBlockstore
  quotaBytes: number
  metrics: NodeMetrics
  log: Logger
  /** Called once per newly stored block (the node announces it, and waits for a record to claim it). */
  onStored: (cid: CID, size: number, identity: string | undefined) => void
}

export class BlockIntake {
  private readonly deps: BlockIntakeDeps
  private readonly sign: Sign
  private reserved = 0
  /** Blocks being stored now, with how that ends (undefined: stored or held). */
  private readonly writing = new Map<string, Promise<Outcome | undefined>>()

  constructor (deps: BlockIntakeDeps) {
    this.deps = deps
    this.sign = identitySigner(deps.privateKey)
  }

  /** Writes the block unless it is held already; a refusal if it cannot (quota, disk). */
  private async persist (cid: CID, body: Uint8Array, session: UploadSession | undefined): Promise<Outcome | undefined> {
    const { deps } = this
    let held: boolean
    try { held = await deps.blockstore.has(cid) } catch { held = false }
    // A block held already costs nothing more: it is not charged again.
    if (held) return undefined
    if (deps.blockstore.bytes + this.reserved + body.byteLength > deps.quotaBytes) {
      return this.refusal(StoreRefusal.QUOTA, `this node's quota of ${deps.quotaBytes} bytes is full`)
    }
    try {
      session?.charge(body.byteLength)
    } catch (err) {
      if (isP2pdvError(err)) return this.refusal(err.code, err.message, err.hint)
      throw err
    }
    this.reserved += body.byteLength
    try {
      await deps.blockstore.putNew(cid, body)
    } catch (err) {
      session?.refund(body.byteLength)
      deps.log.error({ err, cid: cid.toString() }, 'could not persist a block')
      return this.refusal(StoreRefusal.INTERNAL, 'the node could not write the block')
    } finally {
      this.reserved -= body.byteLength
    }
    deps.onStored(cid, body.byteLength, session?.identity)
    return undefined
  }

  refusal (code: string, message: string, hint?: string): Outcome {
    this.deps.metrics.storeRequests.inc({ result: code })
    return { response: { v: 1, ok: false, code, message }, result: code, ...(hint === undefined ? {} : { hint }) }
  }

  /**
   * `hashMatches`: the caller hashed the body as it arrived (HTTP PUT) and says whether it matched
   * the CID; otherwise it is hashed here. `session`: the admitted upload the block is charged to
   * (the planes refuse uploads without one; only in-process callers such as tests pass none).
   */
  async accept (cid: CID, body: Uint8Array, hashMatches?: boolean, session?: UploadSession): Promise<Outcome> {
    const { deps } = this
    if (!(hashMatches ?? createHash('sha256').update(body).digest().equals(cid.multihash.digest))) {
      deps.log.warn({ cid: cid.toString() }, 'refused a block whose bytes do not match its CID')
      return this.refusal(StoreRefusal.HASH_MISMATCH, `the block does not hash to ${cid.toString()}`)
    }
    // A second upload of a block being written waits for the first: written and counted once.
    // The entry is made before anything is awaited, so two uploads never both write.
    const key = cid.toString()
    let pending = this.writing.get(key)
    if (pending === undefined) {
      const mine = this.persist(cid, body, session)
      pending = mine
      this.writing.set(key, mine)
      void mine.then(() => { this.writing.delete(key) })
    }
    const refused = await pending
    if (refused !== undefined) return refused
    const unsigned: Omit<Receipt, 'sig'> = { peer: deps.peerId, cid, size: body.byteLength, time: Date.now() }
    const sig = await this.sign(receiptPayload(unsigned))
    deps.metrics.storeRequests.inc({ result: 'ok' })
    return { response: { v: 1, ok: true, receipt: { ...unsigned, sig } }, result: 'ok' }
  }
}

/**
 * The placement records this node keeps: the latest version per object, one file per object in
 * `placements/` (written atomically), indexed in memory. A node keeps a record only for objects
 * it is responsible for — it must hold at least one block the record says it holds — so nobody
 * can make a node store or repair objects it has nothing to do with without first storing data
 * on it (which its quota bounds). A newer version replaces an older one only under the rules of
 * `checkSupersedes` (later in `comparePlacement`'s order, same blocks; version 1 signed by the
 * owner), and only if it is signed by the owner or by a node the current version lists as a
 * holder: a stranger cannot rewrite who holds an object (repairers are always current holders,
 * see repair.ts).
 *
 * Two holders that repaired at once wrote the same version, each from the version before; each
 * may have dropped the other from its list (it took the other for down). So the winner of such a
 * tie is also accepted when its signer held blocks in the version the held one replaced: the
 * store keeps that version beside the current one (`<object>.prev`).
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import { parseCid, type CID } from '@p2pdv/core'
import { checkSupersedes, decodePlacementRecord, encodePlacementRecord, placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'

export const PlacementStoreErrorCode = {
  NOT_RESPONSIBLE: 'ERR_PLACEMENT_NOT_RESPONSIBLE',
  NOT_A_HOLDER: 'ERR_PLACEMENT_NOT_A_HOLDER',
  WRONG_OBJECT: 'ERR_PLACEMENT_WRONG_OBJECT',
  NOT_FOUND: 'ERR_NOT_FOUND'
} as const

/** Records kept at most (each ≤ 2 MiB; most are a few KiB). */
export const MAX_PLACEMENT_RECORDS = 100_000

export interface PlacementStoreDeps {
  dir: string
  peerId: string
  /** Whether this node holds a block (verified storage). */
  has: (cid: CID) => Promise<boolean>
  /** Called after a record (any version) is kept, not for the ones read at open. */
  onKept?: (record: PlacementRecord) => void
  log: Logger
}

/** Where a block sits in its object's record: the manifest (stripe −1) or a stripe position. */
interface BlockPosition { object: string, stripe: number, index: number }

export class PlacementStore {
  private readonly deps: PlacementStoreDeps
  private readonly records = new Map<string, PlacementRecord>()
  /** Per object, the holders of the version the current one replaced (they authorized it). */
  private readonly priorHolders = new Map<string, Set<string>>()
  /** Every block of every kept record, by CID (versions of a record share their blocks). */
  private readonly blocks = new Map<string, BlockPosition>()
  /** Serialises writes per object so two updates cannot interleave. */
  private readonly locks = new Map<string, Promise<unknown>>()

  constructor (deps: PlacementStoreDeps) { this.deps = deps }

  async open (): Promise<void> {
    await mkdir(this.deps.dir, { recursive: true, mode: 0o700 })
    const names = await readdir(this.deps.dir)
    for (const name of names) {
      if (!name.endsWith('.cbor')) continue
      try {
        const r = decodePlacementRecord(new Uint8Array(await readFile(join(this.deps.dir, name))))
        this.keep(r)
      } catch (err) {
        this.deps.log.warn({ err, file: name }, 'ignoring an unreadable placement record')
      }
    }
    for (const name of names) {
      if (!name.endsWith(PREV_SUFFIX)) continue
      try {
        const r = decodePlacementRecord(new Uint8Array(await readFile(join(this.deps.dir, name))))
        if (this.records.has(r.object.toString())) this.priorHolders.set(r.object.toString(), holdersOf(r))
      } catch (err) {
        this.deps.log.warn({ err, file: name }, 'ignoring an unreadable previous placement record')
      }
    }
  }

  get (object: string): PlacementRecord | undefined {
    return this.records.get(object)
  }

  list (): PlacementRecord[] {
    return [...this.records.values()]
  }

  /** Whether a kept record lists this block. */
  covers (cid: CID): boolean {
    return this.blocks.has(cid.toString())
  }

  /** The object (manifest CID) whose kept record lists this block, if any. */
  objectOf (cid: CID | string): string | undefined {
    return this.blocks.get(cid.toString())?.object
  }

  /** The holders the latest kept record lists for a block, or undefined if no record lists it. */
  holdersOf (cid: CID): string[] | undefined {
    const at = this.blocks.get(cid.toString())
    const record = at === undefined ? undefined : this.records.get(at.object)
    if (at === undefined || record === undefined) return undefined
    return (at.stripe < 0 ? record.manifest : record.stripes[at.stripe]!.blocks[at.index]!).nodes
  }

  private keep (record: PlacementRecord): void {
    const object = record.object.toString()
    if (!this.records.has(object)) for (const { block, stripe, index } of placementBlocks(record)) this.blocks.set(block.cid.toString(), { object, stripe, index })
    this.records.set(object, record)
  }

  /** Writes a file of the store atomically (temp file, then rename). */
  private async writeFile (name: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.deps.dir, name)
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, bytes, { mode: 0o600 })
    await rename(tmp, path)
  }

  /** Validates and keeps `bytes` as the object's record; resolves with the kept version. */
  async put (object: CID, bytes: Uint8Array): Promise<{ version: number, stored: boolean }> {
    const record = decodePlacementRecord(bytes)
    if (record.object.toString() !== object.toString()) throw new P2pdvError(PlacementStoreErrorCode.WRONG_OBJECT, `the record is for ${record.object.toString()}, not ${object.toString()}`)
    const key = object.toString()
    const run = async (): Promise<{ version: number, stored: boolean }> => {
      const current = this.records.get(key)
      if (current !== undefined && current.version === record.version && Buffer.from(current.sig).equals(Buffer.from(record.sig))) return { version: current.version, stored: false }
      checkSupersedes(current, record)
      const tie = current !== undefined && current.version === record.version
      // Who may sign: a holder in the held version, or (a tie) in the one both ties replaced.
      const authorities = current === undefined ? undefined : new Set([...holdersOf(current), ...(tie ? this.priorHolders.get(key) ?? [] : [])])
      if (authorities !== undefined && !signedByOwnerOrHolder(authorities, record)) {
        throw new P2pdvError(PlacementStoreErrorCode.NOT_A_HOLDER, 'an update must be signed by the owner or by a node that holds blocks of the object', {
          hint: 'Only the uploader and the object\'s current holders (which run its repair) may publish new placement versions.'
        })
      }
      if (current === undefined) {
        if (this.records.size >= MAX_PLACEMENT_RECORDS) throw new P2pdvError('ERR_QUOTA_EXCEEDED', 'this node keeps no more placement records')
        const mine = placementBlocks(record).filter(b => b.block.nodes.includes(this.deps.peerId))
        let holds = false
        for (const b of mine) if (await this.deps.has(b.block.cid)) { holds = true; break }
        if (!holds) {
          throw new P2pdvError(PlacementStoreErrorCode.NOT_RESPONSIBLE, 'this node holds none of the blocks the record places on it', {
            hint: 'Store the blocks first, then send the placement record to the nodes that hold them.'
          })
        }
      }
      if (current !== undefined && !tie) {
        await this.writeFile(`${key}${PREV_SUFFIX}`, encodePlacementRecord(current))
        this.priorHolders.set(key, holdersOf(current))
      }
      await this.writeFile(`${key}.cbor`, bytes)
      this.keep(record)
      this.deps.onKept?.(record)
      return { version: record.version, stored: true }
    }
    const prev = this.locks.get(key) ?? Promise.resolve()
    const next = prev.then(run, run)
    const tail = next.catch(() => {})
    this.locks.set(key, tail)
    try {
      return await next
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key)
    }
  }
}

const PREV_SUFFIX = '.prev'

function holdersOf (record: PlacementRecord): Set<string> {
  return new Set(placementBlocks(record).flatMap(b => b.block.nodes))
}

/** The update's signer is the owner, or one of `holders` (peer ids). */
export function signedByOwnerOrHolder (holders: ReadonlySet<string>, next: PlacementRecord): boolean {
  if (Buffer.from(next.signer).equals(Buffer.from(next.owner))) return true
  let signer: string
  try {
    signer = peerIdFromPublicKey(publicKeyFromRaw(next.signer)).toString()
  } catch {
    return false
  }
  return holders.has(signer)
}

export function parseObjectCid (text: string): CID {
  return parseCid(text)
}

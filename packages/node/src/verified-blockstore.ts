/**
 * The node's blockstore: blockstore-fs underneath (atomic writes: temp file, then rename), with
 * every read verified against the CID. A block whose bytes rotted on disk is moved to quarantine
 * and reported missing, so no plane (HTTP, bitswap, store) ever serves bad bytes. It also keeps
 * the node's usage figures for the quota.
 */
import { createHash } from 'node:crypto'
import { readdir, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { NextToLast, type ShardingStrategy } from 'blockstore-fs/sharding'
import type { Blockstore, InputPair, Pair } from 'interface-blockstore'
import type { AbortOptions } from 'abort-error'
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import type { NodeMetrics } from './metrics.ts'

export const BlockstoreErrorCode = {
  NOT_FOUND: 'ERR_NOT_FOUND',
  CORRUPT: 'ERR_BLOCK_CORRUPT'
} as const

function digestOk (cid: CID, bytes: Uint8Array): boolean {
  return createHash('sha256').update(bytes).digest().equals(cid.multihash.digest)
}

async function concat (gen: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let n = 0
  for await (const p of gen) { parts.push(p); n += p.byteLength }
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(n)
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.byteLength }
  return out
}

export class VerifiedBlockstore implements Blockstore {
  private readonly fs: FsBlockstore
  private readonly sharding: ShardingStrategy = new NextToLast()
  private readonly quarantineDir: string
  private readonly metrics: NodeMetrics
  private readonly log: Logger
  blocks = 0
  bytes = 0

  constructor (dir: string, quarantineDir: string, metrics: NodeMetrics, log: Logger) {
    this.fs = new FsBlockstore(dir, { shardingStrategy: this.sharding })
    this.quarantineDir = quarantineDir
    this.metrics = metrics
    this.log = log
  }

  async open (): Promise<void> {
    await this.fs.open()
    // Usage is recounted from disk at start (one directory walk), then kept up to date.
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name)
        if (e.isDirectory()) await walk(p)
        else if (e.name.endsWith('.data')) { this.blocks++; this.bytes += (await stat(p)).size }
      }
    }
    await walk(this.fs.path)
    this.publish()
  }

  async close (): Promise<void> {
    await this.fs.close()
  }

  private publish (): void {
    this.metrics.blocksStored.set(this.blocks)
    this.metrics.bytesStored.set(this.bytes)
  }

  async has (cid: CID, options?: AbortOptions): Promise<boolean> {
    return await this.fs.has(cid, options)
  }

  /** Stores verified bytes (callers verify before; this checks again, cheaply, for safety). */
  async put (cid: CID, val: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    const bytes = val instanceof Uint8Array ? val : await concat(val)
    if (!digestOk(cid, bytes)) throw new P2pdvError('ERR_BLOCK_HASH_MISMATCH', `bytes do not hash to ${cid.toString()}`)
    await this.putVerified(cid, bytes, options)
    return cid
  }

  /** Stores bytes the caller has just verified against `cid` (the store protocol does). */
  async putVerified (cid: CID, bytes: Uint8Array, options?: AbortOptions): Promise<void> {
    if (await this.fs.has(cid, options)) return
    await this.fs.put(cid, bytes, options)
    this.blocks++
    this.bytes += bytes.byteLength
    this.publish()
  }

  async * putMany (source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions): AsyncGenerator<CID> {
    for await (const { cid, bytes } of source) yield await this.put(cid, bytes, options)
  }

  /** The whole block, verified; throws ERR_NOT_FOUND or ERR_BLOCK_CORRUPT (after quarantining it). */
  async getVerified (cid: CID, options?: AbortOptions): Promise<Uint8Array> {
    let bytes: Uint8Array
    try {
      bytes = await concat(this.fs.get(cid, options))
    } catch (cause) {
      throw new P2pdvError(BlockstoreErrorCode.NOT_FOUND, `block ${cid.toString()} is not stored here`, { cause })
    }
    if (digestOk(cid, bytes)) return bytes
    await this.quarantine(cid, bytes.byteLength)
    throw new P2pdvError(BlockstoreErrorCode.CORRUPT, `the stored copy of ${cid.toString()} is damaged and was quarantined`, {
      hint: 'Ask another node for this block; repair will restore the copy.'
    })
  }

  async * get (cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    yield await this.getVerified(cid, options)
  }

  async * getMany (source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const cid of source) {
      const bytes = await this.getVerified(cid, options)
      yield { cid, bytes: (async function * () { yield bytes })() }
    }
  }

  async * getAll (options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const pair of this.fs.getAll(options)) yield pair
  }

  async delete (cid: CID, options?: AbortOptions): Promise<void> {
    if (!(await this.fs.has(cid, options))) return
    const size = (await concat(this.fs.get(cid, options))).byteLength
    await this.fs.delete(cid, options)
    this.blocks--
    this.bytes -= size
    this.publish()
  }

  async * deleteMany (source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<CID> {
    for await (const cid of source) { await this.delete(cid, options); yield cid }
  }

  /** Path of the file holding a block (tests use it to simulate bit rot). */
  pathOf (cid: CID): string {
    const { dir, file } = this.sharding.encode(cid)
    return join(this.fs.path, dir, file)
  }

  private async quarantine (cid: CID, size: number): Promise<void> {
    this.metrics.corruptBlocks.inc()
    this.log.error({ cid: cid.toString() }, 'stored block failed verification; quarantined')
    try {
      await rename(this.pathOf(cid), join(this.quarantineDir, `${cid.toString()}.${Date.now()}`))
      this.blocks--
      this.bytes -= size
      this.publish()
    } catch (err) {
      this.log.error({ err, cid: cid.toString() }, 'could not move the damaged block to quarantine')
    }
  }
}

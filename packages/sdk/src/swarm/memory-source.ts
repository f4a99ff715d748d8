/** A bounded in-memory BlockSource: the blocks a viewer fetched (already verified), oldest dropped first. */
import type { CID } from 'multiformats/cid'
import type { BlockSource } from './share-protocol.ts'

/** Enough for a minute or two of HD video ahead of and behind the playhead. */
export const DEFAULT_MEMORY_SOURCE_BYTES = 64 * 1024 * 1024

export class MemoryBlockSource implements BlockSource {
  private readonly blocks = new Map<string, { cid: CID, bytes: Uint8Array }>()
  private bytes = 0
  private readonly maxBytes: number

  constructor (maxBytes = DEFAULT_MEMORY_SOURCE_BYTES) { this.maxBytes = maxBytes }

  /** Adds a block the caller has verified against `cid`. */
  put (cid: CID, bytes: Uint8Array): void {
    const key = cid.toString()
    const old = this.blocks.get(key)
    if (old !== undefined) { this.blocks.delete(key); this.bytes -= old.bytes.byteLength }
    if (bytes.byteLength > this.maxBytes) return
    this.blocks.set(key, { cid, bytes })
    this.bytes += bytes.byteLength
    for (const [k, v] of this.blocks) {
      if (this.bytes <= this.maxBytes) break
      this.blocks.delete(k)
      this.bytes -= v.bytes.byteLength
    }
  }

  get (cid: CID): Uint8Array | undefined { return this.blocks.get(cid.toString())?.bytes }

  * cids (): Iterable<CID> {
    // Newest first: the blocks other viewers (behind this one) are most likely to want next.
    const all = [...this.blocks.values()]
    for (let i = all.length - 1; i >= 0; i--) yield (all[i] as { cid: CID }).cid
  }
}

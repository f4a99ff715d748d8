/**
 * The HTTP plane's cache of hot blocks: blocks already read from disk and verified against their
 * CID, kept in memory and bounded in bytes, the least recently served dropped first. Serving a
 * block viewers are all watching then costs no file read, no SHA-256 and no fresh megabyte of
 * memory per request, which was most of a GET's cost (see docs/architecture.md). Concurrent misses
 * on one block share a single read. The bytes are never handed out for writing.
 */

/** What the cache needs of an entry: its size. */
export interface Sized { bytes: Uint8Array }

/** 64 MiB of hot blocks by default: 64 blocks of the largest size. */
export const DEFAULT_HOT_BLOCK_BYTES = 64 * 1024 * 1024

export class HotBlocks<T extends Sized> {
  private readonly entries = new Map<string, T>()
  /** Reads under way, by key; an entry is kept only if its read is still the current one when it ends. */
  private readonly loading = new Map<string, Promise<T>>()
  private readonly maxBytes: number
  bytes = 0

  constructor (maxBytes: number = DEFAULT_HOT_BLOCK_BYTES) {
    this.maxBytes = maxBytes
  }

  /** The entry, marked as just used, or undefined. */
  get (key: string): T | undefined {
    const e = this.entries.get(key)
    if (e !== undefined) {
      // Map order is insertion order: re-inserting moves the entry to the young end.
      this.entries.delete(key)
      this.entries.set(key, e)
    }
    return e
  }

  /** The entry, from memory or made by `fill` (once for all who ask meanwhile); fill's errors go to all of them and nothing is kept. */
  async load (key: string, fill: () => Promise<T>): Promise<T> {
    const hit = this.get(key)
    if (hit !== undefined) return hit
    const pending = this.loading.get(key)
    if (pending !== undefined) return await pending
    const p = fill()
    this.loading.set(key, p)
    try {
      const e = await p
      if (this.loading.get(key) === p) this.keep(key, e)
      return e
    } finally {
      if (this.loading.get(key) === p) this.loading.delete(key)
    }
  }

  /** Forgets a block (deleted or quarantined): a read under way is not kept either. */
  delete (key: string): void {
    this.loading.delete(key)
    const e = this.entries.get(key)
    if (e === undefined) return
    this.entries.delete(key)
    this.bytes -= e.bytes.byteLength
  }

  private keep (key: string, e: T): void {
    const size = e.bytes.byteLength
    if (size > this.maxBytes) return
    const had = this.entries.get(key)
    if (had !== undefined) { this.entries.delete(key); this.bytes -= had.bytes.byteLength }
    for (const [k, old] of this.entries) {
      if (this.bytes + size <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= old.bytes.byteLength
    }
    this.entries.set(key, e)
    this.bytes += size
  }
}

/**
 * Re-cuts any stream of byte buffers into chunks of exactly `size` bytes (the last one shorter),
 * each in a buffer of its own (so it can be transferred to a worker), and tells which is last.
 * An empty stream yields one empty last chunk.
 */
/** Supplies the buffer of a full chunk (a recycled one, say): `size` bytes the caller owns whole. */
export type ChunkAlloc = (size: number) => Uint8Array

/** A fresh, unpooled, uninitialised buffer: every byte is overwritten before use, and it can be transferred. */
export function freshChunk (size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/**
 * Flags the last of a stream of chunks (each is held back until the next one shows it was not the
 * last); an empty stream becomes one empty last chunk.
 */
export async function * flagLast (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<{ chunk: Uint8Array, last: boolean }> {
  let held: Uint8Array | undefined
  for await (const chunk of chunks) {
    if (held !== undefined) yield { chunk: held, last: false }
    held = chunk
  }
  yield { chunk: held ?? new Uint8Array(0), last: true }
}

export function rechunk (source: AsyncIterable<Uint8Array>, size: number, alloc: ChunkAlloc = freshChunk): AsyncGenerator<{ chunk: Uint8Array, last: boolean }> {
  return flagLast(cut(source, size, alloc))
}

async function * cut (source: AsyncIterable<Uint8Array>, size: number, alloc: ChunkAlloc): AsyncGenerator<Uint8Array> {
  let current = alloc(size)
  let fill = 0
  for await (const part of source) {
    let off = 0
    while (off < part.byteLength) {
      const n = Math.min(size - fill, part.byteLength - off)
      current.set(part.subarray(off, off + n), fill)
      fill += n
      off += n
      if (fill === size) {
        yield current
        current = alloc(size)
        fill = 0
      }
    }
  }
  if (fill > 0) yield current.slice(0, fill)
}

/**
 * Re-cuts any stream of byte buffers into chunks of exactly `size` bytes (the last one shorter),
 * each in a buffer of its own (so it can be transferred to a worker), and tells which is last.
 * An empty stream yields one empty last chunk.
 */
/** A fresh, unpooled, uninitialised buffer: every byte is overwritten before use, and it can be transferred. */
export function freshChunk (size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/**
 * `alloc` supplies the buffers of full chunks (recycled ones, say); it must return `size` bytes
 * the caller owns whole.
 */
export async function * rechunk (source: AsyncIterable<Uint8Array>, size: number, alloc: (size: number) => Uint8Array = freshChunk): AsyncGenerator<{ chunk: Uint8Array, last: boolean }> {
  let current = alloc(size)
  let fill = 0
  let held: Uint8Array | undefined
  for await (const part of source) {
    let off = 0
    while (off < part.byteLength) {
      const n = Math.min(size - fill, part.byteLength - off)
      current.set(part.subarray(off, off + n), fill)
      fill += n
      off += n
      if (fill === size) {
        if (held !== undefined) yield { chunk: held, last: false }
        held = current
        current = alloc(size)
        fill = 0
      }
    }
  }
  if (fill > 0) {
    if (held !== undefined) yield { chunk: held, last: false }
    yield { chunk: current.slice(0, fill), last: true }
  } else {
    yield { chunk: held ?? new Uint8Array(0), last: true }
  }
}

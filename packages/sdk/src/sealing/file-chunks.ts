/**
 * A file read straight into the sealer's chunk buffers. Through a read stream each chunk was read
 * into a buffer of the stream's, then copied into one of the sealer's (which it can transfer to a
 * worker): a copy and a fresh megabyte of external memory per chunk on the main thread, which is
 * what limits sealing. Here each `read` fills a buffer the sealer handed out (a recycled one,
 * usually) on libuv's thread pool.
 */
import { open } from 'node:fs/promises'
import { flagLast, type ChunkAlloc } from './rechunk.ts'

/** A source that fills chunk buffers itself, in order, and tells which chunk is last. */
export interface ChunkReader {
  readChunks: (size: number, alloc: ChunkAlloc) => AsyncIterable<{ chunk: Uint8Array, last: boolean }>
}

export function isChunkReader (source: unknown): source is ChunkReader {
  return typeof (source as Partial<ChunkReader>).readChunks === 'function'
}

/** Reads `path` to its end, whatever its size when opened. An empty file is one empty last chunk. */
export function fileChunks (path: string): ChunkReader {
  return { readChunks: (size, alloc) => flagLast(readFile(path, size, alloc)) }
}

/** The file in chunks of `size` bytes, each read into a buffer from `alloc` (the last one shorter). */
async function * readFile (path: string, size: number, alloc: ChunkAlloc): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    for (;;) {
      const buf = alloc(size)
      let got = 0
      while (got < size) {
        const { bytesRead } = await fh.read(buf, got, size - got, null)
        if (bytesRead === 0) break
        got += bytesRead
      }
      if (got === size) { yield buf; continue }
      if (got > 0) yield buf.slice(0, got)
      return
    }
  } finally {
    await fh.close()
  }
}

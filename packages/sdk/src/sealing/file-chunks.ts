/**
 * A file read straight into the sealer's chunk buffers. Through a read stream each chunk was read
 * into a buffer of the stream's, then copied into one of the sealer's (which it can transfer to a
 * worker): a copy and a fresh megabyte of external memory per chunk on the main thread, which is
 * what limits sealing. Here each `read` fills a buffer the sealer handed out (a recycled one,
 * usually) on libuv's thread pool.
 */
import { open } from 'node:fs/promises'

export type ChunkAlloc = (size: number) => Uint8Array

/** A source that fills chunk buffers itself, in order, and tells which chunk is last. */
export interface ChunkReader {
  readChunks: (size: number, alloc: ChunkAlloc) => AsyncIterable<{ chunk: Uint8Array, last: boolean }>
}

export function isChunkReader (source: unknown): source is ChunkReader {
  return typeof (source as Partial<ChunkReader>).readChunks === 'function'
}

/** Reads `path` to its end, whatever its size when opened. An empty file is one empty last chunk. */
export function fileChunks (path: string): ChunkReader {
  return {
    async * readChunks (size, alloc) {
      const fh = await open(path, 'r')
      try {
        /** Fills `buf` from the file's current position; fewer bytes only at the end of the file. */
        const fill = async (buf: Uint8Array): Promise<number> => {
          let got = 0
          while (got < buf.byteLength) {
            const { bytesRead } = await fh.read(buf, got, buf.byteLength - got, null)
            if (bytesRead === 0) break
            got += bytesRead
          }
          return got
        }
        // A full chunk is held back until the next read shows whether it was the last.
        let held: Uint8Array | undefined
        for (;;) {
          const buf = alloc(size)
          const n = await fill(buf)
          if (n === size) {
            if (held !== undefined) yield { chunk: held, last: false }
            held = buf
            continue
          }
          if (n > 0) {
            if (held !== undefined) yield { chunk: held, last: false }
            yield { chunk: buf.slice(0, n), last: true }
          } else {
            yield { chunk: held ?? new Uint8Array(0), last: true }
          }
          return
        }
      } finally {
        await fh.close()
      }
    }
  }
}

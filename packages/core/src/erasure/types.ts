import { P2pdvError } from '../errors.ts'

export const ErasureErrorCode = {
  BAD_PARAMS: 'ERR_ERASURE_PARAMS',
  TOO_FEW_SHARDS: 'ERR_ERASURE_TOO_FEW_SHARDS',
  BAD_SHARD: 'ERR_ERASURE_SHARD'
} as const

/**
 * A Reed–Solomon backend: the same code (GF(2^8), 0x11D, systematic Vandermonde matrix) computed
 * by different engines. Callers never see which one runs; parity is byte-identical (tested).
 */
export interface RsBackend {
  readonly name: string
  /**
   * The m parity shards of k data shards, each exactly `shardSize` bytes. `into`, if given, is m
   * buffers of at least `shardSize` bytes that receive the parity (overwritten, and returned):
   * callers that reuse buffers skip allocating and first-touching fresh memory, which costs more
   * than the arithmetic on a fast backend.
   */
  encode: (k: number, m: number, data: Uint8Array[], shardSize: number, into?: Uint8Array[]) => Uint8Array[]
  /**
   * Rebuilds the shards at `targets` (indices into the k+m shards) from any k present ones
   * (`undefined` = missing); the caller has checked that k are present. `into` as for encode.
   */
  reconstruct: (k: number, m: number, shards: Array<Uint8Array | undefined>, shardSize: number, targets: number[], into?: Uint8Array[]) => Uint8Array[]
}

/** Checks a backend's `into` buffers: `count` of them, each at least `size` bytes. */
export function checkInto (into: Uint8Array[], count: number, size: number): Uint8Array[] {
  if (into.length !== count || into.some(b => b.byteLength < size)) {
    throw new P2pdvError(ErasureErrorCode.BAD_SHARD, `expected ${count} output buffers of at least ${size} bytes`)
  }
  return into
}

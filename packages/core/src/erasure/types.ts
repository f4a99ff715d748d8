/**
 * A Reed–Solomon backend: the same code (GF(2^8), 0x11D, systematic Vandermonde matrix) computed
 * by different engines. Callers never see which one runs; parity is byte-identical (tested).
 */
export interface RsBackend {
  readonly name: string
  /** The m parity shards of k data shards, each exactly `shardSize` bytes. */
  encode: (k: number, m: number, data: Uint8Array[], shardSize: number) => Uint8Array[]
  /**
   * Rebuilds the shards at `targets` (indices into the k+m shards) from any k present ones
   * (`undefined` = missing); the caller has checked that k are present.
   */
  reconstruct: (k: number, m: number, shards: Array<Uint8Array | undefined>, shardSize: number, targets: number[]) => Uint8Array[]
}

/**
 * What keepers and viewers read from the chain, as interfaces: the chain client implements them
 * with viem `readContract`; unit tests use in-memory fakes; integration tests that run before a
 * chain exists use a JSON-file oracle that is marked test-only. Keeping these small means the
 * keeper and the key resolver never know which one they talk to.
 */
import type { KeeperDomain } from './keeper-wire.ts'
import type { Hex, VideoId } from './video-id.ts'

export interface VideoRecord {
  owner: Hex
  /** keyFingerprint(K), 32 bytes. */
  keyFingerprint: Uint8Array
  /** The sealed manifest's CID (string form), when the registry records one. */
  manifest?: string
}

/** Which keepers hold a video's shares, how many are needed, and the current share epoch. */
export interface Custody {
  epoch: number
  threshold: number
  keepers: Hex[]
}

export interface AccessOracle {
  /** The EIP-712 domain every keeper message is signed in (chain id + AccessManager). */
  readonly domain: KeeperDomain
  hasAccess: (video: VideoId, viewer: Hex) => Promise<boolean>
  video: (video: VideoId) => Promise<VideoRecord | undefined>
  custody: (video: VideoId) => Promise<Custody | undefined>
  /** Roles derived from chain state, for signed-in sessions. */
  roles: (address: Hex) => Promise<{ creator: boolean, nodeHost: boolean }>
}

export interface KeeperInfo {
  /** The keeper's Ethereum address: it signs releases and log heads. */
  address: Hex
  /** Shares are sealed to this X25519 key. */
  x25519PublicKey: Uint8Array
  http?: string
  peerId?: string
  multiaddrs?: string[]
}

export interface KeeperDirectory {
  keeper: (address: Hex) => Promise<KeeperInfo | undefined>
  keepers: () => Promise<KeeperInfo[]>
}

/** Where a keeper anchors its log head on chain; resolves with the transaction hash. */
export interface LogAnchor {
  anchor: (length: number, head: Hex) => Promise<Hex>
  /** The latest anchored (length, head) for a keeper, if any. */
  latest: (keeper: Hex) => Promise<{ length: number, head: Hex } | undefined>
}

export const OracleErrorCode = {
  UNAVAILABLE: 'ERR_ORACLE_UNAVAILABLE',
  /** Independent RPC endpoints gave different answers: at least one lies or lags; fail closed. */
  DISAGREE: 'ERR_ORACLE_DISAGREE',
  UNKNOWN_VIDEO: 'ERR_VIDEO_UNKNOWN'
} as const

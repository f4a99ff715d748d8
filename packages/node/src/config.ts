/** Node configuration: typed, with documented defaults, parsed once from argv and the environment. */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { P2pdvError } from '@p2pdv/core/errors'
import { DEFAULT_AUDIT_BATCH, DEFAULT_AUDIT_DEADLINE_MS, DEFAULT_AUDIT_INTERVAL_MS, DEFAULT_AUDIT_READ_RATIO } from './audit/auditor.ts'
import type { AuditTransportName } from './audit/transport.ts'
import { parseTestFaults, type TestFault } from './faults.ts'
import { ANNOUNCE_GRACE_MS, ANNOUNCE_STRATEGIES, type AnnounceStrategy } from './announcer.ts'
import { DEFAULT_UNCLAIMED_GRACE_MS } from './unclaimed.ts'
import type { HotConfig } from './components/hot-copies.ts'
import { parseAnnounce, readBootstrapFile, type PublicAddresses } from './public-addresses.ts'
import { LOG_FORMATS, type LogFormat } from './logging.ts'
import { multiaddr } from '@multiformats/multiaddr'
import type { RelayMode } from './libp2p-options.ts'

export const DEFAULT_HOST = '127.0.0.1'
/** 0 = an ephemeral port chosen by the OS. */
export const DEFAULT_P2P_PORT = 0
export const DEFAULT_HTTP_PORT = 0
/** Bytes of block data a node accepts before it refuses with ERR_QUOTA_EXCEEDED. */
export const DEFAULT_QUOTA_BYTES = 10 * 1024 ** 3
/** A store stream that sends nothing for this long is closed. */
export const DEFAULT_STORE_IDLE_TIMEOUT_MS = 30_000
export const DEFAULT_PROVIDER_LOOKUP_TIMEOUT_MS = 5_000
/** Key releases per viewer per minute, and the burst a viewer may spend at once. */
export const DEFAULT_KEEPER_RATE_PER_MINUTE = 60
export const DEFAULT_KEEPER_BURST = 20
/** Requests per sender per minute before any signature is checked (bounds junk's CPU cost). */
export const DEFAULT_KEEPER_SOURCE_RATE_PER_MINUTE = 6000
export const DEFAULT_ANCHOR_INTERVAL_SECONDS = 600
export const DEFAULT_KEEPER_NEW_SIGNER_RATE_PER_MINUTE = 300
/** `--rpc` may be repeated up to this many times (the keeper's quorum; sdk MAX_QUORUM_ENDPOINTS). */
export const MAX_RPC_ENDPOINTS = 7

/** The keeper role and sign-in (both need the chain, or, in tests only, a file oracle). */
export interface KeeperConfig {
  /** Run the keeper role (hold and release key shares). */
  enabled: boolean
  /** TEST-ONLY: read access and keepers from this JSON file instead of the chain. */
  devOracleFile?: string
  ratePerMinute: number
  burst: number
  /** Requests per sender (IP, peer) per minute before signatures are checked. */
  sourceRatePerMinute: number
  /** Requests per minute from all viewers never released to, together (bounds log growth by strangers). */
  newSignerRatePerMinute: number
  anchorIntervalSeconds: number
  /** Extra authorities (host:port) SIWE messages may name, e.g. the web app's. */
  siweDomains: string[]
}
/** How often the repair worker scans the objects this node keeps placement records for. */
export const DEFAULT_REPAIR_INTERVAL_MS = 60_000
/** Repair traffic (bytes fetched plus bytes stored) per second, so repair never crowds out reads. */
export const DEFAULT_REPAIR_RATE_BYTES = 16 * 1024 * 1024
/**
 * How long a block must have been assigned to other nodes (which confirm their copies) before this
 * node deletes its own (node/src/gc.ts).
 */
export const DEFAULT_GC_GRACE_MS = 24 * 60 * 60 * 1000
/** Hot copies (components/hot-copies.ts): weighted block GETs per window that make an object hot. */
export const DEFAULT_HOT_THRESHOLD = 600
export const DEFAULT_HOT_WINDOW_MS = 60_000
/** Below a quarter of the threshold for this long, an object is cold again and its copies go. */
export const DEFAULT_HOT_COLD_AFTER_MS = 5 * 60_000
/** One client counts at most this share of the threshold (8 clients at least make an object hot). */
export const HOT_CLIENT_SHARE = 1 / 8
export const DEFAULT_HOT_COPIES = 2
/** Share of the quota other nodes' hot copies may take here. */
export const DEFAULT_HOT_SHARE = 0.1
export const DEFAULT_HOT_INTERVAL_MS = 10_000
export const HOT_TTL_MS = 10 * 60_000
export const MAX_HOT_OBJECTS = 8
/** Failure-domain labels: short, printable. */
const ZONE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/

/** Register and stake on chain at start (when the node has a wallet). */
export interface NodeChainConfig {
  /** A chain description (JSON: rpc, chainId, contracts; or a devnet.json). */
  chainFile: string
  /** Overrides the file's RPC endpoint (the first `--rpc`; writes go there). */
  rpc?: string
  /**
   * Every `--rpc` given: a keeper reads access from all of them and releases only when they all
   * agree (absent: the file's endpoint alone, a quorum of one).
   */
  rpcs?: string[]
  /** Wallet name in `keysDir`, opened with the node's passphrase. */
  wallet: string
  keysDir: string
  /** P2PV (in tokens, e.g. "1500") to stake at first registration; at least the minimum. */
  stake?: string
  /** Offer the key-keeper role. */
  keeper: boolean
  /** An RPC URL pages may use to read the chain (default: the chain's own, when it is loopback). */
  publicRpc?: string
}

/** The auditor role's settings (`--audit` and the `--audit-*` options). */
export interface AuditorConfig {
  intervalMs: number
  batch: number
  readRatio: number
  deadlineMs: number
  transport: AuditTransportName
  /** How often reputation is published on chain (with a wallet holding the audit role). */
  chainIntervalMs: number
}

/** A reward epoch lasts a day by default (`--settle-epoch`). */
export const DEFAULT_SETTLE_EPOCH_MS = 86_400_000

/** Reputation is published on chain every 10 minutes by default (`--audit-chain-interval`). */
export const DEFAULT_CHAIN_PUBLISH_INTERVAL_MS = 10 * 60_000

export interface NodeConfig {
  dataDir: string
  host: string
  p2pPort: number
  httpPort: number
  /** `--bootstrap` and the entries of `--bootstrap-file`. */
  bootstrap: string[]
  /** `--announce ADDR,…`: where peers and clients reach this node (absent: the bound addresses). */
  publicAddresses?: PublicAddresses
  quotaBytes: number
  passphrase: string
  storeIdleTimeoutMs: number
  /** Absent: no keeper role, no sign-in. */
  keeper?: KeeperConfig
  chain?: NodeChainConfig
  /** Declared failure domain (rack, site, region…); placement spreads a stripe over zones. */
  zone?: string
  /** Run the repair worker for objects this node keeps placement records for (default on). */
  repair: boolean
  repairIntervalMs: number
  repairRateBytes: number
  /** Delete blocks that placement records moved to other nodes (part of the repair pass; default on). */
  gc: boolean
  gcGraceMs: number
  /** An auditor node whose reputation scores weigh repair placement (else neutral; with --audit, this node's own). */
  auditor?: string
  /** What the node announces on the DHT (announcer.ts): `roots` (default) or every block (`all`). */
  announce: AnnounceStrategy
  /** With `roots`: how long a stored block waits for a placement record before it is announced by itself. */
  announceGraceMs: number
  /** Present when the node runs the auditor role (`--audit`). */
  audit?: AuditorConfig
  /** Present when the node settles reward epochs from its audits (`--settle`, with --audit and a wallet). */
  settle?: { epochMs: number }
  /** `--log-format json|ecs`: pino's own fields or the Elastic Common Schema (logging.ts). */
  logFormat: LogFormat
  /** Deliberate misbehaviour for tests (P2PDV_TEST_FAULTS, loopback only); empty otherwise. */
  testFaults: TestFault[]
  /** Bytes one uploader identity may store here (`--identity-quota`; default a quarter of the quota). */
  identityQuotaBytes: number
  /** How long a stored block may wait for a placement record before it is deleted (`--unclaimed-grace`). */
  unclaimedGraceMs: number
  /**
   * How long an upload body may send nothing, and its head start before the minimum rate applies
   * (`--upload-grace`, default 5 s; upload-deadlines.ts).
   */
  uploadGraceMs?: number
  /**
   * Serve viewers' P2P delivery (`--no-viewer-relay` turns it off): a WebSockets listener for
   * browsers, a circuit-relay v2 server for WebRTC signalling only, and the viewer tracker
   * (`/p2pdv/swarm/1.0.0`). Absent: on.
   */
  viewerRelay?: boolean
  /** The WebSockets port viewers dial (`--viewer-port`; default ephemeral). */
  viewerPort?: number
  /**
   * `--relay auto|off|MULTIADDR` (default auto): whether and where this node reserves a relay slot
   * when it cannot be dialled (libp2p-options.ts). Absent: auto.
   */
  relay?: RelayMode
  /**
   * `--no-p2p-listen`: no direct libp2p listener (nor the viewers' WebSockets one); the node dials
   * out and is reached only through its relay. Absent: listens.
   */
  p2pListen?: boolean
  /**
   * P2P on the pages this node serves for viewers who have not chosen (`--p2p-default on|off`,
   * default on): sharing exposes a viewer's IP address to other viewers, so an operator may ship
   * pages with it off until each viewer switches it on. The viewer's own choice always wins.
   */
  p2pDefault?: P2pDefault
  /** Hot copies of much-watched objects (`--hot-*`, components/hot-copies.ts). Absent: defaults. */
  hot?: HotConfig
}

export const P2P_DEFAULTS = ['on', 'off'] as const
export type P2pDefault = typeof P2P_DEFAULTS[number]

/** The share of the node's quota one uploader identity may use by default. */
export const DEFAULT_IDENTITY_QUOTA_SHARE = 0.25

export const ConfigErrorCode = {
  INVALID: 'ERR_CONFIG',
  NO_PASSPHRASE: 'ERR_NO_PASSPHRASE'
} as const

export const NODE_USAGE = 'node start --data DIR [--host 127.0.0.1] [--p2p-port 0] [--http-port 0] [--bootstrap MULTIADDR …] [--bootstrap-file FILE] [--announce MULTIADDR|URL,…] [--quota BYTES] [--zone NAME] ' +
  '[--no-repair] [--repair-interval SECONDS] [--repair-rate BYTES] [--no-gc] [--gc-grace SECONDS] [--announce roots|all] [--announce-grace SECONDS] [--identity-quota BYTES] [--unclaimed-grace SECONDS] [--upload-grace 5] [--no-viewer-relay] [--viewer-port 0] [--relay auto|off|MULTIADDR] [--no-p2p-listen] [--p2p-default on|off] [--auditor URL] [--passphrase-file FILE] ' +
  '[--audit [--audit-interval MS] [--audit-batch N] [--audit-read-ratio R] [--audit-deadline MS] [--audit-transport http|libp2p] [--audit-chain-interval MS] [--settle [--settle-epoch MS]]] ' +
  '[--wallet NAME --chain FILE [--rpc URL …] [--keys DIR] [--stake P2PV] [--keeper [--keeper-rate PER_MINUTE] [--keeper-burst N] [--keeper-source-rate PER_MINUTE] [--keeper-new-signer-rate PER_MINUTE] [--anchor-interval SECONDS]]] ' +
  '[--hot-copies 2] [--hot-threshold 600] [--hot-window 60] [--hot-cold-after 300] [--hot-client-cap N] [--hot-share BYTES] [--hot-interval 10] ' +
  '[--public-rpc URL] [--siwe-domain HOST:PORT …] [--log-format json|ecs] [--dev-oracle-file FILE (tests only)]'

/**
 * The daemon's options (the CLI's `node start` declares the same set). `--auditor URL` names an
 * auditor to read scores from; `--audit` runs the auditor role on this node.
 */
export const NODE_OPTIONS = {
  data: { type: 'string' },
  'log-format': { type: 'string' },
  host: { type: 'string' },
  'p2p-port': { type: 'string' },
  'http-port': { type: 'string' },
  bootstrap: { type: 'string', multiple: true },
  'bootstrap-file': { type: 'string' },
  quota: { type: 'string' },
  'passphrase-file': { type: 'string' },
  wallet: { type: 'string' },
  chain: { type: 'string' },
  rpc: { type: 'string', multiple: true },
  keys: { type: 'string' },
  stake: { type: 'string' },
  keeper: { type: 'boolean' },
  'keeper-rate': { type: 'string' },
  'keeper-burst': { type: 'string' },
  'keeper-source-rate': { type: 'string' },
  'keeper-new-signer-rate': { type: 'string' },
  'anchor-interval': { type: 'string' },
  'siwe-domain': { type: 'string', multiple: true },
  'dev-oracle-file': { type: 'string' },
  'public-rpc': { type: 'string' },
  zone: { type: 'string' },
  repair: { type: 'boolean', default: true },
  'repair-interval': { type: 'string' },
  'repair-rate': { type: 'string' },
  gc: { type: 'boolean', default: true },
  'gc-grace': { type: 'string' },
  /** `roots|all` (the DHT strategy) or public addresses (public-addresses.ts); repeatable. */
  announce: { type: 'string', multiple: true },
  'announce-grace': { type: 'string' },
  'identity-quota': { type: 'string' },
  'unclaimed-grace': { type: 'string' },
  'upload-grace': { type: 'string' },
  'viewer-relay': { type: 'boolean', default: true },
  relay: { type: 'string' },
  'p2p-listen': { type: 'boolean', default: true },
  'viewer-port': { type: 'string' },
  'p2p-default': { type: 'string' },
  auditor: { type: 'string' },
  audit: { type: 'boolean' },
  'audit-interval': { type: 'string' },
  'audit-batch': { type: 'string' },
  'audit-read-ratio': { type: 'string' },
  'audit-deadline': { type: 'string' },
  'audit-transport': { type: 'string' },
  'audit-chain-interval': { type: 'string' },
  'hot-copies': { type: 'string' },
  'hot-threshold': { type: 'string' },
  'hot-window': { type: 'string' },
  'hot-cold-after': { type: 'string' },
  'hot-client-cap': { type: 'string' },
  'hot-share': { type: 'string' },
  'hot-interval': { type: 'string' },
  settle: { type: 'boolean' },
  'settle-epoch': { type: 'string' }
} as const

function positiveInt (v: unknown, name: string, fallback: number, max: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new P2pdvError(ConfigErrorCode.INVALID, `--${name} must be a whole number from 1 to ${max}`, { hint: `e.g. --${name} ${fallback}` })
  return n
}

function auditorConfig (values: Record<string, unknown>): AuditorConfig | undefined {
  const any = Object.keys(values).some(k => k.startsWith('audit-') && values[k] !== undefined)
  if (values.audit !== true) {
    if (any) throw new P2pdvError(ConfigErrorCode.INVALID, '--audit-* options need --audit', { hint: 'Add --audit to run the auditor role.' })
    return undefined
  }
  const ratio = values['audit-read-ratio'] === undefined ? DEFAULT_AUDIT_READ_RATIO : Number(values['audit-read-ratio'])
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new P2pdvError(ConfigErrorCode.INVALID, '--audit-read-ratio must be a number from 0 to 1', { hint: `e.g. --audit-read-ratio ${DEFAULT_AUDIT_READ_RATIO}` })
  const transport = values['audit-transport'] ?? 'http'
  if (transport !== 'http' && transport !== 'libp2p') throw new P2pdvError(ConfigErrorCode.INVALID, '--audit-transport must be http or libp2p', { hint: 'e.g. --audit-transport http' })
  return {
    intervalMs: positiveInt(values['audit-interval'], 'audit-interval', DEFAULT_AUDIT_INTERVAL_MS, 24 * 3600_000),
    batch: positiveInt(values['audit-batch'], 'audit-batch', DEFAULT_AUDIT_BATCH, 10_000),
    readRatio: ratio,
    deadlineMs: positiveInt(values['audit-deadline'], 'audit-deadline', DEFAULT_AUDIT_DEADLINE_MS, 60_000),
    transport,
    chainIntervalMs: positiveInt(values['audit-chain-interval'], 'audit-chain-interval', DEFAULT_CHAIN_PUBLISH_INTERVAL_MS, 24 * 3600_000)
  }
}

function seconds (v: unknown, name: string, fallbackMs: number, min: number, max: number): number {
  if (v === undefined) return fallbackMs
  const n = Number(v)
  if (!Number.isFinite(n) || n < min || n > max) throw new P2pdvError(ConfigErrorCode.INVALID, `--${name} must be a number of seconds from ${min} to ${max}`, { hint: `e.g. --${name} ${fallbackMs / 1000}` })
  return Math.round(n * 1000)
}

/** `--hot-*`: when much-watched objects get temporary extra copies (components/hot-copies.ts). */
export function hotConfig (values: Record<string, unknown>, quota: number): HotConfig {
  const threshold = positiveInt(values['hot-threshold'], 'hot-threshold', DEFAULT_HOT_THRESHOLD, 1e9)
  const share = values['hot-share'] === undefined ? Math.floor(quota * DEFAULT_HOT_SHARE) : Number(values['hot-share'])
  if (!Number.isSafeInteger(share) || share < 0) throw new P2pdvError(ConfigErrorCode.INVALID, '--hot-share must be a number of bytes', { hint: 'e.g. --hot-share 1073741824 for 1 GiB of other nodes\' hot copies (0 takes none)' })
  const copies = values['hot-copies'] === undefined ? DEFAULT_HOT_COPIES : Number(values['hot-copies'])
  if (!Number.isSafeInteger(copies) || copies < 0 || copies > 8) throw new P2pdvError(ConfigErrorCode.INVALID, '--hot-copies must be a whole number from 0 (off) to 8', { hint: `e.g. --hot-copies ${DEFAULT_HOT_COPIES}` })
  return {
    enabled: copies > 0,
    threshold,
    coldThreshold: Math.floor(threshold / 4),
    windowMs: seconds(values['hot-window'], 'hot-window', DEFAULT_HOT_WINDOW_MS, 0.1, 86_400),
    coldAfterMs: seconds(values['hot-cold-after'], 'hot-cold-after', DEFAULT_HOT_COLD_AFTER_MS, 0, 86_400),
    clientCap: positiveInt(values['hot-client-cap'], 'hot-client-cap', Math.max(1, Math.floor(threshold * HOT_CLIENT_SHARE)), 1e9),
    copies,
    shareBytes: share,
    intervalMs: seconds(values['hot-interval'], 'hot-interval', DEFAULT_HOT_INTERVAL_MS, 0.1, 3600),
    ttlMs: HOT_TTL_MS,
    maxHotObjects: MAX_HOT_OBJECTS
  }
}

function port (v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new P2pdvError(ConfigErrorCode.INVALID, `--${name} must be a port number from 0 to 65535`, { hint: `e.g. --${name} 0 for any free port` })
  return n
}

function positive (v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) throw new P2pdvError(ConfigErrorCode.INVALID, `--${name} must be a whole number ≥ 1`, { hint: `e.g. --${name} ${fallback}` })
  return n
}

export function parseNodeArgs (argv: string[], env: NodeJS.ProcessEnv = process.env): NodeConfig {
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...NODE_OPTIONS, json: { type: 'boolean' } },
      allowNegative: true,
      strict: true
    }))
  } catch (cause) {
    throw new P2pdvError(ConfigErrorCode.INVALID, (cause as Error).message, { hint: `usage: p2pdv ${NODE_USAGE}` })
  }
  const dataDir = values.data
  if (typeof dataDir !== 'string' || dataDir === '') throw new P2pdvError(ConfigErrorCode.INVALID, '--data DIR is required', { hint: `usage: p2pdv ${NODE_USAGE}` })
  const quota = values.quota === undefined ? DEFAULT_QUOTA_BYTES : Number(values.quota)
  if (!Number.isSafeInteger(quota) || quota < 0) throw new P2pdvError(ConfigErrorCode.INVALID, '--quota must be a number of bytes', { hint: 'e.g. --quota 10737418240 for 10 GiB' })
  let passphrase = env.P2PDV_PASSPHRASE
  const file = values['passphrase-file']
  if (typeof file === 'string') {
    try { passphrase = readFileSync(file, 'utf8').trim() } catch (cause) {
      throw new P2pdvError(ConfigErrorCode.INVALID, `cannot read --passphrase-file ${file}`, { hint: 'Check the path and permissions.', cause })
    }
  }
  if (passphrase === undefined || passphrase === '') {
    throw new P2pdvError(ConfigErrorCode.NO_PASSPHRASE, 'no passphrase for the node identity key', {
      hint: 'The node seals its identity key at rest: set P2PDV_PASSPHRASE or pass --passphrase-file FILE.'
    })
  }
  const host = typeof values.host === 'string' ? values.host : DEFAULT_HOST
  const devOracleFile = values['dev-oracle-file'] as string | undefined
  const keeper: KeeperConfig = {
    enabled: values.keeper === true,
    ...(devOracleFile === undefined ? {} : { devOracleFile }),
    ratePerMinute: positive(values['keeper-rate'] as string | undefined, 'keeper-rate', DEFAULT_KEEPER_RATE_PER_MINUTE),
    burst: positive(values['keeper-burst'] as string | undefined, 'keeper-burst', DEFAULT_KEEPER_BURST),
    sourceRatePerMinute: positive(values['keeper-source-rate'] as string | undefined, 'keeper-source-rate', DEFAULT_KEEPER_SOURCE_RATE_PER_MINUTE),
    newSignerRatePerMinute: positive(values['keeper-new-signer-rate'] as string | undefined, 'keeper-new-signer-rate', DEFAULT_KEEPER_NEW_SIGNER_RATE_PER_MINUTE),
    anchorIntervalSeconds: positive(values['anchor-interval'] as string | undefined, 'anchor-interval', DEFAULT_ANCHOR_INTERVAL_SECONDS),
    siweDomains: (values['siwe-domain'] as string[] | undefined) ?? []
  }
  const chain = parseChainOptions(values, env)
  if (keeper.enabled && chain === undefined && devOracleFile === undefined) {
    throw new P2pdvError(ConfigErrorCode.INVALID, 'a keeper needs the chain to check access before it releases a share', {
      hint: 'Pass --wallet NAME --chain FILE (the keeper signs with that wallet and registers as a keeper), or --dev-oracle-file FILE in tests.'
    })
  }
  const zone = values.zone
  if (typeof zone === 'string' && !ZONE_PATTERN.test(zone)) throw new P2pdvError(ConfigErrorCode.INVALID, '--zone must be 1 to 64 letters, digits or . _ : / -', { hint: 'e.g. --zone eu-west/rack-2' })
  const interval = values['repair-interval'] === undefined ? DEFAULT_REPAIR_INTERVAL_MS / 1000 : Number(values['repair-interval'])
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 86_400) throw new P2pdvError(ConfigErrorCode.INVALID, '--repair-interval must be a number of seconds from 0.1 to 86400', { hint: 'e.g. --repair-interval 60' })
  const rate = values['repair-rate'] === undefined ? DEFAULT_REPAIR_RATE_BYTES : Number(values['repair-rate'])
  if (!Number.isSafeInteger(rate) || rate < 64 * 1024) throw new P2pdvError(ConfigErrorCode.INVALID, '--repair-rate must be a number of bytes per second, at least 65536', { hint: 'e.g. --repair-rate 16777216 for 16 MiB/s' })
  const grace = values['gc-grace'] === undefined ? DEFAULT_GC_GRACE_MS / 1000 : Number(values['gc-grace'])
  if (!Number.isFinite(grace) || grace < 0 || grace > 365 * 86_400) throw new P2pdvError(ConfigErrorCode.INVALID, '--gc-grace must be a number of seconds from 0 to 31536000', { hint: 'e.g. --gc-grace 86400 (a day)' })
  const auditor = values.auditor
  if (typeof auditor === 'string' && !/^https?:\/\/[^\s]+$/.test(auditor)) throw new P2pdvError(ConfigErrorCode.INVALID, '--auditor must be an http(s) URL', { hint: 'e.g. --auditor http://127.0.0.1:4001' })
  const announceValues = (values.announce as string[] | undefined) ?? []
  const strategies = announceValues.filter(v => ANNOUNCE_STRATEGIES.includes(v as AnnounceStrategy))
  if (strategies.length > 1) throw new P2pdvError(ConfigErrorCode.INVALID, '--announce roots and all are exclusive', { hint: 'Give one strategy; addresses may be announced beside it.' })
  const publicAddresses = parseAnnounce(announceValues.filter(v => !strategies.includes(v)))
  const announce = strategies[0] ?? 'roots'
  const announceGrace = values['announce-grace'] === undefined ? ANNOUNCE_GRACE_MS / 1000 : Number(values['announce-grace'])
  if (!Number.isFinite(announceGrace) || announceGrace < 0 || announceGrace > 86_400) throw new P2pdvError(ConfigErrorCode.INVALID, '--announce-grace must be a number of seconds from 0 to 86400', { hint: `e.g. --announce-grace ${ANNOUNCE_GRACE_MS / 1000}` })
  const audit = auditorConfig(values)
  if (values['settle-epoch'] !== undefined && values.settle !== true) throw new P2pdvError(ConfigErrorCode.INVALID, '--settle-epoch needs --settle', { hint: 'Add --settle to run the settler role.' })
  if (values.settle === true && (audit === undefined || chain === undefined)) throw new P2pdvError(ConfigErrorCode.INVALID, '--settle needs --audit and a wallet on chain (--wallet, --chain)', { hint: 'The settler pays from its own audit results and posts with a wallet holding the Rewards settler role.' })
  const settle = values.settle === true ? { epochMs: positiveInt(values['settle-epoch'], 'settle-epoch', DEFAULT_SETTLE_EPOCH_MS, 30 * 86_400_000) } : undefined
  const identityQuota = values['identity-quota'] === undefined ? Math.floor(quota * DEFAULT_IDENTITY_QUOTA_SHARE) : Number(values['identity-quota'])
  if (!Number.isSafeInteger(identityQuota) || identityQuota < 0) throw new P2pdvError(ConfigErrorCode.INVALID, '--identity-quota must be a number of bytes', { hint: 'e.g. --identity-quota 2147483648 for 2 GiB per uploader' })
  const unclaimedGrace = values['unclaimed-grace'] === undefined ? DEFAULT_UNCLAIMED_GRACE_MS / 1000 : Number(values['unclaimed-grace'])
  if (!Number.isFinite(unclaimedGrace) || unclaimedGrace < 0 || unclaimedGrace > 30 * 86_400) throw new P2pdvError(ConfigErrorCode.INVALID, '--unclaimed-grace must be a number of seconds from 0 to 2592000', { hint: `e.g. --unclaimed-grace ${DEFAULT_UNCLAIMED_GRACE_MS / 1000} (an hour)` })
  const uploadGrace = values['upload-grace'] === undefined ? undefined : Number(values['upload-grace'])
  if (uploadGrace !== undefined && !(Number.isFinite(uploadGrace) && uploadGrace >= 1 && uploadGrace <= 300)) throw new P2pdvError(ConfigErrorCode.INVALID, '--upload-grace must be a number of seconds from 1 to 300', { hint: 'e.g. --upload-grace 5 (the default)' })
  return {
    dataDir,
    host,
    p2pPort: port(values['p2p-port'] as string | undefined, 'p2p-port', DEFAULT_P2P_PORT),
    httpPort: port(values['http-port'] as string | undefined, 'http-port', DEFAULT_HTTP_PORT),
    bootstrap: [...((values.bootstrap as string[] | undefined) ?? []), ...(typeof values['bootstrap-file'] === 'string' ? readBootstrapFile(values['bootstrap-file']) : [])],
    ...(publicAddresses === undefined ? {} : { publicAddresses }),
    quotaBytes: quota,
    passphrase,
    storeIdleTimeoutMs: DEFAULT_STORE_IDLE_TIMEOUT_MS,
    keeper,
    ...(typeof zone === 'string' ? { zone } : {}),
    repair: values.repair !== false,
    repairIntervalMs: Math.round(interval * 1000),
    repairRateBytes: rate,
    gc: values.gc !== false,
    gcGraceMs: Math.round(grace * 1000),
    announce: announce as AnnounceStrategy,
    announceGraceMs: Math.round(announceGrace * 1000),
    ...(typeof auditor === 'string' ? { auditor: auditor.replace(/\/+$/, '') } : {}),
    ...(audit === undefined ? {} : { audit }),
    ...(settle === undefined ? {} : { settle }),
    ...(chain === undefined ? {} : { chain }),
    logFormat: logFormatOf(values['log-format']),
    testFaults: parseTestFaults(env, host),
    identityQuotaBytes: identityQuota,
    unclaimedGraceMs: Math.round(unclaimedGrace * 1000),
    ...(uploadGrace === undefined ? {} : { uploadGraceMs: Math.round(uploadGrace * 1000) }),
    viewerRelay: values['viewer-relay'] !== false,
    relay: relayOf(values.relay, values['p2p-listen'] !== false),
    p2pListen: values['p2p-listen'] !== false,
    viewerPort: port(values['viewer-port'] as string | undefined, 'viewer-port', 0),
    p2pDefault: p2pDefaultOf(values['p2p-default']),
    hot: hotConfig(values, quota)
  }
}

/** Longest `--relay` multiaddr accepted. */
const MAX_RELAY_ADDR_CHARS = 512

/** `--relay`: auto (default), off, or a relay node's multiaddr ending in /p2p/PEER_ID. */
export function relayOf (v: unknown, listens: boolean): RelayMode {
  const relay: RelayMode = v === undefined || v === 'auto' ? { kind: 'auto' } : v === 'off' ? { kind: 'off' } : { kind: 'via', relay: viaRelay(v) }
  if (relay.kind === 'off' && !listens) throw new P2pdvError(ConfigErrorCode.INVALID, '--no-p2p-listen needs a relay: nobody could reach this node', { hint: 'Use --relay auto (a relay among its peers) or --relay /ip4/…/tcp/…/p2p/PEER_ID.' })
  return relay
}

function viaRelay (v: unknown): string {
  const hint = 'e.g. --relay /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW… (a node that runs the relay service), or --relay auto|off'
  if (typeof v !== 'string' || v.length > MAX_RELAY_ADDR_CHARS) throw new P2pdvError(ConfigErrorCode.INVALID, `--relay must be auto, off or a multiaddr of at most ${MAX_RELAY_ADDR_CHARS} characters`, { hint })
  let parts: Array<{ name: string, value?: string }>
  try {
    parts = multiaddr(v).getComponents()
  } catch (err) {
    throw new P2pdvError(ConfigErrorCode.INVALID, `--relay ${JSON.stringify(v.slice(0, 80))} is not a multiaddr: ${(err as Error).message}`, { hint })
  }
  if (parts.some(p => p.name === 'p2p-circuit')) throw new P2pdvError(ConfigErrorCode.INVALID, '--relay names the relay itself, without /p2p-circuit', { hint })
  if (parts.at(-1)?.name !== 'p2p') throw new P2pdvError(ConfigErrorCode.INVALID, '--relay must end with the relay\'s /p2p/PEER_ID', { hint })
  return v
}

function p2pDefaultOf (v: unknown): P2pDefault {
  if (v === undefined) return 'on'
  if (typeof v !== 'string' || !(P2P_DEFAULTS as readonly string[]).includes(v)) throw new P2pdvError(ConfigErrorCode.INVALID, `--p2p-default must be on or off, not ${JSON.stringify(v)}`, { hint: 'on: pages share with other viewers unless the viewer turns it off (the default); off: only viewers who turn it on share.' })
  return v as P2pDefault
}

function logFormatOf (v: unknown): LogFormat {
  if (v === undefined) return 'json'
  if (typeof v !== 'string' || !(LOG_FORMATS as readonly string[]).includes(v)) throw new P2pdvError(ConfigErrorCode.INVALID, `--log-format must be ${LOG_FORMATS.join(' or ')}`, { hint: 'json: pino\'s fields (the default); ecs: Elastic Common Schema for Elasticsearch or Loki.' })
  return v as LogFormat
}

function parseChainOptions (values: Record<string, string | string[] | boolean | undefined>, env: NodeJS.ProcessEnv): NodeChainConfig | undefined {
  const wallet = values.wallet
  const chainFile = values.chain
  // --keeper without a chain is allowed only with the test-only file oracle (checked by the caller).
  const chainOnly = ['rpc', 'keys', 'stake', ...(values['dev-oracle-file'] === undefined ? ['keeper'] : [])].filter(k => values[k] !== undefined)
  if (wallet === undefined && chainFile === undefined) {
    if (chainOnly.length > 0) throw new P2pdvError(ConfigErrorCode.INVALID, `--${chainOnly[0]} needs --wallet NAME and --chain FILE`, { hint: `usage: p2pdv ${NODE_USAGE}` })
    return undefined
  }
  if (typeof wallet !== 'string' || typeof chainFile !== 'string') {
    throw new P2pdvError(ConfigErrorCode.INVALID, '--wallet NAME and --chain FILE go together', { hint: 'The node registers and stakes on the chain the file describes, with that wallet.' })
  }
  const stake = values.stake
  if (typeof stake === 'string' && !/^\d{1,12}(\.\d{1,18})?$/.test(stake)) {
    throw new P2pdvError(ConfigErrorCode.INVALID, '--stake is a number of P2PV tokens', { hint: 'e.g. --stake 1500' })
  }
  const rpcs = (values.rpc as string[] | undefined) ?? []
  if (rpcs.length > MAX_RPC_ENDPOINTS) throw new P2pdvError(ConfigErrorCode.INVALID, `at most ${MAX_RPC_ENDPOINTS} --rpc endpoints`, { hint: 'A few independent providers are enough: each must agree before a keeper releases.' })
  const badRpc = rpcs.find(u => !/^(https?|wss?):\/\/[^\s]+$/.test(u))
  if (badRpc !== undefined) throw new P2pdvError(ConfigErrorCode.INVALID, '--rpc must be an http(s) or ws(s) URL', { hint: 'e.g. --rpc https://rpc.example.org --rpc http://127.0.0.1:8545' })
  if (new Set(rpcs).size !== rpcs.length) throw new P2pdvError(ConfigErrorCode.INVALID, 'the same --rpc is given twice', { hint: 'A quorum needs independent endpoints; name each once.' })
  const home = resolve(env.P2PDV_HOME ?? join(homedir(), '.p2pdv'))
  return {
    chainFile,
    wallet,
    keysDir: typeof values.keys === 'string' ? resolve(values.keys) : join(home, 'keys'),
    keeper: values.keeper === true,
    ...(typeof values['public-rpc'] === 'string' ? { publicRpc: values['public-rpc'] } : {}),
    ...(rpcs.length === 0 ? {} : { rpc: rpcs[0]!, rpcs }),
    ...(typeof stake === 'string' ? { stake } : {})
  }
}

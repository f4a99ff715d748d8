/**
 * Reads and verifies a keeper's audit log: pages through every entry, recomputes the hash chain,
 * checks that it reaches the head the keeper signed and the head last anchored on chain, and
 * returns the entries the reader may see (with a SIWE session: their own requests and the videos
 * they own). Any edit, deletion or reordering is ERR_AUDIT_LOG_BROKEN. A compacted log starts
 * at a head the keeper anchored on chain (`base`): it is checked against the chain, the rest
 * from there.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import {
  LogErrorCode, MAX_KEEPER_MESSAGE_BYTES, parseCheckpoint, parseLogEntry, ZERO_HASH, parseSignedLogHead, verifyLog, verifyLogHead,
  type Checkpoint, type Hex, type KeeperDomain, type KeeperInfo, type LogEntry, type SignedLogHead, type VideoId
} from '@p2pdv/core/keys'

export const LOG_PAGE = 1000
/** A log larger than this is refused rather than read into memory. */
export const MAX_AUDIT_ENTRIES = 1_000_000

export interface KeeperAudit {
  keeper: Hex
  length: number
  head: SignedLogHead
  /** Where the kept log starts when the keeper compacted older entries (an anchored head). */
  base?: Checkpoint
  /** The on-chain anchor the log was checked against, if any. */
  anchor?: Checkpoint
  /** Visible entries (filtered to `video` when given). */
  entries: LogEntry[]
}

export interface AuditOptions {
  keeper: KeeperInfo
  domain: KeeperDomain
  /** SIWE session token for this keeper (bodies of one's own entries and videos). */
  token?: string
  video?: VideoId
  /** The keeper's latest anchor on chain. */
  anchor?: Checkpoint
  /**
   * The head the keeper anchored on chain at exactly `length` entries (from its LogAnchored
   * events), to check where a compacted log starts; without it only `anchor` can vouch for it.
   */
  anchorAt?: (length: number) => Promise<Hex | undefined>
  signal?: AbortSignal
}

/** What a keeper served: its entries (from `base` when compacted) and signed head. */
export interface ServedLog {
  entries: LogEntry[]
  head: SignedLogHead
  base?: Checkpoint
}

function brokenBase (base: Checkpoint, why: string): P2pdvError {
  return new P2pdvError(LogErrorCode.BROKEN, `the audit log starts at entry ${base.length}, but ${why}`, {
    hint: 'A compacted log must start at a head the keeper anchored on chain; report the keeper and keep this output as evidence.',
    details: { seq: base.length, reason: why }
  })
}

/**
 * Verifies a served log: the signed head, the hash chain from its start (the genesis, or the
 * anchored head it was compacted to) through the signed head and the on-chain anchor. Returns
 * the entries the signed head covers.
 */
export async function verifyKeeperLog (log: ServedLog, o: Pick<AuditOptions, 'keeper' | 'domain' | 'anchor' | 'anchorAt'>): Promise<LogEntry[]> {
  await verifyLogHead(log.head, o.domain, o.keeper.address)
  const start = log.base ?? { length: 0, head: ZERO_HASH }
  if (start.length > log.head.length) throw brokenBase(start, `the signed head covers only ${log.head.length}`)
  if (log.base !== undefined && !(o.anchor !== undefined && o.anchor.length === start.length)) {
    // The start must be a head the chain holds: the latest anchor (checked by verifyLog) or an older one.
    const anchored = await o.anchorAt?.(start.length)
    if (anchored === undefined) throw brokenBase(start, 'no anchor on chain covers that many entries')
    if (anchored.toLowerCase() !== start.head.toLowerCase()) throw brokenBase(start, 'the head it starts from is not the one anchored on chain')
  }
  const covered = log.entries.slice(0, log.head.length - start.length)
  verifyLog(covered, { start, checkpoints: [{ length: log.head.length, head: log.head.head }, ...(o.anchor === undefined ? [] : [o.anchor])] })
  return covered
}

export async function auditKeeperLog (o: AuditOptions): Promise<KeeperAudit> {
  if (o.keeper.http === undefined) throw new P2pdvError('ERR_KEEPER_UNREACHABLE', `keeper ${o.keeper.address} lists no HTTP address`)
  const all: LogEntry[] = []
  let head: SignedLogHead | undefined
  let base: Checkpoint | undefined
  for (let from = 0; ; from = (base?.length ?? 0) + all.length) {
    let res: Response
    try {
      res = await fetch(`${o.keeper.http}/api/v1/keeper/log?from=${from}&limit=${LOG_PAGE}`, {
        headers: o.token === undefined ? {} : { authorization: `Bearer ${o.token}` },
        ...(o.signal === undefined ? {} : { signal: o.signal })
      })
    } catch (cause) {
      throw new P2pdvError('ERR_KEEPER_UNREACHABLE', `keeper ${o.keeper.address} at ${o.keeper.http} did not answer`, { cause })
    }
    if (!res.ok) throw new P2pdvError('ERR_KEEPER_BAD_ANSWER', `keeper ${o.keeper.address} answered HTTP ${res.status} for its log`)
    const text = await res.text()
    if (text.length > LOG_PAGE * MAX_KEEPER_MESSAGE_BYTES) throw new P2pdvError('ERR_KEEPER_BAD_ANSWER', 'the log page is too large')
    const page = JSON.parse(text) as { entries?: unknown, head?: unknown, base?: unknown }
    if (!Array.isArray(page.entries)) throw new P2pdvError('ERR_AUDIT_LOG_MALFORMED', 'the log page has no entries')
    if (from === 0 && page.base !== undefined) base = parseCheckpoint(page.base)
    // The first page's head is the one the whole read is checked against (later entries may be
    // appended while we read; they are outside what the keeper signed and are not shown).
    head ??= parseSignedLogHead(page.head)
    for (const e of page.entries) all.push(parseLogEntry(e))
    if (all.length > MAX_AUDIT_ENTRIES) throw new P2pdvError('ERR_AUDIT_LOG_TOO_LARGE', `the log has more than ${MAX_AUDIT_ENTRIES} entries`)
    if (page.entries.length < LOG_PAGE || (base?.length ?? 0) + all.length >= head.length) break
  }
  if (head === undefined) throw new P2pdvError('ERR_AUDIT_LOG_MALFORMED', 'no signed head')
  const covered = await verifyKeeperLog({ entries: all, head, ...(base === undefined ? {} : { base }) }, o)
  const visible = covered.filter(e => e.body !== undefined && (o.video === undefined || e.body.video === o.video))
  return { keeper: o.keeper.address, length: head.length, head, ...(base === undefined ? {} : { base }), ...(o.anchor === undefined ? {} : { anchor: o.anchor }), entries: visible }
}

/**
 * Reads and verifies a keeper's audit log: pages through every entry, recomputes the hash chain,
 * checks that it reaches the head the keeper signed and the head last anchored on chain, and
 * returns the entries the reader may see (with a SIWE session: their own requests and the videos
 * they own). Any edit, deletion or reordering is ERR_AUDIT_LOG_BROKEN.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import {
  MAX_KEEPER_MESSAGE_BYTES, parseLogEntry, parseSignedLogHead, verifyLog, verifyLogHead,
  type Checkpoint, type Hex, type KeeperDomain, type KeeperInfo, type LogEntry, type SignedLogHead, type VideoId
} from '@p2pdv/core/keys'

export const LOG_PAGE = 1000
/** A log larger than this is refused rather than read into memory. */
export const MAX_AUDIT_ENTRIES = 1_000_000

export interface KeeperAudit {
  keeper: Hex
  length: number
  head: SignedLogHead
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
  signal?: AbortSignal
}

export async function auditKeeperLog (o: AuditOptions): Promise<KeeperAudit> {
  if (o.keeper.http === undefined) throw new P2pdvError('ERR_KEEPER_UNREACHABLE', `keeper ${o.keeper.address} lists no HTTP address`)
  const all: LogEntry[] = []
  let head: SignedLogHead | undefined
  for (let from = 0; ; from += LOG_PAGE) {
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
    const page = JSON.parse(text) as { entries?: unknown, head?: unknown }
    if (!Array.isArray(page.entries)) throw new P2pdvError('ERR_AUDIT_LOG_MALFORMED', 'the log page has no entries')
    // The first page's head is the one the whole read is checked against (later entries may be
    // appended while we read; they are outside what the keeper signed and are not shown).
    head ??= parseSignedLogHead(page.head)
    for (const e of page.entries) all.push(parseLogEntry(e))
    if (all.length > MAX_AUDIT_ENTRIES) throw new P2pdvError('ERR_AUDIT_LOG_TOO_LARGE', `the log has more than ${MAX_AUDIT_ENTRIES} entries`)
    if (page.entries.length < LOG_PAGE || all.length >= head.length) break
  }
  if (head === undefined) throw new P2pdvError('ERR_AUDIT_LOG_MALFORMED', 'no signed head')
  await verifyLogHead(head, o.domain, o.keeper.address)
  const covered = all.slice(0, head.length)
  verifyLog(covered, { checkpoints: [{ length: head.length, head: head.head }, ...(o.anchor === undefined ? [] : [o.anchor])] })
  const visible = covered.filter(e => e.body !== undefined && (o.video === undefined || e.body.video === o.video))
  return { keeper: o.keeper.address, length: head.length, head, ...(o.anchor === undefined ? {} : { anchor: o.anchor }), entries: visible }
}

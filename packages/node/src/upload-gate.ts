/**
 * Who may store blocks here, and how much. Every upload (HTTP PUT, store protocol stream, another
 * node's repair) presents a signed upload grant (@p2pdv/core/grants). The gate checks a grant
 * once — shape, node, expiry, signature, the admission policy — and caches the verdict by the
 * token's hash, so the blocks of one session cost a hash and a map lookup each. Stored bytes are
 * charged twice: to the grant (its signed allowance) and to the identity (this node's per-identity
 * quota). Signature checks (new grants, hence new identities) are rate-limited per source (IP or
 * peer), so junk grants cost bounded CPU and one source cannot mint identities fast.
 *
 * Spending survives restarts (`uploads.json`, written atomically, at most once a second): a
 * grant's allowance cannot be spent again by restarting the node.
 */
import { createHash } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import { ANY_NODE, decodeGrant, GrantErrorCode, grantId, grantIdentity, MAX_GRANT_BYTES, verifyGrantSignature, type UploadGrant } from '@p2pdv/core/grants'

/** A grant may run for at most this long (the node forgets a grant's spending after it expires). */
export const MAX_GRANT_LIFETIME_MS = 24 * 60 * 60_000
/** Signature checks per source per minute, and the burst one source may spend at once. */
export const DEFAULT_GRANT_CHECKS_PER_MINUTE = 60
export const GRANT_CHECK_BURST = 20
/** Verdicts cached, sources tracked and grants whose spending is remembered, at most. */
export const MAX_CACHED_GRANTS = 10_000
export const MAX_SOURCES = 10_000
export const MAX_TRACKED_GRANTS = 100_000
const LEDGER_FLUSH_MS = 1000

/** Which identities the node admits. `open`: any key (no chain); a chain policy admits accounts it knows. */
export interface AdmissionPolicy {
  name: string
  admits: (grant: UploadGrant, identity: string) => Promise<boolean>
}

export const openAdmission: AdmissionPolicy = { name: 'open', admits: async () => true }

export interface UploadGateOptions {
  peerId: string
  policy: AdmissionPolicy
  /** Bytes one identity may have stored here. */
  identityQuotaBytes: number
  checksPerMinute?: number
  /** Where spending is kept across restarts (absent: memory only). */
  ledgerFile?: string
  log: Logger
  now?: () => number
}

/** An admitted upload: charge each new block to it. */
export interface UploadSession {
  identity: string
  /** Reserves `bytes`; throws ERR_GRANT_EXHAUSTED or ERR_IDENTITY_QUOTA_EXCEEDED. */
  charge: (bytes: number) => void
  /** Gives back a reservation (the block was held already, or could not be written). */
  refund: (bytes: number) => void
}

interface Verdict { grant: UploadGrant, id: string, identity: string }
interface Bucket { tokens: number, at: number }

export class UploadGate {
  private readonly opts: UploadGateOptions
  private readonly now: () => number
  private readonly verdicts = new Map<string, Verdict>()
  /** Checks under way, by token hash: the parallel first blocks of an upload share one. */
  private readonly checking = new Map<string, Promise<Verdict>>()
  private readonly sources = new Map<string, Bucket>()
  /** Grant id → bytes spent and expiry. */
  private readonly grants = new Map<string, { spent: number, exp: number }>()
  /** Identity → bytes stored here. */
  private readonly identities = new Map<string, number>()
  private flushTimer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()

  constructor (opts: UploadGateOptions) {
    this.opts = opts
    this.now = opts.now ?? Date.now
  }

  async open (): Promise<void> {
    if (this.opts.ledgerFile === undefined) return
    let text: string
    try { text = await readFile(this.opts.ledgerFile, 'utf8') } catch { return }
    try {
      const data = JSON.parse(text) as { grants?: Record<string, { spent: number, exp: number }>, identities?: Record<string, number> }
      const now = this.now()
      for (const [id, g] of Object.entries(data.grants ?? {})) if (g.exp > now) this.grants.set(id, { spent: g.spent, exp: g.exp })
      for (const [id, n] of Object.entries(data.identities ?? {})) if (Number.isSafeInteger(n) && n > 0) this.identities.set(id, n)
    } catch (err) {
      this.opts.log.warn({ err }, 'ignoring an unreadable upload ledger')
    }
  }

  async close (): Promise<void> {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    await this.flush()
  }

  /** Bytes an identity has stored here. */
  used (identity: string): number {
    return this.identities.get(identity) ?? 0
  }

  /** Gives back bytes of an identity's blocks that were deleted (collected unclaimed). */
  release (identity: string, bytes: number): void {
    const left = this.used(identity) - bytes
    if (left > 0) this.identities.set(identity, left)
    else this.identities.delete(identity)
    this.schedule()
  }

  /**
   * Checks a grant (cached by the token's hash) and returns the session to charge. `source` is
   * who presented it (remote IP or peer id), for the rate of signature checks.
   */
  async admit (token: Uint8Array | undefined, source: string): Promise<UploadSession> {
    if (token === undefined || token.byteLength === 0) {
      throw new P2pdvError(GrantErrorCode.MISSING, 'this node stores blocks only for uploads that carry a signed upload grant', {
        hint: 'Upload with the p2pdv client (it signs a grant with your identity), or send `authorization: P2PDV-Grant <token>` (see docs/protocol.md).'
      })
    }
    if (token.byteLength > MAX_GRANT_BYTES) throw new P2pdvError(GrantErrorCode.MALFORMED, `an upload grant is at most ${MAX_GRANT_BYTES} bytes`)
    const key = createHash('sha256').update(token).digest('hex')
    let verdict = this.verdicts.get(key)
    if (verdict === undefined) {
      // One check per grant even when its first blocks arrive together: a client that opens 64
      // uploads with a fresh grant would otherwise spend 64 of its source's checks and be refused
      // ERR_GRANT_RATE for most of them.
      let checking = this.checking.get(key)
      if (checking === undefined) {
        checking = this.verify(token, source).finally(() => { this.checking.delete(key) })
        this.checking.set(key, checking)
      }
      verdict = await checking
      if (this.verdicts.size >= MAX_CACHED_GRANTS) this.pruneVerdicts()
      this.verdicts.set(key, verdict)
    }
    if (verdict.grant.exp <= this.now()) throw expired()
    return this.session(verdict)
  }

  private async verify (token: Uint8Array, source: string): Promise<Verdict> {
    const grant = decodeGrant(token)
    if (grant.node !== ANY_NODE && grant.node !== this.opts.peerId) {
      throw new P2pdvError(GrantErrorCode.WRONG_NODE, 'the upload grant names another node', { hint: 'Sign a grant for this node\'s peer id (or for "*").' })
    }
    const now = this.now()
    if (grant.exp <= now) throw expired()
    if (grant.exp > now + MAX_GRANT_LIFETIME_MS) {
      throw new P2pdvError(GrantErrorCode.MALFORMED, `an upload grant may run for at most ${MAX_GRANT_LIFETIME_MS / 3_600_000} h`, { hint: 'Sign a grant that expires sooner.' })
    }
    this.takeCheck(source)
    if (!await verifyGrantSignature(grant)) {
      throw new P2pdvError(GrantErrorCode.BAD_SIGNATURE, 'the upload grant\'s signature does not match its key', { hint: 'Sign the grant with the key it names.' })
    }
    const identity = grantIdentity(grant)
    if (!await this.opts.policy.admits(grant, identity)) {
      throw new P2pdvError(GrantErrorCode.NOT_ADMITTED, `this node does not admit uploads from ${identity} (policy: ${this.opts.policy.name})`, {
        hint: 'Upload as an account this node\'s chain knows (a registered creator or node operator).'
      })
    }
    return { grant, id: grantId(grant), identity }
  }

  private session (v: Verdict): UploadSession {
    return {
      identity: v.identity,
      charge: bytes => {
        let spent = this.grants.get(v.id)
        if (spent === undefined) {
          if (this.grants.size >= MAX_TRACKED_GRANTS) this.pruneGrants()
          spent = { spent: 0, exp: v.grant.exp }
          this.grants.set(v.id, spent)
        }
        if (spent.spent + bytes > v.grant.bytes) {
          throw new P2pdvError(GrantErrorCode.EXHAUSTED, `the upload grant's allowance of ${v.grant.bytes} bytes is spent`, { hint: 'Sign a new grant for the rest of the upload.' })
        }
        const used = this.used(v.identity)
        if (used + bytes > this.opts.identityQuotaBytes) {
          throw new P2pdvError(GrantErrorCode.IDENTITY_QUOTA, `${v.identity} has stored ${used} of the ${this.opts.identityQuotaBytes} bytes this node keeps per identity`, {
            hint: 'Store the rest on other nodes, or ask the operator for a larger --identity-quota.'
          })
        }
        spent.spent += bytes
        this.identities.set(v.identity, used + bytes)
        this.schedule()
      },
      refund: bytes => {
        const spent = this.grants.get(v.id)
        if (spent !== undefined) spent.spent = Math.max(0, spent.spent - bytes)
        this.release(v.identity, bytes)
      }
    }
  }

  /** One signature check from `source`, within its token bucket. */
  private takeCheck (source: string): void {
    const rate = (this.opts.checksPerMinute ?? DEFAULT_GRANT_CHECKS_PER_MINUTE) / 60_000
    const now = this.now()
    let b = this.sources.get(source)
    if (b === undefined) {
      if (this.sources.size >= MAX_SOURCES) this.pruneSources(now, rate)
      b = { tokens: GRANT_CHECK_BURST, at: now }
      this.sources.set(source, b)
    }
    b.tokens = Math.min(GRANT_CHECK_BURST, b.tokens + (now - b.at) * rate)
    b.at = now
    if (b.tokens < 1) {
      throw new P2pdvError(GrantErrorCode.RATE, 'too many new upload grants from this source', { hint: 'Reuse one grant for a whole upload session; retry in a minute.' })
    }
    b.tokens -= 1
  }

  private pruneSources (now: number, rate: number): void {
    // Full buckets carry no state worth keeping; if none is full, the oldest go.
    for (const [k, b] of this.sources) if (b.tokens + (now - b.at) * rate >= GRANT_CHECK_BURST) this.sources.delete(k)
    for (const k of this.sources.keys()) { if (this.sources.size < MAX_SOURCES) break; this.sources.delete(k) }
  }

  private pruneVerdicts (): void {
    const now = this.now()
    for (const [k, v] of this.verdicts) if (v.grant.exp <= now) this.verdicts.delete(k)
    // Still full: forget the oldest (its spending stays in `grants`; a later use re-verifies it).
    for (const k of this.verdicts.keys()) { if (this.verdicts.size < MAX_CACHED_GRANTS) break; this.verdicts.delete(k) }
  }

  private pruneGrants (): void {
    const now = this.now()
    for (const [k, g] of this.grants) if (g.exp <= now) this.grants.delete(k)
    if (this.grants.size >= MAX_TRACKED_GRANTS) {
      throw new P2pdvError('ERR_BUSY', 'this node tracks too many live upload grants', { hint: 'Retry later, or reuse one grant per upload session.' })
    }
  }

  private schedule (): void {
    if (this.opts.ledgerFile === undefined || this.flushTimer !== undefined) return
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined
      void this.flush()
    }, LEDGER_FLUSH_MS)
    this.flushTimer.unref()
  }

  private async flush (): Promise<void> {
    const file = this.opts.ledgerFile
    if (file === undefined) return
    const now = this.now()
    const data = {
      grants: Object.fromEntries([...this.grants].filter(([, g]) => g.exp > now)),
      identities: Object.fromEntries(this.identities)
    }
    this.writing = this.writing.then(async () => {
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(data), { mode: 0o600 })
      await rename(tmp, file)
    }).catch(err => { this.opts.log.warn({ err }, 'could not write the upload ledger') })
    await this.writing
  }
}

function expired (): P2pdvError {
  return new P2pdvError(GrantErrorCode.EXPIRED, 'the upload grant has expired', { hint: 'Sign a fresh grant and retry.' })
}

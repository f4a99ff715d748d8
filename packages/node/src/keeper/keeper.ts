/**
 * The keeper role: holds one sealed Shamir share per video and releases it, re-sealed to the
 * viewer, to anyone the chain says may watch. Both transports (HTTP, libp2p) call `release` and
 * `deposit`; neither ever throws at them: every outcome is a response with a stable code.
 *
 * A release request goes through, cheapest check first: shape and size → chain/deployment →
 * expiry → signature (ecrecover) → per-viewer rate limit → replay (nonce consumed) → share held →
 * new-signer limit (all viewers never released to, together) → `hasAccess(video, viewer)` on
 * chain (every RPC endpoint, which must agree) → open the share, re-seal it to the viewer's key bound to
 * the request digest, sign → append to the audit log → answer. The log entry is committed before
 * the answer leaves; a keeper that cannot log does not release. Requests that fail before the
 * signature is verified, or for a video the keeper holds no share of, or past a rate limit, are
 * counted, not logged (anyone can send junk or sign with a fresh key; only decisions are logged).
 */
import type { Logger } from 'pino'
import { Counter, Histogram, type Registry } from 'prom-client'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import {
  newLogBody, openKeeperShare, OracleErrorCode, parseKeyRequest, parseShareDeposit, releaseSealed, sealShareRelease,
  shareDepositSigner, signKeyRelease, signLogHead, verifyKeyRequest, fromHex, toHex, ZERO_HASH,
  type AccessOracle, type Hex, type KeeperDomain, type KeyResponse, type LogAnchor, type LogBody, type LogEntry, type SignedLogHead, type VideoId
} from '@p2pdv/core/keys'
import type { KeeperKeys } from './keeper-keys.ts'
import type { Decision, KeeperStore } from './keeper-store.ts'
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts'
import { PeriodicTask } from '../periodic-task.ts'

export const KeeperErrorCode = {
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
  REPLAYED: 'ERR_KEY_REQUEST_REPLAYED',
  NO_SHARE: 'ERR_KEEPER_NO_SHARE',
  RATE_LIMITED: 'ERR_RATE_LIMITED',
  BUSY: 'ERR_KEEPER_BUSY',
  WRONG_KEEPER: 'ERR_DEPOSIT_WRONG_KEEPER',
  NOT_OWNER: 'ERR_NOT_OWNER',
  STALE: 'ERR_DEPOSIT_STALE',
  CONFLICT: 'ERR_DEPOSIT_CONFLICT',
  INTERNAL: 'ERR_INTERNAL'
} as const

/** Releases being worked on at once; more are refused with ERR_KEEPER_BUSY (bounded CPU and memory). */
export const DEFAULT_MAX_IN_FLIGHT = 64
/** How often expired nonces are forgotten. */
export const NONCE_PRUNE_INTERVAL_MS = 60_000
/** How often the log head is anchored on chain (when it moved). */
export const DEFAULT_ANCHOR_INTERVAL_MS = 10 * 60_000
export const MAX_LOG_PAGE = 1000
/**
 * Log entries are kept this long after an anchor covers them; then the segment behind that
 * anchor is deleted and the log starts at the anchored head (readers verify from there, against
 * the chain). Gives viewers and owners a month to audit, and bounds the log's size.
 */
export const DEFAULT_LOG_RETENTION_MS = 30 * 24 * 3600_000
/** How often the keeper looks for a segment to compact. */
export const COMPACT_INTERVAL_MS = 3600_000
/**
 * Requests per sender (IP address or peer id) before any signature is checked: verifying one
 * costs an ecrecover (~2 ms), so one sender of junk cannot take the keeper's CPU. Generous, so a
 * gateway serving many viewers is not throttled like one viewer.
 */
export const SOURCE_RATE_PER_MINUTE = 6000
export const SOURCE_BURST = 200
/**
 * Requests per minute, all together, from signers this keeper has never released to, before it
 * reads the chain or logs anything: any fresh key can sign a request, and each refusal it earns
 * is appended to the log for good, so this bounds how fast strangers can grow the log (and the
 * RPC reads they cost). Viewers released to before are not counted.
 */
export const NEW_SIGNER_RATE_PER_MINUTE = 300
export const NEW_SIGNER_BURST = 100
/** Signers remembered as released to (least recently used forgotten first; they count as new again). */
export const MAX_KNOWN_SIGNERS = 100_000

export interface KeeperOptions {
  keys: KeeperKeys
  store: KeeperStore
  oracle: AccessOracle
  anchor?: LogAnchor
  log: Logger
  registry?: Registry
  rate?: RateLimitOptions
  /** Per sender, before signatures are checked (default SOURCE_RATE_PER_MINUTE / SOURCE_BURST). */
  sourceRate?: RateLimitOptions
  /** All signers never released to, together (default NEW_SIGNER_RATE_PER_MINUTE / NEW_SIGNER_BURST). */
  newSignerRate?: RateLimitOptions
  maxInFlight?: number
  anchorIntervalMs?: number
  /** How long anchored entries are kept before compaction (default DEFAULT_LOG_RETENTION_MS). */
  logRetentionMs?: number
  /** Unix ms; tests move time. */
  now?: () => number
}

export interface KeeperAnswer { status: number, body: KeyResponse, retryAfterSeconds?: number }

function refusal (code: string, message: string): KeyResponse {
  return { v: 1, ok: false, code, message: message.slice(0, 512) }
}

export class Keeper {
  readonly address: Hex
  readonly x25519PublicKey: Uint8Array
  readonly domain: KeeperDomain
  private readonly o: KeeperOptions
  private readonly limiter: RateLimiter
  private readonly sources: RateLimiter
  private readonly newSigners: RateLimiter
  private readonly known = new Map<string, true>()
  private readonly now: () => number
  private inFlight = 0
  private readonly tasks: PeriodicTask[] = []
  private anchoring: Promise<void> | undefined
  private readonly requests: Counter<'result'> | undefined
  private readonly seconds: Histogram<'result'> | undefined
  private readonly commits: GroupCommit

  constructor (o: KeeperOptions) {
    this.o = o
    this.address = o.keys.account.address
    this.x25519PublicKey = o.keys.x25519.publicKey
    this.domain = o.oracle.domain
    this.now = o.now ?? Date.now
    this.limiter = new RateLimiter({ ...o.rate, now: this.now })
    this.sources = new RateLimiter({ perMinute: SOURCE_RATE_PER_MINUTE, burst: SOURCE_BURST, ...o.sourceRate, now: this.now })
    this.newSigners = new RateLimiter({ perMinute: NEW_SIGNER_RATE_PER_MINUTE, burst: NEW_SIGNER_BURST, ...o.newSignerRate, maxKeys: 1, now: this.now })
    this.commits = new GroupCommit(o.store)
    if (o.registry !== undefined) {
      this.requests = new Counter({ name: 'p2pdv_keeper_requests_total', help: 'Key requests answered by this keeper, by result (released or refusal code)', labelNames: ['result'], registers: [o.registry] })
      this.seconds = new Histogram({ name: 'p2pdv_keeper_release_seconds', help: 'Time to answer a key request', labelNames: ['result'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [o.registry] })
    }
  }

  /** Starts the periodic jobs: forgetting expired nonces, compacting the log, anchoring its head. */
  start (): void {
    if (this.tasks.length > 0) return
    const warn = (msg: string) => (err: unknown): void => { this.o.log.warn({ err }, msg) }
    this.tasks.push(new PeriodicTask(() => { this.o.store.pruneNonces(Math.floor(this.now() / 1000)) }, { name: 'keeper nonce pruning', intervalMs: NONCE_PRUNE_INTERVAL_MS, onError: warn('pruning expired nonces failed; will retry') }))
    this.tasks.push(new PeriodicTask(() => { this.compactNow() }, { name: 'keeper log compaction', intervalMs: COMPACT_INTERVAL_MS, onError: warn('compacting the audit log failed; will retry') }))
    if (this.o.anchor !== undefined) {
      this.tasks.push(new PeriodicTask(async () => { await this.anchorNow() }, { name: 'keeper anchoring', intervalMs: this.o.anchorIntervalMs ?? DEFAULT_ANCHOR_INTERVAL_MS, onError: warn('anchoring the audit log head failed; will retry') }))
    }
    for (const t of this.tasks) t.start()
  }

  async stop (): Promise<void> {
    await Promise.allSettled(this.tasks.splice(0).map(async t => { await t.stop() }))
    await this.anchoring?.catch(() => {})
  }

  /** Anchors the current head on chain if it moved since the last anchor. */
  async anchorNow (): Promise<{ length: number, head: Hex, tx: Hex } | undefined> {
    const anchor = this.o.anchor
    if (anchor === undefined) throw new P2pdvError('ERR_NO_ANCHOR', 'this keeper has no chain to anchor its log on')
    const head = this.o.store.logHead
    const last = this.o.store.lastAnchor()
    if (head.length === 0 || (last !== undefined && last.length === head.length)) return undefined
    const run = (async () => {
      const tx = await anchor.anchor(head.length, head.head)
      this.o.store.recordAnchor(head.length, head.head, tx, this.now())
      this.o.log.info({ length: head.length, head: head.head, tx }, 'audit log head anchored')
    })()
    this.anchoring = run
    await run
    return { ...head, tx: this.o.store.lastAnchor()!.tx }
  }

  /**
   * Deletes the log segment behind the newest anchor older than the retention period; the log
   * then starts at that anchored head. Returns what was dropped, if anything.
   */
  compactNow (): { length: number, dropped: number } | undefined {
    const anchor = this.o.store.anchorBefore(this.now() - (this.o.logRetentionMs ?? DEFAULT_LOG_RETENTION_MS))
    const base = this.o.store.logBase()
    if (anchor === undefined || (base !== undefined && base.length >= anchor.length)) return undefined
    const dropped = this.o.store.compactLog(anchor.length)
    this.o.log.info({ length: anchor.length, dropped }, 'audit log compacted behind an anchored head')
    return { length: anchor.length, dropped }
  }

  private count (result: string, started: number): void {
    this.requests?.inc({ result })
    this.seconds?.observe({ result }, (performance.now() - started) / 1000)
  }

  /** `source` names the sender (IP address, peer id) for the pre-verification limit. */
  async release (raw: unknown, source?: string): Promise<KeeperAnswer> {
    const started = performance.now()
    if (source !== undefined) {
      const wait = this.sources.take(source)
      if (wait > 0) {
        this.count(KeeperErrorCode.RATE_LIMITED, started)
        const s = Math.ceil(wait / 1000)
        return { status: 429, body: refusal(KeeperErrorCode.RATE_LIMITED, `too many requests from this sender; retry in ${s} s`), retryAfterSeconds: s }
      }
    }
    if (this.inFlight >= (this.o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)) {
      this.count(KeeperErrorCode.BUSY, started)
      return { status: 503, body: refusal(KeeperErrorCode.BUSY, 'the keeper is busy; try again shortly'), retryAfterSeconds: 1 }
    }
    this.inFlight++
    try {
      let answer: KeeperAnswer
      try {
        answer = await this.releaseInner(raw)
      } catch (err) {
        // Never a share and never a stack to the caller; the operator sees the cause.
        this.o.log.error({ err }, 'key release failed')
        answer = { status: 500, body: refusal(KeeperErrorCode.INTERNAL, 'the keeper failed; nothing was released') }
      }
      this.count(answer.body.ok ? 'released' : answer.body.code, started)
      return answer
    } finally {
      this.inFlight--
    }
  }

  private async releaseInner (raw: unknown): Promise<KeeperAnswer> {
    const nowMs = this.now()
    const refuse = (code: string, message: string, retryAfterSeconds?: number): KeeperAnswer =>
      ({ status: httpStatusOf(code), body: refusal(code, message), ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) })
    let request
    let digest: Hex
    try {
      request = parseKeyRequest(raw)
      digest = await verifyKeyRequest(request, { domain: this.domain, now: Math.floor(nowMs / 1000) })
    } catch (err) {
      if (isP2pdvError(err)) return refuse(err.code, err.message)
      throw err
    }
    const { video, viewer } = request
    const wait = this.limiter.take(viewer.toLowerCase())
    if (wait > 0) return refuse(KeeperErrorCode.RATE_LIMITED, `too many requests from ${viewer}; retry in ${Math.ceil(wait / 1000)} s`, Math.ceil(wait / 1000))

    // From here on the request is the viewer's own: every decision is logged, in the same
    // transaction that consumes the request's nonce, before the answer leaves.
    const body = (decision: string, epoch = 0): LogBody =>
      newLogBody({ kind: decision === 'released' ? 'release' : 'refusal', video, subject: viewer, request: digest, epoch, decision })
    const replayed = (): KeeperAnswer => refuse(KeeperErrorCode.REPLAYED, 'this request was already answered; sign a new one')
    const decide = async (decision: string, epoch = 0): Promise<boolean> =>
      await this.commits.submit({ viewer, nonce: request.nonce, expiry: request.expiry, time: nowMs, body: body(decision, epoch), replay: body(KeeperErrorCode.REPLAYED, epoch) })
    const logged = async (code: string, message: string, retryAfterSeconds?: number): Promise<KeeperAnswer> =>
      await decide(code) ? refuse(code, message, retryAfterSeconds) : replayed()
    // A replay releases nothing and costs its sender nothing to repeat: counted, not logged.
    if (this.o.store.nonceUsed(viewer, request.nonce)) return replayed()
    // Cheap checks that need no chain read are answered without a log entry: they release
    // nothing, and logging them would let any fresh key grow the log for free.
    const stored = this.o.store.getShare(video)
    if (stored === undefined) return refuse(KeeperErrorCode.NO_SHARE, `this keeper holds no share of ${video}`)
    const signer = viewer.toLowerCase()
    if (!this.known.has(signer)) {
      const newWait = this.newSigners.take('new')
      if (newWait > 0) {
        const s = Math.ceil(newWait / 1000)
        return refuse(KeeperErrorCode.RATE_LIMITED, `too many requests from new viewers; retry in ${s} s`, s)
      }
    }
    let allowed: boolean
    try {
      allowed = await this.o.oracle.hasAccess(video, viewer)
    } catch (err) {
      // Fail closed: no answer from the chain, or RPC endpoints that disagree, mean no release.
      this.o.log.warn({ err: (err as Error).message }, 'access check failed')
      if (isP2pdvError(err, OracleErrorCode.DISAGREE)) return await logged(OracleErrorCode.DISAGREE, 'the keeper\'s RPC endpoints disagree on access; nothing was released, try again later', 5)
      return await logged(OracleErrorCode.UNAVAILABLE, 'the keeper cannot reach the chain to check access; try again later', 5)
    }
    if (!allowed) return await logged(KeeperErrorCode.ACCESS_DENIED, `${viewer} has no access to ${video} on chain`)

    const share = await openKeeperShare({ enc: stored.enc, ct: stored.ct }, this.o.keys.x25519, video, stored.epoch)
    let sealed
    try {
      sealed = await sealShareRelease(share, fromHex(request.viewerKey, 32, 'viewerKey'), fromHex(digest, 32, 'digest'))
    } catch (err) {
      if (isP2pdvError(err)) return await logged(err.code, err.message)
      throw err
    } finally {
      share.y.fill(0)
    }
    const answer = await signKeyRelease(this.o.keys.account, this.domain, {
      video, request: digest, epoch: stored.epoch, threshold: stored.threshold, shares: stored.shares, enc: toHex(sealed.enc), ct: toHex(sealed.ct)
    })
    if (!await decide('released', stored.epoch)) return replayed()
    this.rememberSigner(signer)
    return { status: 200, body: answer }
  }

  private rememberSigner (signer: string): void {
    this.known.delete(signer)
    if (this.known.size >= MAX_KNOWN_SIGNERS) this.known.delete(this.known.keys().next().value!)
    this.known.set(signer, true)
  }

  /** A creator hands this keeper its share of a video (or a newer epoch of it). */
  async deposit (raw: unknown): Promise<{ status: number, body: Record<string, unknown> }> {
    const refuse = (code: string, message: string): { status: number, body: Record<string, unknown> } =>
      ({ status: httpStatusOf(code), body: { v: 1, ok: false, code, message: message.slice(0, 512) } })
    try {
      const d = parseShareDeposit(raw)
      if (d.keeper.toLowerCase() !== this.address.toLowerCase()) return refuse(KeeperErrorCode.WRONG_KEEPER, `this deposit is for keeper ${d.keeper}, not ${this.address}`)
      const signer = await shareDepositSigner(d, this.domain)
      let record
      try {
        record = await this.o.oracle.video(d.video)
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message }, 'owner lookup failed')
        if (isP2pdvError(err, OracleErrorCode.DISAGREE)) return refuse(OracleErrorCode.DISAGREE, 'the keeper\'s RPC endpoints disagree on the owner; try again later')
        return refuse(OracleErrorCode.UNAVAILABLE, 'the keeper cannot reach the chain to check the owner; try again later')
      }
      if (record === undefined) return refuse(OracleErrorCode.UNKNOWN_VIDEO, `${d.video} is not registered on chain`)
      if (record.owner.toLowerCase() !== signer.toLowerCase()) return refuse(KeeperErrorCode.NOT_OWNER, `only the owner of ${d.video} may deposit its shares`)
      const sealed = releaseSealed(d)
      // Opening proves the share is for this keeper, video and epoch, and matches the split it claims.
      const share = await openKeeperShare(sealed, this.o.keys.x25519, d.video, d.epoch)
      share.y.fill(0)
      if (share.threshold !== d.threshold || share.shares !== d.shares) return refuse('ERR_SHARE_MISMATCH', 'the share does not belong to the split the deposit claims')
      const existing = this.o.store.getShare(d.video)
      if (existing !== undefined) {
        if (existing.epoch > d.epoch) return refuse(KeeperErrorCode.STALE, `this keeper already holds epoch ${existing.epoch} of ${d.video}`)
        if (existing.epoch === d.epoch) {
          const same = Buffer.from(existing.ct).equals(Buffer.from(sealed.ct)) && Buffer.from(existing.enc).equals(Buffer.from(sealed.enc))
          if (same) return { status: 200, body: { v: 1, ok: true, video: d.video, epoch: d.epoch, keeper: this.address } }
          return refuse(KeeperErrorCode.CONFLICT, `a different share for epoch ${d.epoch} is already held; deposit a new epoch`)
        }
      }
      const time = this.now()
      // An older epoch's share is replaced, so it can no longer be released.
      this.o.store.putShare({ video: d.video, epoch: d.epoch, threshold: d.threshold, shares: d.shares, owner: signer, enc: sealed.enc, ct: sealed.ct, time },
        newLogBody({ kind: 'deposit', video: d.video, subject: signer, request: ZERO_HASH, epoch: d.epoch, decision: existing === undefined ? 'stored' : `replaced-epoch-${existing.epoch}` }))
      return { status: 201, body: { v: 1, ok: true, video: d.video, epoch: d.epoch, keeper: this.address } }
    } catch (err) {
      if (isP2pdvError(err)) return refuse(err.code, err.message)
      throw err
    }
  }

  async signedHead (): Promise<SignedLogHead> {
    const h = this.o.store.logHead
    return await signLogHead(this.o.keys.account, this.domain, { length: h.length, head: h.head, time: this.now() })
  }

  /**
   * A page of the audit log. Bodies are shown only where `canSee` allows (the viewer's own
   * requests, the owner's own videos, everything for the node host); the rest carry only their
   * hashes, which is all the chain needs to verify.
   */
  async logPage (from: number, limit: number, canSee: (video: VideoId, subject: Hex) => Promise<boolean>): Promise<{ entries: LogEntry[], head: SignedLogHead, anchor?: { length: number, head: Hex, tx: Hex }, base?: { length: number, head: Hex } }> {
    const entries = this.o.store.logRange(from, Math.min(limit, MAX_LOG_PAGE))
    const out: LogEntry[] = []
    const seen = new Map<string, boolean>()
    for (const e of entries) {
      const key = `${e.body!.video}|${e.body!.subject}`
      let visible = seen.get(key)
      if (visible === undefined) { visible = await canSee(e.body!.video, e.body!.subject); seen.set(key, visible) }
      out.push(visible ? e : { seq: e.seq, time: e.time, bodyHash: e.bodyHash })
    }
    const anchor = this.o.store.lastAnchor()
    // After compaction the entries start at `base` (an anchored head), whatever `from` asked.
    const base = this.o.store.logBase()
    return {
      entries: out,
      head: await this.signedHead(),
      ...(anchor === undefined ? {} : { anchor: { length: anchor.length, head: anchor.head, tx: anchor.tx } }),
      ...(base === undefined ? {} : { base })
    }
  }

  info (): Record<string, unknown> {
    return {
      address: this.address,
      x25519PublicKey: toHex(this.x25519PublicKey),
      chainId: this.domain.chainId,
      verifyingContract: this.domain.verifyingContract,
      shares: this.o.store.shareCount,
      log: this.o.store.logHead
    }
  }
}

/**
 * Decisions made while a commit is pending are committed together on the next turn of the event
 * loop: one transaction and one fsync for all of them instead of one each, and every answer
 * still waits for its own entry to be on disk.
 */
class GroupCommit {
  private readonly store: KeeperStore
  private queue: Array<{ item: Decision, resolve: (fresh: boolean) => void, reject: (err: unknown) => void }> = []
  private scheduled = false

  constructor (store: KeeperStore) {
    this.store = store
  }

  async submit (item: Decision): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => { this.flush() })
      }
    })
  }

  private flush (): void {
    const batch = this.queue
    this.queue = []
    this.scheduled = false
    let results: boolean[]
    try {
      results = this.store.commitDecisions(batch.map(b => b.item))
    } catch (err) {
      for (const b of batch) b.reject(err)
      return
    }
    batch.forEach((b, i) => { b.resolve(results[i]!) })
  }
}

/**
 * The auditor role (`p2pdv node start --auditor`): every round it picks random (block, holder)
 * pairs among the blocks it follows and either challenges the holder for a random leaf (a Merkle
 * proof, checked against the block's public root and the holder's peer id, with no data and no
 * key) or, now and then, reads the whole block and hashes it (catching a node that keeps data for
 * audits but serves garbage). Every verdict is signed with the auditor's identity key, kept in
 * `audit.sqlite`, folded into the holder's reputation, and fed to the slashing policy.
 *
 * Targets come from placement records, which anyone who uploaded something can write, so they are
 * not trusted to frame a node: losing a block counts against a holder only once the holder passed
 * an audit of it, and a failure that depends on the recorded size or root (a bad proof, a refused
 * challenge) counts only once the auditor computed that size and root from the block itself (a
 * full read checked against the CID). A read that finds them wrong corrects them.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { leafCount, LEGACY_AUDIT_LEAF_BYTES, merkleRoot } from '@p2pdv/core/audit'
import { equalBytes, parseCid } from '@p2pdv/core'
import { isP2pdvError } from '@p2pdv/core/errors'
import { observationsFor, observe, reputationScore, PLACEMENT_MIN_SCORE, DEFAULT_REPUTATION_PARAMS, type ReputationScore } from '@p2pdv/core/reputation'
import {
  AuditCode, auditRecordPayload, auditResponsePayload, checkAuditProof, decodeAuditResponse, encodeAuditChallenge, encodeSignedAuditRecord,
  WireErrorCode, type AuditChallenge, type AuditKind, type AuditOutcome, type AuditRecord, type AuditResponse, type SignedAuditRecord
} from '@p2pdv/core/wire'
import type { Logger } from 'pino'
import type { NodeMetrics } from '../metrics.ts'
import { PeriodicTask } from '../periodic-task.ts'
import { FAILURES_BEFORE_RESTART } from '../components/supervisor.ts'
import type { SlashPolicy, SlashReporter } from './slash.ts'
import { DEFAULT_MAX_RESULTS, type AuditSample, type AuditStore } from './store.ts'
import type { AuditTransport } from './transport.ts'

export const DEFAULT_AUDIT_INTERVAL_MS = 60_000
/** (block, holder) pairs audited per round. */
export const DEFAULT_AUDIT_BATCH = 32
/** Share of audits that are full reads instead of Merkle challenges. */
export const DEFAULT_AUDIT_READ_RATIO = 0.1
/** A node must answer within this (also the challenge's deadline). */
export const DEFAULT_AUDIT_DEADLINE_MS = 10_000
/** Audits in flight at once within a round. */
export const DEFAULT_AUDIT_CONCURRENCY = 8
/** Audits in flight at once to one node: below what a node answers at once (MAX_CONCURRENT_AUDITS). */
export const PER_NODE_AUDIT_CONCURRENCY = 2

export interface AuditorOptions {
  intervalMs: number
  batch: number
  readRatio: number
  deadlineMs: number
  concurrency: number
  maxResults: number
}

export const DEFAULT_AUDITOR_OPTIONS: AuditorOptions = {
  intervalMs: DEFAULT_AUDIT_INTERVAL_MS,
  batch: DEFAULT_AUDIT_BATCH,
  readRatio: DEFAULT_AUDIT_READ_RATIO,
  deadlineMs: DEFAULT_AUDIT_DEADLINE_MS,
  concurrency: DEFAULT_AUDIT_CONCURRENCY,
  maxResults: DEFAULT_MAX_RESULTS
}

export interface AuditorDeps {
  peerId: string
  privateKey: PrivateKey
  store: AuditStore
  transport: AuditTransport
  log: Logger
  metrics: NodeMetrics
  slashPolicy?: SlashPolicy
  slashReporter?: SlashReporter
  options?: Partial<AuditorOptions>
  now?: () => number
  /** Refreshes the targets (from placement records); run before a round when due. */
  sync?: (signal: AbortSignal) => Promise<unknown>
  /** Runs before each scheduled round; a throw fails the round (the `fail-audit` test fault). */
  beforeRound?: () => void
}

/** After an auditor starts, how long peers it has not reached yet may stay silent uncounted. */
export const STARTUP_GRACE_MS = 2 * 60_000
/** How often targets are refreshed from placement records: 5 rounds, within [1 s, 10 min]. */
export function syncIntervalMs (roundMs: number): number {
  return Math.min(600_000, Math.max(1000, 5 * roundMs))
}

export interface PeerReputation extends ReputationScore {
  peerId: string
  updated: number
  counts: Record<'audit' | 'availability' | 'serving', { passes: number, failures: number }>
}

interface Verdict {
  outcome: AuditOutcome
  code?: string
  counted: boolean
  response?: Uint8Array
  served?: Uint8Array
}

const pass = (extra: Partial<Verdict> = {}): Verdict => ({ outcome: 'pass', counted: true, ...extra })

/** Samples reordered round-robin over peers, so a round's concurrency spreads over nodes. */
function interleaveByPeer (samples: AuditSample[]): AuditSample[] {
  const byPeer = new Map<string, AuditSample[]>()
  for (const s of samples) byPeer.set(s.peer, [...(byPeer.get(s.peer) ?? []), s])
  const queues = [...byPeer.values()]
  const out: AuditSample[] = []
  for (let i = 0; out.length < samples.length; i++) for (const q of queues) if (i < q.length) out.push(q[i]!)
  return out
}

function sha256 (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

export class Auditor {
  private readonly deps: AuditorDeps
  readonly options: AuditorOptions
  /** Runs a round every `intervalMs`, never two at once (periodic-task.ts). */
  private readonly loop: PeriodicTask
  private readonly stopController = new AbortController()
  private lastSync = -Infinity
  /** When `start` ran: until STARTUP_GRACE_MS later, silence from a peer not yet reached is not counted. */
  private startedAt: number | undefined
  /** Peers that answered an audit since the start (or since construction, without `start`). */
  private readonly reached = new Set<string>()
  rounds = 0

  constructor (deps: AuditorDeps) {
    this.deps = deps
    this.options = { ...DEFAULT_AUDITOR_OPTIONS, ...deps.options }
    this.loop = new PeriodicTask(async () => { this.deps.beforeRound?.(); await this.runRound() }, {
      name: 'audit rounds',
      intervalMs: this.options.intervalMs,
      firstDelayMs: Math.min(this.options.intervalMs, 1000),
      onError: err => { this.deps.log.error({ err }, 'audit round failed') }
    })
  }

  private now (): number { return (this.deps.now ?? Date.now)() }

  /** Runs rounds every `intervalMs` (the first one soon after start) until `stop`. */
  start (): void {
    this.startedAt = this.now()
    if (!this.stopController.signal.aborted) this.loop.start()
  }

  /** Aborts a running round and returns once it has ended. Final: a new Auditor runs the next rounds. */
  async stop (): Promise<void> {
    this.stopController.abort()
    await this.loop.stop()
  }

  /** Its last FAILURES_BEFORE_RESTART scheduled rounds all threw: the supervisor makes a new auditor. */
  get failing (): boolean {
    return this.loop.consecutiveFailures >= FAILURES_BEFORE_RESTART
  }

  /** One round: a random sample of (block, holder) pairs, audited with bounded concurrency. */
  async runRound (): Promise<SignedAuditRecord[]> {
    if (this.deps.sync !== undefined && this.now() - this.lastSync >= syncIntervalMs(this.options.intervalMs)) {
      this.lastSync = this.now()
      try {
        await this.deps.sync(this.stopController.signal)
      } catch (err) {
        this.deps.log.warn({ err }, 'could not refresh audit targets from placement records')
      }
    }
    const samples = interleaveByPeer(this.deps.store.sample(this.options.batch, this.deps.peerId))
    const out: SignedAuditRecord[] = []
    let next = 0
    // No node gets more audits at once than it answers at once (it would refuse the rest as busy).
    const inFlight = new Map<string, number>()
    const released: Array<() => void> = []
    const acquire = async (peer: string): Promise<void> => {
      while ((inFlight.get(peer) ?? 0) >= PER_NODE_AUDIT_CONCURRENCY) await new Promise<void>(resolve => released.push(resolve))
      inFlight.set(peer, (inFlight.get(peer) ?? 0) + 1)
    }
    const release = (peer: string): void => {
      inFlight.set(peer, (inFlight.get(peer) ?? 1) - 1)
      for (const wake of released.splice(0)) wake()
    }
    const worker = async (): Promise<void> => {
      while (next < samples.length && !this.stopController.signal.aborted) {
        const s = samples[next++]!
        await acquire(s.peer)
        try {
          const kind: AuditKind = Math.random() < this.options.readRatio ? 'read' : 'proof'
          const r = kind === 'proof' ? await this.auditProof(s) : await this.auditRead(s)
          if (r !== undefined) out.push(r)
        } finally {
          release(s.peer)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, samples.length) }, worker))
    this.rounds++
    return out
  }

  private signal (): AbortSignal {
    return AbortSignal.any([this.stopController.signal, AbortSignal.timeout(this.options.deadlineMs)])
  }

  /** A Merkle challenge for a random leaf. Undefined when the auditor stopped mid-way. */
  async auditProof (s: AuditSample): Promise<SignedAuditRecord | undefined> {
    const issued = this.now()
    const challenge: Omit<AuditChallenge, 'v'> = {
      cid: parseCid(s.cid),
      index: randomInt(leafCount(s.size, s.leafBytes)),
      leaf: s.leafBytes,
      nonce: new Uint8Array(randomBytes(32)),
      auditor: this.deps.peerId,
      deadline: issued + this.options.deadlineMs
    }
    const signal = this.signal()
    let raw: Uint8Array
    try {
      raw = await this.deps.transport.challenge(s.peer, encodeAuditChallenge(challenge), signal)
    } catch (err) {
      if (this.stopController.signal.aborted) return undefined
      return await this.finish(s, 'proof', issued, challenge, this.transportFailure(err, signal, s))
    }
    if (this.now() > challenge.deadline) return await this.finish(s, 'proof', issued, challenge, { outcome: 'timeout', code: AuditCode.TIMEOUT, counted: true })
    let response: AuditResponse
    try {
      response = decodeAuditResponse(raw)
    } catch (err) {
      return await this.finish(s, 'proof', issued, challenge, { outcome: 'fail', code: isP2pdvError(err) ? err.code : WireErrorCode.MALFORMED, counted: s.committed })
    }
    const verdict = await this.judgeProof(s, challenge, response, raw)
    if (this.stopController.signal.aborted) return undefined
    return await this.finish(s, 'proof', issued, challenge, verdict)
  }

  private async judgeProof (s: AuditSample, challenge: Omit<AuditChallenge, 'v'>, response: AuditResponse, raw: Uint8Array): Promise<Verdict> {
    if (!response.ok) {
      // Busy or a clock disagreement: the node did not answer the audit; that is availability.
      if (response.code === AuditCode.BUSY || response.code === AuditCode.EXPIRED) return { outcome: 'timeout', code: response.code, counted: true, response: raw }
      if (!s.committed && response.code === AuditCode.NOT_FOUND) this.deps.store.dropHolder(s.cid, s.peer)
      // "No such leaf": our challenge came from the recorded size; only the block can say whose
      // fault that is. Unverified, it is looked up (and corrected) and the holder is not blamed.
      if (response.code === AuditCode.BAD_CHALLENGE) {
        const holderAtFault = s.verified || await this.verifyTarget(s) === 'same'
        return { outcome: 'fail', code: response.code, counted: s.committed && holderAtFault, response: raw }
      }
      return { outcome: 'fail', code: response.code, counted: s.committed, response: raw }
    }
    const key = peerIdFromString(s.peer).publicKey
    const signed = response.peer === s.peer && key !== undefined && await key.verify(auditResponsePayload(s.peer, challenge, response.proof, response.time), response.sig)
    if (!signed) return { outcome: 'fail', code: AuditCode.BAD_SIGNATURE, counted: s.committed, response: raw }
    try {
      checkAuditProof(challenge, s, response.proof)
      if (!s.committed) this.deps.store.commit(s.cid, s.peer)
      return pass({ response: raw })
    } catch {}
    // A signed proof that does not lead to the recorded root: either the node cheats or the
    // size or root it was checked against is wrong. The block itself (authenticated by its CID)
    // decides; until it has, the failure is not counted.
    if (s.verified) return { outcome: 'fail', code: AuditCode.BAD_PROOF, counted: true, response: raw }
    const facts = await this.readFacts(s)
    if (facts === undefined) return { outcome: 'fail', code: AuditCode.BAD_PROOF, counted: false, response: raw }
    const changed = facts.size !== s.size || !equalBytes(facts.root, s.root)
    this.deps.store.setVerified(s.cid, facts.size, facts.root)
    if (changed) {
      this.deps.log.warn({ cid: s.cid }, 'the recorded size or audit root of a block was wrong; corrected from the block itself')
      try {
        checkAuditProof(challenge, { root: facts.root, size: facts.size, leafBytes: s.leafBytes }, response.proof)
        this.deps.store.commit(s.cid, s.peer)
        return pass({ response: raw })
      } catch {}
    }
    return { outcome: 'fail', code: AuditCode.BAD_PROOF, counted: true, response: raw }
  }

  /**
   * Reads the block and records its true size and root; 'same' when they are what was recorded,
   * 'corrected' when they were not, undefined when no read succeeded.
   */
  private async verifyTarget (s: AuditSample): Promise<'same' | 'corrected' | undefined> {
    const facts = await this.readFacts(s)
    if (facts === undefined) return undefined
    this.deps.store.setVerified(s.cid, facts.size, facts.root)
    return facts.size === s.size && equalBytes(facts.root, s.root) ? 'same' : 'corrected'
  }

  /** The block's size and root computed from a full read of it (verified against the CID), if one succeeds. */
  private async readFacts (s: AuditSample): Promise<{ size: number, root: Uint8Array } | undefined> {
    try {
      const res = await this.deps.transport.read(s.peer, parseCid(s.cid), this.signal())
      if (res.bytes === undefined || !equalBytes(sha256(res.bytes), parseCid(s.cid).multihash.digest)) return undefined
      return { size: res.bytes.byteLength, root: merkleRoot(res.bytes, s.leafBytes) }
    } catch {
      return undefined
    }
  }

  /** A full read of the block, hashed and compared with its CID. */
  async auditRead (s: AuditSample): Promise<SignedAuditRecord | undefined> {
    const issued = this.now()
    const cid = parseCid(s.cid)
    const signal = this.signal()
    let verdict: Verdict
    try {
      const res = await this.deps.transport.read(s.peer, cid, signal)
      if (res.bytes !== undefined) {
        const served = sha256(res.bytes)
        verdict = equalBytes(served, cid.multihash.digest) ? pass({ served }) : { outcome: 'fail', code: AuditCode.READ_MISMATCH, counted: true, served }
        if (verdict.outcome === 'pass') {
          // The block itself: what later proofs and challenges are checked against from now on.
          if (!s.verified) this.deps.store.setVerified(s.cid, res.bytes.byteLength, merkleRoot(res.bytes, s.leafBytes))
          if (!s.committed) this.deps.store.commit(s.cid, s.peer)
        }
      } else if (res.status === 404) {
        if (!s.committed) this.deps.store.dropHolder(s.cid, s.peer)
        verdict = { outcome: 'fail', code: AuditCode.NOT_FOUND, counted: s.committed }
      } else if (res.status === 502) {
        verdict = { outcome: 'fail', code: AuditCode.CORRUPT, counted: s.committed }
      } else if (res.status === 503 || res.status === 429) {
        verdict = { outcome: 'timeout', code: `ERR_HTTP_${res.status}`, counted: true }
      } else {
        verdict = { outcome: 'fail', code: `ERR_HTTP_${res.status}`, counted: s.committed }
      }
    } catch (err) {
      if (this.stopController.signal.aborted) return undefined
      verdict = this.transportFailure(err, signal, s)
    }
    if (this.stopController.signal.aborted) return undefined
    return await this.finish(s, 'read', issued, { deadline: issued + this.options.deadlineMs }, verdict)
  }

  /**
   * Whether silence (a timeout, an unreachable node) counts against `peer`. Not in the first
   * STARTUP_GRACE_MS after this auditor started, unless the peer has answered it since: a devnet
   * or a rack starting together, the auditor first, would otherwise mark every other node
   * unavailable in its first round and push it out of placement (two such failures do).
   */
  private silenceCounts (peer: string): boolean {
    return this.startedAt === undefined || this.reached.has(peer) || this.now() - this.startedAt >= STARTUP_GRACE_MS
  }

  private transportFailure (err: unknown, signal: AbortSignal, s: AuditSample): Verdict {
    if (signal.aborted) return { outcome: 'timeout', code: AuditCode.TIMEOUT, counted: this.silenceCounts(s.peer) }
    if (isP2pdvError(err, AuditCode.UNREACHABLE)) return { outcome: 'unreachable', code: AuditCode.UNREACHABLE, counted: this.silenceCounts(s.peer) }
    return { outcome: 'fail', code: isP2pdvError(err) ? err.code : WireErrorCode.MALFORMED, counted: s.committed }
  }

  /** Signs, keeps and scores one verdict. */
  private async finish (s: AuditSample, kind: AuditKind, issued: number, challenge: Partial<Omit<AuditChallenge, 'v'>> & { deadline: number }, v: Verdict): Promise<SignedAuditRecord> {
    const { deps } = this
    if (v.outcome !== 'unreachable' && v.outcome !== 'timeout') this.reached.add(s.peer)
    const record: AuditRecord = { v: 1, auditor: deps.peerId, peer: s.peer, cid: parseCid(s.cid), kind, issued, deadline: challenge.deadline, outcome: v.outcome, counted: v.counted }
    if (challenge.index !== undefined) record.index = challenge.index
    if (challenge.nonce !== undefined) record.nonce = challenge.nonce
    if (challenge.leaf !== undefined && challenge.leaf !== LEGACY_AUDIT_LEAF_BYTES) record.leaf = challenge.leaf
    if (v.code !== undefined && v.outcome !== 'pass') record.code = v.code
    if (v.response !== undefined) record.response = v.response
    if (v.served !== undefined) record.served = v.served
    const signed: SignedAuditRecord = { record, sig: await deps.privateKey.sign(auditRecordPayload(record)) }
    deps.store.addResult({ peer: s.peer, cid: s.cid, kind, outcome: v.outcome, code: record.code ?? null, counted: v.counted, issued, signed: encodeSignedAuditRecord(signed) }, this.options.maxResults)
    const now = this.now()
    let state = deps.store.reputation(s.peer, now)
    for (const [component, ok] of observationsFor(kind, v.outcome, v.counted)) state = observe(state, component, ok, now)
    deps.store.putReputation(s.peer, state)
    deps.metrics.auditsPerformed.inc({ kind, outcome: v.outcome })
    if (v.outcome !== 'pass') deps.log.info({ peer: s.peer, cid: s.cid, kind, outcome: v.outcome, code: record.code, counted: v.counted }, 'audit did not pass')
    const evidence = deps.slashPolicy?.observe(signed, now)
    if (evidence !== undefined && deps.slashReporter !== undefined) {
      deps.slashReporter.report(evidence).catch(err => { deps.log.error({ err, peer: evidence.peer }, 'could not deliver a slashing report') })
    }
    return signed
  }

  /** Every peer the auditor has a verdict on, scored now. */
  reputation (): PeerReputation[] {
    const now = this.now()
    return this.deps.store.allReputation().map(({ peer, state }) => ({
      peerId: peer,
      ...reputationScore(state, now, DEFAULT_REPUTATION_PARAMS, PLACEMENT_MIN_SCORE),
      updated: state.updated,
      counts: {
        audit: { passes: state.audit.passes, failures: state.audit.failures },
        availability: { passes: state.availability.passes, failures: state.availability.failures },
        serving: { passes: state.serving.passes, failures: state.serving.failures }
      }
    }))
  }
}

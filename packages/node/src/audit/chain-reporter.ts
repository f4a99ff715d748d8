/**
 * The auditor on chain: an auditor node started with a wallet (`--audit --wallet NAME --chain
 * FILE`) slashes through the NodeRegistry's audit role and publishes reputation there.
 *
 * - Slashing: each report of the SlashPolicy is kept in `audit.sqlite` with its evidence (the
 *   signed audit records), then `NodeRegistry.slash(operator, keccak256(evidence))` moves the
 *   governance fraction of the node's stake to the treasury. The evidence hash in the `Slashed`
 *   event lets anyone fetch the records (`GET /api/v1/audit/evidence/{hash}`) and check them.
 * - Reputation: every `chainIntervalMs`, scores that moved by at least
 *   REPUTATION_PUBLISH_MIN_CHANGE from what the chain holds are written with `setReputation`
 *   (a few per round, so a large network costs bounded gas per round).
 *
 * Peers are mapped to operators by `operatorOfPeer` (a node registers its peer id with its
 * stake); a peer nobody registered cannot be slashed, and its report stays local. The auditor
 * never writes its own operator's reputation, nor slashes itself.
 */
import { isP2pdvError } from '@p2pdv/core/errors'
import { ChainClient, MAX_CHAIN_REPUTATION } from '@p2pdv/chain'
import { IdentityStore } from '@p2pdv/chain/identity'
import type { Logger } from 'pino'
import type { Address } from 'viem'
import { readChainFile } from '../chain-registration.ts'
import type { NodeChainConfig } from '../config.ts'
import { slashEvidenceBytes, slashEvidenceHash, type SlashReporter } from './slash.ts'
import type { AuditStore } from './store.ts'
import { PeriodicTask } from '../periodic-task.ts'
import { FAILURES_BEFORE_RESTART } from '../components/supervisor.ts'

/**
 * A score must differ from the chain's by this much (basis points of MAX_CHAIN_REPUTATION) to be
 * written: small drifts are not worth gas, and two honest auditors with slightly different views
 * do not overwrite each other every round.
 */
export const REPUTATION_PUBLISH_MIN_CHANGE = 500
/** Reputation transactions per publishing round at most (the largest changes first). */
export const MAX_REPUTATION_UPDATES_PER_ROUND = 20

export interface AuditorChain {
  client: ChainClient
  /** The auditor's own address (its wallet). */
  operator: Address
  /** Whether the wallet holds the NodeRegistry's audit role (without it, reports stay local). */
  auditorRole: boolean
}

/**
 * Opens the node's wallet for the auditor and connects. The wallet's Ethereum key stays in
 * memory for the node's lifetime (it signs slashes and reputation updates); its X25519 key is
 * zeroed at once (not needed here).
 */
export async function connectAuditorChain (cfg: NodeChainConfig, passphrase: string, onRpcError?: () => void): Promise<AuditorChain> {
  const config = await readChainFile(cfg)
  const identity = await new IdentityStore(cfg.keysDir).open(cfg.wallet, passphrase)
  identity.forget()
  const client = await ChainClient.connect(config, { account: identity.account, ...(onRpcError === undefined ? {} : { onRpcError }) })
  return { client, operator: identity.address, auditorRole: await client.isAuditor() }
}

/** Slashes on chain; every report is also kept locally with its evidence and outcome. */
export function chainSlashReporter (chain: AuditorChain, store: AuditStore, log: Logger, now: () => number = Date.now): SlashReporter {
  return {
    report: async (evidence) => {
      const bytes = slashEvidenceBytes(evidence)
      const evidenceHash = slashEvidenceHash(bytes)
      const id = store.addSlashReport({ peer: evidence.peer, reported: now(), reason: evidence.reason, evidence: bytes, evidenceHash, status: 'pending' })
      let operator: Address | undefined
      try {
        operator = await chain.client.operatorOfPeer(evidence.peer)
        if (operator === undefined || operator === chain.operator) {
          store.updateSlashReport(id, { status: 'unregistered', ...(operator === undefined ? {} : { operator, error: 'the auditor does not slash itself' }) })
          log.warn({ peer: evidence.peer, reason: evidence.reason }, 'node reported for slashing, but no other operator registered its peer id on chain: kept locally')
          return
        }
        const r = await chain.client.slashNode(operator, evidenceHash)
        store.updateSlashReport(id, { status: 'slashed', operator, tx: r.receipt.transactionHash, amount: r.amount.toString() })
        log.warn({ peer: evidence.peer, operator, amount: r.amount.toString(), tx: r.receipt.transactionHash, evidence: evidenceHash, reason: evidence.reason }, 'node slashed on chain')
      } catch (err) {
        store.updateSlashReport(id, { status: 'failed', ...(operator === undefined ? {} : { operator }), error: isP2pdvError(err) ? err.code : 'ERR_CHAIN' })
        throw err
      }
    }
  }
}

export interface PublishedReputation { peer: string, operator: Address, from: number, to: number, tx: string }

export interface ReputationPublisherDeps {
  chain: AuditorChain
  /** The auditor's current scores in [0, 1]. */
  scores: () => Array<{ peerId: string, score: number }>
  log: Logger
  intervalMs: number
  minChange?: number
  maxUpdates?: number
  /** The outcome of the last round of the publisher this one replaces (kept across restarts). */
  last?: PublisherOutcome
  /** Delay before the first round (default: intervalMs). */
  firstDelayMs?: number
}

export interface PublisherOutcome { time: number, updated: number, error?: string }

/** Writes reputation scores to the NodeRegistry on a timer. */
export class ReputationPublisher {
  private readonly deps: ReputationPublisherDeps
  /** Publishes every `intervalMs`, never two rounds at once (periodic-task.ts). */
  private readonly task: PeriodicTask
  private stopped = false
  private started = false
  /** The latest round's outcome, for the reputation endpoint. */
  last: PublisherOutcome | undefined

  constructor (deps: ReputationPublisherDeps) {
    this.deps = deps
    this.last = deps.last
    this.task = new PeriodicTask(async () => { await this.publishOnce() }, {
      name: 'reputation publisher',
      intervalMs: deps.intervalMs,
      ...(deps.firstDelayMs === undefined ? {} : { firstDelayMs: deps.firstDelayMs }),
      onError: err => {
        this.last = { time: Date.now(), updated: 0, error: isP2pdvError(err) ? err.code : 'ERR_CHAIN' }
        this.deps.log.warn({ err }, 'could not publish reputation on chain')
      }
    })
  }

  start (): void {
    if (this.stopped) return
    this.started = true
    this.task.start()
  }

  /** Started, not stopped, and its last FAILURES_BEFORE_RESTART scheduled rounds all threw. */
  get failing (): boolean {
    return this.started && !this.stopped && this.task.consecutiveFailures >= FAILURES_BEFORE_RESTART
  }

  /** Returns once a running round has ended (it stops between peers). */
  async stop (): Promise<void> {
    this.stopped = true
    await this.task.stop()
  }

  /** One round: reads each scored peer's operator and on-chain reputation, writes the ones that moved. */
  async publishOnce (): Promise<PublishedReputation[]> {
    const { chain, log } = this.deps
    const minChange = this.deps.minChange ?? REPUTATION_PUBLISH_MIN_CHANGE
    const due: Array<Omit<PublishedReputation, 'tx'>> = []
    for (const { peerId, score } of this.deps.scores()) {
      if (this.stopped) return []
      const operator = await chain.client.operatorOfPeer(peerId)
      if (operator === undefined || operator === chain.operator) continue
      const node = await chain.client.getNode(operator)
      if (!node.registered) continue
      const to = Math.round(Math.min(1, Math.max(0, score)) * MAX_CHAIN_REPUTATION)
      if (Math.abs(to - node.reputation) >= minChange) due.push({ peer: peerId, operator, from: node.reputation, to })
    }
    due.sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from))
    const out: PublishedReputation[] = []
    for (const u of due.slice(0, this.deps.maxUpdates ?? MAX_REPUTATION_UPDATES_PER_ROUND)) {
      if (this.stopped) break
      const receipt = await chain.client.setNodeReputation(u.operator, u.to)
      out.push({ ...u, tx: receipt.transactionHash })
      log.info({ peer: u.peer, operator: u.operator, from: u.from, to: u.to }, 'reputation published on chain')
    }
    this.last = { time: Date.now(), updated: out.length }
    return out
  }
}

export interface PublisherSlotDeps extends Omit<ReputationPublisherDeps, 'chain' | 'last'> {
  /** The auditor's wallet on chain, read at each (re)start; undefined = nothing to publish. */
  chain: () => AuditorChain | undefined
}

/**
 * Reputation publishing as a subsystem of its own, for the node's supervisor: it reads the scores
 * of whichever auditor runs now (`scores` is read at each round), so replacing the auditor leaves
 * the publisher — and its last outcome — alone, and a publisher whose rounds keep failing (an RPC
 * gone bad, a nonce stuck) is replaced by `restart` without touching the auditor. The outcome of
 * the last round (shown by the reputation endpoint) and the number of restarts carry over.
 */
export class PublisherSlot {
  readonly name = 'reputation'
  private readonly deps: PublisherSlotDeps
  private current: ReputationPublisher | undefined
  private wanted = false
  /** Publishers replaced by `restart` so far. */
  restarts = 0

  constructor (deps: PublisherSlotDeps) {
    this.deps = deps
  }

  /** The running publisher, if the node publishes. */
  get publisher (): ReputationPublisher | undefined { return this.current }

  get last (): PublisherOutcome | undefined { return this.current?.last }

  start (): void {
    this.wanted = true
    this.current ??= this.make(undefined)
    this.current?.start()
  }

  async stop (): Promise<void> {
    this.wanted = false
    await this.current?.stop()
  }

  /** Whether it should publish and its rounds keep failing. */
  get failing (): boolean {
    return this.wanted && this.current?.failing === true
  }

  /** Stops the failing publisher and starts a new one that keeps its last outcome; throws if the new one cannot be made. */
  async restart (): Promise<void> {
    const old = this.current
    await old?.stop()
    this.current = undefined
    this.current = this.make(old?.last)
    this.restarts++
    if (this.wanted) this.current?.start()
  }

  private make (last: PublisherOutcome | undefined): ReputationPublisher | undefined {
    const chain = this.deps.chain()
    if (chain?.auditorRole !== true) return undefined
    const { chain: _chain, ...rest } = this.deps
    return new ReputationPublisher({ ...rest, chain, ...(last === undefined ? {} : { last }) })
  }
}

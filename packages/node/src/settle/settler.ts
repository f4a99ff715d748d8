/**
 * The settler (`--settle`): at each epoch end it tallies this node's audit results for the
 * epoch, maps each audited peer to its registered operator, settles the reward pool with the
 * governed weights (@p2pdv/chain `settleEpoch`), posts the root (`postSettlement`) and keeps the
 * epoch's inputs and shares on disk, so it can serve every node's proof and anyone can recompute
 * the root.
 *
 * Served bytes come from serving receipts: for each audited node the settler reads the receipts
 * the node kept for the epoch (GET /api/v1/receipts/{epoch} at its registered endpoint, or the
 * `receipts` source given), and @p2pdv/core `tallyReceipts` re-verifies every signature, drops
 * replays and receipts for other nodes or epochs, and caps each viewer per node. Each refusal is
 * logged with its code and published; the receipts themselves are published beside the records
 * (inputs v2), so `p2pdv rewards verify` recomputes the same served totals.
 *
 * One settler at a time: the Rewards contract takes epochs in order (`postEpoch` needs the next
 * number), so a second settler racing for the same epoch reverts and its file is dropped. Proofs
 * are served only for an epoch whose posted root is the one on disk, so a settler never hands out
 * proofs of a root that lost the race.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Address, Hex } from 'viem'
import { buildRewardTree, type RewardTree } from '@p2pdv/contracts/merkle'
import {
  collectRewards, epochSecondsOf, getNode, nextRewardEpoch, postSettlement, rewardEpoch, rewardPool, settleEpoch, settlementWeights,
  type ChainClient, type NodeAuditRecord, type Refusal, type SettlementWeights
} from '@p2pdv/chain'
import { isP2pdvError } from '@p2pdv/core/errors'
import { DEFAULT_RECEIPT_CAP_BYTES, tallyReceipts, type ReceiptRefusal } from '@p2pdv/core/receipts'
import { NodeClient } from '@p2pdv/node-client'
import type { AuditStore } from '../audit/store.ts'

export const SETTLEMENTS_DIR = 'settlements'
const MAX_CACHED_TREES = 4
/** Receipts read from one node per epoch (a page is 2000). */
export const MAX_RECEIPTS_PER_NODE = 20_000
/** Receipts settled per epoch in all: they are published, ~300 bytes each as JSON. */
export const MAX_SETTLED_RECEIPTS = 100_000
const RECEIPT_FETCH_TIMEOUT_MS = 15_000

/** Reads the receipts a node kept for an epoch (encoded, unverified). */
export type ReceiptSource = (peer: string, operator: Address, epoch: number, signal?: AbortSignal) => Promise<Uint8Array[]>

/** What one posted epoch keeps: the published inputs and every share (the leaves). */
export interface EpochFile {
  /** 2: records carry servedBytes and `receipts` holds the serving receipts they come from. */
  v: 2
  epoch: string
  /** The audit window [from, to) in ms since the epoch (Unix). */
  from: number
  to: number
  root: Hex
  weights: SettlementWeights
  pool: { eth: string, token: string }
  records: Array<{ node: Address, peer: string, storedBytes: string, seconds: string, audits: number, passes: number, servedBytes: string }>
  shares: Array<{ node: Address, ethAmount: string, tokenAmount: string }>
  refusals: Refusal[]
  /** Each audited node's serving receipts for the epoch, base64 DAG-CBOR, as read from it. */
  receipts: Array<{ peer: string, receipts: string[] }>
  /** Receipts that did not count (or only in part), with the reason. */
  receiptRefusals: ReceiptRefusal[]
}

export interface SettlerDeps {
  store: AuditStore
  chain: ChainClient
  dir: string
  log: Logger
  now?: () => number
  /** Where receipts come from (default: each node's registered HTTP endpoint). */
  receipts?: ReceiptSource
}

/** Reads a node's receipts from the first http(s) endpoint it registered, page by page. */
export function registeredReceiptSource (chain: ChainClient): ReceiptSource {
  return async (peer, operator, epoch, signal) => {
    const node = await getNode(chain, operator)
    const endpoint = node.endpoints.find(e => /^https?:\/\//.test(e))
    if (endpoint === undefined) return []
    const client = new NodeClient(new URL(endpoint).origin, { peerId: peer })
    const out: Uint8Array[] = []
    let after = 0
    while (out.length < MAX_RECEIPTS_PER_NODE) {
      const page = await client.servingReceipts(epoch, after, { timeoutMs: RECEIPT_FETCH_TIMEOUT_MS, ...(signal === undefined ? {} : { signal }) })
      out.push(...page.receipts)
      if (page.next === undefined || page.next <= after) break
      after = page.next
    }
    return out.slice(0, MAX_RECEIPTS_PER_NODE)
  }
}

export interface RewardProof { epoch: string, node: Address, ethAmount: string, tokenAmount: string, root: Hex, proof: Hex[] }

export class Settler {
  private readonly deps: SettlerDeps
  private readonly dir: string
  /** The end of the last settled window; the next epoch's audits start there. */
  private windowStart: number
  /** Epochs whose file matches the root on chain (checked once each). */
  private readonly confirmed = new Set<string>()
  /** Built trees of recently asked epochs (a tree of 100 000 leaves takes seconds to build). */
  private readonly trees = new Map<string, { file: EpochFile, tree: RewardTree }>()

  constructor (deps: SettlerDeps) {
    this.deps = deps
    this.dir = join(deps.dir, SETTLEMENTS_DIR)
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    const last = this.epochs().at(-1)
    this.windowStart = last === undefined ? this.now() : this.read(last)?.to ?? this.now()
  }

  private now (): number { return (this.deps.now ?? Date.now)() }

  /** Epoch numbers kept on disk, ascending. */
  epochs (): bigint[] {
    return readdirSync(this.dir).flatMap(f => /^\d{1,20}\.json$/.test(f) ? [BigInt(f.slice(0, -5))] : []).sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  }

  read (epoch: bigint): EpochFile | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${epoch}.json`), 'utf8')) as EpochFile
    } catch {
      return undefined
    }
  }

  /** Settles the window since the last one and posts it; returns the posted epoch, if any. */
  async settle (signal?: AbortSignal): Promise<bigint | undefined> {
    const { store, chain, log } = this.deps
    const from = this.windowStart
    const to = this.now()
    const tally = store.epochTally(from, to)
    const records: EpochFile['records'] = []
    for (const t of tally) {
      signal?.throwIfAborted()
      const node = await chain.operatorOfPeer(t.peer)
      if (node === undefined) continue
      records.push({ node, peer: t.peer, storedBytes: BigInt(t.storedBytes).toString(), seconds: BigInt(Math.max(0, Math.floor((to - from) / 1000))).toString(), audits: t.audits, passes: t.passes, servedBytes: '0' })
    }
    // Anyone may pull the node share of sales into the pool; do it so this epoch pays it.
    await collectRewards(chain).catch((err: unknown) => { log.warn({ code: isP2pdvError(err) ? err.code : 'ERR_CHAIN' }, 'could not collect the node share of sales into the reward pool') })
    const [epoch, weights, pool] = await Promise.all([nextRewardEpoch(chain), settlementWeights(chain), rewardPool(chain)])
    const served = await this.servedBytes(epoch, records, signal)
    for (const r of records) r.servedBytes = (served.tally.served.get(r.peer) ?? 0n).toString()
    const epochSeconds = epochSecondsOf(from, to)
    const input: NodeAuditRecord[] = records.map(r => ({ node: r.node, storedBytes: BigInt(r.storedBytes), seconds: BigInt(r.seconds), audits: r.audits, passes: r.passes, servedBytes: BigInt(r.servedBytes) }))
    const settlement = settleEpoch({ epoch, epochSeconds, pool, records: input, weights })
    for (const r of settlement.refusals) log.warn({ epoch: epoch.toString(), node: r.node, code: r.code, reason: r.reason }, 'settlement record refused')
    if (settlement.tree === undefined) {
      this.windowStart = to
      log.info({ epoch: epoch.toString(), records: records.length }, 'nothing earned this epoch: nothing to post')
      return undefined
    }
    const file: EpochFile = {
      v: 2, epoch: epoch.toString(), from, to, root: settlement.tree.root, weights,
      pool: { eth: pool.eth.toString(), token: pool.token.toString() },
      records,
      shares: settlement.shares.map(s => ({ node: s.node, ethAmount: s.ethAmount.toString(), tokenAmount: s.tokenAmount.toString() })),
      refusals: settlement.refusals,
      receipts: served.gathered.map(g => ({ peer: g.peer, receipts: g.receipts.map(b => Buffer.from(b).toString('base64')) })),
      receiptRefusals: served.tally.refusals
    }
    // Kept before posting: a crash after the post must not lose the leaves nodes need to claim.
    const path = join(this.dir, `${epoch}.json`)
    writeFileSync(`${path}.tmp`, JSON.stringify(file), { mode: 0o600 })
    renameSync(`${path}.tmp`, path)
    try {
      await postSettlement(chain, settlement)
    } catch (err) {
      const posted = await rewardEpoch(chain, epoch).catch(() => undefined)
      if (posted?.root.toLowerCase() !== file.root.toLowerCase()) {
        rmSync(path, { force: true })
        log.warn({ epoch: epoch.toString(), code: isP2pdvError(err) ? err.code : 'ERR_CHAIN' }, 'posting the epoch failed (another settler may have posted it): its leaves are dropped')
        throw err
      }
    }
    this.windowStart = to
    this.confirmed.add(file.epoch)
    log.info({ epoch: file.epoch, root: file.root, nodes: file.shares.length, eth: file.pool.eth, token: file.pool.token }, 'reward epoch posted')
    return epoch
  }

  /**
   * Reads and tallies each audited node's receipts for `epoch`. A node that cannot be read counts
   * 0 served bytes this epoch (logged); refusals are logged one by one with their code.
   */
  private async servedBytes (epoch: bigint, records: EpochFile['records'], signal?: AbortSignal): Promise<{ gathered: Array<{ peer: string, receipts: Uint8Array[] }>, tally: Awaited<ReturnType<typeof tallyReceipts>> }> {
    const { chain, log } = this.deps
    const source = this.deps.receipts ?? registeredReceiptSource(chain)
    const gathered: Array<{ peer: string, receipts: Uint8Array[] }> = []
    let budget = MAX_SETTLED_RECEIPTS
    if (epoch <= BigInt(Number.MAX_SAFE_INTEGER)) {
      for (const r of records) {
        signal?.throwIfAborted()
        if (budget <= 0) { log.warn({ epoch: epoch.toString(), limit: MAX_SETTLED_RECEIPTS }, 'the epoch\'s receipt limit is reached: later nodes\' receipts are not read'); break }
        try {
          const receipts = (await source(r.peer, r.node, Number(epoch), signal)).slice(0, Math.min(budget, MAX_RECEIPTS_PER_NODE))
          budget -= receipts.length
          if (receipts.length > 0) gathered.push({ peer: r.peer, receipts })
        } catch (err) {
          if (signal?.aborted === true) throw err
          log.warn({ epoch: epoch.toString(), peer: r.peer, code: 'ERR_RECEIPT_UNREACHABLE', cause: isP2pdvError(err) ? err.code : (err as Error).message?.slice(0, 200) }, 'could not read the node\'s serving receipts: it counts no served bytes this epoch')
        }
      }
    }
    const tally = await tallyReceipts(gathered, { epoch: Number(epoch), capBytes: DEFAULT_RECEIPT_CAP_BYTES })
    for (const x of tally.refusals) log.warn({ epoch: epoch.toString(), peer: x.peer, index: x.index, code: x.code, reason: x.reason }, 'serving receipt refused')
    if (gathered.length > 0) log.info({ epoch: epoch.toString(), nodes: gathered.length, counted: tally.counted, refused: tally.refusals.length }, 'serving receipts tallied')
    return { gathered, tally }
  }

  private treeOf (epoch: bigint, file: EpochFile): RewardTree {
    const cached = this.trees.get(file.epoch)
    if (cached !== undefined) return cached.tree
    const tree = buildRewardTree(epoch, file.shares.map(s => ({ node: s.node, ethAmount: BigInt(s.ethAmount), tokenAmount: BigInt(s.tokenAmount) })))
    if (this.trees.size >= MAX_CACHED_TREES) this.trees.delete(this.trees.keys().next().value!)
    this.trees.set(file.epoch, { file, tree })
    return tree
  }

  /** A node's share and proof in a posted epoch; undefined when this settler has none for it. */
  async proof (epoch: bigint, node: Address): Promise<RewardProof | undefined> {
    const file = this.read(epoch)
    if (file === undefined) return undefined
    if (!this.confirmed.has(file.epoch)) {
      const posted = await rewardEpoch(this.deps.chain, epoch)
      if (posted?.root.toLowerCase() !== file.root.toLowerCase()) return undefined
      this.confirmed.add(file.epoch)
    }
    const share = file.shares.find(s => s.node.toLowerCase() === node.toLowerCase())
    if (share === undefined) return undefined
    const tree = this.treeOf(epoch, file)
    return { epoch: file.epoch, node: share.node, ethAmount: share.ethAmount, tokenAmount: share.tokenAmount, root: tree.root, proof: [...tree.proof(share.node)] }
  }
}

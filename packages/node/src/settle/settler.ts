/**
 * The settler (`--settle`): at each epoch end it tallies this node's audit results for the
 * epoch, maps each audited peer to its registered operator, settles the reward pool with the
 * governed weights (@p2pdv/chain `settleEpoch`), posts the root (`postSettlement`) and keeps the
 * epoch's inputs and shares on disk, so it can serve every node's proof and anyone can recompute
 * the root.
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
  collectRewards, epochSecondsOf, nextRewardEpoch, postSettlement, rewardEpoch, rewardPool, settleEpoch, settlementWeights,
  type ChainClient, type NodeAuditRecord, type Refusal, type SettlementWeights
} from '@p2pdv/chain'
import { isP2pdvError } from '@p2pdv/core/errors'
import type { AuditStore } from '../audit/store.ts'

export const SETTLEMENTS_DIR = 'settlements'
const MAX_CACHED_TREES = 4

/** What one posted epoch keeps: the published inputs and every share (the leaves). */
export interface EpochFile {
  v: 1
  epoch: string
  /** The audit window [from, to) in ms since the epoch (Unix). */
  from: number
  to: number
  root: Hex
  weights: SettlementWeights
  pool: { eth: string, token: string }
  records: Array<{ node: Address, peer: string, storedBytes: string, seconds: string, audits: number, passes: number }>
  shares: Array<{ node: Address, ethAmount: string, tokenAmount: string }>
  refusals: Refusal[]
}

export interface SettlerDeps {
  store: AuditStore
  chain: ChainClient
  dir: string
  log: Logger
  now?: () => number
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
      records.push({ node, peer: t.peer, storedBytes: BigInt(t.storedBytes).toString(), seconds: BigInt(Math.max(0, Math.floor((to - from) / 1000))).toString(), audits: t.audits, passes: t.passes })
    }
    // Anyone may pull the node share of sales into the pool; do it so this epoch pays it.
    await collectRewards(chain).catch((err: unknown) => { log.warn({ code: isP2pdvError(err) ? err.code : 'ERR_CHAIN' }, 'could not collect the node share of sales into the reward pool') })
    const [epoch, weights, pool] = await Promise.all([nextRewardEpoch(chain), settlementWeights(chain), rewardPool(chain)])
    const epochSeconds = epochSecondsOf(from, to)
    const input: NodeAuditRecord[] = records.map(r => ({ node: r.node, storedBytes: BigInt(r.storedBytes), seconds: BigInt(r.seconds), audits: r.audits, passes: r.passes }))
    const settlement = settleEpoch({ epoch, epochSeconds, pool, records: input, weights })
    for (const r of settlement.refusals) log.warn({ epoch: epoch.toString(), node: r.node, code: r.code, reason: r.reason }, 'settlement record refused')
    if (settlement.tree === undefined) {
      this.windowStart = to
      log.info({ epoch: epoch.toString(), records: records.length }, 'nothing earned this epoch: nothing to post')
      return undefined
    }
    const file: EpochFile = {
      v: 1, epoch: epoch.toString(), from, to, root: settlement.tree.root, weights,
      pool: { eth: pool.eth.toString(), token: pool.token.toString() },
      records,
      shares: settlement.shares.map(s => ({ node: s.node, ethAmount: s.ethAmount.toString(), tokenAmount: s.tokenAmount.toString() })),
      refusals: settlement.refusals
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

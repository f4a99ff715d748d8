/**
 * The protocol's contracts as one object, for callers written before the per-contract functions
 * (registry.ts, access.ts, nodes.ts, token.ts, governance.ts, custody.ts): a `ChainContext`
 * whose methods delegate to those functions. New code calls the functions with a context
 * (`connectChain`, or a ChainClient, which is one).
 */
import type { Address, Chain, Hex, LocalAccount, PublicClient, TransactionReceipt, WalletClient } from 'viem'
import type { PolicyName } from '@p2pdv/contracts/constants'
import * as access from './access.ts'
import type { Plan } from './access.ts'
import type { ChainConfig } from './config.ts'
import * as conditions from './conditions.ts'
import * as refunds from './refunds.ts'
import type { HeldSale } from './refunds.ts'
import type { Condition } from './conditions.ts'
import { checkChainId, createChainContext, signerAddress, type ChainContext, type ChainContextOptions, type WriteQueue } from './context.ts'
import * as custody from './custody.ts'
import type { CustodyRecord } from './custody.ts'
import * as governance from './governance.ts'
import * as licensing from './licensing.ts'
import type { ClaimInfo } from './licensing.ts'
import * as nodes from './nodes.ts'
import type { NodeInfo, NodeProfile, SlashResult } from './nodes.ts'
import * as registry from './registry.ts'
import type { Price, RegisterVideoInput, VideoInfo } from './registry.ts'
import * as token from './token.ts'
import type { Asset, Balances } from './token.ts'

export type ChainClientOptions = ChainContextOptions

export class ChainClient implements ChainContext {
  readonly config: ChainConfig
  readonly chain: Chain
  readonly public: PublicClient
  /** A local account only: a page with a browser wallet calls the functions with a context (`connectChain`). */
  readonly account: LocalAccount | undefined
  readonly wallet: WalletClient | undefined
  readonly writes: WriteQueue

  private constructor (ctx: ChainContext) {
    this.config = ctx.config
    this.chain = ctx.chain
    this.public = ctx.public
    this.account = ctx.account?.type === 'local' ? ctx.account : undefined
    this.wallet = ctx.wallet
    this.writes = ctx.writes
  }

  /** Connects and checks that the endpoint serves the chain the config names. */
  static async connect (config: ChainConfig, options: ChainClientOptions = {}): Promise<ChainClient> {
    const client = new ChainClient(createChainContext(config, options))
    await checkChainId(client)
    return client
  }

  get address (): Address {
    return signerAddress(this)
  }

  // ---- videos (registry.ts) ----
  async registerVideo (input: RegisterVideoInput): Promise<TransactionReceipt> { return await registry.registerVideo(this, input) }
  async setPolicy (id: Hex, policy: PolicyName): Promise<TransactionReceipt> { return await registry.setPolicy(this, id, policy) }
  async transferVideo (id: Hex, to: Address): Promise<TransactionReceipt> { return await registry.transferVideo(this, id, to) }
  async updateVideo (id: Hex, update: { manifestCid: string, listingCid: string, keyFingerprint: Hex }): Promise<TransactionReceipt> { return await registry.updateVideo(this, id, update) }
  async getVideo (id: Hex): Promise<VideoInfo> { return await registry.getVideo(this, id) }
  async listVideos (options: { owner?: Address, includeRetired?: boolean } = {}): Promise<VideoInfo[]> { return await registry.listVideos(this, options) }
  async setProfile (cid: string): Promise<TransactionReceipt> { return await registry.setProfile(this, cid) }
  async getProfileCid (creator: Address): Promise<string> { return await registry.getProfileCid(this, creator) }

  // ---- access (access.ts) ----
  async hasAccess (id: Hex, viewer: Address): Promise<boolean> { return await access.hasAccess(this, id, viewer) }
  async grant (id: Hex, viewer: Address): Promise<TransactionReceipt> { return await access.grant(this, id, viewer) }
  async revoke (id: Hex, viewer: Address): Promise<TransactionReceipt> { return await access.revoke(this, id, viewer) }
  async setPrice (id: Hex, price: Price): Promise<TransactionReceipt> { return await access.setPrice(this, id, price) }
  async buy (id: Hex, options: { viewer?: Address, onSent?: (hash: Hex) => void, onTerms?: (terms: access.BuyTerms) => void } = {}): Promise<access.BuyResult> { return await access.buy(this, id, options) }
  async paidUntil (id: Hex, viewer: Address): Promise<bigint> { return await access.paidUntil(this, id, viewer) }
  async videoAudience (id: Hex): Promise<access.VideoAudience> { return await access.videoAudience(this, id) }
  async setPlan (plan: Plan, creator?: Address): Promise<TransactionReceipt> { return await access.setPlan(this, plan, creator) }
  async planOf (creator: Address): Promise<Plan | undefined> { return await access.planOf(this, creator) }
  async subscribe (creator: Address, periods = 1, options: { subscriber?: Address, onSent?: (hash: Hex) => void } = {}): Promise<{ until: bigint, plan: Plan, receipt: TransactionReceipt }> { return await access.subscribe(this, creator, periods, options) }
  async subscribedUntil (creator: Address, subscriber: Address): Promise<bigint> { return await access.subscribedUntil(this, creator, subscriber) }
  async setCondition (id: Hex, condition: Condition): Promise<TransactionReceipt> { return await conditions.setCondition(this, id, condition) }
  async clearCondition (id: Hex): Promise<TransactionReceipt> { return await conditions.clearCondition(this, id) }
  async tokenMetadata (token: Address, options: { timeoutMs?: number } = {}): Promise<conditions.TokenMetadata> { return await conditions.tokenMetadata(this, token, options) }
  async conditionTokens (condition: Condition, options: { timeoutMs?: number } = {}): Promise<Map<string, conditions.TokenMetadata>> { return await conditions.conditionTokens(this, condition, options) }
  async resolveCondition (condition: Condition, options: { timeoutMs?: number, tokens?: ReadonlyMap<string, conditions.TokenMetadata> } = {}): Promise<Condition> { return await conditions.resolveCondition(this, condition, options) }
  async conditionOf (id: Hex): Promise<Condition> { return await conditions.conditionOf(this, id) }
  async conditionMet (id: Hex, viewer: Address): Promise<boolean> { return await conditions.conditionMet(this, id, viewer) }
  async subscriptionReminders (subscriber: Address): Promise<{ now: bigint, subscriptions: access.LiveSubscription[] }> { return await access.subscriptionReminders(this, subscriber) }
  async setRefundWindow (id: Hex, seconds: bigint): Promise<TransactionReceipt> { return await refunds.setRefundWindow(this, id, seconds) }
  async refundWindowOf (id: Hex): Promise<bigint> { return await refunds.refundWindowOf(this, id) }
  async escrowOf (id: Hex, viewer: Address): Promise<HeldSale | undefined> { return await refunds.escrowOf(this, id, viewer) }
  async refund (id: Hex, viewer?: Address, options: { onSent?: (hash: Hex) => void } = {}): Promise<{ amount: bigint, asset: Asset, receipt: TransactionReceipt }> { return await refunds.refund(this, id, viewer, options) }
  async refundTerms (id: Hex, viewer: Address): Promise<refunds.RefundTerms> { return await refunds.refundTerms(this, id, viewer) }
  async heldSales (owner: Address): Promise<HeldSale[]> { return await refunds.heldSales(this, owner) }
  async releaseSales (sales: ReadonlyArray<{ video: Hex, viewer: Address }>): Promise<{ released: number, receipts: TransactionReceipt[] }> { return await refunds.releaseSales(this, sales) }
  async withdraw (asset: Asset, options: { onSent?: (hash: Hex) => void } = {}): Promise<{ amount: bigint, receipt: TransactionReceipt }> { return await access.withdraw(this, asset, options) }

  // ---- copyright claims (licensing.ts) ----
  async fileClaim (video: Hex, evidence: string): Promise<{ id: bigint, receipt: TransactionReceipt }> { return await licensing.fileClaim(this, video, evidence) }
  async counterClaim (id: bigint, counter: string): Promise<TransactionReceipt> { return await licensing.counterClaim(this, id, counter) }
  async withdrawClaim (id: bigint): Promise<TransactionReceipt> { return await licensing.withdrawClaim(this, id) }
  async resolveClaim (id: bigint, upheld: boolean, reason?: string): Promise<TransactionReceipt> { return await licensing.resolveClaim(this, id, upheld, reason) }
  async getClaim (id: bigint): Promise<ClaimInfo> { return await licensing.getClaim(this, id) }
  async listClaims (options: { limit?: number, keep?: (c: ClaimInfo) => boolean } = {}): Promise<ClaimInfo[]> { return await licensing.listClaims(this, options) }
  async isArbiter (account: Address): Promise<boolean> { return await licensing.isArbiter(this, account) }

  // ---- balances (token.ts) ----
  async balances (address?: Address): Promise<Balances> { return await token.balances(this, address) }

  // ---- storage nodes and the audit role (nodes.ts) ----
  async getNode (operator: Address): Promise<NodeInfo> { return await nodes.getNode(this, operator) }
  async listNodes (): Promise<NodeInfo[]> { return await nodes.listNodes(this) }
  async ensureNodeRegistered (profile: NodeProfile, stake = 0n): Promise<{ action: 'registered' | 'updated' | 'unchanged', toppedUp: bigint, node: NodeInfo }> { return await nodes.ensureNodeRegistered(this, profile, stake) }
  async operatorOfPeer (peerId: string): Promise<Address | undefined> { return await nodes.operatorOfPeer(this, peerId) }
  async isAuditor (account?: Address): Promise<boolean> { return await nodes.isAuditor(this, account) }
  async slashNode (operator: Address, evidence: Hex): Promise<SlashResult> { return await nodes.slashNode(this, operator, evidence) }
  async setNodeReputation (operator: Address, reputation: number): Promise<TransactionReceipt> { return await nodes.setNodeReputation(this, operator, reputation) }

  // ---- governance (governance.ts) ----
  async minStake (): Promise<bigint> { return await governance.minStake(this) }
  async erasureDefaults (): Promise<{ k: number, m: number }> { return await governance.erasureDefaults(this) }
  async slashTerms (): Promise<{ slashBps: number, treasury: Address }> { return await governance.slashTerms(this) }
  async collectRewards (): Promise<TransactionReceipt> { return await governance.collectRewards(this) }

  // ---- key custody (custody.ts) ----
  async custodyOf (id: Hex): Promise<CustodyRecord | undefined> { return await custody.custodyOf(this, id) }
  async setCustody (id: Hex, record: CustodyRecord): Promise<TransactionReceipt> { return await custody.setCustody(this, id, record) }
  async anchorLog (length: number, head: Hex): Promise<TransactionReceipt> { return await custody.anchorLog(this, length, head) }
  async anchoredHeadAt (keeper: Address, length: number): Promise<Hex | undefined> { return await custody.anchoredHeadAt(this, keeper, length) }
  async latestAnchor (keeper: Address): Promise<{ length: number, head: Hex, anchoredAt: bigint } | undefined> { return await custody.latestAnchor(this, keeper) }
}

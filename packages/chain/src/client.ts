/**
 * The protocol's contracts for clients, in Node and in the browser (viem only, no Node APIs):
 * register and list videos, set prices and plans, buy, subscribe, grant, check access, withdraw
 * revenue, and register a storage node with its stake.
 *
 * Writes are simulated first (so a refusal names the contract's custom error before anything is
 * sent), sent with a gas margin over the estimate, and awaited until mined. P2PV payments approve
 * exactly the amount they pay, never an open allowance.
 */
import {
  createPublicClient, createWalletClient, defineChain, http, keccak256, parseEventLogs, toBytes, zeroAddress,
  type Abi, type Address, type Chain, type Hex, type LocalAccount, type PublicClient, type TransactionReceipt, type WalletClient
} from 'viem'
import { AccessManagerAbi, KeyCustodyAbi, NodeRegistryAbi, P2PVTokenAbi, ProtocolParamsAbi, RewardsAbi, VideoRegistryAbi } from '@p2pdv/contracts/abis'
import { ETH, FOREVER, Policy, policyName, type PolicyName } from '@p2pdv/contracts/constants'
import { P2pdvError } from '@p2pdv/core/errors'
import type { ChainConfig } from './config.ts'
import { chainError, ChainErrorCode } from './errors.ts'

/** Blocks per eth_getLogs request: public endpoints refuse wide ranges. */
export const LOG_WINDOW = 10_000n
export const RECEIPT_TIMEOUT_MS = 120_000
const READ_CONCURRENCY = 16

export type Asset = 'eth' | 'p2pv'

export interface Price {
  asset: Asset
  /** Wei (of ETH or P2PV). */
  amount: bigint
  /** Seconds of access per purchase; 0 = permanent. */
  duration: bigint
}

export interface Plan {
  asset: Asset
  amount: bigint
  /** Seconds per period. */
  period: bigint
}

export interface VideoInfo {
  id: Hex
  owner: Address
  manifestCid: string
  listingCid: string
  keyFingerprint: Hex
  policy: PolicyName
  rating: number
  retired: boolean
  blocked: boolean
  registeredAt: bigint
  /** Undefined when the video has no price set. */
  price: Price | undefined
}

export interface RegisterVideoInput {
  id: Hex
  manifestCid: string
  listingCid?: string
  keyFingerprint: Hex
  policy: PolicyName
  rating?: number
}

export interface NodeProfile {
  peerId: string
  endpoints: string[]
  /** X25519 public key, 32 bytes as hex. */
  encryptionKey: Hex
  capacity: bigint
  keeper: boolean
}

export interface NodeInfo extends NodeProfile {
  operator: Address
  registered: boolean
  active: boolean
  stake: bigint
  unbonding: bigint
  unbondingReadyAt: bigint
  reputation: number
}

export interface Balances {
  eth: bigint
  p2pv: bigint
  owedEth: bigint
  owedP2pv: bigint
}

/** What a slash took, from the NodeRegistry's `Slashed` event. */
export interface SlashResult {
  operator: Address
  /** P2PV wei moved from the node's stake (bonded, then unbonding) to the treasury. */
  amount: bigint
  evidence: Hex
  receipt: TransactionReceipt
}

/** NodeRegistry.MAX_REPUTATION: reputations on chain are basis points of a perfect score. */
export const MAX_CHAIN_REPUTATION = 10_000

/** keccak256 of the role name, as the contracts define it. */
const AUDITOR_ROLE = keccak256(toBytes('AUDITOR_ROLE'))

export interface ChainClientOptions {
  /** Signs transactions; reads work without one. */
  account?: LocalAccount
  pollingIntervalMs?: number
  /** Per HTTP request (default 20 s); keepers' quorum reads use their own, shorter bound. */
  timeoutMs?: number
  /** Retries of a failed request (default 2). */
  retryCount?: number
}

/** Gas limit for an estimate: +25 % and 10 000, as wallets do (an estimate can be what a call used, not what it needed). */
function withMargin (estimate: bigint): bigint {
  return estimate * 5n / 4n + 10_000n
}

export class ChainClient {
  readonly config: ChainConfig
  readonly chain: Chain
  readonly public: PublicClient
  readonly account: LocalAccount | undefined
  private readonly wallet: WalletClient | undefined
  /** Writes from one account go out one at a time, so two never take the same nonce. */
  private writes: Promise<unknown> = Promise.resolve()

  private constructor (config: ChainConfig, options: ChainClientOptions) {
    this.config = config
    this.chain = defineChain({
      id: config.chainId,
      name: `p2pdv-${config.chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [config.rpc] } }
    })
    const transport = http(config.rpc, { timeout: options.timeoutMs ?? 20_000, retryCount: options.retryCount ?? 2 })
    this.public = createPublicClient({ chain: this.chain, transport, pollingInterval: options.pollingIntervalMs ?? 250 })
    this.account = options.account
    this.wallet = options.account === undefined ? undefined : createWalletClient({ account: options.account, chain: this.chain, transport })
  }

  /** Connects and checks that the endpoint serves the chain the config names. */
  static async connect (config: ChainConfig, options: ChainClientOptions = {}): Promise<ChainClient> {
    const client = new ChainClient(config, options)
    let chainId: number
    try {
      chainId = await client.public.getChainId()
    } catch (err) {
      throw chainError(err, 'connecting to the chain')
    }
    if (chainId !== config.chainId) {
      throw new P2pdvError(ChainErrorCode.WRONG_CHAIN, `the RPC endpoint serves chain ${chainId}, not ${config.chainId}`, {
        hint: 'The contract addresses belong to another chain: point --rpc at the right endpoint, or pass the matching --contracts file.'
      })
    }
    return client
  }

  get address (): Address {
    return this.requireAccount().address
  }

  // ---- videos ----

  async registerVideo (input: RegisterVideoInput): Promise<TransactionReceipt> {
    return await this.write('registering the video', this.config.contracts.videoRegistry, VideoRegistryAbi, 'register',
      [input.id, input.manifestCid, input.listingCid ?? '', input.keyFingerprint, Policy[input.policy], input.rating ?? 0])
  }

  async setPolicy (id: Hex, policy: PolicyName): Promise<TransactionReceipt> {
    return await this.write('changing the policy', this.config.contracts.videoRegistry, VideoRegistryAbi, 'setPolicy', [id, Policy[policy]])
  }

  async getVideo (id: Hex): Promise<VideoInfo> {
    const c = this.config.contracts
    try {
      const [v, price] = await Promise.all([
        this.public.readContract({ address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'getVideo', args: [id] }),
        this.public.readContract({ address: c.accessManager, abi: AccessManagerAbi, functionName: 'priceOf', args: [id] })
      ])
      return {
        id,
        owner: v.owner,
        manifestCid: v.manifestCid,
        listingCid: v.listingCid,
        keyFingerprint: v.keyFingerprint,
        policy: policyName(v.policy),
        rating: v.rating,
        retired: v.retired,
        blocked: v.blocked,
        registeredAt: v.registeredAt,
        price: price[1] === 0n ? undefined : { asset: this.assetName(price[0]), amount: price[1], duration: price[2] }
      }
    } catch (err) {
      throw chainError(err, 'reading the video')
    }
  }

  /** Every registered video, from the registry's events, with its current state. */
  async listVideos (options: { owner?: Address, includeRetired?: boolean } = {}): Promise<VideoInfo[]> {
    const ids: Hex[] = []
    try {
      const latest = await this.public.getBlockNumber()
      for (let from = this.config.startBlock; from <= latest; from += LOG_WINDOW) {
        const to = from + LOG_WINDOW - 1n < latest ? from + LOG_WINDOW - 1n : latest
        const logs = await this.public.getContractEvents({
          address: this.config.contracts.videoRegistry,
          abi: VideoRegistryAbi,
          eventName: 'VideoRegistered',
          fromBlock: from,
          toBlock: to
        })
        for (const log of logs) if (log.args.id !== undefined) ids.push(log.args.id)
      }
    } catch (err) {
      throw chainError(err, 'listing videos')
    }
    const videos: VideoInfo[] = []
    for (let i = 0; i < ids.length; i += READ_CONCURRENCY) {
      videos.push(...await Promise.all(ids.slice(i, i + READ_CONCURRENCY).map(async id => await this.getVideo(id))))
    }
    return videos.filter(v => (options.includeRetired === true || !v.retired) && (options.owner === undefined || v.owner === options.owner))
  }

  // ---- access ----

  async hasAccess (id: Hex, viewer: Address): Promise<boolean> {
    try {
      return await this.public.readContract({ address: this.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, viewer] })
    } catch (err) {
      throw chainError(err, 'checking access')
    }
  }

  async grant (id: Hex, viewer: Address): Promise<TransactionReceipt> {
    return await this.write('granting access', this.config.contracts.accessManager, AccessManagerAbi, 'grant', [id, viewer])
  }

  async revoke (id: Hex, viewer: Address): Promise<TransactionReceipt> {
    return await this.write('revoking access', this.config.contracts.accessManager, AccessManagerAbi, 'revoke', [id, viewer])
  }

  async setPrice (id: Hex, price: Price): Promise<TransactionReceipt> {
    return await this.write('setting the price', this.config.contracts.accessManager, AccessManagerAbi, 'setPrice', [id, this.assetAddress(price.asset), price.amount, price.duration])
  }

  /**
   * Pays for access to a paid video at the price on chain now (for `viewer`, default the
   * signer). The terms read are passed along, so a price change in between makes it revert.
   */
  async buy (id: Hex, options: { viewer?: Address } = {}): Promise<{ until: bigint, price: Price, receipt: TransactionReceipt }> {
    const video = await this.getVideo(id)
    if (video.policy !== 'paid' || video.price === undefined || video.retired || video.blocked) {
      throw new P2pdvError('ERR_NOT_FOR_SALE', `video ${id.slice(0, 10)}… is not for sale (policy ${video.policy}${video.retired ? ', retired' : ''})`, {
        hint: video.policy === 'subscribers' ? 'Subscribe to its creator with `p2pdv subscribe CREATOR`.' : 'Ask its owner for a grant.'
      })
    }
    const { price } = video
    const viewer = options.viewer ?? this.address
    if (price.asset === 'p2pv') await this.approveExactly(price.amount)
    const receipt = await this.write('buying access', this.config.contracts.accessManager, AccessManagerAbi, 'buy',
      [id, viewer, price.amount, price.duration], price.asset === 'eth' ? price.amount : 0n)
    const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Purchased' })
    return { until: log?.args.until ?? 0n, price, receipt }
  }

  /** When a viewer's paid access ends: 0 none, FOREVER permanent. */
  async paidUntil (id: Hex, viewer: Address): Promise<bigint> {
    return await this.public.readContract({ address: this.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, viewer] })
  }

  async setPlan (plan: Plan, creator: Address = this.address): Promise<TransactionReceipt> {
    return await this.write('setting the subscription plan', this.config.contracts.accessManager, AccessManagerAbi, 'setPlan', [creator, this.assetAddress(plan.asset), plan.amount, plan.period])
  }

  async planOf (creator: Address): Promise<Plan | undefined> {
    const [asset, amount, period] = await this.public.readContract({ address: this.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'planOf', args: [creator] })
    return amount === 0n ? undefined : { asset: this.assetName(asset), amount, period }
  }

  async subscribe (creator: Address, periods = 1, options: { subscriber?: Address } = {}): Promise<{ until: bigint, plan: Plan, receipt: TransactionReceipt }> {
    const plan = await this.planOf(creator)
    if (plan === undefined) throw new P2pdvError('ERR_CHAIN_NO_SUBSCRIPTION_PLAN', `${creator} offers no subscription`, { hint: 'The creator sets one with `p2pdv plan --price …`.' })
    const total = plan.amount * BigInt(periods)
    if (plan.asset === 'p2pv') await this.approveExactly(total)
    const receipt = await this.write('subscribing', this.config.contracts.accessManager, AccessManagerAbi, 'subscribe',
      [creator, options.subscriber ?? this.address, periods, plan.amount, plan.period], plan.asset === 'eth' ? total : 0n)
    const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Subscribed' })
    return { until: log?.args.until ?? 0n, plan, receipt }
  }

  async subscribedUntil (creator: Address, subscriber: Address): Promise<bigint> {
    return await this.public.readContract({ address: this.config.contracts.accessManager, abi: AccessManagerAbi, functionName: 'subscribedUntil', args: [creator, subscriber] })
  }

  // ---- balances ----

  async balances (address: Address = this.address): Promise<Balances> {
    const c = this.config.contracts
    try {
      const [eth, p2pv, owedEth, owedP2pv] = await Promise.all([
        this.public.getBalance({ address }),
        this.public.readContract({ address: c.token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [address] }),
        this.public.readContract({ address: c.accessManager, abi: AccessManagerAbi, functionName: 'owed', args: [address, ETH] }),
        this.public.readContract({ address: c.accessManager, abi: AccessManagerAbi, functionName: 'owed', args: [address, c.token] })
      ])
      return { eth, p2pv, owedEth, owedP2pv }
    } catch (err) {
      throw chainError(err, 'reading balances')
    }
  }

  /** Withdraws what the AccessManager owes the signer in `asset`; resolves with the amount. */
  async withdraw (asset: Asset): Promise<{ amount: bigint, receipt: TransactionReceipt }> {
    const receipt = await this.write('withdrawing', this.config.contracts.accessManager, AccessManagerAbi, 'withdraw', [this.assetAddress(asset)])
    const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: receipt.logs, eventName: 'Withdrawn' })
    return { amount: log?.args.amount ?? 0n, receipt }
  }

  // ---- storage nodes ----

  async getNode (operator: Address): Promise<NodeInfo> {
    const c = this.config.contracts
    try {
      const [n, active] = await Promise.all([
        this.public.readContract({ address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'getNode', args: [operator] }),
        this.public.readContract({ address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'isActive', args: [operator] })
      ])
      return {
        operator,
        registered: n.registered,
        active,
        stake: n.stake,
        unbonding: n.unbonding,
        unbondingReadyAt: n.unbondingReadyAt,
        reputation: n.reputation,
        peerId: n.profile.peerId,
        endpoints: [...n.profile.endpoints],
        encryptionKey: n.profile.encryptionKey,
        capacity: n.profile.capacity,
        keeper: n.profile.keeper
      }
    } catch (err) {
      throw chainError(err, 'reading the node')
    }
  }

  /** Every operator that registered (a page at a time), with its current state. */
  async listNodes (): Promise<NodeInfo[]> {
    const c = this.config.contracts
    const count = await this.public.readContract({ address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'nodeCount' })
    const operators: Address[] = []
    for (let offset = 0n; offset < count; offset += 100n) {
      operators.push(...await this.public.readContract({ address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'nodes', args: [offset, 100n] }))
    }
    return await Promise.all(operators.map(async o => await this.getNode(o)))
  }

  async minStake (): Promise<bigint> {
    return await this.public.readContract({ address: this.config.contracts.params, abi: ProtocolParamsAbi, functionName: 'minStake' })
  }

  /**
   * The erasure coding governance sets as the default for stored objects (ProtocolParams): what
   * uploads use unless told otherwise (`PutOptions.defaultErasure`).
   */
  async erasureDefaults (): Promise<{ k: number, m: number }> {
    try {
      const [k, m] = await this.public.readContract({ address: this.config.contracts.params, abi: ProtocolParamsAbi, functionName: 'erasureDefaults' })
      return { k, m }
    } catch (err) {
      throw chainError(err, 'reading the erasure defaults')
    }
  }

  /**
   * Makes the signer a registered, active node with this profile: registers with `stake` (at
   * least the minimum) the first time; later updates a changed profile (ports move between
   * starts) and tops the stake up to the minimum when it fell below (a slash, a new minimum).
   */
  async ensureNodeRegistered (profile: NodeProfile, stake = 0n): Promise<{ action: 'registered' | 'updated' | 'unchanged', toppedUp: bigint, node: NodeInfo }> {
    const c = this.config.contracts
    const min = await this.minStake()
    const current = await this.getNode(this.address)
    let action: 'registered' | 'updated' | 'unchanged' = 'unchanged'
    let toppedUp = 0n
    if (!current.registered) {
      const amount = stake > min ? stake : min
      await this.approveExactly(amount, c.nodeRegistry)
      await this.write('registering the node', c.nodeRegistry, NodeRegistryAbi, 'register', [profile, amount])
      action = 'registered'
    } else {
      if (!sameProfile(current, profile)) {
        await this.write('updating the node profile', c.nodeRegistry, NodeRegistryAbi, 'updateProfile', [profile])
        action = 'updated'
      }
      if (current.stake < min) {
        toppedUp = min - current.stake
        await this.approveExactly(toppedUp, c.nodeRegistry)
        await this.write('adding stake', c.nodeRegistry, NodeRegistryAbi, 'addStake', [toppedUp])
      }
    }
    return { action, toppedUp, node: await this.getNode(this.address) }
  }

  // ---- auditors (the NodeRegistry's audit role) ----

  /** The operator that registered this libp2p peer id, or undefined when nobody did. */
  async operatorOfPeer (peerId: string): Promise<Address | undefined> {
    try {
      const a = await this.public.readContract({ address: this.config.contracts.nodeRegistry, abi: NodeRegistryAbi, functionName: 'operatorOfPeer', args: [keccak256(toBytes(peerId))] })
      return a === zeroAddress ? undefined : a
    } catch (err) {
      throw chainError(err, 'looking up the operator of a peer id')
    }
  }

  /** Whether `account` (default the signer) holds the NodeRegistry's audit role. */
  async isAuditor (account: Address = this.address): Promise<boolean> {
    try {
      return await this.public.readContract({ address: this.config.contracts.nodeRegistry, abi: NodeRegistryAbi, functionName: 'hasRole', args: [AUDITOR_ROLE, account] })
    } catch (err) {
      throw chainError(err, 'reading the audit role')
    }
  }

  /** The governance fraction a slash takes (basis points) and where it goes. */
  async slashTerms (): Promise<{ slashBps: number, treasury: Address }> {
    const p = this.config.contracts.params
    try {
      const [slashBps, treasury] = await Promise.all([
        this.public.readContract({ address: p, abi: ProtocolParamsAbi, functionName: 'slashBps' }),
        this.public.readContract({ address: p, abi: ProtocolParamsAbi, functionName: 'treasury' })
      ])
      return { slashBps, treasury }
    } catch (err) {
      throw chainError(err, 'reading the slashing terms')
    }
  }

  /**
   * Slashes the governance fraction of `operator`'s stake (bonded and unbonding) to the treasury,
   * recording `evidence` (a 32-byte hash of what proves the offence) in the `Slashed` event.
   * Needs the audit role (or governance).
   */
  async slashNode (operator: Address, evidence: Hex): Promise<SlashResult> {
    const receipt = await this.write('slashing the node', this.config.contracts.nodeRegistry, NodeRegistryAbi, 'slash', [operator, evidence])
    const [log] = parseEventLogs({ abi: NodeRegistryAbi, logs: receipt.logs, eventName: 'Slashed' })
    return { operator, amount: log?.args.amount ?? 0n, evidence, receipt }
  }

  /** Sets a node's reputation (0 … MAX_CHAIN_REPUTATION); needs the audit role (or governance). */
  async setNodeReputation (operator: Address, reputation: number): Promise<TransactionReceipt> {
    if (!Number.isInteger(reputation) || reputation < 0 || reputation > MAX_CHAIN_REPUTATION) {
      throw new P2pdvError('ERR_CHAIN_INVALID_REPUTATION', `reputation must be an integer 0 … ${MAX_CHAIN_REPUTATION}, not ${reputation}`, { hint: 'Scale a score in [0, 1] by MAX_CHAIN_REPUTATION.' })
    }
    return await this.write('setting the node reputation', this.config.contracts.nodeRegistry, NodeRegistryAbi, 'setReputation', [operator, reputation])
  }

  /** Pulls the reward pool's share from the AccessManager (anyone may). */
  async collectRewards (): Promise<TransactionReceipt> {
    return await this.write('collecting rewards', this.config.contracts.rewards, RewardsAbi, 'collect', [this.config.contracts.accessManager])
  }

  // ---- key custody (KeyCustody.sol) and re-keys ----

  /** Points a video at a new manifest, listing and key fingerprint (after a re-key). */
  async updateVideo (id: Hex, update: { manifestCid: string, listingCid: string, keyFingerprint: Hex }): Promise<TransactionReceipt> {
    return await this.write('updating the video', this.config.contracts.videoRegistry, VideoRegistryAbi, 'update', [id, update.manifestCid, update.listingCid, update.keyFingerprint])
  }

  /** Which keepers hold the video's key shares, how many are needed, and the share epoch (undefined: none). */
  async custodyOf (id: Hex): Promise<{ epoch: number, threshold: number, keepers: Address[] } | undefined> {
    try {
      const [epoch, threshold, keepers] = await this.public.readContract({ address: this.config.contracts.keyCustody, abi: KeyCustodyAbi, functionName: 'custodyOf', args: [id] })
      return keepers.length === 0 ? undefined : { epoch, threshold, keepers: [...keepers] }
    } catch (err) {
      throw chainError(err, 'reading the video\'s keepers')
    }
  }

  /** Records the keepers of a video's shares at a new epoch (owner or delegate). */
  async setCustody (id: Hex, custody: { epoch: number, threshold: number, keepers: Address[] }): Promise<TransactionReceipt> {
    return await this.write('recording the key keepers', this.config.contracts.keyCustody, KeyCustodyAbi, 'setCustody', [id, custody.epoch, custody.threshold, custody.keepers])
  }

  /** A keeper anchors the head of its release log. */
  async anchorLog (length: number, head: Hex): Promise<TransactionReceipt> {
    return await this.write('anchoring the audit log', this.config.contracts.keyCustody, KeyCustodyAbi, 'anchor', [BigInt(length), head])
  }

  /** The head a keeper anchored at exactly `length` entries (its LogAnchored events), if it did. */
  async anchoredHeadAt (keeper: Address, length: number): Promise<Hex | undefined> {
    try {
      const latest = await this.public.getBlockNumber()
      for (let from = this.config.startBlock; from <= latest; from += LOG_WINDOW) {
        const to = from + LOG_WINDOW - 1n < latest ? from + LOG_WINDOW - 1n : latest
        const logs = await this.public.getContractEvents({ address: this.config.contracts.keyCustody, abi: KeyCustodyAbi, eventName: 'LogAnchored', args: { keeper }, fromBlock: from, toBlock: to })
        const hit = logs.find(l => l.args.length !== undefined && Number(l.args.length) === length)
        if (hit?.args.head !== undefined) return hit.args.head
      }
      return undefined
    } catch (err) {
      throw chainError(err, 'reading the keeper\'s anchors')
    }
  }

  /** The latest anchored log head of a keeper, if any. */
  async latestAnchor (keeper: Address): Promise<{ length: number, head: Hex, anchoredAt: bigint } | undefined> {
    try {
      const [length, anchoredAt, head] = await this.public.readContract({ address: this.config.contracts.keyCustody, abi: KeyCustodyAbi, functionName: 'anchors', args: [keeper] })
      return length === 0n ? undefined : { length: Number(length), head, anchoredAt }
    } catch (err) {
      throw chainError(err, 'reading the keeper\'s anchor')
    }
  }

  // ---- internals ----

  private requireAccount (): LocalAccount {
    if (this.account === undefined) {
      throw new P2pdvError(ChainErrorCode.NO_ACCOUNT, 'this needs a wallet to sign with', { hint: 'Pick an identity with --as NAME (see `p2pdv keys ls`).' })
    }
    return this.account
  }

  private assetName (address: Address): Asset {
    return address === zeroAddress ? 'eth' : 'p2pv'
  }

  private assetAddress (asset: Asset): Address {
    return asset === 'eth' ? ETH : this.config.contracts.token
  }

  /** Sets the P2PV allowance of `spender` (default the AccessManager) to exactly `amount`, if it is not already. */
  private async approveExactly (amount: bigint, spender: Address = this.config.contracts.accessManager): Promise<void> {
    const current = await this.public.readContract({ address: this.config.contracts.token, abi: P2PVTokenAbi, functionName: 'allowance', args: [this.address, spender] })
    if (current === amount) return
    await this.write('approving P2PV', this.config.contracts.token, P2PVTokenAbi, 'approve', [spender, amount])
  }

  private async write (action: string, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value = 0n): Promise<TransactionReceipt> {
    const run = this.writes.then(async () => await this.writeNow(action, address, abi, functionName, args, value))
    this.writes = run.catch(() => {})
    return await run
  }

  private async writeNow (action: string, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value: bigint): Promise<TransactionReceipt> {
    const account = this.requireAccount()
    const wallet = this.wallet!
    try {
      const call = { address, abi, functionName, args, account, ...(value === 0n ? {} : { value }) }
      const { request } = await this.public.simulateContract(call as never)
      const gas = await this.public.estimateContractGas(call as never)
      const hash = await wallet.writeContract({ ...(request as object), gas: withMargin(gas) } as never)
      const receipt = await this.public.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS })
      if (receipt.status !== 'success') {
        throw new P2pdvError(ChainErrorCode.TX_FAILED, `${action}: transaction ${hash} was mined but failed`, { hint: 'Retry; if it fails again, run with P2PDV_DEBUG=1.' })
      }
      return receipt
    } catch (err) {
      throw chainError(err, action)
    }
  }
}

function sameProfile (a: NodeProfile, b: NodeProfile): boolean {
  return a.peerId === b.peerId && a.encryptionKey.toLowerCase() === b.encryptionKey.toLowerCase() && a.capacity === b.capacity &&
    a.keeper === b.keeper && a.endpoints.length === b.endpoints.length && a.endpoints.every((e, i) => e === b.endpoints[i])
}

/** True when paid access or a subscription with this end time is still live. */
export function isLive (until: bigint, nowSeconds = BigInt(Math.floor(Date.now() / 1000))): boolean {
  return until === FOREVER || until > nowSeconds
}

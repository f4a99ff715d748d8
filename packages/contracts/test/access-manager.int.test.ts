// AccessManager on a real anvil: the access matrix (owner, grants, public, private, paid,
// subscribers, expiry, retirement), payments in ETH and P2PV with the revenue split, refunds,
// pull withdrawals, reentrancy, and every revert path with its custom error.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { encodeFunctionData, getAddress, parseEventLogs, zeroAddress, type Address, type Hex } from 'viem'
import { AccessManagerAbi, ETH, FOREVER, P2PVTokenAbi, Policy, VideoRegistryAbi } from '../src/index.ts'
import { ReentrantPayeeAbi, ReentrantPayeeBytecode, RejectingPayeeAbi, RejectingPayeeBytecode } from '../src/generated/test-contracts.ts'
import { ETHER, impersonate, latestTimestamp, P2PV, randomId, reverts, send, startChain, travel, type TestChain } from './fixtures/chain.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const FP = `0x${'ab'.repeat(32)}` as Hex

describe('AccessManager', () => {
  let chain: TestChain
  let alice: Address, bob: Address, carol: Address, dave: Address
  let am: Address, registry: Address, token: Address

  before(async () => {
    chain = await startChain()
    ;[, , alice, bob, carol, dave] = chain.accounts as [Address, Address, Address, Address, Address, Address]
    am = chain.c.accessManager
    registry = chain.c.videoRegistry
    token = chain.c.token
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const hasAccess = async (video: Hex, viewer: Address): Promise<boolean> =>
    await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'hasAccess', args: [video, viewer] })
  const owed = async (payee: Address, asset: Address): Promise<bigint> =>
    await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'owed', args: [payee, asset] })
  const video = async (owner: Address, policy: number): Promise<Hex> => {
    const id = randomId()
    await send(chain.client, owner, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, '', FP, policy, 0] })
    return id
  }
  const setPrice = async (from: Address, id: Hex, asset: Address, amount: bigint, duration = 0n): Promise<void> => {
    await send(chain.client, from, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, asset, amount, duration] })
  }
  /** Buys at the terms currently on chain (what a client shows), unless others are given. */
  const buy = async (from: Address, id: Hex, viewer: Address, value = 0n, terms?: { maxAmount: bigint, duration: bigint }) => {
    const [, amount, duration] = await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'priceOf', args: [id] })
    return await send(chain.client, from, { address: am, abi: AccessManagerAbi, functionName: 'buy', args: [id, viewer, terms?.maxAmount ?? amount, terms?.duration ?? duration], value })
  }
  const approve = async (from: Address, amount: bigint): Promise<void> => {
    await send(chain.client, from, { address: token, abi: P2PVTokenAbi, functionName: 'approve', args: [am, amount] })
  }

  describe('hasAccess', () => {
    it('public: everyone; the owner always; unknown videos: nobody', async () => {
      const id = await video(alice, Policy.public)
      assert.equal(await hasAccess(id, bob), true)
      assert.equal(await hasAccess(id, alice), true)
      assert.equal(await hasAccess(randomId(), alice), false)
    })

    it('private: only the owner and grantees; revoking closes it again', async () => {
      const id = await video(alice, Policy.private)
      assert.equal(await hasAccess(id, alice), true)
      assert.equal(await hasAccess(id, bob), false)
      const r = await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, bob] })
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'Granted' })[0]?.args, { video: id, viewer: bob, by: alice })
      assert.equal(await hasAccess(id, bob), true)
      assert.equal(await hasAccess(id, carol), false)
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'revoke', args: [id, bob] })
      assert.equal(await hasAccess(id, bob), false)
    })

    it('a purchase survives the owner switching the video to private or subscribers-only', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, ETHER / 100n)
      await buy(bob, id, bob, ETHER / 100n)
      assert.equal(await hasAccess(id, bob), true)
      await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, Policy.private] })
      assert.equal(await hasAccess(id, bob), true, 'bob paid for good: private does not take it back')
      assert.equal(await hasAccess(id, carol), false, 'but nobody else gets in')
      await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, Policy.subscribers] })
      assert.equal(await hasAccess(id, bob), true, 'nor does subscribers-only')
    })

    it('a time-limited purchase still ends at its expiry after a switch to private', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 1000n, 3600n)
      await buy(bob, id, bob, 1000n)
      await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, Policy.private] })
      assert.equal(await hasAccess(id, bob), true)
      await travel(chain.client, 3601)
      assert.equal(await hasAccess(id, bob), false)
    })

    it('paid: no access before paying, access after; a grant also opens it', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, ETHER / 100n)
      assert.equal(await hasAccess(id, bob), false)
      const r = await buy(bob, id, bob, ETHER / 100n)
      const [log] = parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'Purchased' })
      assert.deepEqual(log?.args, { video: id, viewer: bob, payer: bob, asset: ETH, amount: ETHER / 100n, until: FOREVER })
      assert.equal(await hasAccess(id, bob), true)
      assert.equal(await hasAccess(id, carol), false)
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, carol] })
      assert.equal(await hasAccess(id, carol), true)
    })

    it('paid, time-limited: access ends at expiry, and a renewal extends from the expiry', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 1000n, 3600n)
      await buy(bob, id, bob, 1000n)
      const first = await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, bob] })
      assert.equal(first, await latestTimestamp(chain.client) + 3600n)
      await buy(bob, id, bob, 1000n)
      const second = await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, bob] })
      assert.equal(second, first + 3600n)
      await travel(chain.client, Number(second - await latestTimestamp(chain.client)) - 5)
      assert.equal(await hasAccess(id, bob), true)
      await travel(chain.client, 10)
      assert.equal(await hasAccess(id, bob), false)
      // A purchase after expiry starts from now.
      await buy(bob, id, bob, 1000n)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, bob] }), await latestTimestamp(chain.client) + 3600n)
    })

    it('subscribers-only: a live subscription to the owner, until it expires; a grant also opens it', async () => {
      const id = await video(alice, Policy.subscribers)
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 500n, 86_400n] })
      assert.equal(await hasAccess(id, bob), false)
      const r = await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 2, 500n, 86_400n], value: 1000n })
      const until = await latestTimestamp(chain.client) + 2n * 86_400n
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'Subscribed' })[0]?.args, { creator: alice, subscriber: bob, payer: bob, asset: ETH, amount: 1000n, until })
      assert.equal(await hasAccess(id, bob), true)
      // A subscription covers the creator's other subscriber videos too, but not a paid one.
      const other = await video(alice, Policy.subscribers)
      assert.equal(await hasAccess(other, bob), true)
      const paid = await video(alice, Policy.paid)
      assert.equal(await hasAccess(paid, bob), false)
      // Renewal extends from the current expiry.
      await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 1, 500n, 86_400n], value: 500n })
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'subscribedUntil', args: [alice, bob] }), until + 86_400n)
      await travel(chain.client, 3 * 86_400 + 1)
      assert.equal(await hasAccess(id, bob), false)
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, bob] })
      assert.equal(await hasAccess(id, bob), true)
    })

    it('retired or blocked: nobody but the owner, grants and payments included', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 10n)
      await buy(bob, id, bob, 10n)
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, carol] })
      await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'retire', args: [id] })
      assert.equal(await hasAccess(id, bob), false)
      assert.equal(await hasAccess(id, carol), false)
      assert.equal(await hasAccess(id, alice), true)
      const blocked = await video(alice, Policy.public)
      await impersonate(chain.client, chain.c.licensing)
      await send(chain.client, chain.c.licensing, { address: registry, abi: VideoRegistryAbi, functionName: 'setBlocked', args: [blocked, true] })
      assert.equal(await hasAccess(blocked, bob), false)
      assert.equal(await hasAccess(blocked, alice), true)
    })

    it('delegates manage grants and prices for the owner', async () => {
      const id = await video(alice, Policy.private)
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, carol] }), 'NotVideoManager', [id, bob])
      await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [bob, true] })
      await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, carol] })
      assert.equal(await hasAccess(id, carol), true)
      await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 1n, 60n] })
      assert.deepEqual(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'planOf', args: [alice] }), [ETH, 1n, 60n])
    })
  })

  describe('payments', () => {
    it('splits an ETH payment 85/10/5 between creator, node pool and treasury, and refunds overpayment', async () => {
      const id = await video(alice, Policy.paid)
      const price = 10n ** 16n
      await setPrice(alice, id, ETH, price)
      const r = await buy(bob, id, carol, price + 123n)
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'Refunded' })[0]?.args, { payer: bob, amount: 123n })
      assert.equal(await hasAccess(id, carol), true, 'bob paid for carol')
      assert.equal(await hasAccess(id, bob), false)
      assert.equal(await owed(alice, ETH), price * 8500n / 10000n)
      assert.equal(await owed(chain.c.rewards, ETH), price * 1000n / 10000n)
      assert.equal(await owed(chain.c.timelock, ETH), price - price * 8500n / 10000n - price * 1000n / 10000n)
      assert.equal(await owed(bob, ETH), 123n)
      assert.equal(await chain.client.getBalance({ address: am }), price + 123n)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'totalOwed', args: [ETH] }), price + 123n)
    })

    it('rounds the shares down and gives the remainder to the treasury', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 7n)
      await buy(bob, id, bob, 7n)
      assert.equal(await owed(alice, ETH), 5n) // 7 × 0.85 = 5.95
      assert.equal(await owed(chain.c.rewards, ETH), 0n) // 0.7
      assert.equal(await owed(chain.c.timelock, ETH), 2n)
    })

    it('takes P2PV prices with transferFrom after an approval', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, token, 100n * P2PV)
      assert.deepEqual(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'priceOf', args: [id] }), [token, 100n * P2PV, 0n])
      await reverts(buy(bob, id, bob), 'ERC20InsufficientAllowance')
      await reverts(buy(bob, id, bob, 1n), 'UnexpectedValue', [1n])
      await approve(bob, 100n * P2PV)
      const before = await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [bob] })
      await buy(bob, id, bob)
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [bob] }), before - 100n * P2PV)
      assert.equal(await owed(alice, token), 85n * P2PV)
      assert.equal(await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [am] }), 100n * P2PV)
      assert.equal(await hasAccess(id, bob), true)
    })

    it('pays subscriptions in P2PV too', async () => {
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, token, 5n * P2PV, 30n * 86_400n] })
      await approve(bob, 15n * P2PV)
      await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 3, 5n * P2PV, 30n * 86_400n] })
      assert.equal(await owed(alice, token), 15n * P2PV * 8500n / 10000n)
    })

    it('lets payees withdraw what they are owed, once', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, ETHER)
      await buy(bob, id, bob, ETHER)
      const before = await chain.client.getBalance({ address: alice })
      const r = await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'withdraw', args: [ETH] })
      const gas = r.gasUsed * r.effectiveGasPrice
      assert.equal(await chain.client.getBalance({ address: alice }), before + ETHER * 85n / 100n - gas)
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'Withdrawn' })[0]?.args, { payee: alice, asset: ETH, amount: ETHER * 85n / 100n })
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'withdraw', args: [ETH] }), 'NothingToWithdraw', [alice, ETH])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'withdraw', args: [dave] }), 'UnsupportedAsset', [dave])
      assert.equal(await chain.client.getBalance({ address: am }), ETHER * 15n / 100n)
    })

    it('guards withdraw against reentrancy: the reentering call fails and the balance is paid once', async () => {
      const hash = await chain.client.deployContract({ abi: ReentrantPayeeAbi, bytecode: ReentrantPayeeBytecode, args: [am], account: alice, chain: chain.client.chain })
      const payee = getAddress((await chain.client.waitForTransactionReceipt({ hash })).contractAddress!)
      const id = randomId()
      // The contract registers and prices its own video, then bob buys it.
      const fwd = async (to: Address, data: Hex): Promise<void> => { await send(chain.client, alice, { address: payee, abi: ReentrantPayeeAbi, functionName: 'call', args: [to, data] }) }
      await fwd(registry, encodeFunctionData({ abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, '', FP, Policy.paid, 0] }))
      await fwd(am, encodeFunctionData({ abi: AccessManagerAbi, functionName: 'setPrice', args: [id, ETH, 1000n, 0n] }))
      await buy(bob, id, bob, 1000n)
      await send(chain.client, alice, { address: payee, abi: ReentrantPayeeAbi, functionName: 'withdrawFrom' })
      assert.equal(await chain.client.getBalance({ address: payee }), 850n)
      assert.equal(await chain.client.readContract({ address: payee, abi: ReentrantPayeeAbi, functionName: 'reentered' }), true)
      const err = await chain.client.readContract({ address: payee, abi: ReentrantPayeeAbi, functionName: 'lastError' })
      assert.equal(err.slice(0, 10), '0x3ee5aeb5', 'ReentrancyGuardReentrantCall()')
      assert.equal(await owed(payee, ETH), 0n)
    })

    it('reports a payee that refuses ETH with TransferFailed, and keeps its balance', async () => {
      const hash = await chain.client.deployContract({ abi: RejectingPayeeAbi, bytecode: RejectingPayeeBytecode, account: alice, chain: chain.client.chain })
      const payee = getAddress((await chain.client.waitForTransactionReceipt({ hash })).contractAddress!)
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 1000n)
      // The rejecting contract overpays: its refund is owed and cannot be pushed to it.
      await send(chain.client, alice, { address: payee, abi: RejectingPayeeAbi, functionName: 'call', args: [am, encodeFunctionData({ abi: AccessManagerAbi, functionName: 'buy', args: [id, payee, 1000n, 0n] })], value: 1500n })
      assert.equal(await owed(payee, ETH), 500n)
      await reverts(send(chain.client, alice, { address: payee, abi: RejectingPayeeAbi, functionName: 'call', args: [am, encodeFunctionData({ abi: AccessManagerAbi, functionName: 'withdraw', args: [ETH] })] }), 'TransferFailed', [payee, 500n])
      assert.equal(await owed(payee, ETH), 500n)
    })
  })

  describe('reverts', () => {
    it('grant, revoke and setPrice: unknown video, not a manager, zero viewer, bad asset, bad amounts', async () => {
      const id = await video(alice, Policy.paid)
      const unknown = randomId()
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [unknown, bob] }), 'UnknownVideo', [unknown])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, bob] }), 'NotVideoManager', [id, bob])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'revoke', args: [id, bob] }), 'NotVideoManager', [id, bob])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'grant', args: [id, zeroAddress] }), 'ZeroAddress')
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, ETH, 1n, 0n] }), 'NotVideoManager', [id, bob])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, dave, 1n, 0n] }), 'UnsupportedAsset', [dave])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, ETH, 2n ** 128n, 0n] }), 'AmountTooLarge', [2n ** 128n])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [id, ETH, 1n, 3651n * 86_400n] }), 'InvalidDuration', [3651n * 86_400n])
    })

    it('buy: zero viewer, unknown video, not for sale (policy, no price, retired), changed terms, already paid, underpaid', async () => {
      const id = await video(alice, Policy.paid)
      await reverts(buy(bob, id, zeroAddress), 'ZeroAddress')
      const unknown = randomId()
      await reverts(buy(bob, unknown, bob), 'UnknownVideo', [unknown])
      await reverts(buy(bob, id, bob, 1n), 'NotForSale', [id]) // no price yet
      await setPrice(alice, id, ETH, 1000n)
      await reverts(buy(bob, id, bob, 999n), 'InsufficientPayment', [1000n, 999n])
      // The owner raised the price, or changed the duration, after the buyer looked.
      await reverts(buy(bob, id, bob, 1000n, { maxAmount: 999n, duration: 0n }), 'TermsChanged', [1000n, 0n])
      await reverts(buy(bob, id, bob, 1000n, { maxAmount: 1000n, duration: 3600n }), 'TermsChanged', [1000n, 0n])
      await buy(bob, id, bob, 1000n)
      await reverts(buy(bob, id, bob, 1000n), 'AlreadyPaid', [id, bob])
      const pub = await video(alice, Policy.public)
      await setPrice(alice, pub, ETH, 1000n)
      await reverts(buy(bob, pub, bob, 1000n), 'NotForSale', [pub])
      await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'retire', args: [id] })
      await reverts(buy(carol, id, carol, 1000n), 'NotForSale', [id])
    })

    it('setPlan and subscribe: not the creator, no plan, bad period, bad period count, changed terms, underpaid', async () => {
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 1n, 60n] }), 'NotCreatorOrDelegate', [alice, bob])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 1n, 0n] }), 'InvalidDuration', [0n])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, dave, 1n, 60n] }), 'UnsupportedAsset', [dave])
      await reverts(send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 2n ** 128n, 60n] }), 'AmountTooLarge', [2n ** 128n])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 1, 1n, 60n], value: 1n }), 'NoSubscriptionPlan', [alice])
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 100n, 60n] })
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, zeroAddress, 1, 100n, 60n], value: 100n }), 'ZeroAddress')
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 0, 100n, 60n], value: 100n }), 'InvalidPeriods', [0])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 121, 100n, 60n], value: 12_100n }), 'InvalidPeriods', [121])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 2, 100n, 60n], value: 199n }), 'InsufficientPayment', [200n, 199n])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 1, 99n, 60n], value: 100n }), 'TermsChanged', [100n, 60n])
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 1, 100n, 61n], value: 100n }), 'TermsChanged', [100n, 60n])
      // A plan at amount 0 stops new subscriptions.
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, 0n, 0n] })
      await reverts(send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, bob, 1, 100n, 60n], value: 100n }), 'NoSubscriptionPlan', [alice])
    })
  })

  describe('refunds', () => {
    const window = async (from: Address, id: Hex, seconds: number) =>
      await send(chain.client, from, { address: am, abi: AccessManagerAbi, functionName: 'setRefundWindow', args: [id, seconds] })
    const refund = async (from: Address, id: Hex, viewer: Address) =>
      await send(chain.client, from, { address: am, abi: AccessManagerAbi, functionName: 'refund', args: [id, viewer] })
    const release = async (ids: Hex[], viewers: Address[]) =>
      await send(chain.client, carol, { address: am, abi: AccessManagerAbi, functionName: 'release', args: [ids, viewers] })
    const escrowed = async (asset: Address): Promise<bigint> =>
      await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'totalEscrowed', args: [asset] })
    /** What the contract holds is what it owes plus what it holds for refunds. */
    const balanced = async (): Promise<void> => {
      const totalOwed = await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'totalOwed', args: [ETH] })
      assert.equal(await chain.client.getBalance({ address: am }), totalOwed + await escrowed(ETH))
    }

    it('the manager sets a window (at most 30 days) that survives price changes', async () => {
      const id = await video(alice, Policy.paid)
      await reverts(window(bob, id, 3600), 'NotVideoManager')
      await reverts(window(alice, id, 30 * 86_400 + 1), 'InvalidRefundWindow', [30 * 86_400 + 1])
      const r = await window(alice, id, 3600)
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'RefundWindowSet' })[0]?.args, { video: id, window: 3600 })
      await setPrice(alice, id, ETH, 1000n)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'refundWindowOf', args: [id] }), 3600)
    })

    it('a refundable sale is held, not owed; the payer refunds within the window and the viewer loses access', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 1000n)
      await window(alice, id, 3600)
      const r = await buy(carol, id, dave, 1500n) // a gift, overpaid by 500
      const [held] = parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'Escrowed' })
      assert.equal(held?.args.owner, alice)
      assert.equal(await hasAccess(id, dave), true)
      assert.equal(await owed(alice, ETH), 0n, 'nothing for the creator to withdraw yet')
      assert.equal(await escrowed(ETH), 1000n)
      assert.equal(await owed(carol, ETH), 500n)
      await balanced()
      await reverts(refund(dave, id, dave), 'NotRefundable', [id, dave]) // the viewer did not pay
      const back = await refund(carol, id, dave)
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: back.logs, eventName: 'PurchaseRefunded' })[0]?.args, { video: id, viewer: dave, payer: carol, asset: ETH, amount: 1000n })
      assert.equal(await hasAccess(id, dave), false)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, dave] }), 0n)
      assert.equal(await owed(carol, ETH), 1500n)
      assert.equal(await escrowed(ETH), 0n)
      await balanced()
      await reverts(refund(carol, id, dave), 'NotRefundable', [id, dave]) // once
      // Nothing is left to release; the creator was never owed it.
      await release([id], [dave])
      assert.equal(await owed(alice, ETH), 0n)
    })

    it('after the window: no refund; anyone releases the sale to the split, and the creator withdraws it', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, ETH, 1000n)
      await window(alice, id, 3600)
      await buy(bob, id, bob, 1000n)
      await release([id], [bob])
      assert.equal(await owed(alice, ETH), 0n, 'a release inside the window skips the sale')
      await travel(chain.client, 3600)
      await reverts(refund(bob, id, bob), 'NotRefundable', [id, bob])
      const r = await release([id], [bob])
      assert.deepEqual(parseEventLogs({ abi: AccessManagerAbi, logs: r.logs, eventName: 'EscrowReleased' })[0]?.args, { video: id, viewer: bob, asset: ETH, amount: 1000n })
      assert.equal(await owed(alice, ETH), 850n)
      assert.equal(await owed(chain.c.rewards, ETH), 100n)
      assert.equal(await hasAccess(id, bob), true)
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'withdraw', args: [ETH] })
      await balanced()
      await reverts(release([id], []), 'InvalidBatch', [1n, 0n])
    })

    it('a new purchase releases the open one; refunding it restores the access bought before', async () => {
      const id = await video(alice, Policy.paid)
      await setPrice(alice, id, token, 10n * P2PV, 7200n)
      await window(alice, id, 3600)
      await approve(bob, 30n * P2PV)
      await buy(bob, id, bob)
      const first = await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, bob] })
      await buy(bob, id, bob)
      assert.equal(await owed(alice, token), 10n * P2PV * 8500n / 10000n, 'the first sale was released')
      assert.equal(await escrowed(token), 10n * P2PV)
      await refund(bob, id, bob)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'paidUntil', args: [id, bob] }), first)
      assert.equal(await hasAccess(id, bob), true, 'the first rental still runs')
      assert.equal(await owed(bob, token), 10n * P2PV)
      const tokenBalance = await chain.client.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [am] })
      assert.equal(tokenBalance, await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'totalOwed', args: [token] }) + await escrowed(token))
      // Without a window, sales settle at once as before.
      await window(alice, id, 0)
      await buy(bob, id, bob)
      await reverts(refund(bob, id, bob), 'NotRefundable')
    })
  })
})

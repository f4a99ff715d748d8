// Property tests against a live anvil: fast-check drives random sequences of actions through the
// contracts and a small model of what they should do. After every sequence the invariants hold:
// the token supply is conserved; the AccessManager holds exactly what it owes plus what it holds
// for refunds, and a refund never takes what a creator was owed; nobody has access
// without a grant, payment or subscription, and a payment survives any policy change; stake never leaves before its unbonding period; a
// reward leaf is paid at most once. Each run starts from the same deployed state (snapshot).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { maxUint256, type Address, type Hex } from 'viem'
import {
  AccessManagerAbi, buildRewardTree, DEFAULT_TOTAL_SUPPLY, ETH, FOREVER, NodeRegistryAbi, P2PVTokenAbi, Policy, RewardsAbi, VideoRegistryAbi, type RewardTree
} from '../src/index.ts'
import { impersonate, latestTimestamp, P2PV, randomId, reverts, send, startChain, TEST_PARAMS, travel, type TestChain } from './fixtures/chain.ts'

const NUM_RUNS = Number(process.env.P2PDV_PROPERTY_RUNS ?? 25)

describe('properties (random action sequences against a live chain)', () => {
  let chain: TestChain
  before(async () => { chain = await startChain() })
  after(async () => { await chain?.stop() })

  const supply = async (): Promise<bigint> => await chain.client.readContract({ address: chain.c.token, abi: P2PVTokenAbi, functionName: 'totalSupply' })
  const tokenBalance = async (a: Address): Promise<bigint> => await chain.client.readContract({ address: chain.c.token, abi: P2PVTokenAbi, functionName: 'balanceOf', args: [a] })
  /** Runs a call the model says must fail with `error`, or must succeed when `error` is undefined. */
  const expect = async (error: string | undefined, call: () => Promise<unknown>): Promise<boolean> => {
    if (error === undefined) { await call(); return true }
    await reverts(call(), error)
    return false
  }

  it('AccessManager: access only by grant, payment or subscription; balances equal what is owed', async () => {
    const [, , alice, bob, carol, dave] = chain.accounts as [Address, Address, Address, Address, Address, Address]
    const viewers = [bob, carol, dave]
    const { accessManager: am, videoRegistry: registry, token, rewards, timelock } = chain.c
    const PRICE_ETH = 1000n
    const PRICE_TOKEN = 10n * P2PV
    const TOKEN_DURATION = 100n
    const PLAN = { amount: 300n, period: 50n }
    const REFUND_WINDOW = 60n

    const action = fc.oneof(
      fc.record({ kind: fc.constant('grant' as const), v: fc.nat(3), who: fc.nat(2) }),
      fc.record({ kind: fc.constant('revoke' as const), v: fc.nat(3), who: fc.nat(2) }),
      { arbitrary: fc.record({ kind: fc.constant('buy' as const), v: fc.oneof(fc.nat(1), fc.nat(3)), who: fc.nat(2), payer: fc.nat(2), extra: fc.integer({ min: -1, max: 50 }) }), weight: 3 },
      fc.record({ kind: fc.constant('subscribe' as const), who: fc.nat(2), periods: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: -1, max: 50 }) }),
      fc.record({ kind: fc.constant('policy' as const), v: fc.nat(3), policy: fc.nat(3) }),
      fc.record({ kind: fc.constant('travel' as const), seconds: fc.integer({ min: 1, max: 150 }) }),
      { arbitrary: fc.record({ kind: fc.constant('withdraw' as const), payee: fc.nat(3), inToken: fc.boolean() }), weight: 2 },
      fc.record({ kind: fc.constant('retire' as const), v: fc.nat(3) }),
      fc.record({ kind: fc.constant('refund' as const), who: fc.nat(2), payer: fc.nat(2) }),
      fc.record({ kind: fc.constant('release' as const), who: fc.nat(2) })
    )

    const initialSupply = await supply()
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30, size: 'max' }), async actions => {
      await chain.reset()
      // The pool and the treasury withdraw too (they are contracts; anvil sends for them).
      await impersonate(chain.client, rewards)
      await impersonate(chain.client, timelock)
      // Four videos by alice: ETH-priced forever, P2PV-priced for 100 s, subscribers-only, private.
      const ids: Hex[] = []
      const policy: number[] = [Policy.paid, Policy.paid, Policy.subscribers, Policy.private]
      const retired = [false, false, false, false]
      for (const p of policy) {
        const id = randomId()
        ids.push(id)
        await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args: [id, 'bafy', '', `0x${'ab'.repeat(32)}`, p, 0] })
      }
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [ids[0]!, ETH, PRICE_ETH, 0n] })
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPrice', args: [ids[1]!, token, PRICE_TOKEN, TOKEN_DURATION] })
      // The P2PV rental is refundable for 60 s: its sales are held in escrow until then.
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setRefundWindow', args: [ids[1]!, Number(REFUND_WINDOW)] })
      await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, PLAN.amount, PLAN.period] })
      for (const v of viewers) await send(chain.client, v, { address: token, abi: P2PVTokenAbi, functionName: 'approve', args: [am, maxUint256] })

      // The model.
      const granted = new Set<string>()
      const paidUntil = new Map<string, bigint>()
      const subUntil = new Map<Address, bigint>()
      const owed = new Map<string, bigint>()
      /** Held sales of video 1, by viewer. */
      const escrow = new Map<number, { payer: number, until: bigint, previous: bigint }>()
      const key = (...parts: unknown[]): string => parts.join('|')
      const credit = (payee: Address, asset: Address, amount: bigint): void => {
        if (amount > 0n) owed.set(key(payee, asset), (owed.get(key(payee, asset)) ?? 0n) + amount)
      }
      const split = (asset: Address, amount: bigint): void => {
        const c = amount * 8500n / 10000n
        const p = amount * 1000n / 10000n
        credit(alice, asset, c)
        credit(rewards, asset, p)
        credit(timelock, asset, amount - c - p)
      }
      const payees = [alice, bob, rewards, timelock]

      for (const a of actions) {
        const now = await latestTimestamp(chain.client)
        const next = now + 1n // the block the next transaction lands in
        switch (a.kind) {
          case 'grant':
          case 'revoke':
            await send(chain.client, alice, { address: am, abi: AccessManagerAbi, functionName: a.kind, args: [ids[a.v]!, viewers[a.who]!] })
            if (a.kind === 'grant') granted.add(key(a.v, a.who))
            else granted.delete(key(a.v, a.who))
            break
          case 'buy': {
            const inToken = a.v === 1
            const price = inToken ? PRICE_TOKEN : PRICE_ETH
            const value = inToken ? 0n : price + BigInt(a.extra)
            const current = paidUntil.get(key(a.v, a.who)) ?? 0n
            const error = retired[a.v]! || policy[a.v] !== Policy.paid || a.v > 1
              ? 'NotForSale'
              : current === FOREVER ? 'AlreadyPaid' : value < price && !inToken ? 'InsufficientPayment' : undefined
            const ok = await expect(error, async () => await send(chain.client, viewers[a.payer]!, { address: am, abi: AccessManagerAbi, functionName: 'buy', args: [ids[a.v]!, viewers[a.who]!, price, inToken ? TOKEN_DURATION : 0n], value }))
            if (ok) {
              paidUntil.set(key(a.v, a.who), inToken ? (current > next ? current : next) + TOKEN_DURATION : FOREVER)
              if (inToken) {
                // A new purchase releases the open one; this one is held.
                if (escrow.has(a.who)) split(token, PRICE_TOKEN)
                escrow.set(a.who, { payer: a.payer, until: next + REFUND_WINDOW, previous: current })
              } else {
                split(ETH, price)
                credit(viewers[a.payer]!, ETH, value - price)
              }
            }
            break
          }
          case 'subscribe': {
            const price = PLAN.amount * BigInt(a.periods)
            const value = price + BigInt(a.extra)
            const ok = await expect(value < price ? 'InsufficientPayment' : undefined, async () =>
              await send(chain.client, viewers[a.who]!, { address: am, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, viewers[a.who]!, a.periods, PLAN.amount, PLAN.period], value }))
            if (ok) {
              const current = subUntil.get(viewers[a.who]!) ?? 0n
              subUntil.set(viewers[a.who]!, (current > next ? current : next) + PLAN.period * BigInt(a.periods))
              split(ETH, price)
              credit(viewers[a.who]!, ETH, value - price)
            }
            break
          }
          case 'policy':
            if (await expect(retired[a.v]! ? 'VideoIsRetired' : undefined, async () => await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [ids[a.v]!, a.policy] }))) policy[a.v] = a.policy
            break
          case 'retire':
            if (await expect(retired[a.v]! ? 'VideoIsRetired' : undefined, async () => await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'retire', args: [ids[a.v]!] }))) retired[a.v] = true
            break
          case 'travel':
            await travel(chain.client, a.seconds)
            break
          case 'refund': {
            const e = escrow.get(a.who)
            const error = e === undefined || e.payer !== a.payer || next >= e.until ? 'NotRefundable' : undefined
            if (await expect(error, async () => await send(chain.client, viewers[a.payer]!, { address: am, abi: AccessManagerAbi, functionName: 'refund', args: [ids[1]!, viewers[a.who]!] }))) {
              paidUntil.set(key(1, a.who), e!.previous)
              credit(viewers[a.payer]!, token, PRICE_TOKEN)
              escrow.delete(a.who)
            }
            break
          }
          case 'release': {
            await send(chain.client, bob, { address: am, abi: AccessManagerAbi, functionName: 'release', args: [[ids[1]!], [viewers[a.who]!]] })
            const e = escrow.get(a.who)
            if (e !== undefined && next >= e.until) {
              split(token, PRICE_TOKEN)
              escrow.delete(a.who)
            }
            break
          }
          case 'withdraw': {
            const payee = payees[a.payee]!
            const asset = a.inToken ? token : ETH
            const amount = owed.get(key(payee, asset)) ?? 0n
            if (await expect(amount === 0n ? 'NothingToWithdraw' : undefined, async () => await send(chain.client, payee, { address: am, abi: AccessManagerAbi, functionName: 'withdraw', args: [asset] }))) owed.delete(key(payee, asset))
            break
          }
        }
      }

      // No access without a grant, a live payment or a live subscription (and never after retirement).
      const t = await latestTimestamp(chain.client)
      for (const [v, id] of ids.entries()) {
        for (const [w, viewer] of viewers.entries()) {
          const expected = !retired[v]! && (
            granted.has(key(v, w)) ||
            policy[v] === Policy.public ||
            // What was paid for outlives policy changes (a switch to private included).
            (paidUntil.get(key(v, w)) ?? 0n) > t ||
            (policy[v] === Policy.subscribers && (subUntil.get(viewer) ?? 0n) > t))
          assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, viewer] }), expected, `video ${v} (policy ${policy[v]}), viewer ${w}`)
        }
        assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, alice] }), true, 'the owner always has access')
      }
      // The contract holds exactly what it owes, payee by payee.
      let owedEth = 0n
      let owedToken = 0n
      for (const p of [alice, ...viewers, rewards, timelock]) {
        const e = owed.get(key(p, ETH)) ?? 0n
        const k = owed.get(key(p, token)) ?? 0n
        assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'owed', args: [p, ETH] }), e)
        assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'owed', args: [p, token] }), k)
        owedEth += e
        owedToken += k
      }
      assert.equal(await chain.client.getBalance({ address: am }), owedEth)
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'totalOwed', args: [ETH] }), owedEth)
      // …plus what it holds for refunds.
      const held = BigInt(escrow.size) * PRICE_TOKEN
      assert.equal(await chain.client.readContract({ address: am, abi: AccessManagerAbi, functionName: 'totalEscrowed', args: [token] }), held)
      assert.equal(await tokenBalance(am), owedToken + held)
      assert.equal(await supply(), initialSupply)
    }), { numRuns: NUM_RUNS })
  })

  it('NodeRegistry: stake is conserved, and never leaves before its unbonding period', async () => {
    const [, ops, , , , , n1, n2, n3] = chain.accounts as Address[] as [Address, Address, Address, Address, Address, Address, Address, Address, Address]
    const operators = [n1, n2, n3]
    const { nodeRegistry: nr, token, timelock } = chain.c
    const MIN = TEST_PARAMS.minStake
    const PERIOD = TEST_PARAMS.unbondingPeriod

    const action = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('register' as const), op: fc.nat(1), extra: fc.integer({ min: 0, max: 2000 }) }), weight: 3 },
      fc.record({ kind: fc.constant('addStake' as const), op: fc.nat(1), amount: fc.integer({ min: 0, max: 500 }) }),
      { arbitrary: fc.record({ kind: fc.constant('unbond' as const), op: fc.nat(1), amount: fc.integer({ min: 0, max: 3500 }) }), weight: 3 },
      fc.record({ kind: fc.constant('unbondAll' as const), op: fc.nat(1) }),
      { arbitrary: fc.record({ kind: fc.constant('withdraw' as const), op: fc.nat(1) }), weight: 3 },
      fc.record({ kind: fc.constant('slash' as const), op: fc.nat(1) }),
      fc.record({ kind: fc.constant('deregister' as const), op: fc.nat(1) }),
      { arbitrary: fc.record({ kind: fc.constant('travel' as const), seconds: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 3000, max: 4000 })) }), weight: 2 }
    )

    const initialSupply = await supply()
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30, size: 'max' }), async actions => {
      await chain.reset()
      for (const op of operators) await send(chain.client, op, { address: token, abi: P2PVTokenAbi, functionName: 'approve', args: [nr, maxUint256] })
      const start = new Map<Address, bigint>()
      for (const op of [...operators, timelock]) start.set(op, await tokenBalance(op))
      const m = new Map(operators.map(op => [op, { registered: false, stake: 0n, unbonding: 0n, readyAt: 0n, deposited: 0n, withdrawn: 0n }]))
      let slashed = 0n

      for (const a of actions) {
        const op = operators['op' in a ? a.op : 0]!
        const n = m.get(op)!
        const next = await latestTimestamp(chain.client) + 1n
        switch (a.kind) {
          case 'register': {
            const stake = MIN + BigInt(a.extra) * P2PV
            if (await expect(n.registered ? 'AlreadyRegistered' : undefined, async () => await send(chain.client, op, {
              address: nr, abi: NodeRegistryAbi, functionName: 'register', args: [{ peerId: `peer-${op}`, endpoints: ['http://127.0.0.1:1'], encryptionKey: `0x${'11'.repeat(32)}`, capacity: 1n, keeper: false }, stake]
            }))) { n.registered = true; n.stake += stake; n.deposited += stake }
            break
          }
          case 'addStake': {
            const amount = BigInt(a.amount) * P2PV
            const error = !n.registered ? 'UnknownNode' : amount === 0n ? 'ZeroAmount' : undefined
            if (await expect(error, async () => await send(chain.client, op, { address: nr, abi: NodeRegistryAbi, functionName: 'addStake', args: [amount] }))) { n.stake += amount; n.deposited += amount }
            break
          }
          case 'unbond':
          case 'unbondAll': {
            const amount = a.kind === 'unbondAll' ? n.stake : BigInt(a.amount) * P2PV
            const rest = n.stake - amount
            const error = !n.registered ? 'UnknownNode' : amount === 0n ? 'ZeroAmount' : amount > n.stake ? 'InsufficientStake' : rest !== 0n && rest < MIN ? 'StakeBelowMinimum' : undefined
            if (await expect(error, async () => await send(chain.client, op, { address: nr, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [amount] }))) {
              n.stake = rest
              n.unbonding += amount
              n.readyAt = next + PERIOD
            }
            break
          }
          case 'withdraw': {
            // The property: a withdrawal before readyAt must fail.
            const error = n.unbonding === 0n ? 'NothingToWithdraw' : next < n.readyAt ? 'StillUnbonding' : undefined
            if (await expect(error, async () => await send(chain.client, op, { address: nr, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' }))) {
              n.withdrawn += n.unbonding
              n.unbonding = 0n
            }
            break
          }
          case 'slash': {
            const amount = (n.stake + n.unbonding) * 1000n / 10000n
            const error = !n.registered && n.unbonding === 0n ? 'UnknownNode' : amount === 0n ? 'NothingToSlash' : undefined
            if (await expect(error, async () => await send(chain.client, ops, { address: nr, abi: NodeRegistryAbi, functionName: 'slash', args: [op, `0x${'ee'.repeat(32)}`] }))) {
              const fromStake = amount < n.stake ? amount : n.stake
              n.stake -= fromStake
              n.unbonding -= amount - fromStake
              slashed += amount
            }
            break
          }
          case 'deregister': {
            const error = !n.registered ? 'UnknownNode' : n.stake !== 0n ? 'StakeNotWithdrawn' : undefined
            if (await expect(error, async () => await send(chain.client, op, { address: nr, abi: NodeRegistryAbi, functionName: 'deregister' }))) n.registered = false
            break
          }
          case 'travel':
            await travel(chain.client, a.seconds)
            break
        }
      }

      let held = 0n
      for (const op of operators) {
        const n = m.get(op)!
        const onChain = await chain.client.readContract({ address: nr, abi: NodeRegistryAbi, functionName: 'getNode', args: [op] })
        assert.equal(onChain.stake, n.stake)
        assert.equal(onChain.unbonding, n.unbonding)
        assert.equal(onChain.registered, n.registered)
        // What left the registry for an operator is exactly what it withdrew after unbonding.
        assert.equal(await tokenBalance(op), start.get(op)! - n.deposited + n.withdrawn)
        held += n.stake + n.unbonding
      }
      assert.equal(await tokenBalance(nr), held, 'the registry holds exactly the bonded and unbonding stake')
      assert.equal(await tokenBalance(timelock), start.get(timelock)! + slashed, 'slashed stake went to the treasury')
      assert.equal(await supply(), initialSupply)
    }), { numRuns: NUM_RUNS })
  })

  it('Rewards: each leaf is paid at most once, and claims never exceed what was posted', async () => {
    const [, settler, funder, , , , n1, n2, n3, n4] = chain.accounts as Address[] as [Address, Address, Address, Address, Address, Address, Address, Address, Address, Address]
    const nodes = [n1, n2, n3, n4]
    const { rewards, token } = chain.c
    const epochArb = fc.array(fc.record({ node: fc.nat(3), eth: fc.integer({ min: 0, max: 1000 }), tok: fc.integer({ min: 0, max: 1000 }) }), { minLength: 1, maxLength: 4 })
    const claimArb = fc.record({ epoch: fc.nat(3), node: fc.nat(3), forge: fc.nat(3).map(n => n === 0) })

    const initialSupply = await supply()
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 12_000 }), fc.integer({ min: 0, max: 12_000 }),
      fc.array(epochArb, { minLength: 1, maxLength: 4, size: 'max' }), fc.array(claimArb, { minLength: 5, maxLength: 30, size: 'max' }),
      async (fundEth, fundTok, epochs, claims) => {
        await chain.reset()
        if (fundEth > 0) await chain.client.waitForTransactionReceipt({ hash: await chain.client.sendTransaction({ account: funder, to: rewards, value: BigInt(fundEth), chain: chain.client.chain }) })
        if (fundTok > 0) await send(chain.client, funder, { address: token, abi: P2PVTokenAbi, functionName: 'transfer', args: [rewards, BigInt(fundTok)] })
        const startEth = await Promise.all(nodes.map(async n => await chain.client.getBalance({ address: n })))
        const startTok = await Promise.all(nodes.map(tokenBalance))
        let availEth = BigInt(fundEth)
        let availTok = BigInt(fundTok)
        const trees: RewardTree[] = []
        for (const shares of epochs) {
          const unique = [...new Map(shares.map(s => [s.node, s])).values()]
          const tree = buildRewardTree(BigInt(trees.length), unique.map(s => ({ node: nodes[s.node]!, ethAmount: BigInt(s.eth), tokenAmount: BigInt(s.tok) })))
          const error = tree.ethTotal > availEth || tree.tokenTotal > availTok ? 'InsufficientPool' : undefined
          if (await expect(error, async () => await send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [tree.epoch, tree.root, tree.ethTotal, tree.tokenTotal] }))) {
            trees.push(tree)
            availEth -= tree.ethTotal
            availTok -= tree.tokenTotal
          }
        }
        const paid = new Set<string>()
        const got = nodes.map(() => ({ eth: 0n, tok: 0n }))
        for (const c of claims) {
          const tree = trees[c.epoch]
          const node = nodes[c.node]!
          const share = tree?.shares.find(s => s.node === node)
          if (tree === undefined || share === undefined) {
            // No leaf: any proof is refused.
            const error = tree === undefined ? 'UnknownEpoch' : 'InvalidProof'
            await reverts(send(chain.client, node, { address: rewards, abi: RewardsAbi, functionName: 'claim', args: [BigInt(c.epoch), node, 1n, 0n, []] }), error)
            continue
          }
          const amount = c.forge ? share.ethAmount + 1n : share.ethAmount
          const k = `${c.epoch}|${c.node}`
          const error = paid.has(k) ? 'AlreadyClaimed' : c.forge ? 'InvalidProof' : undefined
          if (await expect(error, async () => await send(chain.client, settler, { address: rewards, abi: RewardsAbi, functionName: 'claim', args: [tree.epoch, node, amount, share.tokenAmount, tree.proof(node)] }))) {
            paid.add(k)
            got[c.node]!.eth += share.ethAmount
            got[c.node]!.tok += share.tokenAmount
          }
        }
        for (const [i, n] of nodes.entries()) {
          assert.equal(await chain.client.getBalance({ address: n }), startEth[i]! + got[i]!.eth, 'nodes pay no gas here: the settler submits')
          assert.equal(await tokenBalance(n), startTok[i]! + got[i]!.tok)
        }
        const paidEth = got.reduce((t, g) => t + g.eth, 0n)
        const paidTok = got.reduce((t, g) => t + g.tok, 0n)
        assert.equal(await chain.client.getBalance({ address: rewards }), BigInt(fundEth) - paidEth)
        assert.equal(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'ethAllocated' }), trees.reduce((t, x) => t + x.ethTotal, 0n) - paidEth)
        assert.equal(await chain.client.readContract({ address: rewards, abi: RewardsAbi, functionName: 'tokenAllocated' }), trees.reduce((t, x) => t + x.tokenTotal, 0n) - paidTok)
        assert.equal(await supply(), initialSupply)
      }), { numRuns: NUM_RUNS })
  })

  it('the P2PV supply is the deployment supply', async () => {
    assert.equal(await supply(), DEFAULT_TOTAL_SUPPLY)
  })
})

/** Chain commands about money and nodes: balances, withdrawals, subscriptions, plans, nodes. */
import { P2pdvError } from '@p2pdv/core/errors'
import { chainError, formatAmount, formatDurationSeconds, parseAmount, parseDuration, type Asset } from '@p2pdv/chain'
import { intOpt, requirePositional, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, resolveAddress } from '../chain/context.ts'

/** `3d 4h`, `5h 10m`, `12m`: enough to judge when to renew. */
export function formatLeft (seconds: bigint): string {
  const d = seconds / 86_400n
  const h = (seconds % 86_400n) / 3600n
  const m = (seconds % 3600n) / 60n
  if (d > 0n) return h > 0n ? `${d}d ${h}h` : `${d}d`
  if (h > 0n) return m > 0n ? `${h}h ${m}m` : `${h}h`
  return m > 0n ? `${m}m` : `${seconds}s`
}

export const balance: Command = {
  name: 'balance',
  summary: 'ETH and P2PV held, revenue owed to you by the AccessManager (withdraw it with `p2pdv withdraw`), and your running subscriptions with a reminder to renew those ending within 7 days',
  usage: 'balance [ADDRESS|NAME] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const who = args.positionals[0]
    const ctx = await chainContext(args, who === undefined ? 'required' : 'none')
    const address = who === undefined ? ctx.client.address : resolveAddress(who, ctx)
    const [b, reminders, held] = await Promise.all([ctx.client.balances(address), ctx.client.subscriptionReminders(address), ctx.client.heldSales(address)])
    const heldTotal = { eth: 0n, p2pv: 0n }
    for (const h of held) heldTotal[h.asset] += h.amount
    // What renewing costs, for the subscriptions about to end (a plan can change or be switched off).
    const soon = reminders.subscriptions.filter(s => s.expiresSoon)
    const plans = new Map(await Promise.all(soon.map(async s => [s.creator, await ctx.client.planOf(s.creator)] as const)))
    const subscriptions = reminders.subscriptions.map(s => {
      const name = displayName(s.creator, ctx)
      const plan = plans.get(s.creator)
      return {
        ...s,
        creatorName: ctx.names.get(s.creator.toLowerCase()),
        expiresAt: new Date(Number(s.until) * 1000).toISOString(),
        ...(s.expiresSoon ? { renew: plan === undefined ? null : `p2pdv subscribe ${name}`, ...(plan === undefined ? {} : { plan }) } : {})
      }
    })
    const releasable = held.filter(h => h.refundableUntil <= reminders.now).length
    out.result({ address, ...b, held: { eth: heldTotal.eth, p2pv: heldTotal.p2pv, sales: held.length, releasable }, subscriptions }, () => [
      `${displayName(address, ctx)} (${address})`,
      `  holds ${formatAmount(b.eth, 'eth')} and ${formatAmount(b.p2pv, 'p2pv')}`,
      `  owed  ${formatAmount(b.owedEth, 'eth')} and ${formatAmount(b.owedP2pv, 'p2pv')}`,
      ...(held.length === 0 ? [] : [`  held  ${formatAmount(heldTotal.eth, 'eth')} and ${formatAmount(heldTotal.p2pv, 'p2pv')} from ${held.length} sale(s) in refund windows (before the split; ${releasable} closed, \`p2pdv withdraw\` releases them)`]),
      subscriptions.length === 0 ? '  subscriptions: none running' : `  subscriptions (${subscriptions.length}):`,
      ...subscriptions.map(s => {
        const line = `    ${displayName(s.creator, ctx).padEnd(12)} until ${s.expiresAt} (${formatLeft(s.secondsLeft)} left)`
        if (!s.expiresSoon) return line
        const plan = plans.get(s.creator)
        return `${line}  EXPIRES WITHIN 7 DAYS: ${plan === undefined
          ? 'the creator no longer offers a subscription, so it cannot be renewed'
          : `renew with \`p2pdv subscribe ${displayName(s.creator, ctx)}\` (${formatAmount(plan.amount, plan.asset)} per ${formatDurationSeconds(plan.period)})`}`
      })
    ].join('\n'))
  }
}

export const withdraw: Command = {
  name: 'withdraw',
  summary: 'withdraw the revenue the AccessManager owes you (both currencies unless --asset), after releasing your sales whose refund window closed',
  usage: 'withdraw [--asset eth|p2pv] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { asset: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const only = stringOpt(args, 'asset')
    if (only !== undefined && only !== 'eth' && only !== 'p2pv') throw new P2pdvError('ERR_USAGE', '--asset must be eth or p2pv', { hint: `usage: p2pdv ${withdraw.usage}` })
    const ctx = await chainContext(args, 'required')
    // Sales of your videos (also those sold before a transfer to you) whose refund window has
    // closed are released to the split first. "Now" is the later of the chain's time and the
    // clock's, as the contract checks block time (a pair not yet due is skipped, not reverted).
    const [held, latest] = await Promise.all([ctx.client.heldSales(ctx.client.address), ctx.client.public.getBlock({ blockTag: 'latest' }).catch((err: unknown) => { throw chainError(err, 'reading the chain time') })])
    const wall = BigInt(Math.floor(Date.now() / 1000))
    const now = latest.timestamp > wall ? latest.timestamp : wall
    const closed = held.filter(h => h.refundableUntil <= now)
    const released = closed.length === 0 ? 0 : (await ctx.client.releaseSales(closed)).released
    const b = await ctx.client.balances()
    const assets: Asset[] = only !== undefined ? [only] : (['eth', 'p2pv'] as const).filter(a => (a === 'eth' ? b.owedEth : b.owedP2pv) > 0n)
    if (assets.length === 0) throw new P2pdvError('ERR_CHAIN_NOTHING_TO_WITHDRAW', `nothing is owed to ${ctx.client.address}`, { hint: 'Revenue arrives when viewers buy or subscribe.' })
    const withdrawn: Array<{ asset: Asset, amount: bigint, tx: string }> = []
    for (const asset of assets) {
      const r = await ctx.client.withdraw(asset)
      withdrawn.push({ asset, amount: r.amount, tx: r.receipt.transactionHash })
    }
    out.result({ address: ctx.client.address, released, withdrawn }, () => [
      ...(released === 0 ? [] : [`released ${released} sale(s) whose refund window closed`]),
      ...withdrawn.map(w => `withdrew ${formatAmount(w.amount, w.asset)}`)
    ].join('\n'))
  }
}

export const plan: Command = {
  name: 'plan',
  summary: 'offer subscriptions to your videos: PRICE per PERIOD (--price 0 ends new subscriptions)',
  usage: 'plan --price 0.01|25p2pv [--period 30d] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { price: { type: 'string' }, period: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const priceText = stringOpt(args, 'price')
    if (priceText === undefined) throw new P2pdvError('ERR_USAGE', 'missing --price', { hint: `usage: p2pdv ${plan.usage}` })
    const { asset, amount } = parseAmount(priceText)
    const period = amount === 0n ? 0n : parseDuration(stringOpt(args, 'period') ?? '30d')
    const ctx = await chainContext(args, 'required')
    const receipt = await ctx.client.setPlan({ asset, amount, period })
    out.result({ creator: ctx.client.address, asset, amount, period, tx: receipt.transactionHash }, () => amount === 0n
      ? 'no new subscriptions: the plan is off'
      : `subscriptions to ${displayName(ctx.client.address, ctx)}: ${formatAmount(amount, asset)} per ${formatDurationSeconds(period)}`)
  }
}

export const subscribe: Command = {
  name: 'subscribe',
  summary: 'subscribe to (or renew with) a creator, for their subscribers-only videos',
  usage: 'subscribe CREATOR [--periods 1] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { periods: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const periods = intOpt(args, 'periods', 1, 1, 120)
    const ctx = await chainContext(args, 'required')
    const creator = resolveAddress(requirePositional(args, 0, 'CREATOR', subscribe), ctx)
    const r = await ctx.client.subscribe(creator, periods)
    out.result({ creator, subscriber: ctx.client.address, periods, plan: r.plan, until: r.until, tx: r.receipt.transactionHash }, () =>
      `subscribed to ${displayName(creator, ctx)} until ${new Date(Number(r.until) * 1000).toISOString()} (${formatAmount(r.plan.amount * BigInt(periods), r.plan.asset)})`)
  }
}

export const nodes: Command = {
  name: 'nodes',
  summary: 'list the storage nodes registered on chain: stake, reputation, keeper role, endpoints',
  usage: 'nodes [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const ctx = await chainContext(args, 'none')
    const list = await ctx.client.listNodes()
    out.result({ nodes: list }, () => list.length === 0
      ? 'no storage nodes registered'
      : list.map(n => [
        `${displayName(n.operator, ctx).padEnd(10)} ${n.active ? 'active  ' : n.registered ? 'inactive' : 'left    '} stake ${formatAmount(n.stake, 'p2pv')}  reputation ${n.reputation / 100}%${n.keeper ? '  keeper' : ''}`,
        `    ${n.peerId}  ${n.endpoints.join(' ')}`
      ].join('\n')).join('\n'))
  }
}

/**
 * A node operator's rewards: what each posted epoch pays them, claiming it, and recomputing an
 * epoch's root from its published inputs.
 *
 * The settler that serves proofs and inputs is a stranger: every proof is checked against the
 * root posted on chain before it is shown as claimable or sent in a transaction
 * (ERR_REWARDS_FORGED_PROOF otherwise, with nothing sent), and `verify` settles the inputs itself.
 * Chain reads and the claim go through @p2pdv/chain; the settler through NodeClient.
 */
import type { Address, Hex } from 'viem'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import {
  claimReward, epochSecondsOf, formatAmount, nextRewardEpoch, rewardClaimed, rewardEpoch, settleEpoch, verifyRewardProof,
  type Balances, type RewardEpoch
} from '@p2pdv/chain'
import { NodeClient, type RewardProof } from '@p2pdv/node-client'
import { DEFAULT_RECEIPT_CAP_BYTES, tallyReceipts } from '@p2pdv/core/receipts'
import { stringOpt, requirePositional, type Command, type ParsedArgs } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, resolveAddress, type ChainContext } from '../chain/context.ts'
import { readDevnetState } from '../devnet-state.ts'

export const RewardsErrorCode = {
  NOT_POSTED: 'ERR_REWARDS_NOT_POSTED',
  ALREADY_CLAIMED: 'ERR_REWARDS_ALREADY_CLAIMED',
  FORGED_PROOF: 'ERR_REWARDS_FORGED_PROOF',
  NO_PROOF: 'ERR_REWARDS_NO_PROOF',
  BAD_EPOCH: 'ERR_REWARDS_BAD_EPOCH',
  ROOT_MISMATCH: 'ERR_REWARDS_ROOT_MISMATCH'
} as const

/** `p2pdv rewards` looks at the latest epochs only: one chain read and one proof per epoch. */
export const MAX_LISTED_EPOCHS = 64
/** Epochs looked up at once (each is two chain reads and a settler request). */
const LOOKUP_CONCURRENCY = 8

const REWARDS_OPTIONS = { node: { type: 'string' }, ...CHAIN_OPTIONS } as const

function parseEpoch (text: string): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) >= 2n ** 64n) {
    throw new P2pdvError(RewardsErrorCode.BAD_EPOCH, `"${text.slice(0, 30)}" is not an epoch number`, { hint: 'Epochs are numbered 0, 1, 2…; `p2pdv rewards` lists the posted ones.' })
  }
  return BigInt(text)
}

/** The settler to ask: --node URL, else the devnet's settler node. */
async function settlerOf (args: ParsedArgs, ctx: ChainContext): Promise<NodeClient> {
  const url = stringOpt(args, 'node')
  if (url !== undefined) {
    let parsed: URL | undefined
    try { parsed = new URL(url) } catch {}
    if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol)) throw new P2pdvError('ERR_USAGE', `--node "${url.slice(0, 80)}" is not an http(s) URL`, { hint: 'Pass the settler node\'s URL, e.g. --node http://127.0.0.1:8080.' })
    return new NodeClient(parsed.origin)
  }
  if (ctx.devnet) {
    const state = await readDevnetState()
    const settler = typeof state.settler === 'string' ? state.settler : state.auditor
    if (settler !== undefined) return new NodeClient(settler)
  }
  throw new P2pdvError('ERR_USAGE', 'which settler? pass --node URL', { hint: 'Proofs are served by the node that runs with --settle; on the devnet that is node-0.' })
}

function forged (epoch: bigint, why: string, settler: NodeClient): P2pdvError {
  return new P2pdvError(RewardsErrorCode.FORGED_PROOF, `the settler ${settler.base} served a proof for epoch ${epoch} that ${why}`, {
    hint: 'Nothing was sent. The settler lied or is out of date: ask another settler with --node URL, or recompute with `p2pdv rewards verify EPOCH`.'
  })
}

/**
 * The node's proof for a posted epoch, checked against its on-chain root; undefined when the
 * settler has no share for the node (it earned nothing, or this settler did not post it).
 */
async function checkedProof (settler: NodeClient, posted: RewardEpoch, node: Address): Promise<RewardProof | undefined> {
  let p: RewardProof
  try {
    p = await settler.rewardProof(posted.epoch, node)
  } catch (err) {
    if (isP2pdvError(err, 'ERR_REWARDS_NO_SHARE')) return undefined
    throw err
  }
  if (p.root.toLowerCase() !== posted.root.toLowerCase()) throw forged(posted.epoch, `names root ${p.root}, not the posted ${posted.root}`, settler)
  if (!verifyRewardProof(posted.root, posted.epoch, { node, ethAmount: p.ethAmount, tokenAmount: p.tokenAmount }, p.proof)) throw forged(posted.epoch, 'does not lead to the posted root', settler)
  return p
}

type RowStatus = 'claimable' | 'claimed' | 'nothing' | 'forged'

interface EpochRow {
  epoch: bigint
  root: Hex
  postedAt: bigint
  status: RowStatus
  ethAmount: bigint
  tokenAmount: bigint
  proof?: RewardProof
}

/** The latest posted epochs (at most MAX_LISTED_EPOCHS), newest last, with the node's share in each. */
async function epochRows (ctx: ChainContext, settler: NodeClient, node: Address): Promise<EpochRow[]> {
  const next = await nextRewardEpoch(ctx.client)
  const first = next > BigInt(MAX_LISTED_EPOCHS) ? next - BigInt(MAX_LISTED_EPOCHS) : 0n
  const epochs = Array.from({ length: Number(next - first) }, (_, i) => first + BigInt(i))
  const rows: EpochRow[] = []
  let at = 0
  const lane = async (): Promise<void> => {
    while (at < epochs.length) {
      const epoch = epochs[at++]!
      const [posted, claimed] = await Promise.all([rewardEpoch(ctx.client, epoch), rewardClaimed(ctx.client, epoch, node)])
      if (posted === undefined) continue
      const base = { epoch, root: posted.root, postedAt: posted.postedAt, ethAmount: 0n, tokenAmount: 0n }
      let proof: RewardProof | undefined
      try {
        proof = await checkedProof(settler, posted, node)
      } catch (err) {
        if (!isP2pdvError(err, RewardsErrorCode.FORGED_PROOF)) throw err
        rows.push({ ...base, status: 'forged' })
        continue
      }
      if (proof === undefined) rows.push({ ...base, status: claimed ? 'claimed' : 'nothing' })
      else rows.push({ ...base, status: claimed ? 'claimed' : 'claimable', ethAmount: proof.ethAmount, tokenAmount: proof.tokenAmount, proof })
    }
  }
  await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, epochs.length) }, lane))
  return rows.sort((a, b) => a.epoch < b.epoch ? -1 : 1)
}

function both (eth: bigint, token: bigint): string {
  return eth === 0n ? formatAmount(token, 'p2pv') : `${formatAmount(token, 'p2pv')} + ${formatAmount(eth, 'eth')}`
}

function rowJson (r: EpochRow): Record<string, unknown> {
  return { epoch: r.epoch, root: r.root, postedAt: r.postedAt, status: r.status, ethAmount: r.ethAmount, tokenAmount: r.tokenAmount }
}

export const rewards: Command = {
  name: 'rewards',
  summary: 'what a node operator earned in each posted reward epoch: claimable, claimed, or nothing (proofs checked against the chain)',
  usage: 'rewards [ADDRESS|NAME] [--as NODE] [--node SETTLER_URL] [--rpc URL] [--chain FILE] [--json]',
  options: REWARDS_OPTIONS,
  async run (args, out) {
    const who = args.positionals[0]
    const ctx = await chainContext(args, who === undefined ? 'required' : 'none')
    const node = who === undefined ? ctx.client.address : resolveAddress(who, ctx)
    const settler = await settlerOf(args, ctx)
    const rows = await epochRows(ctx, settler, node)
    const sum = (status: RowStatus, asset: 'ethAmount' | 'tokenAmount'): bigint => rows.filter(r => r.status === status).reduce((a, r) => a + r[asset], 0n)
    const totals = {
      claimable: { eth: sum('claimable', 'ethAmount'), token: sum('claimable', 'tokenAmount') },
      claimed: { eth: sum('claimed', 'ethAmount'), token: sum('claimed', 'tokenAmount') }
    }
    const earned = { eth: totals.claimable.eth + totals.claimed.eth, token: totals.claimable.token + totals.claimed.token }
    out.result({ node, settler: settler.base, epochs: rows.map(rowJson), earned, ...totals }, () => [
      `rewards of ${displayName(node, ctx)} (${node}), proofs from ${settler.base}`,
      ...(rows.length === 0 ? ['  no epoch posted yet: the settler posts one at the end of each epoch in which audited nodes earned'] : rows.map(r =>
        `  epoch ${String(r.epoch).padEnd(4)} ${new Date(Number(r.postedAt) * 1000).toISOString()}  ${r.status === 'forged' ? 'the settler\'s proof does NOT match the chain (ignored)' : r.status === 'nothing' ? 'nothing earned' : `${both(r.ethAmount, r.tokenAmount)}  ${r.status}`}`)),
      `earned ${both(earned.eth, earned.token)}; claimable ${both(totals.claimable.eth, totals.claimable.token)}; claimed ${both(totals.claimed.eth, totals.claimed.token)}`,
      ...(totals.claimable.eth + totals.claimable.token > 0n ? ['`p2pdv rewards claim` claims it'] : [])
    ].join('\n'))
  }
}

interface Claimed { epoch: bigint, ethAmount: bigint, tokenAmount: bigint, tx: Hex, gasPaid: bigint }

export const rewardsClaim: Command = {
  name: 'rewards claim',
  summary: 'claim your node\'s rewards (one epoch, or every claimable one): the proof is checked against the chain first',
  usage: 'rewards claim [--epoch N] [--as NODE] [--node SETTLER_URL] [--rpc URL] [--chain FILE] [--json]',
  options: { epoch: { type: 'string' }, ...REWARDS_OPTIONS },
  async run (args, out) {
    const epochText = stringOpt(args, 'epoch')
    const only = epochText === undefined ? undefined : parseEpoch(epochText)
    const ctx = await chainContext(args, 'required')
    const node = ctx.client.address
    const settler = await settlerOf(args, ctx)
    const todo: Array<{ epoch: bigint, proof: RewardProof }> = []
    if (only !== undefined) {
      const posted = await rewardEpoch(ctx.client, only)
      if (posted === undefined) throw notPosted(only, await nextRewardEpoch(ctx.client))
      if (await rewardClaimed(ctx.client, only, node)) throw alreadyClaimed(only, node)
      const proof = await checkedProof(settler, posted, node)
      if (proof === undefined) throw noProof(only, node, settler)
      todo.push({ epoch: only, proof })
    } else {
      const rows = await epochRows(ctx, settler, node)
      if (rows.length === 0) throw notPosted(0n, 0n)
      const bad = rows.find(r => r.status === 'forged')
      if (bad !== undefined) throw forged(bad.epoch, 'does not lead to the posted root', settler)
      for (const r of rows) if (r.status === 'claimable') todo.push({ epoch: r.epoch, proof: r.proof! })
      if (todo.length === 0) {
        const last = rows.findLast(r => r.status === 'claimed')
        if (last !== undefined) throw alreadyClaimed(last.epoch, node)
        throw noProof(rows.at(-1)!.epoch, node, settler)
      }
    }
    const before = await ctx.client.balances(node)
    const done: Claimed[] = []
    for (const { epoch, proof } of todo) {
      const receipt = await claimReward(ctx.client, epoch, { node, ethAmount: proof.ethAmount, tokenAmount: proof.tokenAmount }, proof.proof)
      done.push({ epoch, ethAmount: proof.ethAmount, tokenAmount: proof.tokenAmount, tx: receipt.transactionHash, gasPaid: receipt.gasUsed * receipt.effectiveGasPrice })
    }
    const after = await ctx.client.balances(node)
    const change = (b: Balances, a: Balances) => ({ eth: a.eth - b.eth, p2pv: a.p2pv - b.p2pv })
    out.result({ node, claims: done, balanceBefore: { eth: before.eth, p2pv: before.p2pv }, balanceAfter: { eth: after.eth, p2pv: after.p2pv }, change: change(before, after) }, () => [
      ...done.map(c => `claimed epoch ${c.epoch}: ${both(c.ethAmount, c.tokenAmount)}  (tx ${c.tx})`),
      `${displayName(node, ctx)} now holds ${formatAmount(after.p2pv, 'p2pv')} (+${formatAmount(after.p2pv - before.p2pv, 'p2pv')}) and ${formatAmount(after.eth, 'eth')} (gas ${formatAmount(done.reduce((a, c) => a + c.gasPaid, 0n), 'eth')})`
    ].join('\n'))
  }
}

function notPosted (epoch: bigint, next: bigint): P2pdvError {
  return new P2pdvError(RewardsErrorCode.NOT_POSTED, next === 0n ? 'no reward epoch has been posted yet' : `epoch ${epoch} is not posted (epochs 0 to ${next - 1n} are)`, {
    hint: 'The settler posts an epoch when it ends, if audited nodes earned in it; check again later with `p2pdv rewards`.'
  })
}

function alreadyClaimed (epoch: bigint, node: Address): P2pdvError {
  return new P2pdvError(RewardsErrorCode.ALREADY_CLAIMED, `${node}'s reward for epoch ${epoch} was already claimed`, { hint: 'Nothing more to claim there; `p2pdv rewards` lists what is still claimable.' })
}

function noProof (epoch: bigint, node: Address, settler: NodeClient): P2pdvError {
  return new P2pdvError(RewardsErrorCode.NO_PROOF, `the settler ${settler.base} has no share for ${node} in epoch ${epoch}`, {
    hint: 'The node earned nothing in it (no audited storage, or a pass rate under the minimum), or another settler posted it: name that one with --node URL.'
  })
}

export const rewardsVerify: Command = {
  name: 'rewards verify',
  summary: 'recompute a posted epoch\'s root from the inputs the settler published, and compare it with the chain',
  usage: 'rewards verify EPOCH [--node SETTLER_URL] [--rpc URL] [--chain FILE] [--json]',
  options: REWARDS_OPTIONS,
  async run (args, out) {
    const epoch = parseEpoch(requirePositional(args, 0, 'EPOCH', rewardsVerify))
    const ctx = await chainContext(args, 'none')
    const settler = await settlerOf(args, ctx)
    const posted = await rewardEpoch(ctx.client, epoch)
    if (posted === undefined) throw notPosted(epoch, await nextRewardEpoch(ctx.client))
    const inputs = await settler.rewardEpochInputs(epoch)
    const mismatch = (why: string): P2pdvError => new P2pdvError(RewardsErrorCode.ROOT_MISMATCH, `epoch ${epoch}: ${why}`, {
      hint: 'The published inputs do not settle to the root that pays nodes: the settler is faulty or dishonest. Keep this output as evidence and raise it with governance (`p2pdv gov`).',
      details: { epoch: epoch.toString(), posted: posted.root }
    })
    // Served bytes are recomputed from the published receipts (each signature checked again),
    // never taken from the settler's word.
    const served = epoch <= BigInt(Number.MAX_SAFE_INTEGER)
      ? await tallyReceipts(inputs.receipts, { epoch: Number(epoch), capBytes: DEFAULT_RECEIPT_CAP_BYTES })
      : { served: new Map<string, bigint>(), counted: 0, refusals: [] }
    let recomputed: ReturnType<typeof settleEpoch>
    try {
      recomputed = settleEpoch({
        epoch,
        epochSeconds: epochSecondsOf(inputs.from, inputs.to),
        pool: inputs.pool,
        weights: inputs.weights,
        records: inputs.records.map(r => ({ node: r.node, storedBytes: r.storedBytes, seconds: r.seconds, audits: r.audits, passes: r.passes, servedBytes: served.served.get(r.peer) ?? 0n }))
      })
    } catch (err) {
      if (err instanceof RangeError) throw mismatch(`the published inputs are not an epoch (${err.message})`)
      throw err
    }
    const root = recomputed.tree?.root
    if (root === undefined) throw mismatch('the published inputs pay nobody, yet a root was posted')
    if (root.toLowerCase() !== posted.root.toLowerCase()) throw mismatch(`the inputs settle to ${root}, the chain holds ${posted.root}`)
    const eth = recomputed.shares.reduce((a, s) => a + s.ethAmount, 0n)
    const token = recomputed.shares.reduce((a, s) => a + s.tokenAmount, 0n)
    if (eth !== posted.ethTotal || token !== posted.tokenTotal) throw mismatch(`the shares add up to ${both(eth, token)}, the chain's totals are ${both(posted.ethTotal, posted.tokenTotal)}`)
    out.result({
      epoch, verified: true, root: posted.root, from: inputs.from, to: inputs.to, weights: inputs.weights, pool: inputs.pool,
      nodes: recomputed.shares.length, records: inputs.records.length, refusals: recomputed.refusals.map(r => ({ index: r.index, node: r.node, code: r.code })),
      ethTotal: eth, tokenTotal: token,
      served: { receipts: inputs.receipts.reduce((a, g) => a + g.receipts.length, 0), counted: served.counted, bytes: [...served.served.values()].reduce((a, b) => a + b, 0n), refusals: served.refusals.map(r => ({ peer: r.peer, index: r.index, code: r.code })) }
    }, () => [
      `epoch ${epoch} verified: the ${inputs.records.length} published record(s) settle to ${posted.root}, the root on chain`,
      `  window ${new Date(inputs.from).toISOString()} – ${new Date(inputs.to).toISOString()}; storage ${inputs.weights.storageShareBps / 100} %, minimum pass rate ${inputs.weights.minPassBps / 100} %`,
      `  served bytes from ${served.counted} verified serving receipt(s)${served.refusals.length === 0 ? '' : `, ${served.refusals.length} refused (${[...new Set(served.refusals.map(r => r.code))].join(', ')})`}`,
      `  pays ${recomputed.shares.length} node(s) ${both(eth, token)} of a pool of ${both(inputs.pool.eth, inputs.pool.token)}${recomputed.refusals.length === 0 ? '' : `; ${recomputed.refusals.length} record(s) refused (${[...new Set(recomputed.refusals.map(r => r.code))].join(', ')})`}`
    ].join('\n'))
  }
}

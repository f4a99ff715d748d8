/**
 * Governance from the command line: the protocol parameters, proposals to change them (propose,
 * vote, queue, execute, ls) and vote delegation. The chain work is @p2pdv/chain's proposals.ts;
 * this file parses arguments and renders results.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import {
  castVote, delegateVotes, describeParamChange, executeProposal, formatAmount, formatDurationSeconds, governanceSettings,
  listProposals, parseParamChanges, proposeChanges, protocolParams, queueProposal, shortProposalId, votingPower,
  type Proposal, type VoteSupport
} from '@p2pdv/chain'
import { listOpt, requirePositional, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, resolveAddress, type ChainContext } from '../chain/context.ts'

const SUPPORTS: readonly VoteSupport[] = ['for', 'against', 'abstain']

function iso (t: bigint): string {
  return new Date(Number(t) * 1000).toISOString()
}

function percent (bps: number): string {
  return `${bps / 100} %`
}

function proposalJson (p: Proposal, ctx: ChainContext): Record<string, unknown> {
  return {
    id: p.id,
    shortId: shortProposalId(p.id),
    proposer: p.proposer,
    proposerName: ctx.names.get(p.proposer.toLowerCase()),
    description: p.description,
    state: p.state,
    votes: p.votes,
    quorum: p.quorum,
    voteStart: p.voteStart,
    voteEnd: p.voteEnd,
    eta: p.eta,
    changes: p.changes.map((c, i) => c === undefined ? { target: p.targets[i], calldata: p.calldatas[i] } : { ...c, set: describeParamChange(c) })
  }
}

function describeProposal (p: Proposal, ctx: ChainContext): string {
  const changes = p.changes.map((c, i) => c === undefined ? `call ${p.targets[i]} ${p.calldatas[i]!.slice(0, 10)}…` : describeParamChange(c)).join(', ')
  const timing = p.state === 'pending'
    ? `voting opens ${iso(p.voteStart + 1n)}`
    : p.state === 'active'
      ? `voting ends ${iso(p.voteEnd)}`
      : p.state === 'queued' ? `executable from ${iso(p.eta)}` : ''
  return [
    `${shortProposalId(p.id)}  ${p.state.padEnd(9)} for ${formatAmount(p.votes.for, 'p2pv')}  against ${formatAmount(p.votes.against, 'p2pv')}  abstain ${formatAmount(p.votes.abstain, 'p2pv')}${p.quorum === undefined ? '' : `  (quorum ${formatAmount(p.quorum, 'p2pv')})`}`,
    `    ${changes}${timing === '' ? '' : `  · ${timing}`}`,
    `    by ${displayName(p.proposer, ctx)}: ${p.description.split('\n')[0]!.slice(0, 100)}`
  ].join('\n')
}

export const govParams: Command = {
  name: 'gov params',
  summary: 'the protocol parameters governance sets, and the rules of voting',
  usage: 'gov params [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const ctx = await chainContext(args, 'none')
    const [params, settings] = await Promise.all([protocolParams(ctx.client), governanceSettings(ctx.client)])
    out.result({ params, governance: settings }, () => [
      `min-stake   ${formatAmount(params.minStake, 'p2pv')}`,
      `unbonding   ${formatDurationSeconds(params.unbondingPeriod)}`,
      `split       creator ${percent(params.creatorBps)}, node pool ${percent(params.nodePoolBps)}, treasury ${percent(params.treasuryBps)}`,
      `slash       ${percent(params.slashBps)}`,
      `erasure     ${params.erasure.k}:${params.erasure.m} (data:parity blocks per stripe)`,
      `treasury    ${params.treasury}`,
      `settlement  storage ${percent(params.settlement.storageShareBps)} of each reward epoch (serving the rest), minimum audit pass rate ${percent(params.settlement.minPassBps)}`,
      '',
      `voting: opens ${formatDurationSeconds(settings.votingDelay)} after a proposal, lasts ${formatDurationSeconds(settings.votingPeriod)}; quorum ${settings.quorumPercent} % of the supply;`,
      `proposing takes ${formatAmount(settings.proposalThreshold, 'p2pv')} of votes; passed proposals wait ${formatDurationSeconds(settings.timelockDelay)} in the timelock`
    ].join('\n'))
  }
}

export const govPropose: Command = {
  name: 'gov propose',
  summary: 'propose parameter changes (min-stake, unbonding, split, slash, erasure, treasury, settlement) for a vote',
  usage: 'gov propose --set KEY=VALUE [--set …] --description TEXT [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { set: { type: 'string', multiple: true }, description: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const changes = parseParamChanges(listOpt(args, 'set'))
    const description = stringOpt(args, 'description')
    if (description === undefined) throw new P2pdvError('ERR_USAGE', 'missing --description', { hint: `usage: p2pdv ${govPropose.usage}` })
    const ctx = await chainContext(args, 'required')
    const r = await proposeChanges(ctx.client, changes, description)
    out.result({ id: r.id, shortId: shortProposalId(r.id), changes: changes.map(describeParamChange), voteStart: r.voteStart, voteEnd: r.voteEnd, tx: r.receipt.transactionHash }, () =>
      `proposed ${shortProposalId(r.id)} (${changes.map(describeParamChange).join(', ')}): voting from ${iso(r.voteStart + 1n)} to ${iso(r.voteEnd)}\nfull id ${r.id}`)
  }
}

export const govVote: Command = {
  name: 'gov vote',
  summary: 'vote on an open proposal with the votes delegated to you at its snapshot',
  usage: 'gov vote ID for|against|abstain [--reason TEXT] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { reason: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = requirePositional(args, 0, 'ID', govVote)
    const support = requirePositional(args, 1, 'for|against|abstain', govVote)
    if (!(SUPPORTS as readonly string[]).includes(support)) throw new P2pdvError('ERR_USAGE', `vote "${support.slice(0, 20)}"? say for, against or abstain`, { hint: `usage: p2pdv ${govVote.usage}` })
    const reason = stringOpt(args, 'reason') ?? ''
    if (reason.length > 1000) throw new P2pdvError('ERR_USAGE', '--reason is at most 1000 characters', { hint: 'Keep the reason short; the proposal\'s description carries the detail.' })
    const ctx = await chainContext(args, 'required')
    const r = await castVote(ctx.client, id, support as VoteSupport, reason)
    out.result({ id: r.proposal.id, voter: ctx.client.address, support, weight: r.weight, tx: r.receipt.transactionHash }, () =>
      `${displayName(ctx.client.address, ctx)} voted ${support} on ${shortProposalId(r.proposal.id)} with ${formatAmount(r.weight, 'p2pv')}`)
  }
}

export const govQueue: Command = {
  name: 'gov queue',
  summary: 'put a passed proposal in the timelock (anyone may)',
  usage: 'gov queue ID [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = requirePositional(args, 0, 'ID', govQueue)
    const ctx = await chainContext(args, 'required')
    const r = await queueProposal(ctx.client, id)
    out.result({ id: r.proposal.id, state: 'queued', eta: r.eta, tx: r.receipt.transactionHash }, () =>
      `queued ${shortProposalId(r.proposal.id)}: executable from ${iso(r.eta)} (\`p2pdv gov execute ${shortProposalId(r.proposal.id)}\`)`)
  }
}

export const govExecute: Command = {
  name: 'gov execute',
  summary: 'carry out a queued proposal once the timelock releases it (anyone may)',
  usage: 'gov execute ID [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = requirePositional(args, 0, 'ID', govExecute)
    const ctx = await chainContext(args, 'required')
    const r = await executeProposal(ctx.client, id)
    out.result({ id: r.proposal.id, state: 'executed', tx: r.receipt.transactionHash }, () =>
      `executed ${shortProposalId(r.proposal.id)}: ${r.proposal.changes.map(c => c === undefined ? 'a call' : describeParamChange(c)).join(', ')}`)
  }
}

export const govLs: Command = {
  name: 'gov ls',
  summary: 'list proposals with their state, tally, quorum and times',
  usage: 'gov ls [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const ctx = await chainContext(args, 'none')
    const proposals = await listProposals(ctx.client)
    out.result({ proposals: proposals.map(p => proposalJson(p, ctx)) }, () => proposals.length === 0
      ? 'no proposals yet; `p2pdv gov propose --set KEY=VALUE --description TEXT` makes one'
      : proposals.map(p => describeProposal(p, ctx)).join('\n'))
  }
}

export const govDelegate: Command = {
  name: 'gov delegate',
  summary: 'give your P2PV\'s votes to yourself (default) or to another address; without it they do not count',
  usage: 'gov delegate [TO] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const ctx = await chainContext(args, 'required')
    const to = args.positionals[0] === undefined ? undefined : resolveAddress(args.positionals[0], ctx)
    const r = await delegateVotes(ctx.client, to)
    const mine = await votingPower(ctx.client, ctx.client.address)
    out.result({ from: ctx.client.address, delegatee: r.delegatee, delegateeVotes: r.votes, votes: mine.votes, tx: r.receipt.transactionHash }, () =>
      `${displayName(ctx.client.address, ctx)} delegates to ${displayName(r.delegatee, ctx)}, who now has ${formatAmount(r.votes, 'p2pv')} of votes`)
  }
}

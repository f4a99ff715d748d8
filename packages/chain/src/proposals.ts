/**
 * The DAO's proposals (P2PVGovernor + P2PVTimelock): propose parameter changes, vote, queue,
 * execute, list; and delegation, without which P2PV carries no votes. Every write checks the
 * proposal's state first, so a refusal says what is wrong and when it will not be ("voting opens
 * at …", "the timelock releases it at …") instead of the Governor's bare state bitmap.
 *
 * The Governor's clock is the block timestamp (the token's CLOCK_MODE), so "now" is the latest
 * block's time, not the wall clock.
 */
import { keccak256, parseEventLogs, toHex, type Address, type Hex, type TransactionReceipt } from 'viem'
import { P2PVGovernorAbi, P2PVTimelockAbi, P2PVTokenAbi } from '@p2pdv/contracts/abis'
import { P2pdvError } from '@p2pdv/core/errors'
import { signerAddress, type ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { decodeParamChange, encodeParamChange, type ParamChange } from './param-changes.ts'
import { logWindows, writeContract } from './write.ts'

export const GovErrorCode = {
  UNKNOWN_PROPOSAL: 'ERR_GOV_UNKNOWN_PROPOSAL',
  AMBIGUOUS_PROPOSAL: 'ERR_GOV_AMBIGUOUS_PROPOSAL',
  NOT_ACTIVE: 'ERR_GOV_NOT_ACTIVE',
  ALREADY_VOTED: 'ERR_GOV_ALREADY_VOTED',
  NO_VOTES: 'ERR_GOV_NO_VOTES',
  BELOW_THRESHOLD: 'ERR_GOV_BELOW_THRESHOLD',
  NOT_SUCCEEDED: 'ERR_GOV_NOT_SUCCEEDED',
  NOT_QUEUED: 'ERR_GOV_NOT_QUEUED',
  TIMELOCK_NOT_READY: 'ERR_GOV_TIMELOCK_NOT_READY',
  BAD_DESCRIPTION: 'ERR_GOV_BAD_DESCRIPTION'
} as const

/** OpenZeppelin Governor's ProposalState, in its order. */
export const PROPOSAL_STATES = ['pending', 'active', 'canceled', 'defeated', 'succeeded', 'queued', 'expired', 'executed'] as const
export type ProposalState = typeof PROPOSAL_STATES[number]
export type VoteSupport = 'against' | 'for' | 'abstain'
const SUPPORT_CODE: Record<VoteSupport, number> = { against: 0, for: 1, abstain: 2 }

/** Descriptions are stored in calldata and logs: bounded so a proposal stays cheap to read. */
export const MAX_DESCRIPTION_BYTES = 4_000

export interface GovernanceSettings {
  votingDelay: bigint
  votingPeriod: bigint
  proposalThreshold: bigint
  quorumPercent: bigint
  timelockDelay: bigint
}

export interface Proposal {
  id: bigint
  proposer: Address
  description: string
  targets: Address[]
  values: bigint[]
  calldatas: Hex[]
  /** The parameter changes it makes, in order (undefined for a call that is not a ProtocolParams setter). */
  changes: Array<ParamChange | undefined>
  state: ProposalState
  votes: { for: bigint, against: bigint, abstain: bigint }
  /** Votes are counted at this time; voting opens just after it. */
  voteStart: bigint
  voteEnd: bigint
  /** Votes needed (for + abstain), once the snapshot is past; undefined before. */
  quorum: bigint | undefined
  /** When the timelock releases it (0 unless queued). */
  eta: bigint
  createdInBlock: bigint
}

function iso (t: bigint): string {
  return new Date(Number(t) * 1000).toISOString()
}

/** "at 2026-…Z (in 42 s)" for a time in the chain's clock. */
export function chainTimeFrom (t: bigint, now: bigint): string {
  return t > now ? `at ${iso(t)} (in ${t - now} s)` : `at ${iso(t)} (${now - t} s ago)`
}

/**
 * The chain's time for the next transaction: the latest block's, or the wall clock when later (a
 * devnet mines only on demand, so its latest block can be minutes old).
 */
async function chainNow (ctx: ChainContext): Promise<bigint> {
  const latest = (await ctx.public.getBlock({ blockTag: 'latest' })).timestamp
  const wall = BigInt(Math.floor(Date.now() / 1000))
  return wall > latest ? wall : latest
}

export async function governanceSettings (ctx: ChainContext): Promise<GovernanceSettings> {
  const c = ctx.config.contracts
  const g = { address: c.governor, abi: P2PVGovernorAbi } as const
  try {
    const [votingDelay, votingPeriod, proposalThreshold, quorumPercent, timelockDelay] = await Promise.all([
      ctx.public.readContract({ ...g, functionName: 'votingDelay' }),
      ctx.public.readContract({ ...g, functionName: 'votingPeriod' }),
      ctx.public.readContract({ ...g, functionName: 'proposalThreshold' }),
      ctx.public.readContract({ ...g, functionName: 'quorumNumerator' }),
      ctx.public.readContract({ address: c.timelock, abi: P2PVTimelockAbi, functionName: 'getMinDelay' })
    ])
    return { votingDelay, votingPeriod, proposalThreshold, quorumPercent, timelockDelay }
  } catch (err) {
    throw chainError(err, 'reading the governance settings')
  }
}

/** Every proposal ever made, oldest first, with its state and tally now. */
export async function listProposals (ctx: ChainContext): Promise<Proposal[]> {
  const governor = ctx.config.contracts.governor
  const created: Array<Omit<Proposal, 'state' | 'votes' | 'quorum' | 'eta'>> = []
  try {
    for await (const range of logWindows(ctx)) {
      const logs = await ctx.public.getContractEvents({ address: governor, abi: P2PVGovernorAbi, eventName: 'ProposalCreated', ...range })
      for (const log of logs) {
        const a = log.args
        created.push({
          id: a.proposalId!,
          proposer: a.proposer!,
          description: a.description!,
          targets: [...a.targets!],
          values: [...a.values!],
          calldatas: [...a.calldatas!],
          changes: a.targets!.map((t, i) => t.toLowerCase() === ctx.config.contracts.params.toLowerCase() ? decodeParamChange(a.calldatas![i]!) : undefined),
          voteStart: a.voteStart!,
          voteEnd: a.voteEnd!,
          createdInBlock: log.blockNumber
        })
      }
    }
    // The quorum at a snapshot is readable once a mined block is past it (the wall clock may be
    // ahead of the last block: reading it then reverts with ERC5805FutureLookup).
    const latest = (await ctx.public.getBlock({ blockTag: 'latest' })).timestamp
    return await Promise.all(created.map(async p => await withStatus(ctx, p, latest)))
  } catch (err) {
    throw chainError(err, 'listing proposals')
  }
}

async function withStatus (ctx: ChainContext, p: Omit<Proposal, 'state' | 'votes' | 'quorum' | 'eta'>, latestBlockTime: bigint): Promise<Proposal> {
  const g = { address: ctx.config.contracts.governor, abi: P2PVGovernorAbi } as const
  const [state, [against, forVotes, abstain], eta, quorum] = await Promise.all([
    ctx.public.readContract({ ...g, functionName: 'state', args: [p.id] }),
    ctx.public.readContract({ ...g, functionName: 'proposalVotes', args: [p.id] }),
    ctx.public.readContract({ ...g, functionName: 'proposalEta', args: [p.id] }),
    // The quorum is a fraction of the supply at the snapshot: undefined until the snapshot is past.
    p.voteStart < latestBlockTime ? ctx.public.readContract({ ...g, functionName: 'quorum', args: [p.voteStart] }) : Promise.resolve(undefined)
  ])
  return { ...p, state: PROPOSAL_STATES[state] ?? 'pending', votes: { for: forVotes, against, abstain }, eta, quorum }
}

/**
 * One proposal by its id, or by a unique leading part of its decimal id of at least 4 digits
 * (ids are 77-digit hashes; `gov ls` shows the first digits).
 */
export async function findProposal (ctx: ChainContext, idText: string): Promise<Proposal> {
  const text = idText.trim()
  if (!/^\d{4,78}$/.test(text)) {
    throw new P2pdvError(GovErrorCode.UNKNOWN_PROPOSAL, `"${text.slice(0, 80)}" is not a proposal id`, { hint: 'Give the decimal id `p2pdv gov ls` shows (its first digits are enough when unique).' })
  }
  const all = await listProposals(ctx)
  const exact = all.find(p => p.id.toString() === text)
  if (exact !== undefined) return exact
  const matches = all.filter(p => p.id.toString().startsWith(text))
  if (matches.length === 0) throw new P2pdvError(GovErrorCode.UNKNOWN_PROPOSAL, `no proposal ${text}`, { hint: '`p2pdv gov ls` lists the proposals.' })
  if (matches.length > 1) throw new P2pdvError(GovErrorCode.AMBIGUOUS_PROPOSAL, `${matches.length} proposals start with ${text}`, { hint: 'Give more digits of the id.' })
  return matches[0]!
}

/** Delegates the signer's votes (to itself unless `to`). P2PV counts in votes only once delegated. */
export async function delegateVotes (ctx: ChainContext, to?: Address): Promise<{ delegatee: Address, votes: bigint, receipt: TransactionReceipt }> {
  const delegatee = to ?? signerAddress(ctx)
  const token = ctx.config.contracts.token
  const receipt = await writeContract(ctx, { action: 'delegating votes', address: token, abi: P2PVTokenAbi, functionName: 'delegate', args: [delegatee] })
  const votes = await ctx.public.readContract({ address: token, abi: P2PVTokenAbi, functionName: 'getVotes', args: [delegatee] })
  return { delegatee, votes, receipt }
}

/** Whom an account delegates to (zero address: nobody) and the votes it holds itself. */
export async function votingPower (ctx: ChainContext, account: Address): Promise<{ delegatee: Address, votes: bigint }> {
  const token = { address: ctx.config.contracts.token, abi: P2PVTokenAbi } as const
  const [delegatee, votes] = await Promise.all([
    ctx.public.readContract({ ...token, functionName: 'delegates', args: [account] }),
    ctx.public.readContract({ ...token, functionName: 'getVotes', args: [account] })
  ])
  return { delegatee, votes }
}

/** Proposes parameter changes; returns the new proposal's id. */
export async function proposeChanges (ctx: ChainContext, changes: readonly ParamChange[], description: string): Promise<{ id: bigint, voteStart: bigint, voteEnd: bigint, receipt: TransactionReceipt }> {
  const bytes = new TextEncoder().encode(description).length
  if (description.trim() === '' || bytes > MAX_DESCRIPTION_BYTES) {
    throw new P2pdvError(GovErrorCode.BAD_DESCRIPTION, `a proposal needs a description of 1 to ${MAX_DESCRIPTION_BYTES} bytes (got ${bytes})`, { hint: 'Say what it changes and why, with --description TEXT.' })
  }
  const proposer = signerAddress(ctx)
  const c = ctx.config.contracts
  // The Governor counts the votes held one second before the proposal's block: current votes are
  // what that will be once this transaction is mined (a later block).
  const [threshold, votes] = await Promise.all([
    ctx.public.readContract({ address: c.governor, abi: P2PVGovernorAbi, functionName: 'proposalThreshold' }),
    ctx.public.readContract({ address: c.token, abi: P2PVTokenAbi, functionName: 'getVotes', args: [proposer] })
  ])
  if (votes < threshold) {
    throw new P2pdvError(GovErrorCode.BELOW_THRESHOLD, `proposing takes ${threshold} votes (wei of P2PV); ${proposer} has ${votes}`, {
      hint: 'Delegate to yourself first (`p2pdv gov delegate`), or ask holders to delegate to you; votes count from the next block.'
    })
  }
  const targets = changes.map(() => c.params)
  const values = changes.map(() => 0n)
  const calldatas = changes.map(encodeParamChange)
  const receipt = await writeContract(ctx, { action: 'proposing', address: c.governor, abi: P2PVGovernorAbi, functionName: 'propose', args: [targets, values, calldatas, description] })
  const [event] = parseEventLogs({ abi: P2PVGovernorAbi, eventName: 'ProposalCreated', logs: receipt.logs })
  if (event === undefined) throw chainError(new Error('the proposal transaction logged no ProposalCreated'), 'proposing')
  return { id: event.args.proposalId, voteStart: event.args.voteStart, voteEnd: event.args.voteEnd, receipt }
}

export async function castVote (ctx: ChainContext, idText: string, support: VoteSupport, reason = ''): Promise<{ proposal: Proposal, weight: bigint, receipt: TransactionReceipt }> {
  const voter = signerAddress(ctx)
  const p = await findProposal(ctx, idText)
  const now = await chainNow(ctx)
  const g = { address: ctx.config.contracts.governor, abi: P2PVGovernorAbi } as const
  if (p.state !== 'active') {
    const why = p.state === 'pending'
      ? `voting opens ${chainTimeFrom(p.voteStart + 1n, now)}`
      : `voting closed ${chainTimeFrom(p.voteEnd, now)}; it is ${p.state}`
    throw new P2pdvError(GovErrorCode.NOT_ACTIVE, `proposal ${shortProposalId(p.id)} is not open for votes: ${why}`, { hint: '`p2pdv gov ls` shows each proposal\'s state and times.' })
  }
  if (await ctx.public.readContract({ ...g, functionName: 'hasVoted', args: [p.id, voter] })) {
    throw new P2pdvError(GovErrorCode.ALREADY_VOTED, `${voter} already voted on proposal ${shortProposalId(p.id)}`, { hint: 'A vote cannot be changed; `p2pdv gov ls` shows the tally.' })
  }
  const weight = await ctx.public.readContract({ address: ctx.config.contracts.token, abi: P2PVTokenAbi, functionName: 'getPastVotes', args: [voter, p.voteStart] })
  if (weight === 0n) {
    throw new P2pdvError(GovErrorCode.NO_VOTES, `${voter} had no votes when proposal ${shortProposalId(p.id)} took its snapshot (${iso(p.voteStart)})`, {
      hint: 'Votes count from delegation on: run `p2pdv gov delegate` before the next proposal\'s snapshot.'
    })
  }
  const receipt = await writeContract(ctx, {
    action: 'voting', address: g.address, abi: g.abi,
    ...(reason === '' ? { functionName: 'castVote', args: [p.id, SUPPORT_CODE[support]] } : { functionName: 'castVoteWithReason', args: [p.id, SUPPORT_CODE[support], reason] })
  })
  return { proposal: p, weight, receipt }
}

export async function queueProposal (ctx: ChainContext, idText: string): Promise<{ proposal: Proposal, eta: bigint, receipt: TransactionReceipt }> {
  const p = await findProposal(ctx, idText)
  const now = await chainNow(ctx)
  if (p.state !== 'succeeded') {
    const why = p.state === 'active' || p.state === 'pending'
      ? `voting ends ${chainTimeFrom(p.voteEnd, now)}`
      : p.state === 'defeated'
        ? `it was defeated (for ${p.votes.for}, against ${p.votes.against}, abstain ${p.votes.abstain}${p.quorum === undefined ? '' : `, quorum ${p.quorum}`})`
        : `it is ${p.state}`
    throw new P2pdvError(GovErrorCode.NOT_SUCCEEDED, `proposal ${shortProposalId(p.id)} cannot be queued: ${why}`, { hint: 'Only a proposal that passed is queued; `p2pdv gov ls` shows its state.' })
  }
  const receipt = await writeContract(ctx, {
    action: 'queueing the proposal', address: ctx.config.contracts.governor, abi: P2PVGovernorAbi,
    functionName: 'queue', args: [p.targets, p.values, p.calldatas, keccak256(toHex(p.description))]
  })
  const eta = await ctx.public.readContract({ address: ctx.config.contracts.governor, abi: P2PVGovernorAbi, functionName: 'proposalEta', args: [p.id] })
  return { proposal: p, eta, receipt }
}

export async function executeProposal (ctx: ChainContext, idText: string): Promise<{ proposal: Proposal, receipt: TransactionReceipt }> {
  const p = await findProposal(ctx, idText)
  const now = await chainNow(ctx)
  if (p.state === 'succeeded') {
    throw new P2pdvError(GovErrorCode.NOT_QUEUED, `proposal ${shortProposalId(p.id)} passed but is not queued yet`, { hint: `Queue it first: \`p2pdv gov queue ${shortProposalId(p.id)}\`.` })
  }
  if (p.state !== 'queued') {
    throw new P2pdvError(GovErrorCode.NOT_QUEUED, `proposal ${shortProposalId(p.id)} cannot be executed: it is ${p.state}`, { hint: '`p2pdv gov ls` shows its state.' })
  }
  if (p.eta > now) {
    throw new P2pdvError(GovErrorCode.TIMELOCK_NOT_READY, `proposal ${shortProposalId(p.id)} is in the timelock: it can be executed ${chainTimeFrom(p.eta, now)}`, { hint: 'Run `p2pdv gov execute` again after that time.' })
  }
  const receipt = await writeContract(ctx, {
    action: 'executing the proposal', address: ctx.config.contracts.governor, abi: P2PVGovernorAbi,
    functionName: 'execute', args: [p.targets, p.values, p.calldatas, keccak256(toHex(p.description))]
  })
  return { proposal: { ...p, state: 'executed' }, receipt }
}

/** The first digits of an id, enough to name it in `gov vote` and friends. */
export function shortProposalId (id: bigint): string {
  return id.toString().slice(0, 8)
}

/**
 * Copyright claims (Licensing.sol): anyone files a claim on a video with evidence, the video's
 * owner answers with a counter notice, an arbiter (a role governance grants) upholds or rejects
 * it; an upheld claim blocks the video in the registry, which closes access to all but its owner
 * (keepers and the discovery index follow the registry). Evidence, counter notices and
 * resolutions are short public references on chain (a capability of a stored file, or a URL).
 */
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem'
import { LicensingAbi } from '@p2pdv/contracts/abis'
import { P2pdvError } from '@p2pdv/core/errors'
import type { ChainContext } from './context.ts'
import { chainError } from './errors.ts'
import { writeContract } from './write.ts'

/** The contract's states, by number (Licensing.STATE_*). */
export const CLAIM_STATES = ['none', 'open', 'countered', 'upheld', 'rejected', 'withdrawn'] as const
export type ClaimState = typeof CLAIM_STATES[number]

/** What the contract accepts as evidence, counter notice or resolution (MAX_CID_LENGTH). */
export const MAX_CLAIM_REFERENCE_CHARS = 128
/** Claims read at most by one listing (newest first). */
export const MAX_LISTED_CLAIMS = 200

export const LicensingErrorCode = {
  BAD_REFERENCE: 'ERR_CLAIM_BAD_REFERENCE',
  UNKNOWN_CLAIM: 'ERR_CLAIM_UNKNOWN'
} as const

export interface ClaimInfo {
  id: bigint
  video: Hex
  claimant: Address
  state: ClaimState
  /** Unix seconds. */
  openedAt: bigint
  updatedAt: bigint
  evidence: string
  /** '' until the owner answers. */
  counter: string
  /** '' until an arbiter resolves it (and when the arbiter gave no reason). */
  resolution: string
}

/**
 * Checks a reference before it is sent: printable ASCII without spaces, at most 128 characters
 * (the contract's bound), so a typo costs no gas and nothing odd lands in a public record.
 */
export function checkClaimReference (text: string, what: string, mayBeEmpty = false): string {
  if (text === '' && mayBeEmpty) return text
  if (text.length === 0 || text.length > MAX_CLAIM_REFERENCE_CHARS || !/^[\x21-\x7e]+$/.test(text)) {
    throw new P2pdvError(LicensingErrorCode.BAD_REFERENCE, `the ${what} must be 1 to ${MAX_CLAIM_REFERENCE_CHARS} printable characters without spaces (a URL or a stored file's capability)`, {
      hint: 'Give a short URL, or a file: it is stored on the nodes and its capability recorded (anyone can then read it).'
    })
  }
  return text
}

async function licensingWrite (ctx: ChainContext, action: string, functionName: string, args: readonly unknown[]): Promise<TransactionReceipt> {
  return await writeContract(ctx, { action, address: ctx.config.contracts.licensing, abi: LicensingAbi, functionName, args })
}

export async function fileClaim (ctx: ChainContext, video: Hex, evidence: string): Promise<{ id: bigint, receipt: TransactionReceipt }> {
  const receipt = await licensingWrite(ctx, 'filing a claim', 'fileClaim', [video, checkClaimReference(evidence, 'evidence')])
  const filed = parseEventLogs({ abi: LicensingAbi, logs: receipt.logs, eventName: 'ClaimFiled' })[0]
  if (filed === undefined) throw new P2pdvError('ERR_CHAIN', 'the claim transaction emitted no ClaimFiled event', { hint: 'Check the Licensing contract address in the deployment file.' })
  return { id: filed.args.claimId, receipt }
}

export async function counterClaim (ctx: ChainContext, id: bigint, counter: string): Promise<TransactionReceipt> {
  return await licensingWrite(ctx, 'filing a counter notice', 'counterNotice', [id, checkClaimReference(counter, 'counter notice')])
}

export async function withdrawClaim (ctx: ChainContext, id: bigint): Promise<TransactionReceipt> {
  return await licensingWrite(ctx, 'withdrawing the claim', 'withdrawClaim', [id])
}

export async function resolveClaim (ctx: ChainContext, id: bigint, upheld: boolean, reason = ''): Promise<TransactionReceipt> {
  return await licensingWrite(ctx, upheld ? 'upholding the claim' : 'rejecting the claim', 'resolve', [id, upheld, checkClaimReference(reason, 'reason', true)])
}

export async function isArbiter (ctx: ChainContext, account: Address): Promise<boolean> {
  try {
    const role = await ctx.public.readContract({ address: ctx.config.contracts.licensing, abi: LicensingAbi, functionName: 'ARBITER_ROLE' })
    return await ctx.public.readContract({ address: ctx.config.contracts.licensing, abi: LicensingAbi, functionName: 'hasRole', args: [role, account] })
  } catch (err) {
    throw chainError(err, 'reading the arbiter role')
  }
}

export async function getClaim (ctx: ChainContext, id: bigint): Promise<ClaimInfo> {
  let c: { video: Hex, claimant: Address, state: number, openedAt: bigint, updatedAt: bigint, evidenceCid: string, counterCid: string, resolutionCid: string }
  try {
    c = await ctx.public.readContract({ address: ctx.config.contracts.licensing, abi: LicensingAbi, functionName: 'getClaim', args: [id] })
  } catch (err) {
    const e = chainError(err, `reading claim ${id}`)
    if (e.code === 'ERR_CHAIN_UNKNOWN_CLAIM') throw new P2pdvError(LicensingErrorCode.UNKNOWN_CLAIM, `there is no claim ${id}`, { hint: '`p2pdv claims` lists the claims and their ids.', cause: err })
    throw e
  }
  return {
    id, video: c.video, claimant: c.claimant, state: CLAIM_STATES[c.state] ?? 'none', openedAt: c.openedAt, updatedAt: c.updatedAt,
    evidence: c.evidenceCid, counter: c.counterCid, resolution: c.resolutionCid
  }
}

/** The newest claims (at most `limit`, newest first), optionally only those `keep` accepts. */
export async function listClaims (ctx: ChainContext, options: { limit?: number, keep?: (c: ClaimInfo) => boolean } = {}): Promise<ClaimInfo[]> {
  const limit = Math.min(Math.max(1, options.limit ?? MAX_LISTED_CLAIMS), MAX_LISTED_CLAIMS)
  let count: bigint
  try {
    count = await ctx.public.readContract({ address: ctx.config.contracts.licensing, abi: LicensingAbi, functionName: 'claimCount' })
  } catch (err) {
    throw chainError(err, 'counting claims')
  }
  const ids: bigint[] = []
  for (let id = count; id >= 1n && ids.length < limit; id--) ids.push(id)
  const claims = await Promise.all(ids.map(async id => await getClaim(ctx, id)))
  return options.keep === undefined ? claims : claims.filter(options.keep)
}

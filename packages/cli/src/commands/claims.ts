/**
 * Copyright claims from the CLI (Licensing.sol): `claim` files one with evidence, `counter` is the
 * owner's answer, `arbitrate` an arbiter's decision (upheld: the video is blocked in the registry,
 * so keepers release its key to nobody but its owner and the discovery index drops it), `claims`
 * lists them. Evidence is public: a URL, or a file stored on the nodes whose capability (and so
 * its key) goes on chain for the owner and the arbiter to read with `p2pdv get`.
 */
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Address, Hex } from 'viem'
import { checkClaimReference, MAX_CLAIM_REFERENCE_CHARS, type ClaimInfo } from '@p2pdv/chain'
import { P2pdvError } from '@p2pdv/core/errors'
import { requirePositional, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import type { Output } from '../output.ts'
import { CHAIN_OPTIONS, chainContext, displayName, parseVideoId, resolveAddress, type ChainContext } from '../chain/context.ts'
import { NODE_OPTION } from '../peers-from-args.ts'

const EVIDENCE_REPLICAS = 3
const REFERENCE_OPTIONS = { evidence: { type: 'string' }, ...NODE_OPTION } as const

function parseClaimId (text: string): bigint {
  if (!/^[1-9]\d{0,18}$/.test(text)) throw new P2pdvError('ERR_USAGE', `"${text.slice(0, 30)}" is not a claim id`, { hint: 'Claim ids are whole numbers from 1; `p2pdv claims` lists them.' })
  return BigInt(text)
}

/**
 * `--evidence`: a URL is recorded as it is; an existing file is stored on the nodes (sealed, as
 * `put` does) and its capability recorded. Anything else is refused before any gas is spent.
 */
async function reference (args: ParsedArgs, out: Output, option: string, required: boolean): Promise<string> {
  const given = stringOpt(args, option)
  if (given === undefined) {
    if (!required) return ''
    throw new P2pdvError('ERR_USAGE', `--${option} is required: a URL, or a file to store on the nodes`, { hint: `e.g. --${option} https://example.org/notice or --${option} ./notice.pdf` })
  }
  if (/^https?:\/\//.test(given)) return checkClaimReference(given, option)
  const info = await stat(given).catch(() => undefined)
  if (info === undefined || !info.isFile()) {
    throw new P2pdvError('ERR_CLAIM_BAD_REFERENCE', `--${option} ${given.slice(0, 80)} is neither an http(s) URL nor a readable file`, { hint: 'Give a URL (at most 128 characters) or the path of a file.' })
  }
  const [{ Client }, { clientPeers }] = await Promise.all([import('@p2pdv/sdk/client'), import('../peers-from-args.ts')])
  // Stored like `put` without --as: under a throw-away key's upload grant (the evidence is public
  // anyway; the claim itself is signed by the wallet on chain).
  const peers = await clientPeers(args)
  const client = await Client.create({ ...peers })
  try {
    const bar = out.progress(`storing ${basename(given)}`)
    // A notice is small: whole copies on up to 3 nodes, not a stripe that needs 6.
    const stored = await client.putFile(given, { replicas: Math.max(1, Math.min(EVIDENCE_REPLICAS, peers.peers.length)), onProgress: p => { bar.update({ done: p.storedBytes / p.expansion, total: info.size }) } })
    bar.finish()
    if (stored.capability.length > MAX_CLAIM_REFERENCE_CHARS) throw new P2pdvError('ERR_CLAIM_BAD_REFERENCE', 'the stored file\'s capability is longer than the contract takes', { hint: 'Give a short URL instead.' })
    return stored.capability
  } finally {
    await client.close()
  }
}

function claimJson (c: ClaimInfo, ctx: ChainContext): Record<string, unknown> {
  return { ...c, id: c.id.toString(), claimantName: ctx.names.get(c.claimant.toLowerCase()) }
}

function claimLines (c: ClaimInfo, ctx: ChainContext): string {
  const when = new Date(Number(c.openedAt) * 1000).toISOString().slice(0, 16).replace('T', ' ')
  return [
    `#${c.id} ${c.state.toUpperCase()} on ${c.video.slice(0, 12)}… by ${displayName(c.claimant, ctx)}, ${when} UTC`,
    `    evidence: ${c.evidence}`,
    ...(c.counter === '' ? [] : [`    counter:  ${c.counter}`]),
    ...(c.resolution === '' ? [] : [`    reason:   ${c.resolution}`])
  ].join('\n')
}

export const claim: Command = {
  name: 'claim',
  summary: 'file a copyright claim on a video, with evidence (a URL, or a file stored on the nodes); an arbiter decides',
  usage: 'claim VIDEO --evidence URL|FILE [--as NAME] [--node URL …] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS, ...REFERENCE_OPTIONS },
  async run (args, out) {
    const video = parseVideoId(requirePositional(args, 0, 'VIDEO', claim))
    const ctx = await chainContext(args, 'required')
    const info = await ctx.client.getVideo(video)
    if (info.owner.toLowerCase() === ctx.client.address.toLowerCase()) throw new P2pdvError('ERR_CHAIN_OWNER_CANNOT_CLAIM', 'you own this video: an owner cannot claim it', { hint: 'Claims are for rights holders other than the uploader.' })
    if (info.blocked || info.retired) throw new P2pdvError('ERR_CHAIN_VIDEO_UNAVAILABLE', `video ${video.slice(0, 10)}… is ${info.blocked ? 'blocked' : 'retired'} already`, { hint: 'There is nothing left to claim.' })
    const evidence = await reference(args, out, 'evidence', true)
    const { id, receipt } = await ctx.client.fileClaim(video, evidence)
    out.result({ claim: id.toString(), video, evidence, tx: receipt.transactionHash }, () =>
      `filed claim #${id} on ${video.slice(0, 10)}…; evidence ${evidence}\nThe owner may answer (p2pdv counter ${id}); an arbiter decides (p2pdv arbitrate ${id} uphold|reject).`)
  }
}

export const counter: Command = {
  name: 'counter',
  summary: 'answer a claim on your video with a counter notice (a URL, or a file stored on the nodes)',
  usage: 'counter CLAIM --evidence URL|FILE [--as NAME] [--node URL …] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS, ...REFERENCE_OPTIONS },
  async run (args, out) {
    const id = parseClaimId(requirePositional(args, 0, 'CLAIM', counter))
    const ctx = await chainContext(args, 'required')
    const c = await ctx.client.getClaim(id)
    if (c.state !== 'open') throw new P2pdvError('ERR_CLAIM_STATE', `claim #${id} is ${c.state}: only an open claim can be answered`, { hint: '`p2pdv claims` shows each claim\'s state.' })
    const evidence = await reference(args, out, 'evidence', true)
    const receipt = await ctx.client.counterClaim(id, evidence)
    out.result({ claim: id.toString(), counter: evidence, tx: receipt.transactionHash }, () => `answered claim #${id}; counter notice ${evidence}`)
  }
}

export const arbitrate: Command = {
  name: 'arbitrate',
  summary: 'decide a claim as an arbiter: uphold (the video is blocked for everyone but its owner) or reject',
  usage: 'arbitrate CLAIM uphold|reject [--reason URL|FILE] --as ARBITER [--node URL …] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS, reason: { type: 'string' }, ...NODE_OPTION },
  async run (args, out) {
    const id = parseClaimId(requirePositional(args, 0, 'CLAIM', arbitrate))
    const decision = requirePositional(args, 1, 'DECISION', arbitrate)
    if (decision !== 'uphold' && decision !== 'reject') throw new P2pdvError('ERR_USAGE', `the decision is uphold or reject, not "${decision.slice(0, 20)}"`, { hint: `usage: p2pdv ${arbitrate.usage}` })
    const ctx = await chainContext(args, 'required')
    if (!await ctx.client.isArbiter(ctx.client.address)) throw new P2pdvError('ERR_NOT_ARBITER', `${displayName(ctx.client.address, ctx)} is not an arbiter`, { hint: 'Governance grants the arbiter role (on the devnet: ops); pick it with --as NAME.' })
    const c = await ctx.client.getClaim(id)
    if (c.state !== 'open' && c.state !== 'countered') throw new P2pdvError('ERR_CLAIM_STATE', `claim #${id} is ${c.state} already`, { hint: '`p2pdv claims` shows each claim\'s state.' })
    const reason = await reference(args, out, 'reason', false)
    const receipt = await ctx.client.resolveClaim(id, decision === 'uphold', reason)
    out.result({ claim: id.toString(), video: c.video, upheld: decision === 'uphold', reason, tx: receipt.transactionHash }, () =>
      decision === 'uphold'
        ? `upheld claim #${id}: video ${c.video.slice(0, 10)}… is blocked (keepers release its key to its owner only; it leaves search)`
        : `rejected claim #${id}: video ${c.video.slice(0, 10)}… stays as it was`)
  }
}

export const claims: Command = {
  name: 'claims',
  summary: 'list copyright claims, newest first: on a video, filed by or against you, or all',
  usage: 'claims [--mine] [--video VIDEO] [--by ADDRESS|NAME] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS, mine: { type: 'boolean', default: false }, video: { type: 'string' }, by: { type: 'string' } },
  async run (args, out) {
    const mine = args.values.mine === true
    const ctx = await chainContext(args, mine ? 'required' : 'none')
    const video = stringOpt(args, 'video') === undefined ? undefined : parseVideoId(stringOpt(args, 'video')!)
    const by: Address | undefined = stringOpt(args, 'by') === undefined ? undefined : resolveAddress(stringOpt(args, 'by')!, ctx)
    // --mine: filed by me, or on a video I own (owners read once per video).
    const me = mine ? ctx.client.address.toLowerCase() : undefined
    const owners = new Map<Hex, Promise<string>>()
    const ownerOf = async (v: Hex): Promise<string> => {
      let o = owners.get(v)
      if (o === undefined) owners.set(v, o = ctx.client.getVideo(v).then(i => i.owner.toLowerCase()))
      return await o
    }
    const listed = await ctx.client.listClaims({
      keep: c => (video === undefined || c.video.toLowerCase() === video) && (by === undefined || c.claimant.toLowerCase() === by.toLowerCase())
    })
    const mineToo = await Promise.all(listed.map(async c => me === undefined || c.claimant.toLowerCase() === me || await ownerOf(c.video) === me))
    const shown = listed.filter((_, i) => mineToo[i])
    out.result({ claims: shown.map(c => claimJson(c, ctx)) }, () => shown.length === 0
      ? 'no claims'
      : shown.map(c => claimLines(c, ctx)).join('\n'))
  }
}

export const claimsWithdraw: Command = {
  name: 'claims withdraw',
  summary: 'withdraw a claim you filed (while it is open or countered)',
  usage: 'claims withdraw CLAIM [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseClaimId(requirePositional(args, 0, 'CLAIM', claimsWithdraw))
    const ctx = await chainContext(args, 'required')
    const c = await ctx.client.getClaim(id)
    if (c.claimant.toLowerCase() !== ctx.client.address.toLowerCase()) throw new P2pdvError('ERR_CHAIN_NOT_CLAIMANT', `claim #${id} was filed by ${displayName(c.claimant, ctx)}, not ${displayName(ctx.client.address, ctx)}`, { hint: 'Only the account that filed a claim can withdraw it; pick it with --as NAME.' })
    if (c.state !== 'open' && c.state !== 'countered') throw new P2pdvError('ERR_CLAIM_STATE', `claim #${id} is ${c.state} already`, { hint: '`p2pdv claims` shows each claim\'s state.' })
    const receipt = await ctx.client.withdrawClaim(id)
    out.result({ claim: id.toString(), state: 'withdrawn', tx: receipt.transactionHash }, () => `withdrew claim #${id}`)
  }
}

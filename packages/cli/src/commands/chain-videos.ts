/** Chain commands about videos: list them, buy access, grant and revoke, check access. */
import { formatAmount, formatDurationSeconds, FOREVER, isLive, type VideoInfo } from '@p2pdv/chain'
import { requirePositional, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import type { ListedVideo, NodeClient } from '@p2pdv/node-client'
import { NODE_OPTION } from '../peers-from-args.ts'
import { creatorLabel, discoveryNode, videoLines } from './search.ts'
import { CHAIN_OPTIONS, chainContext, displayName, parseVideoId, resolveAddress, type ChainContext } from '../chain/context.ts'
import { GRANT_ENVELOPE_OPTIONS, grantWithEnvelope } from './grant-envelope.ts'
import { conditionJson, conditionLines } from './conditions.ts'

function describePrice (v: VideoInfo): string {
  if (v.policy !== 'paid') return v.policy
  if (v.price === undefined) return 'paid (no price set)'
  return `${formatAmount(v.price.amount, v.price.asset)}${v.price.duration === 0n ? '' : ` / ${formatDurationSeconds(v.price.duration)}`}`
}

function until (t: bigint): string {
  return t === FOREVER ? 'for good' : `until ${new Date(Number(t) * 1000).toISOString()}`
}

function videoJson (v: VideoInfo, ctx: ChainContext): Record<string, unknown> {
  return { ...v, ownerName: ctx.names.get(v.owner.toLowerCase()) }
}

/** Titles and durations from a node's discovery index (none when no node answers). */
async function listingsOf (args: ParsedArgs, videos: VideoInfo[]): Promise<Map<string, ListedVideo>> {
  const found = new Map<string, ListedVideo>()
  let node: NodeClient
  try {
    const { NodeClient } = await import('@p2pdv/node-client')
    node = new NodeClient(await discoveryNode(args), { timeoutMs: 10_000 })
  } catch {
    return found
  }
  const listed = videos.filter(v => v.listingCid !== '')
  for (let i = 0; i < listed.length; i += LISTING_LOOKUPS) {
    await Promise.all(listed.slice(i, i + LISTING_LOOKUPS).map(async v => {
      try { found.set(v.id.toLowerCase(), await node.video(v.id)) } catch {}
    }))
  }
  return found
}

const LISTING_LOOKUPS = 8

export const ls: Command = {
  name: 'ls',
  summary: 'list the videos registered on chain with title, creator, duration and price (ids and CIDs with --json)',
  usage: 'ls [--mine] [--all] [--as NAME] [--rpc URL] [--chain FILE] [--node URL] [--json]',
  options: { mine: { type: 'boolean', default: false }, all: { type: 'boolean', default: false }, ...CHAIN_OPTIONS, ...NODE_OPTION },
  async run (args, out) {
    const ctx = await chainContext(args, args.values.mine === true ? 'required' : 'none')
    const videos = await ctx.client.listVideos({
      includeRetired: args.values.all === true,
      ...(args.values.mine === true ? { owner: ctx.client.address } : {})
    })
    const listings = await listingsOf(args, videos)
    const lines = await Promise.all(videos.map(async v => {
      const l = listings.get(v.id.toLowerCase())
      const state = `${v.retired ? ' (retired)' : ''}${v.blocked ? ' (blocked)' : ''}`
      if (l === undefined) return `(${v.listingCid === '' ? 'unlisted' : 'listing not indexed'}: ${v.id.slice(0, 12)}…)${state}\n    ${displayName(v.owner, ctx)} · ${describePrice(v)}`
      return (await videoLines({ ...l, policy: v.policy, ...(v.price === undefined ? {} : { price: { asset: v.price.asset, amount: v.price.amount, durationSeconds: v.price.duration } }) }, creatorLabel(displayName(v.owner, ctx), l.creatorName))) + state
    }))
    out.result({
      videos: videos.map(v => {
        const l = listings.get(v.id.toLowerCase())
        return { ...videoJson(v, ctx), ...(l === undefined ? {} : { title: l.title, description: l.description, durationSeconds: l.durationSeconds, tags: l.tags, ...(l.creatorName === undefined ? {} : { creatorName: l.creatorName }) }) }
      })
    }, () => videos.length === 0
      ? 'no videos registered yet; `p2pdv upload VIDEO` registers one'
      : lines.join('\n'))
  }
}

/** The refund term a buyer is told before paying: `refundable for 7d after buying` or `not refundable`. */
export function refundWindowTerm (window: bigint): string {
  return window === 0n ? 'not refundable' : `refundable for ${formatDurationSeconds(window)} after buying (\`p2pdv refund VIDEO\`)`
}

/** The refund term of a purchase made: `refundable until <ISO time> (7d)` or `not refundable`. */
export function refundableTerm (refundableUntil: bigint, window: bigint): string {
  return refundableUntil === 0n ? 'not refundable' : `refundable for ${formatDurationSeconds(window)}, until ${new Date(Number(refundableUntil) * 1000).toISOString()}`
}

export const buy: Command = {
  name: 'buy',
  summary: 'pay for access to a paid video (ETH, or P2PV with an exact approval), at the price on chain; states the refund window before paying',
  usage: 'buy VIDEO [--for ADDRESS|NAME] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { for: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', buy))
    const ctx = await chainContext(args, 'required')
    const forWho = stringOpt(args, 'for')
    const viewer = forWho === undefined ? ctx.client.address : resolveAddress(forWho, ctx)
    // The terms are stated (stderr) before anything is approved or paid.
    const r = await ctx.client.buy(id, {
      viewer,
      onTerms: t => { out.note(`buying ${id.slice(0, 10)}… for ${formatAmount(t.price.amount, t.price.asset)}${t.price.duration === 0n ? '' : ` (access for ${formatDurationSeconds(t.price.duration)})`}; ${refundWindowTerm(t.refundWindow)}`) }
    })
    // A window changed between the read and the purchase shows in the Escrowed event: that is what holds.
    const window = r.refundableUntil === 0n ? 0n : r.refundWindow
    const refund = { refundable: r.refundableUntil !== 0n, window, ...(r.refundableUntil === 0n ? {} : { until: r.refundableUntil, untilIso: new Date(Number(r.refundableUntil) * 1000).toISOString() }) }
    out.result({ video: id, viewer, price: r.price, until: r.until, refund, tx: r.receipt.transactionHash }, () =>
      `paid ${formatAmount(r.price.amount, r.price.asset)}: ${displayName(viewer, ctx)} may watch ${id.slice(0, 10)}… ${until(r.until)}; ${refundableTerm(r.refundableUntil, window)}`)
  }
}

export const transfer: Command = {
  name: 'transfer',
  summary: 'hand your video to another account: it manages the video and is paid for later sales and for sales still held in refund windows',
  usage: 'transfer VIDEO ADDRESS|NAME [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', transfer))
    const ctx = await chainContext(args, 'required')
    const to = resolveAddress(requirePositional(args, 1, 'ADDRESS', transfer), ctx)
    const receipt = await ctx.client.transferVideo(id, to)
    out.result({ video: id, from: ctx.client.address, to, tx: receipt.transactionHash }, () =>
      `${id.slice(0, 10)}… now belongs to ${displayName(to, ctx)}; sales still held in refund windows are paid to it when released (\`p2pdv withdraw --as …\`)`)
  }
}

export const grant: Command = {
  name: 'grant',
  summary: 'let a named viewer watch your video (address or wallet name)',
  usage: 'grant VIDEO ADDRESS|NAME [--envelope [--identity-file FILE] [--capability CAP]] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS, ...GRANT_ENVELOPE_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', grant))
    const ctx = await chainContext(args, 'required')
    const given = requirePositional(args, 1, 'ADDRESS', grant)
    const viewer = resolveAddress(given, ctx)
    const receipt = await ctx.client.grant(id, viewer)
    // --envelope: also K sealed to the viewer (works without keepers); see grant-envelope.ts.
    const env = args.values.envelope === true ? await grantWithEnvelope(args, ctx, id, viewer, given) : undefined
    out.result({ video: id, viewer, granted: true, tx: receipt.transactionHash, ...(env === undefined ? {} : env) }, () =>
      `granted ${displayName(viewer, ctx)} access to ${id.slice(0, 10)}…${env === undefined ? '' : `\nenvelope ${env.envelope}; their link (no key in it): ${env.link}`}`)
  }
}

export const revoke: Command = {
  name: 'revoke',
  summary: 'withdraw a grant (what a viewer paid for stays theirs)',
  usage: 'revoke VIDEO ADDRESS|NAME [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', revoke))
    const ctx = await chainContext(args, 'required')
    const viewer = resolveAddress(requirePositional(args, 1, 'ADDRESS', revoke), ctx)
    const receipt = await ctx.client.revoke(id, viewer)
    out.result({ video: id, viewer, granted: false, tx: receipt.transactionHash }, () => `revoked the grant of ${displayName(viewer, ctx)} on ${id.slice(0, 10)}…`)
  }
}

export const viewers: Command = {
  name: 'viewers',
  summary: 'who may watch your video by name (grants) and who bought it, with what it earned',
  usage: 'viewers VIDEO [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', viewers))
    const ctx = await chainContext(args, 'optional')
    const [video, audience, condition, refundWindow] = await Promise.all([ctx.client.getVideo(id), ctx.client.videoAudience(id), ctx.client.conditionOf(id), ctx.client.refundWindowOf(id)])
    const tokens = await ctx.client.conditionTokens(condition)
    const earned = (['eth', 'p2pv'] as const).filter(a => audience.revenue[a] > 0n).map(a => formatAmount(audience.revenue[a], a))
    out.result({ video: id, owner: video.owner, policy: video.policy, condition: conditionJson(condition, tokens), refundWindow, ...audience, granted: audience.granted.map(g => ({ ...g, name: ctx.names.get(g.viewer.toLowerCase()) })), sales: audience.sales.map(s => ({ ...s, name: ctx.names.get(s.viewer.toLowerCase()) })) }, () => [
      `${id.slice(0, 10)}… (${describePrice(video)}), owned by ${displayName(video.owner, ctx)}`,
      ...conditionLines(condition, tokens),
      ...(refundWindow === 0n ? [] : [`refund window: ${formatDurationSeconds(refundWindow)} (sales held until it closes)`]),
      audience.granted.length === 0 ? 'named viewers: none (`p2pdv grant VIDEO NAME` adds one)' : `named viewers (${audience.granted.length}):`,
      ...audience.granted.map(g => `  ${displayName(g.viewer, ctx)}  ${g.viewer}`),
      audience.salesCount === 0 ? 'sales: none yet' : `sales: ${audience.salesCount}, buyers paid ${earned.join(' and ')} (your share is owed to you: \`p2pdv balance\`)`,
      ...audience.sales.slice(0, 20).map(s => `  ${displayName(s.viewer, ctx).padEnd(12)} ${formatAmount(s.amount, s.asset).padEnd(14)} ${until(s.until)}`)
    ].join('\n'))
  }
}

export const access: Command = {
  name: 'access',
  summary: 'may this viewer watch the video? (what key keepers ask the chain: hasAccess), and the video\'s access condition',
  usage: 'access VIDEO [ADDRESS|NAME] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', access))
    const who = args.positionals[1]
    const ctx = await chainContext(args, who === undefined ? 'required' : 'none')
    const viewer = who === undefined ? ctx.client.address : resolveAddress(who, ctx)
    const [has, video, paid, condition, meets] = await Promise.all([
      ctx.client.hasAccess(id, viewer), ctx.client.getVideo(id), ctx.client.paidUntil(id, viewer), ctx.client.conditionOf(id), ctx.client.conditionMet(id, viewer)
    ])
    const tokens = await ctx.client.conditionTokens(condition)
    out.result({ video: id, viewer, access: has, policy: video.policy, paidUntil: paid, condition: conditionJson(condition, tokens), meetsCondition: meets }, () => [
      `${displayName(viewer, ctx)} ${has ? 'may' : 'may not'} watch ${id.slice(0, 10)}… (policy ${video.policy}${isLive(paid) ? `, paid ${until(paid)}` : ''})`,
      ...conditionLines(condition, tokens),
      ...(condition.clauses.length === 0 ? [] : [`  ${displayName(viewer, ctx)} ${meets ? 'meets it' : 'does not meet it'}`])
    ].join('\n'))
  }
}

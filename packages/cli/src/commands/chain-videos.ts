/** Chain commands about videos: list them, buy access, grant and revoke, check access. */
import { formatAmount, formatDurationSeconds, FOREVER, isLive, type VideoInfo } from '@p2pdv/chain'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, parseVideoId, resolveAddress, type ChainContext } from '../chain/context.ts'
import { GRANT_ENVELOPE_OPTIONS, grantWithEnvelope } from './grant-envelope.ts'

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

export const ls: Command = {
  name: 'ls',
  summary: 'list the videos registered on chain (from the registry\'s events), with owner, policy and price',
  usage: 'ls [--mine] [--all] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { mine: { type: 'boolean', default: false }, all: { type: 'boolean', default: false }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const ctx = await chainContext(args, args.values.mine === true ? 'required' : 'none')
    const videos = await ctx.client.listVideos({
      includeRetired: args.values.all === true,
      ...(args.values.mine === true ? { owner: ctx.client.address } : {})
    })
    out.result({ videos: videos.map(v => videoJson(v, ctx)) }, () => videos.length === 0
      ? 'no videos registered yet; `p2pdv upload VIDEO` registers one'
      : videos.map(v => [
        `${v.id}  ${describePrice(v)}${v.retired ? ' (retired)' : ''}${v.blocked ? ' (blocked)' : ''}`,
        `    owner ${displayName(v.owner, ctx)}   manifest ${v.manifestCid}${v.listingCid === '' ? '' : `   listing ${v.listingCid}`}`
      ].join('\n')).join('\n'))
  }
}

export const buy: Command = {
  name: 'buy',
  summary: 'pay for access to a paid video (ETH, or P2PV with an exact approval), at the price on chain',
  usage: 'buy VIDEO [--for ADDRESS|NAME] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { for: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', buy))
    const ctx = await chainContext(args, 'required')
    const forWho = stringOpt(args, 'for')
    const viewer = forWho === undefined ? ctx.client.address : resolveAddress(forWho, ctx)
    const r = await ctx.client.buy(id, { viewer })
    out.result({ video: id, viewer, price: r.price, until: r.until, tx: r.receipt.transactionHash }, () =>
      `paid ${formatAmount(r.price.amount, r.price.asset)}: ${displayName(viewer, ctx)} may watch ${id.slice(0, 10)}… ${until(r.until)}`)
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

export const access: Command = {
  name: 'access',
  summary: 'may this viewer watch the video? (what key keepers ask the chain: hasAccess)',
  usage: 'access VIDEO [ADDRESS|NAME] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', access))
    const who = args.positionals[1]
    const ctx = await chainContext(args, who === undefined ? 'required' : 'none')
    const viewer = who === undefined ? ctx.client.address : resolveAddress(who, ctx)
    const [has, video, paid] = await Promise.all([ctx.client.hasAccess(id, viewer), ctx.client.getVideo(id), ctx.client.paidUntil(id, viewer)])
    out.result({ video: id, viewer, access: has, policy: video.policy, paidUntil: paid }, () =>
      `${displayName(viewer, ctx)} ${has ? 'may' : 'may not'} watch ${id.slice(0, 10)}… (policy ${video.policy}${isLive(paid) ? `, paid ${until(paid)}` : ''})`)
  }
}

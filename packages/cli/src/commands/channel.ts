/**
 * Creator channels:
 *
 *   p2pdv channel set --name N [--bio B] [--avatar FILE] [--link URL …]   sign a profile, store it, point the registry at it
 *   p2pdv channel [ADDRESS|NAME]                                           show a channel (yours without an argument)
 *
 * `channel set` signs the profile with the wallet (EIP-191, @p2pdv/core profile.ts), stores it and
 * its avatar on nodes as public blocks (as uploads store listings and posters), then calls the
 * registry's `setProfile`; every node's discovery index follows the event. Fields not given keep
 * the current profile's values. `channel` asks a node's index (which checked the signature);
 * profile text is a stranger's and is cleaned before it reaches the terminal.
 */
import { open } from 'node:fs/promises'
import { avatarType, MAX_PROFILE_AVATAR_BYTES, MAX_PROFILE_NAME, P2pdvError, type ProfileDocument } from '@p2pdv/core'
import type { ChannelPage, ChannelProfile } from '@p2pdv/node-client'
import { intOpt, listOpt, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, type ChainContext } from '../chain/context.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'
import { creatorLabel, discoveryNode, terminalText, videoLines } from './search.ts'

/** Copies of the profile (and avatar) stored, as for listings (the sdk's DEFAULT_REPLICAS). */
const PROFILE_REPLICAS = 3

export const ChannelErrorCode = {
  NOT_FOUND: 'ERR_CHANNEL_NOT_FOUND',
  AMBIGUOUS: 'ERR_CHANNEL_AMBIGUOUS',
  AVATAR: 'ERR_PROFILE_AVATAR'
} as const

async function readAvatar (path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new P2pdvError(ChannelErrorCode.AVATAR, `cannot read the avatar ${path}: ${err.code ?? err.message}`, { hint: 'Pass a JPEG or PNG file.' })
  })
  try {
    const { size } = await fh.stat()
    if (size > MAX_PROFILE_AVATAR_BYTES) throw new P2pdvError(ChannelErrorCode.AVATAR, `the avatar is ${size} bytes, more than ${MAX_PROFILE_AVATAR_BYTES}`, { hint: 'Use a smaller image (a 256×256 JPEG is plenty).' })
    const buf = new Uint8Array(size)
    const { bytesRead } = await fh.read(buf, 0, size, 0)
    const bytes = buf.subarray(0, bytesRead)
    if (avatarType(bytes) === undefined) throw new P2pdvError(ChannelErrorCode.AVATAR, `the avatar ${path} is neither JPEG nor PNG`, { hint: 'Convert it to JPEG or PNG.' })
    return bytes
  } finally {
    await fh.close()
  }
}

export const channelSet: Command = {
  name: 'channel set',
  summary: 'sign your channel profile (name, bio, avatar, links), store it on nodes and point the registry at it',
  usage: 'channel set --name N [--bio B] [--avatar FILE] [--link https://… … | --no-links] [--replicas 3] [--as NAME] [--node URL …] [--json]',
  options: {
    name: { type: 'string' },
    bio: { type: 'string' },
    avatar: { type: 'string' },
    link: { type: 'string', multiple: true },
    'no-links': { type: 'boolean', default: false },
    replicas: { type: 'string' },
    ...CHAIN_OPTIONS,
    ...NODE_OPTION
  },
  async run (args, out) {
    const name = stringOpt(args, 'name')
    const bio = stringOpt(args, 'bio')
    const avatarPath = stringOpt(args, 'avatar')
    const noLinks = args.values['no-links'] === true
    if (noLinks && args.values.link !== undefined) throw new P2pdvError('ERR_USAGE', '--no-links removes every link; give it without --link', { hint: `usage: p2pdv ${channelSet.usage}` })
    const links = noLinks ? [] : args.values.link === undefined ? undefined : listOpt(args, 'link')
    const replicas = intOpt(args, 'replicas', PROFILE_REPLICAS, 1, 16)
    if (name === undefined && bio === undefined && avatarPath === undefined && links === undefined) {
      throw new P2pdvError('ERR_USAGE', 'nothing to set', { hint: `usage: p2pdv ${channelSet.usage}` })
    }
    const { Client, normaliseProfileLink } = await import('@p2pdv/sdk')
    // Checked before the wallet is opened or anything is sent.
    links?.forEach(normaliseProfileLink)
    if (name !== undefined && (name.trim() === '' || name.trim().length > MAX_PROFILE_NAME)) {
      throw new P2pdvError('ERR_PROFILE_INPUT', `--name must be 1–${MAX_PROFILE_NAME} characters`, { hint: 'Pass --name "Your channel".' })
    }
    const avatar = avatarPath === undefined ? undefined : await readAvatar(avatarPath)
    const ctx = await chainContext(args, 'required')
    try {
      const client = await Client.create({ ...await clientPeers(args) })
      try {
        // Fields not given keep the current profile's (read from the chain's pointer, checked here).
        const currentCid = await ctx.client.getProfileCid(ctx.client.address)
        let old: ProfileDocument | undefined
        if (currentCid !== '') old = await client.profile(currentCid).catch(() => undefined)
        const finalName = name ?? old?.name
        if (finalName === undefined) throw new P2pdvError('ERR_USAGE', 'a new channel needs a name', { hint: 'Pass --name "Your channel".' })
        const oldAvatar = avatar === undefined && old?.avatar !== undefined ? await client.getBlock(old.avatar).catch(() => undefined) : undefined
        const finalAvatar = avatar ?? oldAvatar
        const finalBio = bio ?? old?.bio
        const published = await client.publishProfile(ctx.identity!.account, {
          name: finalName,
          ...(finalBio === undefined ? {} : { bio: finalBio }),
          ...(finalAvatar === undefined ? {} : { avatar: finalAvatar }),
          links: links ?? old?.links ?? [],
          ...(old === undefined ? {} : { createdAt: old.createdAt })
        }, { replicas })
        const receipt = await ctx.client.setProfile(published.profileCid)
        const p = published.profile
        out.result({
          address: ctx.client.address,
          profileCid: published.profileCid,
          ...(published.avatarCid === undefined ? {} : { avatarCid: published.avatarCid }),
          ...(currentCid === '' ? {} : { previousProfileCid: currentCid }),
          name: p.name,
          ...(p.bio === undefined ? {} : { bio: p.bio }),
          links: p.links,
          nodes: published.nodes,
          tx: receipt.transactionHash
        }, () => `channel of ${ctx.client.address} is now "${terminalText(p.name)}" (profile ${published.profileCid}, on ${published.nodes.length} node(s)); nodes index it within a few seconds`)
      } finally {
        await client.close()
      }
    } finally {
      ctx.identity?.forget()
    }
  }
}

/** The address a channel argument names: an address, a wallet name, else a channel name the node knows. */
async function channelAddress (args: ParsedArgs, given: string | undefined, ctx: () => Promise<ChainContext>, byName: (name: string) => Promise<ChannelProfile[]>): Promise<string> {
  if (given === undefined) return (await ctx()).client.address
  if (/^0x[0-9a-fA-F]{40}$/.test(given)) return given
  try {
    const c = await ctx()
    for (const [address, n] of c.names) if (n === given) return address
  } catch {}
  const found = await byName(given)
  const exact = found.filter(p => p.name.toLowerCase() === given.toLowerCase())
  const pick = exact.length === 1 ? exact : found
  if (pick.length === 1) return pick[0]!.address
  if (pick.length === 0) throw new P2pdvError(ChannelErrorCode.NOT_FOUND, `no channel named "${given.slice(0, 64)}" is known to the node`, { hint: 'Pass the creator\'s address (0x…), or check the spelling.' })
  throw new P2pdvError(ChannelErrorCode.AMBIGUOUS, `${pick.length} channels match "${given.slice(0, 64)}": ${pick.map(p => `${terminalText(p.name)} ${p.address}`).join(', ')}`, {
    hint: 'Names are not unique: pass the address of the one you mean.'
  })
}

export const channel: Command = {
  name: 'channel',
  summary: 'show a creator\'s channel: their signed profile and their videos (yours without an argument)',
  usage: 'channel [ADDRESS|NAME] [--limit N] [--as NAME] [--node URL] [--json]',
  options: { limit: { type: 'string' }, ...CHAIN_OPTIONS, ...NODE_OPTION },
  async run (args, out) {
    const { NodeClient } = await import('@p2pdv/node-client')
    const node = new NodeClient(await discoveryNode(args))
    let opened: ChainContext | undefined
    const ctx = async (): Promise<ChainContext> => (opened ??= await chainContext(args, args.positionals[0] === undefined ? 'required' : 'optional'))
    try {
      const address = await channelAddress(args, args.positionals[0], ctx, async name => await node.channels(name))
      const limit = intOpt(args, 'limit', 24, 1, 50)
      const page: ChannelPage = await node.channel(address, { limit })
      const p = page.profile
      const who = opened === undefined ? page.address : displayName(page.address, opened)
      const lines = await Promise.all(page.videos.map(async v => await videoLines(v, creatorLabel(who, v.creatorName))))
      out.result(page, () => [
        p === undefined ? `${who} (no channel profile)` : `${terminalText(p.name)}  ${page.address}`,
        ...(p?.bio === undefined ? [] : p.bio.split('\n').map(l => `  ${terminalText(l)}`)),
        ...(p === undefined ? [] : p.links.map(l => `  ${terminalText(l)}`)),
        '',
        page.videos.length === 0 ? 'no listed videos' : lines.join('\n'),
        ...(page.next === undefined ? [] : ['(more: --json gives a cursor)'])
      ].join('\n'))
    } finally {
      opened?.identity?.forget()
    }
  }
}

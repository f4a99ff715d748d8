/**
 * `p2pdv edit VIDEO`: change what a video on chain shows people without re-uploading it: its
 * public listing (title, description, tags, public poster) and, for a paid video, its price. The
 * listing is signed again by the owner's wallet (keeping its creation time, the duration and,
 * without --poster, the poster),
 * stored as a new public block, and the registry is pointed at it; every node's discovery index
 * follows the registry's event. Nothing is re-sealed: the manifest and key stay as they are.
 */
import { P2pdvError, type ListingDocument } from '@p2pdv/core'
import { Client, DEFAULT_REPLICAS } from '@p2pdv/sdk'
import { formatAmount, formatDurationSeconds, parseAmount, parseDuration, type Price } from '@p2pdv/chain'
import { intOpt, requirePositional, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, parseVideoId } from '../chain/context.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'

export const EditErrorCode = {
  NOTHING: 'ERR_EDIT_NOTHING',
  UNLISTED: 'ERR_EDIT_UNLISTED'
} as const

export const edit: Command = {
  name: 'edit',
  summary: 'change a video\'s title, description, tags (its signed listing) or price, without re-uploading',
  usage: 'edit VIDEO [--title T] [--description D] [--tags a,b] [--poster PICTURE|VIDEO [--poster-at 12s]] [--price 0.02|25p2pv [--duration 48h|0]] [--replicas 3] [--as NAME] [--node URL …] [--json]',
  options: {
    title: { type: 'string' },
    description: { type: 'string' },
    tags: { type: 'string' },
    poster: { type: 'string' },
    'poster-at': { type: 'string' },
    price: { type: 'string' },
    duration: { type: 'string' },
    replicas: { type: 'string' },
    ...CHAIN_OPTIONS,
    ...NODE_OPTION
  },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', edit))
    const title = stringOpt(args, 'title')
    const description = stringOpt(args, 'description')
    const tags = stringOpt(args, 'tags')
    const priceText = stringOpt(args, 'price')
    const durationText = stringOpt(args, 'duration')
    const posterFile = stringOpt(args, 'poster')
    const posterAtText = stringOpt(args, 'poster-at')
    if (posterAtText !== undefined && posterFile === undefined) throw new P2pdvError('ERR_USAGE', '--poster-at goes with --poster (a video to take the frame from)', { hint: `usage: p2pdv ${edit.usage}` })
    const listingChange = title !== undefined || description !== undefined || tags !== undefined || posterFile !== undefined
    if (durationText !== undefined && priceText === undefined) throw new P2pdvError('ERR_USAGE', '--duration goes with --price', { hint: `usage: p2pdv ${edit.usage}` })
    if (!listingChange && priceText === undefined) {
      throw new P2pdvError(EditErrorCode.NOTHING, 'nothing to change', { hint: `give --title, --description, --tags, --poster or --price; usage: p2pdv ${edit.usage}` })
    }
    // Parsed before anything is signed or sent.
    const amount = priceText === undefined ? undefined : parseAmount(priceText)
    const duration = durationText === undefined ? undefined : parseDuration(durationText)
    const replicas = intOpt(args, 'replicas', DEFAULT_REPLICAS, 1, 16)
    const posterAt = posterAtText === undefined ? undefined : Number(parseDuration(posterAtText))
    // The new poster is made (and any problem with the file found) before the wallet is opened.
    const newPoster = posterFile === undefined ? undefined : await (await import('@p2pdv/media')).publicPosterFrom(posterFile, posterAt === undefined ? {} : { atSeconds: posterAt })

    const ctx = await chainContext(args, 'required')
    try {
      const video = await ctx.client.getVideo(id)
      if (video.owner.toLowerCase() !== ctx.client.address!.toLowerCase()) {
        throw new P2pdvError('ERR_NOT_OWNER', `only the owner of ${id} (${video.owner}) can edit it`, { hint: 'Pass --as with the wallet that uploaded it.' })
      }
      if (amount !== undefined && video.policy !== 'paid') {
        throw new P2pdvError('ERR_USAGE', `this video is ${video.policy}, not paid: it has no price to change`, { hint: 'Prices belong to videos uploaded with --price.' })
      }
      // Without --duration a new price keeps the rental period it had.
      const price: Price | undefined = amount === undefined ? undefined : { ...amount, duration: duration ?? video.price?.duration ?? 0n }
      let listing: { cid: string, previous: string, document: ListingDocument } | undefined
      if (listingChange) {
        if (video.listingCid === '') throw new P2pdvError(EditErrorCode.UNLISTED, 'this video is unlisted: it has no public listing to edit', { hint: 'Unlisted videos show no title to anyone; upload again without --unlisted to list one.' })
        const client = await Client.create({ ...await clientPeers(args) })
        try {
          const old = await client.listing(video.listingCid)
          const poster = newPoster ?? (old.poster === undefined ? undefined : await client.getBlock(old.poster))
          const published = await client.publishListing(ctx.identity!.account, {
            title: title ?? old.title,
            ...(description ?? old.description) === undefined ? {} : { description: description ?? old.description },
            tags: tags === undefined ? old.tags : tags.split(','),
            durationSeconds: old.durationSeconds,
            ...(poster === undefined ? {} : { posterJpeg: poster }),
            createdAt: old.createdAt
          }, { replicas })
          await ctx.client.updateVideo(id, { manifestCid: video.manifestCid, listingCid: published.listingCid, keyFingerprint: video.keyFingerprint })
          listing = { cid: published.listingCid, previous: video.listingCid, document: published.listing }
        } finally {
          await client.close()
        }
      }
      if (price !== undefined) await ctx.client.setPrice(id, price)
      out.result({
        video: id,
        ...(listing === undefined ? {} : { listingCid: listing.cid, previousListingCid: listing.previous, title: listing.document.title, description: listing.document.description, tags: listing.document.tags, ...(listing.document.poster === undefined ? {} : { poster: listing.document.poster.toString() }) }),
        ...(price === undefined ? {} : { price })
      }, () => [
        ...(listing === undefined ? [] : [`listing of ${id.slice(0, 10)}… is now "${listing.document.title}" (${listing.cid})${newPoster === undefined ? '' : ` with a new poster (${Math.ceil(newPoster.byteLength / 1024)} KiB)`}; nodes index it within a few seconds`]),
        ...(price === undefined ? [] : [`price is now ${formatAmount(price.amount, price.asset)}${price.duration === 0n ? '' : ` for ${formatDurationSeconds(price.duration)}`}; buyers so far keep their access`])
      ].join('\n'))
    } finally {
      ctx.identity?.forget()
    }
  }
}

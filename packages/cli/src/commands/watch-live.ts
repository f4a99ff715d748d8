/**
 * `p2pdv watch p2pdv://live/<stream>#<key>` (or the `http://NODE/watch/live/<stream>#<key>` URL of
 * the watch page): a live stream served as plain HLS on 127.0.0.1 for ffplay, VLC, mpv or hls.js.
 * A stream registered on chain has no key in its link (`p2pdv://live/<stream>`, or the watch URL
 * without `#`): its epoch keys come from the keepers, asked as `--as NAME`.
 * A LiveSource follows the stream's signed announcements on the nodes (SSE, failing over to the
 * next node when one dies) and the live gateway serves its sliding playlists and the segments,
 * each fetched by CID (a copy that does not hash to it is refused) and opened here under the epoch
 * key unwrapped from the link: no node sees plaintext or a key.
 *
 * It waits for the first segment and opens its init segment before printing the URL, so a wrong
 * key (ERR_LIVE_KEY) or an unknown stream (ERR_LIVE_NOT_FOUND) fails the command at once. Once the
 * stream ends the playlists get EXT-X-ENDLIST and the command exits when the player has been idle
 * for a few seconds; Ctrl-C stops it at any time.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { LIVE_LINK_PREFIX } from '@p2pdv/core/live'
import { intOpt, listOpt, type ParsedArgs } from '../command.ts'
import type { Output } from '../output.ts'
import { peersFromArgs } from '../peers-from-args.ts'

const STATUS_EVERY_MS = 2_000
/** After the stream ended: the gateway stays up until the player asked nothing for this long. */
const IDLE_AFTER_END_MS = 5_000
/** The watch page's URL: `http(s)://HOST/watch/live/<stream>#<key>`. */
const WATCH_URL = /^(https?:\/\/[^/?#\s]{1,255})\/watch\/live\/([0-9a-fA-F]{64})(#\S*)?$/

/** A `p2pdv://live/…` link or a watch-page URL. */
export function isLiveWatchLink (text: string): boolean {
  const s = text.trim()
  return s.startsWith(LIVE_LINK_PREFIX) || (s.length <= 512 && WATCH_URL.test(s))
}

/** The keepers of a registered stream, asked as the command's identity; `forget` zeroes its keys. */
async function keeperEpochKeys (args: ParsedArgs, stream: string): Promise<{ provider: import('@p2pdv/sdk/live').DeferredLiveEpochKeys, forget: () => void }> {
  const [{ chainContext }, { ChainKeyOracle }, { KeyResolver }, { DeferredLiveEpochKeys }] = await Promise.all([
    import('../chain/context.ts'), import('@p2pdv/chain/oracles'), import('@p2pdv/sdk/keys'), import('@p2pdv/sdk/live')
  ])
  const ctx = await chainContext(args, 'required')
  const viewer = ctx.identity!
  const oracle = new ChainKeyOracle(ctx.client)
  const resolvers: Array<InstanceType<typeof KeyResolver>> = []
  const provider = new DeferredLiveEpochKeys({
    stream,
    connect: async () => {
      const r = new KeyResolver({ oracle, directory: oracle, viewer: { account: viewer.account, x25519PublicKey: viewer.x25519PublicKey, x25519PrivateKey: viewer.x25519PrivateKey } })
      resolvers.push(r)
      return r
    }
  })
  return {
    provider,
    forget: () => {
      provider.close()
      for (const r of resolvers) void r.close()
      viewer.forget()
    }
  }
}

/** The watch-page URL → the live link and the node that served it; a live link as it is. */
export function splitLiveWatchLink (text: string): { link: string, origin?: string } {
  const s = text.trim()
  const m = s.length <= 512 ? WATCH_URL.exec(s) : null
  if (m === null) return { link: s }
  return { link: `${LIVE_LINK_PREFIX}${m[2]!.toLowerCase()}${m[3] ?? ''}`, origin: m[1]! }
}

/** A registered stream's link carries no key: `p2pdv://live/<stream>` (its keys come from the keepers). */
const KEYLESS_LINK = /^p2pdv:\/\/live\/([0-9a-fA-F]{64})$/

export async function watchLive (args: ParsedArgs, out: Output, text: string): Promise<number> {
  const port = intOpt(args, 'port', 0, 0, 65535)
  const { link, origin } = splitLiveWatchLink(text)
  const keyless = KEYLESS_LINK.exec(link)?.[1]?.toLowerCase()
  if (keyless === undefined && (args.values.as !== undefined || args.values.anonymous === true)) {
    throw new P2pdvError('ERR_USAGE', '--as and --anonymous are for links without a key; this live link carries its key', {
      hint: 'Drop --as: the part after # is the key.'
    })
  }
  if (keyless !== undefined && args.values.anonymous === true) {
    throw new P2pdvError('ERR_USAGE', 'a stream registered on chain is watched as an account that may watch it, not anonymously', { hint: 'Watch with --as NAME (a wallet that bought, subscribed or was granted access).' })
  }
  // A malformed link is refused before any node is asked (ERR_BAD_LIVE_LINK).
  const parsed = keyless === undefined ? (await import('@p2pdv/core/live')).parseLiveLink(link) : undefined
  const { LiveSource, PeerSet, fetchPeerDirectory } = await import('@p2pdv/sdk/player')
  const { startLiveGateway } = await import('@p2pdv/sdk/live-gateway')
  // The watch page's node knows the others (its directory); else --node flags or the devnet.
  let peers: Awaited<ReturnType<typeof peersFromArgs>>
  try {
    peers = origin !== undefined && listOpt(args, 'node').length === 0
      ? await fetchPeerDirectory(origin).catch(async () => await peersFromArgs({ ...args, values: { ...args.values, node: [origin] } }))
      : await peersFromArgs(args)
  } catch (err) {
    parsed?.secret.fill(0)
    throw err
  }
  let source: import('@p2pdv/sdk/player').LiveSource
  let forget: () => void = () => {}
  if (keyless !== undefined) {
    // Epoch keys from the keepers, asked as --as (the devnet's alice by default), each checked
    // against the fingerprint the creator signed into the announcements.
    const keys = await keeperEpochKeys(args, keyless)
    forget = keys.forget
    source = LiveSource.open({ keeper: { stream: keyless, keys: keys.provider }, peers: new PeerSet(peers) })
  } else {
    source = LiveSource.open({ link: parsed!, peers: new PeerSet(peers) })
    parsed!.secret.fill(0)
  }
  let gateway: Awaited<ReturnType<typeof startLiveGateway>> | undefined
  let ticker: ReturnType<typeof setInterval> | undefined
  let stop: () => void = () => {}
  try {
    await source.read('master.m3u8')
    const first = source.announcement(source.renditionList()[0]!.index)!
    // Opening one init segment proves the key before the URL is handed out (a wrong link: ERR_LIVE_KEY).
    await source.read(`r${first.rendition}/init-${first.epoch}.mp4`)
    gateway = await startLiveGateway(source, { port })
    const g = gateway
    const renditions = source.renditionList().map(r => r.name)
    out.result({ event: 'ready', url: g.url, stream: source.stream, renditions }, () => [
      g.url,
      '',
      `Open it in a player, e.g.  ffplay '${g.url}'   or   vlc '${g.url}'   (live: ${renditions.join(', ')})`,
      'The URL works only on this machine and only while this command runs (Ctrl-C stops it).'
    ].join('\n'))
    const status = (event: string): Record<string, unknown> => {
      const edge = source.announcement(first.rendition)
      const served = g.lastServed()
      return {
        event,
        edge: edge === undefined ? undefined : { seq: edge.seq, epoch: edge.epoch, ageMs: Date.now() - edge.time },
        ...(served === undefined ? {} : { served: { rendition: served.rendition, seq: served.seq, behindLiveMs: served.behindLiveMs } }),
        epochs: source.stats.epochs,
        node: source.stats.feedNode,
        announcements: source.stats.announcements,
        refusedAnnouncements: source.stats.refusedAnnouncements,
        rejectedBlocks: source.stats.rejectedBlocks,
        failedSegments: g.failedSegments(),
        ended: g.ended(),
        // How the end was known: the creator's signed end, or silence (a crash, a lost connection).
        ...(g.ended() ? { endedBy: source.endAnnounced() ? 'creator' : 'silence' } : {})
      }
    }
    const line = (s: Record<string, any>): string => {
      const edge = s.edge === undefined ? 'no segment yet' : `edge #${s.edge.seq as number} (epoch ${s.edge.epoch as number})`
      const lag = s.served === undefined ? 'player not started' : `player ${(s.served.behindLiveMs / 1000).toFixed(1)} s behind live`
      const bad = (s.rejectedBlocks as number) + (s.refusedAnnouncements as number) > 0 ? `, refused ${s.rejectedBlocks as number} bad block(s) and ${s.refusedAnnouncements as number} announcement(s)` : ''
      return `  ${edge}, ${lag}, from ${String(s.node ?? 'no node')}${bad}`
    }
    const done = new Promise<string>(resolve => {
      stop = () => { resolve('stopped') }
      let endedShown = false
      let shown = ''
      ticker = setInterval(() => {
        const s = status('status')
        if (g.ended()) {
          if (!endedShown) { endedShown = true; out.result({ ...s, event: 'ended' }, () => `the stream has ended (${s.endedBy === 'creator' ? 'the creator ended it' : 'no new segment for a while'}): players play out what they hold (EXT-X-ENDLIST)`) }
          if (g.idleMs() >= IDLE_AFTER_END_MS) resolve('ended')
          return
        }
        if (out.json) { out.result(s, () => ''); return }
        // A terminal shows a line only when it changed (a paused player changes nothing).
        const l = line(s)
        if (l !== shown) out.note(shown = l)
      }, STATUS_EVERY_MS)
    })
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const why = await done
    out.result(status(why === 'ended' ? 'closed' : 'stopped'), () => why === 'ended' ? 'closed: the stream ended' : 'stopped')
    return 0
  } finally {
    clearInterval(ticker)
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await gateway?.close()
    source.close()
    forget()
  }
}

import { VIDEO_LINK_PREFIX } from '@p2pdv/core'
import { Client, endWebRtcThreads, startVideoGateway, type GatewayP2pStats } from '@p2pdv/sdk'
import { intOpt, requirePositional, type Command } from '../command.ts'
import { formatBytes } from '../format.ts'
import { cacheDir, clientPeersOrOffline, NODE_OPTION } from '../peers-from-args.ts'
import { keyedWatchLink, WATCH_KEY_OPTIONS } from '../chain/watch-keys.ts'
import { RECEIPT_OPTIONS, receiptSession, receiptSessionFor, type ReceiptSession } from '../serving-receipts.ts'

/** How often the P2P status line (or JSON status event) is written while watching. */
const STATUS_EVERY_MS = 2_000

export const watch: Command = {
  name: 'watch',
  summary: 'serve a video as plain HLS on 127.0.0.1 for VLC, mpv or ffmpeg (Ctrl-C stops), sharing blocks with other viewers (--no-p2p: nodes only); a video link gets its key from an envelope or the keepers; a live link plays a live stream (one registered on chain, p2pdv://live/STREAM with no key, as --as NAME)',
  usage: 'watch CAPABILITY|p2pdv://video/ID|p2pdv://live/STREAM[#KEY] [--no-p2p] [--as NAME | --anonymous] [--no-receipts] [--port 0] [--node URL …] [--rpc URL] [--chain FILE] [--json]',
  options: { port: { type: 'string' }, 'no-p2p': { type: 'boolean', default: false }, ...NODE_OPTION, ...WATCH_KEY_OPTIONS, ...RECEIPT_OPTIONS },
  async run (args, out) {
    const link = requirePositional(args, 0, 'CAPABILITY', watch)
    const live = await import('./watch-live.ts')
    if (live.isLiveWatchLink(link)) return await live.watchLive(args, out, link)
    const port = intOpt(args, 'port', 0, 0, 65535)
    // Blocks kept by `p2pdv download` play with every node offline.
    const { peers, ...rest } = await clientPeersOrOffline(args)
    // The viewer's wallet signs a serving receipt per node for the bytes it served (serving-receipts.ts):
    // for a video link the wallet that asked the keepers, else the one --as (or the devnet) names.
    const wantsReceipts = peers.length > 0 && args.values['no-receipts'] !== true && args.values.anonymous !== true
    let receipts: ReceiptSession | undefined
    const client = await Client.create({ peers, ...rest, cacheDir: cacheDir(), ...(wantsReceipts ? { onBlockFetched: (e: { peerId: string, bytes: number }) => { receipts?.onBlockFetched(e) } } : {}) })
    // P2P (issue 16): joined through the nodes' viewer relay after the first segment is served.
    const p2p = args.values['no-p2p'] !== true && peers.length > 0
    try {
      let capability = link
      if (link.trim().startsWith(VIDEO_LINK_PREFIX)) {
        const resolved = await keyedWatchLink(args, client, link, out, account => { if (wantsReceipts) { receipts = receiptSessionFor(account, out); receipts.attach(client.peers) } })
        capability = resolved.capability
        out.note(`key obtained through ${resolved.via === 'keepers' ? 'the keepers' : 'the envelope'} for ${resolved.video ?? ''}`)
      }
      if (wantsReceipts && receipts === undefined && !link.trim().startsWith(VIDEO_LINK_PREFIX)) receipts = await receiptSession(args, out)
      receipts?.attach(client.peers)
      const gateway = await startVideoGateway(client, capability, {
        port,
        p2p: p2p
          ? { nodes: peers.map(p => ({ peerId: p.peerId, http: p.http })), onJoinError: err => { out.note(`P2P off for this session, blocks come from the nodes: ${(err as Error).message}`) } }
          : undefined
      })
      out.result({ event: 'ready', url: gateway.url, p2p }, () => [
        gateway.url,
        '',
        `Open it in a player, e.g.  mpv '${gateway.url}'   or   ffplay '${gateway.url}'`,
        'The URL works only on this machine and only while this command runs (Ctrl-C stops it).',
        p2p
          ? 'P2P is on: other viewers of this video fetch blocks from you and see your IP address (--no-p2p turns it off).'
          : 'P2P is off: every block comes from the nodes.'
      ].join('\n'))
      let shown = ''
      const ticker = p2p
        ? setInterval(() => {
          const s = gateway.p2pStats()
          if (s === undefined) return
          const line = statusLine(s)
          if (line === shown) return
          shown = line
          if (out.json) out.result(statusEvent('status', s), () => '')
          else out.note(line)
        }, STATUS_EVERY_MS)
        : undefined
      await new Promise<void>(resolve => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      clearInterval(ticker)
      const last = gateway.p2pStats()
      await gateway.close()
      if (last !== undefined) out.result(statusEvent('stopped', last), () => statusLine(last))
      const served = await receipts?.finish() ?? []
      if (served.length > 0) out.result({ event: 'receipts', receipts: served }, () => `serving receipts: ${served.map(r => `${r.receipts} to …${r.peerId.slice(-8)} (${formatBytes(r.bytes)})`).join(', ')}`)
    } finally {
      await client.close()
      // WebRTC's native threads would keep the process alive after the swarm stopped.
      if (p2p) await endWebRtcThreads()
    }
  }
}

function statusEvent (event: string, s: GatewayP2pStats): Record<string, unknown> {
  return { event, bytesFromPeers: s.peerBytes, bytesFromNodes: s.nodeBytes, bytesToPeers: s.bytesToPeers, peers: s.peers, bannedPeers: s.bannedPeers, joined: s.joined }
}

function statusLine (s: GatewayP2pStats): string {
  const all = s.peerBytes + s.nodeBytes
  const share = all === 0 ? 0 : Math.round(100 * s.peerBytes / all)
  return `  from peers ${formatBytes(s.peerBytes)} (${share} %), from nodes ${formatBytes(s.nodeBytes)}, shared ${formatBytes(s.bytesToPeers)}, ${s.peers} viewer(s) connected${s.bannedPeers > 0 ? `, ${s.bannedPeers} banned` : ''}${s.joined ? '' : ' (not in a swarm)'}`
}

import { VIDEO_LINK_PREFIX } from '@p2pdv/core'
import { Client, startVideoGateway } from '@p2pdv/sdk'
import { intOpt, requirePositional, type Command } from '../command.ts'
import { cacheDir, clientPeersOrOffline, NODE_OPTION } from '../peers-from-args.ts'
import { keyedWatchLink, WATCH_KEY_OPTIONS } from '../chain/watch-keys.ts'

export const watch: Command = {
  name: 'watch',
  summary: 'serve a video as plain HLS on 127.0.0.1 for VLC, mpv or ffmpeg (Ctrl-C stops); a video link gets its key from an envelope or the keepers',
  usage: 'watch CAPABILITY|p2pdv://video/ID [--as NAME | --anonymous] [--port 0] [--node URL …] [--rpc URL] [--chain FILE] [--json]',
  options: { port: { type: 'string' }, ...NODE_OPTION, ...WATCH_KEY_OPTIONS },
  async run (args, out) {
    const link = requirePositional(args, 0, 'CAPABILITY', watch)
    const port = intOpt(args, 'port', 0, 0, 65535)
    // Blocks kept by `p2pdv download` play with every node offline.
    const client = await Client.create({ ...await clientPeersOrOffline(args), cacheDir: cacheDir() })
    try {
      let capability = link
      if (link.trim().startsWith(VIDEO_LINK_PREFIX)) {
        const resolved = await keyedWatchLink(args, client, link, out)
        capability = resolved.capability
        out.note(`key obtained through ${resolved.via === 'keepers' ? 'the keepers' : 'the envelope'} for ${resolved.video ?? ''}`)
      }
      const gateway = await startVideoGateway(client, capability, { port })
      out.result({ event: 'ready', url: gateway.url }, () => [
        gateway.url,
        '',
        `Open it in a player, e.g.  mpv '${gateway.url}'   or   ffplay '${gateway.url}'`,
        'The URL works only on this machine and only while this command runs (Ctrl-C stops it).'
      ].join('\n'))
      await new Promise<void>(resolve => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await gateway.close()
    } finally {
      await client.close()
    }
  }
}

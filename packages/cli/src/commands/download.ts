import { Client } from '@p2pdv/sdk/client'
import { requirePositional, type Command } from '../command.ts'
import { formatBytes } from '../format.ts'
import { cacheDir, clientPeers, NODE_OPTION } from '../peers-from-args.ts'

export const download: Command = {
  name: 'download',
  summary: 'keep every (encrypted) block of a video or file locally, so it plays with the network offline',
  usage: 'download CAPABILITY [--node URL …] [--json]',
  options: { ...NODE_OPTION },
  async run (args, out) {
    const capability = requirePositional(args, 0, 'CAPABILITY', download)
    const client = await Client.create({ ...await clientPeers(args), cacheDir: cacheDir() })
    try {
      const bar = out.progress('download')
      const r = await client.download(capability, { onProgress: p => { bar.update({ done: p.blocks, total: p.totalBlocks, detail: `${p.blocks}/${p.totalBlocks} blocks, ${formatBytes(p.bytes)}` }) } })
      bar.finish()
      out.result({ ...r, cacheDir: cacheDir() }, () => `kept ${r.blocks} verified ciphertext blocks (${formatBytes(r.bytes)}) in ${cacheDir()}; \`p2pdv watch\` now plays it offline`)
    } finally {
      await client.close()
    }
  }
}

import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { Client, DEFAULT_REPLICAS } from '@p2pdv/sdk'
import { intOpt, requirePositional, stringOpt, type Command } from '../command.ts'
import { toP2pdvError } from '../output.ts'
import { formatBytes, formatRate } from '../format.ts'
import { NODE_OPTION, peersFromArgs, reputationOrNone, withReputation } from '../peers-from-args.ts'

export const put: Command = {
  name: 'put',
  summary: 'seal a file and store it on the network; prints its capability',
  usage: 'put FILE [--replicas 3] [--transport http|libp2p] [--node URL …] [--json]',
  options: { replicas: { type: 'string' }, transport: { type: 'string' }, ...NODE_OPTION },
  async run (args, out) {
    const file = requirePositional(args, 0, 'FILE', put)
    const replicas = intOpt(args, 'replicas', DEFAULT_REPLICAS, 1, 16)
    const info = await stat(file).catch(cause => {
      throw new P2pdvError('ERR_FILE_NOT_FOUND', `cannot read ${file}`, { hint: 'Check the path.', cause })
    })
    if (!info.isFile()) throw new P2pdvError('ERR_NOT_A_FILE', `${file} is not a regular file`, { hint: 'Pass a file, not a directory.' })
    const transport = stringOpt(args, 'transport') ?? 'http'
    if (transport !== 'http' && transport !== 'libp2p') throw new P2pdvError('ERR_USAGE', `--transport must be http or libp2p, not "${transport}"`, { hint: 'http is the fast default; libp2p uses the store protocol' })
    const client = await Client.create({ peers: await peersFromArgs(args), transport, ...withReputation(await reputationOrNone()) })
    try {
      const bar = out.progress(`put ${basename(file)}`)
      const result = await client.putFile(file, {
        replicas,
        onProgress: p => { bar.update({ done: p.storedBytes / replicas, total: info.size }) },
        onNodeFailed: (peer, err) => { out.note(`\nnode ${peer.http} failed (${toP2pdvError(err).message}); moving its blocks to other nodes`) }
      })
      const { seconds } = bar.finish()
      out.result({ ...result, seconds }, () => [
        `stored ${formatBytes(result.size)} in ${result.blocks} block(s) × ${replicas} replica(s) on ${result.nodes.length} node(s) in ${seconds.toFixed(2)} s (${formatRate(result.size / seconds)})`,
        '',
        result.capability,
        '',
        'Anyone with this capability can read the file: share it only with people who should.'
      ].join('\n'))
    } finally {
      await client.close()
    }
  }
}

import { resolve } from 'node:path'
import { Client } from '@p2pdv/sdk/client'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { formatBytes, formatRate } from '../format.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'
import { AUDITOR_OPTION, auditorFromArgs } from '../redundancy.ts'
import { P2pdvError } from '@p2pdv/core/errors'

export const get: Command = {
  name: 'get',
  summary: 'fetch, verify and decrypt an object to a file (written atomically)',
  usage: 'get CAPABILITY -o OUT [--auditor URL] [--node URL …] [--json]',
  options: { output: { type: 'string', short: 'o' }, ...AUDITOR_OPTION, ...NODE_OPTION },
  async run (args, out) {
    const capability = requirePositional(args, 0, 'CAPABILITY', get)
    const output = stringOpt(args, 'output')
    if (output === undefined) throw new P2pdvError('ERR_USAGE', 'missing -o OUT', { hint: `usage: p2pdv ${get.usage}` })
    const client = await Client.create({ ...await clientPeers(args), ...(await auditorFromArgs(args)) })
    try {
      const bar = out.progress('get')
      const result = await client.getToFile(capability, resolve(output), {
        onProgress: p => { bar.update({ done: p.bytes, total: p.totalBytes }) }
      })
      const { seconds } = bar.finish()
      out.result({ ...result, seconds }, () =>
        `wrote ${formatBytes(result.size)} to ${result.path} in ${seconds.toFixed(2)} s (${formatRate(result.size / seconds)}); SHA-256 verified`)
    } finally {
      await client.close()
    }
  }
}

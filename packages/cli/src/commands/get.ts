import { resolve } from 'node:path'
import { Client } from '@p2pdv/sdk/client'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { formatBytes, formatRate } from '../format.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'
import { AUDITOR_OPTION, auditorFromArgs } from '../redundancy.ts'
import { P2pdvError } from '@p2pdv/core/errors'
import { RECEIPT_OPTIONS, RECEIPT_WALLET_OPTIONS } from '../receipt-options.ts'

export const get: Command = {
  name: 'get',
  summary: 'fetch, verify and decrypt an object to a file (written atomically)',
  usage: 'get CAPABILITY -o OUT [--auditor URL] [--node URL …] [--as NAME (signs serving receipts)] [--json]',
  options: { output: { type: 'string', short: 'o' }, ...AUDITOR_OPTION, ...NODE_OPTION, ...RECEIPT_WALLET_OPTIONS, ...RECEIPT_OPTIONS },
  async run (args, out) {
    const capability = requirePositional(args, 0, 'CAPABILITY', get)
    const output = stringOpt(args, 'output')
    if (output === undefined) throw new P2pdvError('ERR_USAGE', 'missing -o OUT', { hint: `usage: p2pdv ${get.usage}` })
    // The viewer's wallet signs a serving receipt per node for the bytes it served (serving-receipts.ts).
    // Loaded only when receipts may be signed: the chain client is most of the CLI's module graph.
    // Only for a wallet named with --as: unsealing one costs ~1 s (its KDF), twice what a small get
    // takes otherwise, so an unnamed get stays light and counts for no one.
    const receipts = args.values['no-receipts'] === true || args.values.as === undefined ? undefined : await (await import('../serving-receipts.ts')).receiptSession(args, out)
    const client = await Client.create({ ...await clientPeers(args), ...(await auditorFromArgs(args)), ...(receipts === undefined ? {} : { onBlockFetched: receipts.onBlockFetched }) })
    receipts?.attach(client.peers)
    try {
      const bar = out.progress('get')
      const result = await client.getToFile(capability, resolve(output), {
        onProgress: p => { bar.update({ done: p.bytes, total: p.totalBytes }) }
      })
      const { seconds } = bar.finish()
      const served = await receipts?.finish() ?? []
      out.result({ ...result, seconds, receipts: served }, () =>
        `wrote ${formatBytes(result.size)} to ${result.path} in ${seconds.toFixed(2)} s (${formatRate(result.size / seconds)}); SHA-256 verified` +
        (served.length === 0 ? '' : `\nserving receipts: ${served.map(r => `${r.receipts} to …${r.peerId.slice(-8)} (${formatBytes(r.bytes)})`).join(', ')}`))
    } finally {
      await client.close()
    }
  }
}

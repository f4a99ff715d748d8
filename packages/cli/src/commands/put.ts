import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { Client } from '@p2pdv/sdk/client'
import type { Uploader } from '@p2pdv/sdk/upload-grants'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { ALLOW_DEGRADED_OPTION, AUDITOR_OPTION, auditorFromArgs, degradedNote, describeRedundancy, ERASURE_CHAIN_OPTIONS, erasureDefaultsFromChain, redundancyFromArgs } from '../redundancy.ts'
import { toP2pdvError } from '../output.ts'
import { formatBytes, formatRate } from '../format.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'
import { PASSPHRASE_OPTION } from '../passphrase.ts'

export const put: Command = {
  name: 'put',
  summary: 'seal a file and store it on the network; prints its capability',
  usage: 'put FILE [--k 4 --m 2 | --replicas 3] [--allow-degraded] [--transport http|libp2p] [--as NAME] [--auditor URL] [--node URL …] [--rpc URL] [--chain FILE] [--json]',
  options: { replicas: { type: 'string' }, k: { type: 'string' }, m: { type: 'string' }, ...ALLOW_DEGRADED_OPTION, transport: { type: 'string' }, as: { type: 'string' }, ...PASSPHRASE_OPTION, ...AUDITOR_OPTION, ...NODE_OPTION, ...ERASURE_CHAIN_OPTIONS },
  async run (args, out) {
    const file = requirePositional(args, 0, 'FILE', put)
    const redundancy = redundancyFromArgs(args)
    const info = await stat(file).catch(cause => {
      throw new P2pdvError('ERR_FILE_NOT_FOUND', `cannot read ${file}`, { hint: 'Check the path.', cause })
    })
    if (!info.isFile()) throw new P2pdvError('ERR_NOT_A_FILE', `${file} is not a regular file`, { hint: 'Pass a file, not a directory.' })
    const transport = stringOpt(args, 'transport') ?? 'http'
    if (transport !== 'http' && transport !== 'libp2p') throw new P2pdvError('ERR_USAGE', `--transport must be http or libp2p, not "${transport}"`, { hint: 'http is the fast default; libp2p uses the store protocol' })
    const defaults = await erasureDefaultsFromChain(args, redundancy)
    // Nodes store blocks only under a signed upload grant: `--as NAME` signs with that identity
    // (what nodes on a chain admit); without it a throw-away key signs, which nodes without a chain admit.
    // Loaded only then: identities bring viem, which a plain put does not need.
    const wallet = stringOpt(args, 'as') === undefined ? undefined : await walletUploader(args)
    const client = await Client.create({ ...await clientPeers(args), transport, ...(await auditorFromArgs(args)), ...(wallet === undefined ? {} : { uploader: wallet.uploader }) })
    try {
      const bar = out.progress(`put ${basename(file)}`)
      const result = await client.putFile(file, {
        ...redundancy,
        ...defaults,
        onProgress: p => { bar.update({ done: p.storedBytes / p.expansion, total: info.size }) },
        onNodeFailed: (peer, err) => { out.note(`\nnode ${peer.http} failed (${toP2pdvError(err).message}); moving its blocks to other nodes`) }
      })
      const { seconds } = bar.finish()
      const degraded = degradedNote(result)
      if (degraded !== undefined) out.note(degraded)
      out.result({ ...result, seconds }, () => [
        `stored ${formatBytes(result.size)} in ${result.blocks} block(s), ${describeRedundancy(result)}, on ${result.nodes.length} node(s) in ${seconds.toFixed(2)} s (${formatRate(result.size / seconds)})`,
        '',
        result.capability,
        '',
        'Anyone with this capability can read the file: share it only with people who should.'
      ].join('\n'))
    } finally {
      await client.close()
      wallet?.forget()
    }
  }
}

async function walletUploader (args: Parameters<Command['run']>[0]): Promise<{ uploader: Uploader, forget: () => void }> {
  const [{ openSigningIdentity }, { accountUploader }] = await Promise.all([import('../signing-identity.ts'), import('@p2pdv/sdk/upload-grants')])
  const { identity } = await openSigningIdentity(args)
  return { uploader: accountUploader(identity.account), forget: identity.forget }
}

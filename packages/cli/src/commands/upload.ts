import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { transcode } from '@p2pdv/media'
import { Client } from '@p2pdv/sdk'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { AUDITOR_OPTION, auditorFromArgs, describeRedundancy, redundancyFromArgs } from '../redundancy.ts'
import { formatBytes } from '../format.ts'
import { toP2pdvError } from '../output.ts'
import { NODE_OPTION, peersFromArgs } from '../peers-from-args.ts'

async function sha256File (path: string): Promise<Uint8Array> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return new Uint8Array(hash.digest())
}

export const upload: Command = {
  name: 'upload',
  summary: 'transcode a video to an adaptive ladder, seal every segment, store it; prints its capability',
  usage: 'upload VIDEO [--title T] [--k 4 --m 2 | --replicas 3] [--auditor URL] [--node URL …] [--json]',
  options: { title: { type: 'string' }, replicas: { type: 'string' }, k: { type: 'string' }, m: { type: 'string' }, ...AUDITOR_OPTION, ...NODE_OPTION },
  async run (args, out) {
    const file = requirePositional(args, 0, 'VIDEO', upload)
    const redundancy = redundancyFromArgs(args)
    const title = stringOpt(args, 'title') ?? basename(file)
    const peers = await peersFromArgs(args)
    // Plaintext segments exist only in this private temp dir, and only until they are sealed.
    const work = await mkdtemp(join(tmpdir(), 'p2pdv-upload-'))
    const controller = new AbortController()
    const onSigint = (): void => { controller.abort() }
    process.once('SIGINT', onSigint)
    try {
      const sourceSha256 = await sha256File(file)
      const bar = out.progress('transcode')
      const t = await transcode(file, join(work, 'ladder'), {
        signal: controller.signal,
        onProgress: p => { if (p.stage === 'transcode') bar.update({ done: p.percent, total: 100, detail: `${p.speed.toFixed(1)}× realtime` }) }
      })
      bar.finish()
      out.note(`transcoded ${t.durationSeconds.toFixed(1)} s into ${t.renditions.map(r => r.id).join(', ')}`)
      const client = await Client.create({ peers, ...auditorFromArgs(args) })
      try {
        const seal = out.progress('seal + store')
        const result = await client.publishVideo({ ...t, sourceSha256, title }, {
          ...redundancy,
          signal: controller.signal,
          onProgress: p => { seal.update({ done: p.storedBytes / p.expansion, detail: `sealed ${formatBytes(p.sealedBytes)} · stored` }) },
          onNodeFailed: (peer, err) => { out.note(`\nnode ${peer.http} failed (${toP2pdvError(err).message}); moving its blocks`) }
        })
        const { seconds } = seal.finish()
        if (result.note !== undefined) out.note(`note: ${result.note}`)
        out.result({ ...result, title, durationSeconds: t.durationSeconds, renditions: t.renditions.map(r => r.id), seconds }, () => [
          `published "${title}": ${t.renditions.length} renditions, ${formatBytes(result.size)} sealed in ${result.blocks} blocks, ${describeRedundancy(result)}`,
          '',
          result.capability,
          '',
          `Watch it in any HLS player: npx p2pdv watch '${result.capability}'`
        ].join('\n'))
      } finally {
        await client.close()
      }
    } finally {
      process.removeListener('SIGINT', onSigint)
      await rm(work, { recursive: true, force: true })
    }
  }
}

/**
 * `p2pdv studio`: the creator studio, served from the creator's own client process on
 * 127.0.0.1, because that is where their keys and ffmpeg are: sources are transcoded and sealed
 * here, and no storage node ever sees plaintext or a key (docs/architecture.md, "The studio").
 */
import { join } from 'node:path'
import { intOpt, listOpt, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS } from '../chain/context.ts'
import { p2pdvHome } from '../home.ts'
import { networkOf, NODE_OPTION } from '../peers-from-args.ts'
import { UploadIndex } from '../upload-index.ts'
import type { ConditionRequest, EditRequest } from '../studio/upload-job.ts'
import type { ChannelRequest } from '../studio/channel-form.ts'

/** The largest source file the studio takes by default (--max-upload-mb). */
export const DEFAULT_MAX_UPLOAD_MB = 4096

/** Options passed on to every upload, as the user gave them to `studio`. */
const PASSED_ON = ['node', 'rpc', 'chain', 'as', 'keys', 'passphrase-file', 'replicas', 'k', 'm'] as const

export const studio: Command = {
  name: 'studio',
  summary: 'the creator studio in your browser, served from this machine (your keys and ffmpeg): upload with progress, your videos, their viewers, sales, access conditions, refund windows and key releases, your channel, your earnings; Ctrl-C stops it',
  usage: 'studio [--port 0] [--as NAME] [--max-upload-mb 4096] [--node URL …] [--rpc URL] [--chain FILE] [--no-chain] [--replicas N | --k K --m M] [--json]',
  options: {
    port: { type: 'string' },
    'max-upload-mb': { type: 'string' },
    'no-chain': { type: 'boolean', default: false },
    replicas: { type: 'string' },
    k: { type: 'string' },
    m: { type: 'string' },
    ...NODE_OPTION,
    ...CHAIN_OPTIONS
  },
  async run (args, out) {
    const port = intOpt(args, 'port', 0, 0, 65535)
    const maxUploadBytes = intOpt(args, 'max-upload-mb', DEFAULT_MAX_UPLOAD_MB, 1, 1 << 20) * 1024 * 1024
    const base: string[] = []
    for (const name of PASSED_ON) for (const v of listOpt(args, name)) base.push(`--${name}=${v}`)
    if (args.values['no-chain'] === true) base.push('--no-chain')
    const network = await networkOf(args)
    // Loaded here, not at the top: `p2pdv help` and other commands never pay for them.
    const [{ startStudioServer }, { newStudioToken }, { uploadArgv, editArgv, requireArgv }, { upload }, { createStudioApp }, { runForStudio }, videos, wallet, { keysAudit }, { edit }, channels, { requireCondition }, { refundWindow }, { channelArgv }, { discoveryNode }] = await Promise.all([
      import('../studio/server.ts'), import('../studio/guard.ts'), import('../studio/upload-job.ts'), import('./upload.ts'), import('@p2pdv/web/studio'),
      import('../studio/run-command.ts'), import('./chain-videos.ts'), import('./chain-wallet.ts'), import('./keys-custody.ts'), import('./edit.ts'),
      import('./channel.ts'), import('./conditions.ts'), import('./refunds.ts'), import('../studio/channel-form.ts'), import('./search.ts')
    ])
    const chain = args.values['no-chain'] !== true
    // Video ids and viewers reach these as positionals only after the server's checks (no leading '-').
    const manage = chain
      ? {
          mine: async () => await runForStudio(videos.ls, ['--mine'], base),
          audience: async (id: string) => await runForStudio(videos.viewers, [id], base),
          edit: async (id: string, form: EditRequest) => await runForStudio(edit, editArgv(id, form), base),
          grant: async (id: string, viewer: string) => await runForStudio(videos.grant, [id, viewer], base),
          revoke: async (id: string, viewer: string) => await runForStudio(videos.revoke, [id, viewer], base),
          audit: async (id: string) => await runForStudio(keysAudit, [id], base),
          earnings: async () => await runForStudio(wallet.balance, [], base),
          withdraw: async () => await runForStudio(wallet.withdraw, [], base),
          setCondition: async (id: string, c: ConditionRequest) => await runForStudio(requireCondition, requireArgv(id, c), base),
          clearCondition: async (id: string) => await runForStudio(requireCondition, [id, '--clear'], base),
          setRefundWindow: async (id: string, window: string) => await runForStudio(refundWindow, [id, window], base),
          channel: async () => {
            const node = (await discoveryNode(args)).replace(/\/+$/, '')
            let page: { address: string, videos?: unknown[] }
            try {
              page = await runForStudio(channels.channel, [], base) as { address: string }
            } catch (err) {
              // A creator with no profile and no listed video yet: an empty channel, not an error.
              if ((err as { code?: string }).code !== 'ERR_CHANNEL_NOT_FOUND') throw err
              const { chainContext } = await import('../chain/context.ts')
              const { parseCommandArgs } = await import('../command.ts')
              const { flagsFor } = await import('../studio/run-command.ts')
              const ctx = await chainContext(parseCommandArgs(channels.channel, flagsFor(channels.channel, base)), 'required')
              ctx.identity?.forget()
              page = { address: ctx.client.address, videos: [] }
            }
            // The public page of this channel on the node the studio reads from.
            return { ...page, pageUrl: `${node}/channel/${page.address}` }
          },
          setChannel: async (form: ChannelRequest, avatar: string | undefined) => await runForStudio(channels.channelSet, channelArgv(form, avatar), base),
          avatar: async () => {
            const page = await runForStudio(channels.channel, [], base).catch(() => undefined) as { profile?: { avatar?: string } } | undefined
            const cid = page?.profile?.avatar
            if (cid === undefined) return undefined
            const [{ NodeClient }, { avatarType, MAX_PROFILE_AVATAR_BYTES, parseCid }] = await Promise.all([import('@p2pdv/node-client'), import('@p2pdv/core')])
            // getBlock checks the bytes against the CID; the type comes from the bytes, not a header.
            const bytes = await new NodeClient(await discoveryNode(args)).getBlock(parseCid(cid), { maxSize: MAX_PROFILE_AVATAR_BYTES })
            const type = avatarType(bytes)
            return type === undefined ? undefined : { bytes, type }
          }
        }
      : undefined
    const index = UploadIndex.open(join(p2pdvHome(), 'uploads.sqlite'))
    const server = await startStudioServer({
      app: createStudioApp(),
      maxUploadBytes,
      startUpload: async (form, path, job) => { await job.run(upload, uploadArgv(form, path, base)) },
      ...(manage === undefined ? {} : { manage }),
      videos: () => index.list(network).map(r => ({ title: r.title, manifestCid: r.manifestCid, uploadedAt: r.uploadedAt, ...(r.listingCid === undefined ? {} : { listingCid: r.listingCid }) })),
      session: () => ({
        account: stringOpt(args, 'as') ?? null,
        chain,
        nodes: listOpt(args, 'node'),
        network: network.startsWith('devnet') ? 'devnet' : 'nodes',
        maxUploadBytes
      })
    }, { port, token: newStudioToken() })
    out.result({ event: 'ready', url: server.url, port: server.port }, () => [
      'The studio is open at (this link carries its key: keep it to yourself):',
      '',
      `  ${server.url}`,
      '',
      'It runs on this machine only, with your keys and ffmpeg; Ctrl-C stops it.'
    ].join('\n'))
    try {
      await new Promise<void>(resolve => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
    } finally {
      await server.close()
      index.close()
    }
  }
}

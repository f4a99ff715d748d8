/**
 * `p2pdv live start`: an end-to-end encrypted live stream from this machine. ffmpeg (system) reads
 * the ingest and cuts ~1 s CMAF segments per rendition (@p2pdv/media LiveEncoder); each is sealed
 * under the current epoch key, stored on the nodes and announced (@p2pdv/sdk/live LivePublisher).
 * Prints the live link (its part after # is the key: share it with viewers only) and the ingest
 * URL, then a status line every few seconds; Ctrl-C or SIGTERM ends the stream cleanly. With
 * `--chat` it prints the stream's chat and reads moderation commands on stdin (live-chat-console.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { P2pdvError } from '@p2pdv/core/errors'
import { stringOpt, type Command, type ParsedArgs } from '../command.ts'
import { formatBytes } from '../format.ts'
import { NODE_OPTION, peersFromArgs } from '../peers-from-args.ts'
import { LIVE_CHAIN_OPTIONS, LIVE_CHAIN_USAGE } from './live-chain.ts'
import { archiveLiveStream, type ArchiveSources } from './live-archive.ts'

const STATUS_EVERY_MS = 5000
const MAX_TITLE = 200

function usage (message: string): P2pdvError {
  return new P2pdvError('ERR_USAGE', message, { hint: `usage: p2pdv ${liveStart.usage}` })
}

/** `10m`, `30s`, `1h` or plain seconds → milliseconds. */
export function parseEpoch (text: string): number {
  const m = /^(\d{1,6})(s|m|h)?$/.exec(text.trim())
  if (m === null) throw usage(`--epoch takes a duration such as 10m, 30s or 1h, got "${text.slice(0, 40)}"`)
  const ms = Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h']
  if (ms < 1000 || ms > 24 * 3_600_000) throw usage('--epoch must be from 1 s to 24 h')
  return ms
}

/** `127.0.0.1:9000` → { host, port }; the ingest listens on this machine only by default. */
export function parseListen (text: string, flag: string): { host: string, port: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|localhost):(\d{1,5})$/.exec(text.trim())
  const port = m === null ? NaN : Number(m[2])
  if (m === null || !(port >= 1 && port <= 65535)) throw usage(`--${flag} takes HOST:PORT with an IPv4 host, e.g. 127.0.0.1:9000`)
  return { host: m[1]!, port }
}

function ingestFromArgs (args: ParsedArgs) {
  const input = stringOpt(args, 'input')
  const srt = stringOpt(args, 'srt')
  const rtmp = stringOpt(args, 'rtmp')
  if ([input, srt, rtmp].filter(v => v !== undefined).length !== 1) throw usage('pass exactly one of --input, --srt and --rtmp')
  if (input !== undefined) return { kind: 'input' as const, input }
  if (srt !== undefined) return { kind: 'srt' as const, ...parseListen(srt, 'srt') }
  return { kind: 'rtmp' as const, ...parseListen(rtmp!, 'rtmp') }
}

export const liveStart: Command = {
  name: 'live start',
  summary: 'stream live, end-to-end encrypted: ingest (file, URL, SRT or RTMP) → sealed ~1 s segments on the nodes',
  usage: 'live start --title T (--input FILE_OR_URL | --srt HOST:PORT | --rtmp HOST:PORT) [--ladder 720p,360p] [--epoch 10m] [--chat] [--node URL …] [--json] ' + LIVE_CHAIN_USAGE,
  options: {
    title: { type: 'string' },
    input: { type: 'string' },
    srt: { type: 'string' },
    rtmp: { type: 'string' },
    ladder: { type: 'string' },
    epoch: { type: 'string' },
    chat: { type: 'boolean' },
    ...NODE_OPTION,
    ...LIVE_CHAIN_OPTIONS
  },
  async run (args, out) {
    const title = stringOpt(args, 'title')
    if (title === undefined || title.trim() === '' || title.length > MAX_TITLE) throw usage(`--title is required (1 to ${MAX_TITLE} characters)`)
    const ingest = ingestFromArgs(args)
    const epochMs = parseEpoch(stringOpt(args, 'epoch') ?? '10m')
    const { LiveEncoder, parseLiveLadder, ingestArgs, DEFAULT_LIVE_LADDER } = await import('@p2pdv/media')
    const ladder = parseLiveLadder(stringOpt(args, 'ladder') ?? DEFAULT_LIVE_LADDER.join(','))
    const { LivePublisher, NodeClient, LiveArchiveLog } = await import('@p2pdv/sdk/live')
    const { initCodecs } = await import('@p2pdv/media')
    const { ephemeralUploader, GrantBook } = await import('@p2pdv/sdk/upload-grants')
    const peers = await peersFromArgs(args)
    const uploader = ephemeralUploader()
    const { streamKey } = await import('@p2pdv/sdk/live')
    const key = await streamKey()
    // A stream with an access policy (--price, --subscribers-only, --private) is registered on chain
    // (as `p2pdv upload` registers a video) and keepers gate every epoch key. A free stream keeps
    // the link that carries its keys (the private-link model); the watch page plays both.
    const gated = args.values.price !== undefined || args.values['subscribers-only'] === true || args.values.private === true
    const chain = gated ? await (await import('./live-chain.ts')).prepareLiveRegistration(args, out, key.stream) : undefined
    // When the stream ends it becomes a VOD of the segments stored (live-archive.ts).
    const archiveLog = new LiveArchiveLog()
    const sources: ArchiveSources = { first: undefined, codecs: new Map() }
    const nodes = peers.map(p => new NodeClient(p.http, { peerId: p.peerId }))
    const grants = new GrantBook(async () => await uploader)
    const publisher = await LivePublisher.create({
      nodes,
      grants,
      archive: archiveLog,
      epochMs,
      streamKey: key,
      ...(chain === undefined ? {} : { keepers: chain.custody })
    })
    const workDir = await mkdtemp(join(tmpdir(), 'p2pdv-live-'))
    const ingestUrl = ingestArgs(ingest).ingestUrl
    let failure: unknown
    const encoder = new LiveEncoder({
      ingest, ladder, workDir,
      onSegment: async s => {
        try {
          await publisher.publish({ rendition: s.rendition.index, name: s.rendition.name, seq: s.seq, durationMs: s.durationMs, bytes: s.bytes, init: s.init, last: s.last })
          sources.first ??= { init: s.init, bytes: s.bytes }
          if (!sources.codecs.has(s.rendition.index)) sources.codecs.set(s.rendition.index, initCodecs(s.init))
        } catch (err) {
          // A segment no node took is lost for viewers; the stream goes on (nodes may come back).
          failure = err
          out.note(`segment ${s.seq} (${s.rendition.name}) not published: ${(err as Error).message}`)
        }
      }
    })
    const startedAt = Date.now()
    const status = () => {
      const st = publisher.stats
      const seconds = Math.max(1, (Date.now() - startedAt) / 1000)
      return { event: 'status', segments: st.segments, bytes: st.bytes, kbps: Math.round(st.bytes * 8 / 1000 / seconds), epoch: st.epoch, lastPublishMs: st.lastPublishMs, ...(st.lastHandOverMs === undefined ? {} : { lastHandOverMs: st.lastHandOverMs }), nodes: st.nodes }
    }
    // Before "started" is printed: whoever reads it may signal at once (a test did, and on a loaded
    // machine the signal came before a handler installed after the print: the default killed us).
    const stop = (): void => { encoder.stop() }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const onChain = chain === undefined ? {} : { video: chain.registration.videoId, policy: chain.registration.policy, keepers: { threshold: chain.threshold, keepers: chain.keepers } }
    // The watch page of the first node: a registered stream's URL carries no key (the page asks
    // the keepers as the viewer); a link-mode one carries the link's secret in the fragment.
    const watch = peers[0] === undefined ? undefined : `${peers[0].http}/watch/live/${publisher.stream}${chain === undefined ? `#${publisher.link.split('#')[1] ?? ''}` : ''}`
    out.result({ event: 'started', title, stream: publisher.stream, ...(chain === undefined ? { link: publisher.link } : onChain), ...(watch === undefined ? {} : { watch }), ...(ingestUrl === undefined ? {} : { ingest: ingestUrl }), ladder: ladder.map(r => r.name), epochMs, nodes: peers.length },
      () => [
        `live: ${title}`,
        chain === undefined
          ? `  link:   ${publisher.link}   (the part after # is the key: share it with viewers only)`
          : `  video:  ${chain.registration.videoId} (${chain.registration.policy}; keepers release each epoch key to viewers the chain allows)`,
        ...(watch === undefined ? [] : [`  watch:  ${watch}`]),
        ...(ingestUrl === undefined ? [] : [`  ingest: ${ingestUrl}   (point OBS or ffmpeg here)`]),
        `  ladder: ${ladder.map(r => r.name).join(', ')}, new key every ${epochMs / 1000} s, on ${peers.length} node(s); Ctrl-C to stop`
      ].join('\n'))
    const ticker = setInterval(() => {
      const s = status()
      if (out.json) out.result(s, () => '')
      else out.note(`  ${s.segments} segments stored, ${formatBytes(s.bytes)}, ${s.kbps} kb/s, epoch ${s.epoch}, last segment published in ${s.lastPublishMs} ms`)
    }, STATUS_EVERY_MS)
    const chatStop = new AbortController()
    if (args.values.chat === true) {
      const { runChatConsole } = await import('./live-chat-console.ts')
      out.note('  chat: /hide ID, /mute SENDER, /unmute SENDER; other lines are sent as the creator')
      void runChatConsole({
        stream: publisher.stream, link: chain === undefined ? publisher.link : undefined, signer: key.signer,
        nodes: peers.map(p => p.http), currentEpoch: () => publisher.stats.epoch, input: process.stdin,
        print: line => { out.note(line) }, signal: chatStop.signal
      })
    }
    let archived: Record<string, unknown> | undefined
    try {
      // The ingest ending (or failing) still archives what was stored; its error is reported after.
      const ingestError = await encoder.run().then(() => undefined, (err: unknown) => err)
      await publisher.close()
      clearInterval(ticker)
      const s = status()
      out.result({ ...s, event: 'stopped', ...(failure === undefined ? {} : { lastError: (failure as { code?: string }).code }) },
        () => `stopped: ${s.segments} segments, ${formatBytes(s.bytes)} published`)
      // An ingest that failed before any segment: its error is the one to report.
      if (ingestError !== undefined && archiveLog.segments === 0) throw ingestError
      archived = await archiveLiveStream(out, { log: archiveLog, stream: publisher.stream, title, nodes, grants, sources, workDir, chain })
      if (ingestError !== undefined) throw ingestError
    } finally {
      archiveLog.forget()
      clearInterval(ticker)
      chatStop.abort()
      if (args.values.chat === true) process.stdin.pause()
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await rm(workDir, { recursive: true, force: true })
      await chain?.close()
    }
    return archived === undefined ? 1 : 0
  }
}

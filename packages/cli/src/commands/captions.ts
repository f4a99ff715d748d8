/**
 * Subtitle tracks after upload, e.g. to review automatic captions:
 *
 *   captions ls VIDEO             the tracks of a video
 *   captions get VIDEO LANG       one track as WebVTT (stdout, or -o FILE)
 *   captions edit VIDEO LANG      replace the track with --file F (WebVTT or SubRip), or with what
 *                                 you save in $VISUAL/$EDITOR; --remove drops it; a new LANG adds one
 *
 * VIDEO is a capability (`p2pdv://…#…`) or the id of a video on chain (its key comes from the
 * keepers, or --capability; --as NAME). An edit re-seals the video under a new key, without
 * transcoding: every stream of a video shares one key and its erasure stripes, so one track cannot
 * be swapped in place. On chain the registry then names the new manifest, keepers get shares of the
 * new key and viewers with access get new envelopes (as `p2pdv rekey`); without a chain the edit
 * prints a new capability and watch link, and the old ones keep the old track.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { formatCapability, P2pdvError, parseCapability, parseCid, type VideoManifest } from '@p2pdv/core'
import type { VideoId } from '@p2pdv/core/keys'
import { firstDecodeTime, loadSubtitles, renderWebVtt } from '@p2pdv/media'
import { Client, DEFAULT_REPLICAS, findSubtitleTrack, type PutOptions, type SubtitleEdit } from '@p2pdv/sdk'
import { getVideo } from '@p2pdv/chain'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { requirePositional, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, parseVideoId, type ChainContext } from '../chain/context.ts'
import { recoverVideoKey, VIDEO_KEY_OPTIONS } from '../chain/video-key.ts'
import { formatBytes } from '../format.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'
import { AUDITOR_OPTION, auditorFromArgs, redundancyFromArgs } from '../redundancy.ts'
import type { Output } from '../output.ts'
import { publishRekeyed, rekeyPlan } from './keys-custody.ts'

const VIDEO_OPTIONS = { ...VIDEO_KEY_OPTIONS, ...CHAIN_OPTIONS, ...NODE_OPTION, ...AUDITOR_OPTION } as const
/** WebVTT of a track is held in memory: a track past this is not a subtitle file (media caps them at 2 MiB). */
const MAX_TRACK_BYTES = 4 * 1024 * 1024

/** A video opened for reading: its capability (key inside: never printed) and, on chain, what an edit must update. */
interface OpenedVideo {
  client: Client
  capability: string
  manifest: VideoManifest
  chain?: { ctx: ChainContext, oracle: ChainKeyOracle, video: VideoId, old: { manifest: string, listing: string } }
  close: () => Promise<void>
}

/** `owner`: refuse now, before any key is asked for or anything sealed, unless --as is the video's owner. */
async function openVideo (args: ParsedArgs, command: Command, owner = false): Promise<OpenedVideo> {
  const target = requirePositional(args, 0, 'VIDEO', command)
  const client = await Client.create({ ...await clientPeers(args), ...(await auditorFromArgs(args)) })
  let chain: OpenedVideo['chain']
  try {
    let capability: string
    if (target.startsWith('p2pdv://')) {
      parseCapability(target)
      capability = target
    } else {
      const video = parseVideoId(target)
      const ctx = await chainContext(args, 'required')
      const oracle = new ChainKeyOracle(ctx.client)
      chain = { ctx, oracle, video, old: { manifest: '', listing: '' } }
      if (owner) {
        const info = await getVideo(oracle.client, video)
        if (info.owner.toLowerCase() !== ctx.identity!.account.address.toLowerCase()) {
          throw new P2pdvError('ERR_NOT_OWNER', `only the owner of ${video} (${info.owner}) can change its captions`, { hint: 'Pass --as with the wallet that uploaded it.' })
        }
      }
      const old = await recoverVideoKey(args, oracle, ctx.identity!, video)
      capability = formatCapability({ manifest: parseCid(old.manifest), key: old.key })
      old.key.fill(0)
      chain = { ctx, oracle, video, old: { manifest: old.manifest, listing: old.listing } }
    }
    const { manifest, key } = await client.manifest(capability)
    key.fill(0)
    if (manifest.type !== 'video') throw new P2pdvError('ERR_NOT_A_VIDEO', 'this capability names a file, not a video', { hint: 'Captions belong to videos published with `p2pdv upload`.' })
    return { client, capability, manifest, ...(chain === undefined ? {} : { chain }), close: async () => { chain?.ctx.identity?.forget(); await client.close() } }
  } catch (err) {
    chain?.ctx.identity?.forget()
    await client.close()
    throw err
  }
}

export const captionsLs: Command = {
  name: 'captions ls',
  summary: 'list the subtitle tracks of a video',
  usage: 'captions ls VIDEO [--capability CAP] [--as NAME] [--node URL …] [--json]',
  options: VIDEO_OPTIONS,
  async run (args, out) {
    const v = await openVideo(args, captionsLs)
    try {
      const tracks = (v.manifest.subtitles ?? []).map(t => ({ lang: t.lang, name: t.name, default: t.default === true, bytes: t.stream.size }))
      out.result({ tracks }, () => tracks.length === 0
        ? 'no subtitle tracks; add one with `p2pdv captions edit VIDEO LANG --file FILE`'
        : tracks.map(t => `${t.lang.padEnd(8)} ${t.name.padEnd(28)} ${formatBytes(t.bytes).padStart(9)}${t.default ? '  (default)' : ''}`).join('\n'))
    } finally {
      await v.close()
    }
  }
}

export const captionsGet: Command = {
  name: 'captions get',
  summary: 'print (or write with -o) one subtitle track of a video as WebVTT',
  usage: 'captions get VIDEO LANG [-o FILE] [--capability CAP] [--as NAME] [--node URL …] [--json]',
  options: { ...VIDEO_OPTIONS, output: { type: 'string', short: 'o' } },
  async run (args, out) {
    const lang = requirePositional(args, 1, 'LANG', captionsGet)
    const v = await openVideo(args, captionsGet)
    try {
      const track = findSubtitleTrack(v.manifest, lang)
      const vtt = await readTrack(v, track.lang)
      const output = stringOpt(args, 'output')
      if (output !== undefined) await writeFile(resolve(output), vtt, { mode: 0o600 })
      out.result({ lang: track.lang, name: track.name, ...(output === undefined ? { vtt } : { file: resolve(output) }) },
        () => output === undefined ? vtt : `wrote the "${track.name}" track to ${resolve(output)}; edit it, then \`p2pdv captions edit VIDEO ${track.lang} --file ${output}\``)
    } finally {
      await v.close()
    }
  }
}

export const captionsEdit: Command = {
  name: 'captions edit',
  summary: 'replace, add or remove a subtitle track (re-seals the video under a new key; no transcode)',
  usage: 'captions edit VIDEO LANG [--file FILE | --remove] [--name NAME] [--default] [--k 4 --m 2 | --replicas 3] [--capability CAP] [--as NAME] [--node URL …] [--json]',
  options: {
    ...VIDEO_OPTIONS,
    file: { type: 'string' },
    remove: { type: 'boolean', default: false },
    name: { type: 'string' },
    default: { type: 'boolean' },
    replicas: { type: 'string' },
    k: { type: 'string' },
    m: { type: 'string' }
  },
  async run (args, out) {
    const lang = requirePositional(args, 1, 'LANG', captionsEdit)
    const file = stringOpt(args, 'file')
    const remove = args.values.remove === true
    if (remove && file !== undefined) throw new P2pdvError('ERR_USAGE', '--remove and --file exclude each other', { hint: `usage: p2pdv ${captionsEdit.usage}` })
    const v = await openVideo(args, captionsEdit, true)
    const work = await mkdtemp(join(tmpdir(), 'p2pdv-captions-'))
    try {
      const edit = remove ? { lang, remove: true as const } : await newTrack(args, out, v, lang, file, work)
      if (edit === undefined) {
        out.result({ changed: false }, () => 'no change: the track is as it was; nothing was published')
        return
      }
      const plan = v.chain === undefined ? undefined : await rekeyPlan(args, v.chain.oracle, v.chain.video)
      const bar = out.progress('re-seal')
      let result
      try {
        result = await v.client.resealVideo(v.capability, {
          ...redundancyOf(args, v.manifest),
          subtitles: edit,
          onProgress: p => { bar.update({ done: p.storedBytes / p.expansion, detail: `sealed ${formatBytes(p.sealedBytes)}` }) }
        })
      } finally {
        bar.finish()
      }
      const what = remove ? `removed the "${lang}" track` : `published the "${lang}" track`
      if (v.chain !== undefined) {
        await publishRekeyed(out, {
          ...v.chain,
          client: v.client,
          result,
          plan,
          headline: `${what} of ${v.chain.video}: new manifest ${result.manifestCid} under a new key; the registry names it`,
          extra: { changed: true, lang, removed: remove }
        })
        return
      }
      const key = result.capability.slice(result.capability.indexOf('#') + 1)
      result.key.fill(0)
      const base = (await clientPeers(args)).peers[0]?.http.replace(/\/+$/, '')
      const watchUrl = base === undefined ? undefined : `${base}/watch/${result.manifestCid}#${key}`
      out.result({ changed: true, lang, removed: remove, capability: result.capability, manifestCid: result.manifestCid, ...(watchUrl === undefined ? {} : { watchUrl }) }, () => [
        `${what}: the video was re-sealed under a new key (${result.blocks} blocks, no transcode)`,
        `Capability (keep it secret): ${result.capability}`,
        ...(watchUrl === undefined ? [] : [`Watch in a browser:          ${watchUrl}`]),
        'the old capability and links still play the old tracks; share the new ones'
      ].join('\n'))
    } finally {
      await rm(work, { recursive: true, force: true })
      await v.close()
    }
  }
}

async function readTrack (v: OpenedVideo, lang: string): Promise<string> {
  const bytes = await v.client.readVideoFile(v.capability, `subtitles/${lang}.vtt`, { maxBytes: MAX_TRACK_BYTES })
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (cause) {
    throw new P2pdvError('ERR_SUBTITLE_NOT_UTF8', `the stored "${lang}" track is not UTF-8`, { cause })
  }
}

/**
 * The new text of the track: --file, or the current track opened in the user's editor. Checked as
 * upload checks subtitles (syntax, UTF-8, size, cue times within the video) and rendered on the
 * video's timeline. Undefined when the editor left the track unchanged.
 */
async function newTrack (args: ParsedArgs, out: Output, v: OpenedVideo, lang: string, file: string | undefined, work: string): Promise<SubtitleEdit | undefined> {
  const existing = v.manifest.subtitles?.find(t => t.lang.toLowerCase() === lang.toLowerCase())
  let path = file
  let before: string | undefined
  if (path === undefined) {
    const editor = process.env.VISUAL ?? process.env.EDITOR
    if (editor === undefined || editor.trim() === '' || process.stdin.isTTY !== true) {
      throw new P2pdvError('ERR_USAGE', 'no --file given, and no editor to open (needs $VISUAL or $EDITOR and a terminal)', {
        hint: `Fetch the track with \`p2pdv captions get VIDEO ${lang} -o ${lang}.vtt\`, edit it, then pass --file ${lang}.vtt.`
      })
    }
    path = join(work, `${lang}.vtt`)
    before = existing === undefined ? 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nFirst line\n' : await readTrack(v, existing.lang)
    await writeFile(path, before, { mode: 0o600 })
    out.note(`opening ${editor} on the "${lang}" track; save and quit to publish, quit without changes to cancel`)
    await runEditor(editor, path)
    if (await readFile(path, 'utf8') === before) return undefined
  }
  const loaded = await loadSubtitles({ lang, path }, v.manifest.durationSeconds)
  const vtt = renderWebVtt(loaded.parsed, await timelineStart(v, existing?.lang))
  const name = stringOpt(args, 'name')
  return { lang, vtt: new TextEncoder().encode(vtt), ...(name === undefined ? {} : { name }), ...(args.values.default === true ? { default: true } : {}) }
}

/**
 * Where the video's media timeline starts, in seconds, for X-TIMESTAMP-MAP: from the track being
 * replaced (or any other track), else from the first segment's decode time, as upload computes it.
 */
async function timelineStart (v: OpenedVideo, lang: string | undefined): Promise<number> {
  const from = lang ?? v.manifest.subtitles?.[0]?.lang
  if (from !== undefined) {
    const head = (await readTrack(v, from)).slice(0, 200)
    const m = /X-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00\.000/.exec(head)
    if (m !== null) return Number(m[1]) / 90_000
  }
  let start = Infinity
  for (const r of v.manifest.renditions) {
    if (r.segments.length === 0) continue
    const init = await v.client.readVideoFile(v.capability, `${r.id}/init.mp4`)
    const first = await v.client.readVideoFile(v.capability, `${r.id}/0.m4s`, { maxBytes: 64 * 1024 * 1024 })
    start = Math.min(start, firstDecodeTime(init, first))
  }
  return Number.isFinite(start) ? start : 0
}

/** The stored scheme unless the user names one: erasure k/m from the manifest, else replicas. */
function redundancyOf (args: ParsedArgs, manifest: VideoManifest): Pick<PutOptions, 'k' | 'm' | 'replicas' | 'allowDegraded'> {
  const given = redundancyFromArgs(args)
  if (given.k !== undefined || given.m !== undefined || given.replicas !== undefined) return given
  return manifest.erasure === undefined ? { replicas: DEFAULT_REPLICAS } : { k: manifest.erasure.k, m: manifest.erasure.m }
}

async function runEditor (editor: string, path: string): Promise<void> {
  // $EDITOR may carry arguments ("code --wait"): run it through the shell, the path quoted.
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(`${editor} '${path.replaceAll("'", "'\\''")}'`, { shell: true, stdio: 'inherit' })
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new P2pdvError('ERR_USAGE', `the editor exited with code ${code ?? 'signal'}; nothing was published`, { hint: 'Save and quit normally, or pass --file FILE.' })
}

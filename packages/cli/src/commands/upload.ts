import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { P2pdvError } from '@p2pdv/core/errors'
import { formatVideoLink } from '@p2pdv/core'
import { parseAudioChoices, planAudio, probe, transcode, type AudioChoice, type SubtitleInput, type TranscodeProgress } from '@p2pdv/media'
import { accountUploader, Client, DEFAULT_REPLICAS, type PublishListingResult } from '@p2pdv/sdk'
import { intOpt, listOpt, requirePositional, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import { ALLOW_DEGRADED_OPTION, AUDITOR_OPTION, auditorFromArgs, degradedNote, describeRedundancy, erasureDefaultsFromChain, redundancyFromArgs } from '../redundancy.ts'
import { formatBytes } from '../format.ts'
import { toP2pdvError, type Output, type ProgressBar } from '../output.ts'
import { clientPeers, networkOf, NODE_OPTION } from '../peers-from-args.ts'
import { p2pdvHome } from '../home.ts'
import { openSigningIdentity } from '../signing-identity.ts'
import { UploadIndex } from '../upload-index.ts'
import { prepareUploadRegistration, UPLOAD_CHAIN_OPTIONS, UPLOAD_CHAIN_USAGE } from './upload-chain.ts'
import { depositWithKeepers, UPLOAD_KEEPER_OPTIONS, UPLOAD_KEEPER_USAGE } from './upload-keepers.ts'
import { AUTO_CAPTIONS_OPTIONS, AUTO_CAPTIONS_USAGE, planAutoCaptions, runAutoCaptions, type AutoCaptionsResult } from './upload-captions.ts'

export const DEFAULT_THUMBNAIL_INTERVAL = 5
const MAX_TITLE = 200

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

/** `--subs en=file.vtt` → { lang: 'en', path: 'file.vtt' } (the first '=' splits). */
function subtitleArgs (args: ParsedArgs): SubtitleInput[] {
  return listOpt(args, 'subs').map(s => {
    const eq = s.indexOf('=')
    if (eq <= 0 || eq === s.length - 1) {
      throw new P2pdvError('ERR_USAGE', `--subs takes LANG=FILE, got "${s.slice(0, 80)}"`, { hint: 'e.g. --subs en=talk.en.vtt --subs fr=talk.fr.srt' })
    }
    return { lang: s.slice(0, eq), path: s.slice(eq + 1) }
  })
}

function thumbnailInterval (args: ParsedArgs): number {
  const v = stringOpt(args, 'thumbnails-interval')
  if (v === undefined) return DEFAULT_THUMBNAIL_INTERVAL
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new P2pdvError('ERR_USAGE', `--thumbnails-interval must be a number of seconds (0 for no thumbnails), got "${v.slice(0, 40)}"`, { hint: `pass e.g. --thumbnails-interval ${DEFAULT_THUMBNAIL_INTERVAL}` })
  }
  return n
}

/** Draws the transcode bar, then one note per later stage. */
function stageReporter (out: Output): { onProgress: (p: TranscodeProgress) => void, done: () => void } {
  const bar: ProgressBar = out.progress('transcode')
  let finished = false
  const finish = (): void => { if (!finished) { finished = true; bar.finish() } }
  const label: Record<string, string> = { sprites: 'seek-preview sprite sheets', poster: 'posters', subtitles: 'subtitle files' }
  return {
    onProgress: p => {
      if (p.stage === 'transcode') { bar.update({ done: p.percent, total: 100, detail: `${p.speed.toFixed(1)}× realtime` }); return }
      finish()
      if (p.percent === 100) out.note(`${p.stage}: ${label[p.stage] ?? p.stage} written`)
    },
    done: finish
  }
}

export const upload: Command = {
  name: 'upload',
  summary: 'transcode a video (ladder, sprites, subtitles), seal every piece, store it, sign a public listing; prints its capability and a watch link',
  usage: `upload VIDEO [--title T] [--description D] [--tags a,b] [--subs LANG=FILE …] [--audio-lang LANG,… | N=LANG,…] [--audio-only] ${AUTO_CAPTIONS_USAGE} [--thumbnails-interval 5] [--unlisted] [--force] [--k 4 --m 2 | --replicas 3] [--allow-degraded] [--auditor URL] [--node URL …] ${UPLOAD_CHAIN_USAGE} ${UPLOAD_KEEPER_USAGE} [--json]`,
  options: {
    title: { type: 'string' },
    description: { type: 'string' },
    tags: { type: 'string' },
    subs: { type: 'string', multiple: true },
    'audio-lang': { type: 'string' },
    'audio-only': { type: 'boolean', default: false },
    'thumbnails-interval': { type: 'string' },
    unlisted: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    replicas: { type: 'string' },
    k: { type: 'string' },
    m: { type: 'string' },
    ...ALLOW_DEGRADED_OPTION,
    ...AUDITOR_OPTION,
    ...NODE_OPTION,
    ...UPLOAD_CHAIN_OPTIONS,
    ...UPLOAD_KEEPER_OPTIONS,
    ...AUTO_CAPTIONS_OPTIONS
  },
  async run (args, out) {
    const file = requirePositional(args, 0, 'VIDEO', upload)
    const redundancy = redundancyFromArgs(args)
    const title = (stringOpt(args, 'title') ?? basename(file)).slice(0, MAX_TITLE)
    const description = stringOpt(args, 'description')
    const tags = (stringOpt(args, 'tags') ?? '').split(',')
    const subtitles = subtitleArgs(args)
    // Every audio track is published unless --audio-lang picks (and labels) some.
    const audioSpec = stringOpt(args, 'audio-lang')
    const audio: AudioChoice[] | undefined = audioSpec === undefined ? undefined : parseAudioChoices(audioSpec)
    // A podcast: the sound over its cover art (or a plain card).
    const audioOnly = args.values['audio-only'] === true
    const interval = thumbnailInterval(args)
    // No model for the language, no engine, a --subs track in the same language: refused now.
    const autoCaptions = await planAutoCaptions(args, subtitles)
    const listed = args.values.unlisted !== true
    // Everything that can refuse cheaply does so before minutes of transcoding: the chain step
    // (flags, wallet, chain), then the identity that signs the listing (the chain wallet if any).
    const registrar = await prepareUploadRegistration(args, out)
    // The k/m the flags leave open: governance's, from the chain the video registers on (none
    // with --no-chain or without a chain: the core default).
    const defaults = registrar === undefined ? {} : await erasureDefaultsFromChain(args, redundancy, registrar.client)
    const { peers, directory } = await clientPeers(args)
    const signer = !listed
      ? undefined
      : registrar?.identity !== undefined
        ? { identity: registrar.identity, created: false, dir: '' }
        : await openSigningIdentity(args)
    if (signer?.created === true) out.note(`created a local signing identity "default" (${signer.identity.address}) in ${signer.dir}`)
    const index = UploadIndex.open(join(p2pdvHome(), 'uploads.sqlite'))
    // Re-uploads are recognised per storage network (a devnet run, or a set of nodes): a fresh
    // devnet has none of the old one's videos. Not per chain: a `--no-chain` upload of the same
    // file to the same nodes still replaces the registered one.
    const network = await networkOf(args)
    // Plaintext segments exist only in this private temp dir, and only until they are sealed.
    const work = await mkdtemp(join(tmpdir(), 'p2pdv-upload-'))
    const controller = new AbortController()
    const onSigint = (): void => { controller.abort() }
    process.once('SIGINT', onSigint)
    try {
      const sourceSha256 = await sha256File(file)
      const earlier = index.find(sourceSha256, network)
      if (earlier !== undefined) {
        if (args.values.force !== true) {
          throw new P2pdvError('ERR_ALREADY_UPLOADED', `${basename(file)} was already uploaded on ${new Date(earlier.uploadedAt).toISOString()} as "${earlier.title}" (manifest ${earlier.manifestCid})`, {
            hint: 'Use the capability you got then; pass --force to upload it again as a new video.',
            details: { ...earlier }
          })
        }
        out.note(`uploading again (--force): this file was uploaded on ${new Date(earlier.uploadedAt).toISOString()} as ${earlier.manifestCid}`)
      }
      // A file that is not a video, then a scheme the nodes cannot meet (without
      // --allow-degraded), are refused before transcoding, in that order: the file is the first
      // thing to fix.
      const source = await probe(file, { signal: controller.signal, audioOnly })
      const audioPlan = planAudio(source.audioTracks, audio)
      const precheck = await Client.create({ peers, directory, workers: 0, ...(await auditorFromArgs(args)) })
      try { await precheck.chooseScheme({ ...redundancy, ...defaults }) } finally { await precheck.close() }
      // Transcribed here, on the creator's machine, before anything is sealed.
      let captions: AutoCaptionsResult | undefined
      if (autoCaptions !== undefined) {
        const track = (audioPlan.find(a => a.default) ?? audioPlan[0])?.track ?? 0
        const c = await runAutoCaptions(autoCaptions, file, source, track, work, out, controller.signal)
        captions = c.result
        if (c.input !== undefined) subtitles.push(c.input)
      }
      const stages = stageReporter(out)
      const started = performance.now()
      const t = await transcode(file, join(work, 'ladder'), {
        signal: controller.signal,
        subtitles,
        ...(audio === undefined ? {} : { audio }),
        audioOnly,
        thumbnails: interval === 0 ? false : { intervalSeconds: interval },
        onProgress: stages.onProgress
      }).finally(stages.done)
      const transcodeSpeed = t.durationSeconds / ((performance.now() - started) / 1000)
      out.note(`transcoded ${t.durationSeconds.toFixed(1)} s into ${t.renditions.map(r => r.id).join(', ')} at ${transcodeSpeed.toFixed(1)}× realtime`)
      // The upload grants nodes require are signed by the listing's identity (else a throw-away key).
      const client = await Client.create({ peers, directory, ...(await auditorFromArgs(args)), ...(signer === undefined ? {} : { uploader: accountUploader(signer.identity.account) }) })
      try {
        const seal = out.progress('seal + store')
        const result = await client.publishVideo({ ...t, sourceSha256: Uint8Array.from(Buffer.from(sourceSha256, 'hex')), title }, {
          ...redundancy,
          ...defaults,
          signal: controller.signal,
          onProgress: p => { seal.update({ done: p.storedBytes / p.expansion, detail: `sealed ${formatBytes(p.sealedBytes)} · stored ${formatBytes(p.storedBytes)}` }) },
          onNodeFailed: (peer, err) => { out.note(`\nnode ${peer.http} failed (${toP2pdvError(err).message}); moving its blocks`) }
        })
        const { seconds } = seal.finish()
        const degraded = degradedNote(result)
        if (degraded !== undefined) out.note(degraded)
        let listing: PublishListingResult | undefined
        if (signer !== undefined) {
          listing = await client.publishListing(signer.identity.account, {
            title,
            ...(description === undefined ? {} : { description }),
            tags,
            durationSeconds: t.durationSeconds,
            posterJpeg: await readFile(join(t.dir, t.publicPoster))
          }, { replicas: redundancy.replicas ?? DEFAULT_REPLICAS, ...(redundancy.allowDegraded === true ? { allowDegraded: true } : {}), signal: controller.signal })
        }
        const chain = await registrar?.register(result.capability, listing?.listingCid)
        const custody = chain === undefined || registrar?.identity === undefined
          ? undefined
          : await depositWithKeepers(args, out, { client: registrar.client, identity: registrar.identity, capability: result.capability, videoId: chain.videoId })
        const videoLink = chain === undefined ? undefined : formatVideoLink({ video: chain.videoId })
        index.record({ sourceSha256, network, manifestCid: result.manifestCid, ...(listing === undefined ? {} : { listingCid: listing.listingCid }), title, uploadedAt: Date.now() })
        const key = result.capability.slice(result.capability.indexOf('#') + 1)
        const pageBase = peers[0]!.http.replace(/\/+$/, '')
        const watchUrl = `${pageBase}/watch/${result.manifestCid}#${key}`
        // The page for the video link: no key in it; the page asks the keepers for the viewer.
        const videoWatchUrl = custody === undefined || chain === undefined ? undefined : `${pageBase}/watch/video/${chain.videoId}`
        out.result({
          ...result,
          title,
          durationSeconds: t.durationSeconds,
          renditions: t.renditions.map(r => r.id),
          subtitles: t.subtitles.map(s => s.lang),
          ...(captions === undefined ? {} : { autoCaptions: captions }),
          audio: t.renditions.filter(r => r.kind === 'audio').map(r => ({ id: r.id, ...(r.lang === undefined ? {} : { lang: r.lang }), name: r.name, default: r.default })),
          thumbnailSheets: t.thumbnails?.sheets.length ?? 0,
          transcodeSpeed,
          seconds,
          watchUrl,
          ...(listing === undefined
            ? {}
            : { listingCid: listing.listingCid, posterCid: listing.posterCid, creator: signer!.identity.address, identity: { name: signer!.identity.name, created: signer!.created } }),
          ...(earlier === undefined ? {} : { replaces: earlier.manifestCid }),
          ...(chain === undefined ? {} : { chain }),
          ...(custody === undefined ? {} : { keepers: custody }),
          ...(videoLink === undefined ? {} : { videoLink }),
          ...(videoWatchUrl === undefined ? {} : { videoWatchUrl })
        }, () => [
          `published "${title}": ${t.renditions.length} renditions, ${t.subtitles.length} subtitle tracks, ${t.thumbnails?.sheets.length ?? 0} sprite sheets; ${formatBytes(result.size)} sealed in ${result.blocks} blocks, ${describeRedundancy(result)}`,
          listing === undefined ? 'unlisted: no public listing was published' : `public listing ${listing.listingCid}, signed by ${signer!.identity.address} ("${signer!.identity.name}")`,
          ...(custody === undefined ? [] : [`key held by ${custody.keepers.length} keepers (any ${custody.threshold} release it to viewers the chain allows)`, '', `Video link (no key in it, safe to post): ${videoLink!}`, `  watch it: npx p2pdv watch '${videoLink!}' --as NAME`, `  or in a browser: ${videoWatchUrl!}`]),
          '',
          result.capability,
          '',
          `Watch in a browser:      ${watchUrl}`,
          `Watch in any HLS player: npx p2pdv watch '${result.capability}'`,
          'Both links carry the key after #: share them only with people who may watch.'
        ].join('\n'))
      } finally {
        await client.close()
      }
    } finally {
      process.removeListener('SIGINT', onSigint)
      index.close()
      signer?.identity.forget()
      await rm(work, { recursive: true, force: true })
    }
  }
}

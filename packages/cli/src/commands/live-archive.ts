/**
 * The end of `p2pdv live start`: the stream becomes a VOD made of the segments it already stored
 * (@p2pdv/sdk/live buildLiveArchive; no media byte is uploaded again). A link-mode stream prints a
 * VOD link carrying the archive key; a stream registered on chain gets its registry entry pointed
 * at the archive (manifest CID and the fingerprint of the key its keepers already hold), so the
 * video link plays it for whoever the chain lets in.
 */
import { toHex } from 'viem'
import { keyFingerprint } from '@p2pdv/core'
import type { NodeClient } from '@p2pdv/node-client'
import type { GrantBook } from '@p2pdv/sdk/upload-grants'
import type { LiveArchiveLog } from '@p2pdv/sdk/live'
import type { Output } from '../output.ts'
import type { LiveRegistration } from './live-chain.ts'

export interface ArchiveSources {
  /** The first published segment and its init (the poster is its first frame). */
  first: { init: Uint8Array, bytes: Uint8Array } | undefined
  /** CODECS per live rendition, from its init segment. */
  codecs: Map<number, string>
}

export async function archiveLiveStream (out: Output, o: {
  log: LiveArchiveLog
  stream: string
  title: string
  nodes: NodeClient[]
  grants: GrantBook
  sources: ArchiveSources
  workDir: string
  chain: LiveRegistration | undefined
}): Promise<Record<string, unknown>> {
  const { buildLiveArchive, storeLiveArchive, archiveCapability } = await import('@p2pdv/sdk/live')
  const { posterFromSegment } = await import('@p2pdv/media')
  const { log, sources, chain } = o
  out.note(`archiving: ${log.segments} stored segments become a video (no media is uploaded again)`)
  // buildLiveArchive refuses an empty stream (ERR_LIVE_EMPTY) before anything is written.
  const poster = sources.first === undefined ? new Uint8Array(0) : await posterFromSegment(sources.first.init, sources.first.bytes, o.workDir)
  const archive = await buildLiveArchive(log, { stream: o.stream, title: o.title, poster, codecs: r => sources.codecs.get(r) ?? 'avc1.64001f,mp4a.40.2' })
  try {
    const holders = await storeLiveArchive(archive, o.nodes, o.grants)
    out.note(`  manifest and poster stored on ${holders.length} node(s)`)
    const renditions = archive.manifest.renditions.map(r => r.id)
    const base = { event: 'archived', manifestCid: archive.manifestCid.toString(), segments: log.segments, renditions, durationSeconds: Math.round(archive.manifest.durationSeconds * 10) / 10, epochs: archive.manifest.live?.epochs.length ?? 0 }
    if (chain === undefined) {
      const link = archiveCapability(archive)
      const page = `${o.nodes[0]!.base.replace(/\/+$/, '')}/watch/${base.manifestCid}#${link.slice(link.indexOf('#') + 1)}`
      out.result({ ...base, link, watchUrl: page }, () => [
        `archived as a video: ${base.segments} segments, ${base.durationSeconds} s, ${renditions.join(', ')}`,
        `  VOD link: ${link}`,
        `  watch it: npx p2pdv watch '${link}'   or in a browser: ${page}`,
        '  (the part after # is the key: share it with viewers only)'
      ].join('\n'))
      return base
    }
    const video = chain.registration.videoId
    // Viewers check the key the keepers release against this fingerprint: from now on, the archive's.
    await chain.client.updateVideo(video, { manifestCid: base.manifestCid, listingCid: chain.registration.listingCid, keyFingerprint: toHex(keyFingerprint(archive.key)) })
    if (archive.keeperEpoch === undefined) {
      await chain.custody.handOver(archive.lastEpoch + 1, archive.key)
    }
    // The chain's custody epoch follows the keepers' (a later `p2pdv rekey` deals the next one).
    const epoch = archive.keeperEpoch ?? archive.lastEpoch + 1
    await chain.client.setCustody(video, { epoch, threshold: chain.threshold, keepers: chain.keepers as Array<`0x${string}`> })
    out.note(`  registry updated: ${video} now names the archive; its keepers hold its key (epoch ${epoch})`)
    const { formatVideoLink } = await import('@p2pdv/core')
    const link = formatVideoLink({ video })
    out.result({ ...base, video, link, keeperEpoch: epoch }, () => [
      `archived as a video: ${base.segments} segments, ${base.durationSeconds} s, ${renditions.join(', ')} (same access policy: ${chain.registration.policy})`,
      `  video link (no key in it): ${link}`,
      `  watch it: npx p2pdv watch '${link}' --as NAME`
    ].join('\n'))
    return base
  } finally {
    archive.key.fill(0)
  }
}

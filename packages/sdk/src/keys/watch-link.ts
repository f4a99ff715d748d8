/**
 * Turns any watch link into what the player needs (a manifest CID and K, as an in-process
 * capability that is never printed or sent): a capability as it is; a video link through its
 * envelope (`e=`) or the video's keepers, with the manifest from the link or the registry.
 */
import { formatCapability, P2pdvError, parseCid, parseWatchLink, type CID } from '@p2pdv/core'
import { OracleErrorCode, type AccessOracle, type VideoId } from '@p2pdv/core/keys'
import type { Client } from '../client.ts'
import { createIdentity, type Identity } from '@p2pdv/chain/identity'
import { openEnvelopeBlock } from './envelopes.ts'
import type { KeyResolver, ViewerKeys } from './key-resolver.ts'

export interface ResolvedLink {
  /** `p2pdv://<manifest>#<key>`: for this process only. */
  capability: string
  manifest: string
  video?: VideoId
  via: 'capability' | 'envelope' | 'keepers'
}

export interface ResolveLinkOptions {
  client: Client
  /** Needed for video links: envelopes are sealed to it, keeper requests are signed by it. */
  viewer?: ViewerKeys
  /** The chain: the manifest CID and key fingerprint of a video. */
  oracle?: AccessOracle
  /** Asks keepers when the link carries no envelope. */
  resolver?: KeyResolver
  signal?: AbortSignal
}

export async function resolveWatchLink (text: string, o: ResolveLinkOptions): Promise<ResolvedLink> {
  const link = parseWatchLink(text)
  if (link.kind === 'capability') return { capability: text.trim(), manifest: link.manifest.toString(), via: 'capability' }
  if (o.viewer === undefined) throw new P2pdvError('ERR_NO_IDENTITY', 'a video link needs an identity to receive the key', { hint: 'Pass --identity NAME (see `p2pdv keys ls`), or --anonymous for free videos.' })
  const record = o.oracle === undefined ? undefined : await o.oracle.video(link.video)
  if (o.oracle !== undefined && record === undefined) throw new P2pdvError(OracleErrorCode.UNKNOWN_VIDEO, `${link.video} is not registered on chain`)
  let manifest: CID | undefined = link.manifest
  if (manifest === undefined && record?.manifest !== undefined) manifest = parseCid(record.manifest)
  if (manifest === undefined) throw new P2pdvError('ERR_NO_MANIFEST', 'the link names no manifest and no registry knows this video', { hint: 'Use the full link from the creator.' })
  let key: Uint8Array
  let via: ResolvedLink['via']
  if (link.envelope !== undefined) {
    key = await openEnvelopeBlock(o.client, link.envelope, link.video, o.viewer, record?.keyFingerprint, o.signal)
    via = 'envelope'
  } else {
    if (o.resolver === undefined) throw new P2pdvError('ERR_NO_KEEPERS', 'this link has no envelope and no keepers can be asked without a chain', { hint: 'Start the devnet with its chain, or ask the creator for a direct grant.' })
    key = (await o.resolver.resolve(link.video, o.signal === undefined ? {} : { signal: o.signal })).key
    via = 'keepers'
  }
  try {
    return { capability: formatCapability({ manifest, key }), manifest: manifest.toString(), video: link.video, via }
  } finally {
    key.fill(0)
  }
}

/**
 * Anonymous mode: a fresh identity for one session, linked to nothing, never stored. Enough for
 * free videos (the chain grants everyone access); paid ones refuse it like any stranger.
 */
export async function createAnonymousIdentity (): Promise<Identity> {
  return await createIdentity('anonymous')
}

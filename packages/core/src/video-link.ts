/**
 * Links to watch something. Two forms:
 *
 *   p2pdv://<manifest CID>#<key>                         a capability: carries the key (direct sharing)
 *   p2pdv://video/<video id>[?m=<manifest CID>][&e=<envelope CID>]
 *                                                        a video link: carries no key
 *
 * A video link names the on-chain video; the manifest CID comes from the registry (or `m`, for
 * videos not registered yet), and the key from an envelope (`e`, a public block sealed to the
 * viewer) or from the video's keepers, who ask the chain whether the viewer may watch. Such a
 * link can be posted anywhere: it is useless to anyone the chain does not let in.
 */
import { CID, parseCid } from './cid.ts'
import { parseCapability, CAPABILITY_SCHEME, MAX_CAPABILITY_LENGTH, type Capability } from './capability.ts'
import { P2pdvError } from './errors.ts'
import { isVideoId, type VideoId } from './keys/video-id.ts'

export const VIDEO_LINK_PREFIX = `${CAPABILITY_SCHEME}video/`

export interface VideoLink {
  video: VideoId
  manifest?: CID
  envelope?: CID
}

export type WatchLink = ({ kind: 'capability' } & Capability) | ({ kind: 'video' } & VideoLink)

function bad (why: string): P2pdvError {
  return new P2pdvError('ERR_BAD_LINK', `not a valid video link: ${why}`, {
    hint: 'A video link looks like p2pdv://video/0x…(64 hex digits); copy it completely.'
  })
}

export function formatVideoLink (l: VideoLink): string {
  if (!isVideoId(l.video)) throw bad('the video id must be 0x + 64 lowercase hex digits')
  const q = [
    ...(l.manifest === undefined ? [] : [`m=${l.manifest.toString()}`]),
    ...(l.envelope === undefined ? [] : [`e=${l.envelope.toString()}`])
  ]
  return `${VIDEO_LINK_PREFIX}${l.video}${q.length === 0 ? '' : `?${q.join('&')}`}`
}

export function parseVideoLink (text: string): VideoLink {
  const s = text.trim()
  if (s.length > MAX_CAPABILITY_LENGTH * 2) throw bad('too long')
  if (!s.startsWith(VIDEO_LINK_PREFIX)) throw bad(`it must start with ${VIDEO_LINK_PREFIX}`)
  if (s.includes('#')) throw bad('a video link carries no key (nothing after #)')
  const [idPart = '', query] = s.slice(VIDEO_LINK_PREFIX.length).split('?', 2)
  const video = idPart.toLowerCase()
  if (!isVideoId(video)) throw bad('the video id must be 0x + 64 hex digits')
  const link: VideoLink = { video }
  for (const kv of (query ?? '').split('&').filter(p => p !== '')) {
    const [k, v = ''] = kv.split('=', 2)
    let cid: CID
    try { cid = parseCid(v) } catch { throw bad(`${k ?? '?'} is not a valid CID`) }
    if (k === 'm' && link.manifest === undefined) link.manifest = cid
    else if (k === 'e' && link.envelope === undefined) link.envelope = cid
    else throw bad(`unknown or repeated parameter "${(k ?? '').slice(0, 10)}"`)
  }
  return link
}

/** Either kind of link. */
export function parseWatchLink (text: string): WatchLink {
  return text.trim().startsWith(VIDEO_LINK_PREFIX)
    ? { kind: 'video', ...parseVideoLink(text) }
    : { kind: 'capability', ...parseCapability(text) }
}

/**
 * Watch links and capabilities. A watch link is `<node origin>/watch/<manifest CID>#<key>`: the
 * key rides in the fragment, which browsers never send to a server (nor in a Referer). A
 * capability `p2pdv://<CID>#<key>` names the same thing without a node.
 */
import { formatCapability, parseCapability, parseVideoLink, P2pdvError, parseCid, VIDEO_LINK_PREFIX, type CID } from '@p2pdv/core'
import type { VideoId } from '@p2pdv/core/keys'
import { formatLiveLink, isLiveLink, parseLiveLink } from '@p2pdv/core/live'

/** `/watch/<cid>` for the CID in a path, or undefined. */
export function manifestFromPath (pathname: string): CID | undefined {
  const m = /^\/watch\/([a-z2-7]{10,100})\/?$/.exec(pathname)
  if (m === null) return undefined
  try { return parseCid(m[1]!) } catch { return undefined }
}

/** `/watch/video/<video id>` (a link without a key: the keepers give it), or undefined. */
export function videoFromPath (pathname: string): VideoId | undefined {
  const m = /^\/watch\/video\/(0x[0-9a-fA-F]{64})\/?$/.exec(pathname)
  return m === null ? undefined : m[1]!.toLowerCase() as VideoId
}

/** `/watch/live/<stream id>` (a live stream; its key is the fragment), or undefined. */
export function liveFromPath (pathname: string): string | undefined {
  return /^\/watch\/live\/([0-9a-f]{64})\/?$/.exec(pathname)?.[1]
}

/** The same-origin path (with fragment) that watches what `input` names. */
export function watchPathFor (input: string): string {
  const s = input.trim()
  // A live link `p2pdv://live/<stream>#<secret>`: validated here, watched at /watch/live/….
  if (isLiveLink(s)) {
    const l = parseLiveLink(s)
    return `/watch/live/${l.stream}#${formatLiveLink(l).split('#')[1]!}`
  }
  // A video link carries no key: the page asks the video's keepers. (`m=` and `e=` are not
  // needed there: the registry names the manifest, and an envelope is sealed to a key the page
  // does not hold.)
  if (s.startsWith(VIDEO_LINK_PREFIX)) return `/watch/video/${parseVideoLink(s).video}`
  if (s.startsWith('p2pdv://')) {
    const cap = parseCapability(s)
    return watchPath(cap.manifest, formatCapability(cap).split('#')[1]!)
  }
  let url: URL
  try { url = new URL(s) } catch {
    throw new P2pdvError('ERR_BAD_CAPABILITY', 'that is neither a p2pdv:// capability nor a watch link', {
      hint: 'Paste a link like p2pdv://bafkrei…#… or http://…/watch/bafkrei…#…, complete with the part after #.'
    })
  }
  const video = videoFromPath(url.pathname)
  if (video !== undefined) return `/watch/video/${video}`
  const cid = manifestFromPath(url.pathname)
  if (cid === undefined) throw new P2pdvError('ERR_BAD_CAPABILITY', 'that link does not name a video', { hint: 'Watch links look like …/watch/bafkrei…#…' })
  // Validates the key the same way a capability is validated.
  const cap = parseCapability(`p2pdv://${cid.toString()}${url.hash}`)
  return watchPath(cap.manifest, formatCapability(cap).split('#')[1]!)
}

export function watchPath (manifest: CID, keyText: string): string {
  return `/watch/${manifest.toString()}#${keyText}`
}

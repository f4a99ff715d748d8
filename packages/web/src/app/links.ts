/**
 * Watch links and capabilities. A watch link is `<node origin>/watch/<manifest CID>#<key>`: the
 * key rides in the fragment, which browsers never send to a server (nor in a Referer). A
 * capability `p2pdv://<CID>#<key>` names the same thing without a node.
 */
import { formatCapability, parseCapability, P2pdvError, parseCid, type CID } from '@p2pdv/core'

/** `/watch/<cid>` for the CID in a path, or undefined. */
export function manifestFromPath (pathname: string): CID | undefined {
  const m = /^\/watch\/([a-z2-7]{10,100})\/?$/.exec(pathname)
  if (m === null) return undefined
  try { return parseCid(m[1]!) } catch { return undefined }
}

/** The same-origin path (with fragment) that watches what `input` names. */
export function watchPathFor (input: string): string {
  const s = input.trim()
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
  const cid = manifestFromPath(url.pathname)
  if (cid === undefined) throw new P2pdvError('ERR_BAD_CAPABILITY', 'that link does not name a video', { hint: 'Watch links look like …/watch/bafkrei…#…' })
  // Validates the key the same way a capability is validated.
  const cap = parseCapability(`p2pdv://${cid.toString()}${url.hash}`)
  return watchPath(cap.manifest, formatCapability(cap).split('#')[1]!)
}

export function watchPath (manifest: CID, keyText: string): string {
  return `/watch/${manifest.toString()}#${keyText}`
}

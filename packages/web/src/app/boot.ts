/**
 * The page's first script: tiny, with no imports, so it runs while the app bundle is still being
 * downloaded and compiled. On a watch page it starts the requests the app will need first (the
 * serving node's peer list, the sealed manifest block, its placement record) so their answers
 * are waiting when the app starts. Nothing here is trusted: the app validates the peer list,
 * checks the block against its CID and the record's signature, and fetches again on any doubt.
 */

/** What the app takes over (`takeBoot` in early.ts). */
export interface BootRequests {
  /** The manifest CID these requests are for, as it appears in the path. */
  manifest: string
  peers: Promise<string | undefined>
  block: Promise<ArrayBuffer | undefined>
  placement: Promise<ArrayBuffer | undefined>
}

declare global {
  interface Window { p2pdvBoot?: BootRequests }
}

// The same rule as links.ts's manifestFromPath (checked again there with a real CID parser).
const m = /^\/watch\/([a-z2-7]{10,100})\/?$/.exec(window.location.pathname)
if (m !== null) {
  const cid = m[1]!
  const get = async (path: string, accept: string): Promise<Response | undefined> => {
    try {
      const res = await fetch(path, { headers: { accept }, signal: AbortSignal.timeout(5000) })
      return res.ok ? res : undefined
    } catch {
      return undefined
    }
  }
  window.p2pdvBoot = {
    manifest: cid,
    peers: get('/api/v1/peers', 'application/json').then(async r => await r?.text()),
    block: get(`/ipfs/${cid}?format=raw`, 'application/vnd.ipld.raw').then(async r => await r?.arrayBuffer()),
    placement: get(`/api/v1/objects/${cid}/placement`, 'application/vnd.ipld.dag-cbor').then(async r => await r?.arrayBuffer())
  }
}

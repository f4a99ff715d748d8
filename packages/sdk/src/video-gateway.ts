/**
 * A local HLS gateway for any player (VLC, mpv, ffmpeg): serves a video the user holds a
 * capability for as plain HLS on 127.0.0.1, fetching, verifying and decrypting each segment on
 * request. The key stays in this process; the URL carries a random token instead, compared in
 * constant time, so other local users cannot read the stream by guessing the port.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { P2pdvError, parseCapability, streamOpeningKey, type CID, type StreamRef, type VideoManifest } from '@p2pdv/core'
import { resolveVideoPath } from '@p2pdv/core/playlists'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import type { Client } from './client.ts'
import { GatewayP2p, type GatewayP2pOptions, type GatewayP2pStats } from './gateway-p2p.ts'

export { endWebRtcThreads, DEFAULT_PREFETCH_SECONDS, type GatewayP2pOptions, type GatewayP2pStats } from './gateway-p2p.ts'

export interface VideoGateway {
  /** The master playlist URL to give a player. */
  url: string
  /** Bytes from peers and from nodes, viewers connected (P2P on only). */
  p2pStats: () => GatewayP2pStats | undefined
  close: () => Promise<void>
}

export interface VideoGatewayOptions {
  host?: string
  port?: number
  /** Take part in the video's viewer swarm (issue 16): fetch ahead from peers, share what is held. */
  p2p?: GatewayP2pOptions | undefined
}

export async function startVideoGateway (client: Client, capability: string, options: VideoGatewayOptions = {}): Promise<VideoGateway> {
  const { manifest, key } = await client.manifest(capability)
  if (manifest.type !== 'video') {
    key.fill(0)
    throw new P2pdvError('ERR_NOT_A_VIDEO', 'this capability names a file, not a video', { hint: 'Fetch files with `p2pdv get CAPABILITY -o OUT`.' })
  }
  const video: VideoManifest = manifest
  const token = randomBytes(16).toString('hex')
  const tokenBytes = Buffer.from(token)

  const p2p = options.p2p === undefined ? undefined : new GatewayP2p(video, parseCapability(capability).manifest, async (cid, signal) => await client.reader.fetch(cid, signal), options.p2p)

  const readAll = async (ref: StreamRef, context: Uint8Array, epoch: number | undefined, segment: { rendition: string, index: number } | undefined): Promise<Buffer> => {
    const parts: Uint8Array[] = []
    const fetchBlock = p2p === undefined ? undefined : async (cid: CID, signal?: AbortSignal) => await p2p.block(cid, segment?.rendition, segment?.index, signal)
    for await (const c of client.readStream({ objectId: video.objectId, size: ref.size, chunks: ref.chunks }, streamOpeningKey(video, key, epoch), { stream: ref.n, context, ...(fetchBlock === undefined ? {} : { fetchBlock }) })) parts.push(c)
    return Buffer.concat(parts)
  }

  const route = async (path: string): Promise<{ type: string, body: Buffer | string } | undefined> => {
    const found = resolveVideoPath(video, path)
    if (found === undefined || found.kind === 'text') return found
    const segment = mediaSegmentOf(path)
    if (segment !== undefined) p2p?.segmentRequested(segment.rendition, segment.index)
    const body = await readAll(found.stream, found.context, found.epoch, segment)
    if (segment !== undefined) p2p?.segmentServed()
    return { type: found.type, body }
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const [, given = '', ...rest] = url.pathname.split('/')
      const givenBytes = Buffer.from(given)
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return }
      if (givenBytes.length !== tokenBytes.length || !timingSafeEqual(givenBytes, tokenBytes)) { res.writeHead(403).end(); return }
      try {
        const found = await route(rest.join('/'))
        if (found === undefined) { res.writeHead(404).end(); return }
        res.writeHead(200, { 'content-type': found.type, 'content-length': Buffer.byteLength(found.body), 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : found.body)
      } catch (err) {
        const code = err instanceof P2pdvError ? err.code : 'ERR_INTERNAL'
        res.writeHead(httpStatusOf(code), { 'content-type': 'application/json' }).end(JSON.stringify({ code }))
      }
    })()
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(options.port ?? 0, host, resolve) })
  const port = (server.address() as { port: number }).port
  return {
    url: `http://${host}:${port}/${token}/master.m3u8`,
    p2pStats: () => p2p?.stats(),
    close: async () => {
      await p2p?.stop()
      key.fill(0)
      await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
    }
  }
}

/** `<rendition>/<i>.m4s` (what resolveVideoPath accepted) → its rendition and index. */
function mediaSegmentOf (path: string): { rendition: string, index: number } | undefined {
  const m = /^([^/]+)\/(\d+)\.m4s$/.exec(path)
  return m === null ? undefined : { rendition: m[1]!, index: Number(m[2]) }
}

/**
 * A local HLS gateway for any player (VLC, mpv, ffmpeg): serves a video the user holds a
 * capability for as plain HLS on 127.0.0.1, fetching, verifying and decrypting each segment on
 * request. The key stays in this process; the URL carries a random token instead, compared in
 * constant time, so other local users cannot read the stream by guessing the port.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { P2pdvError, type StreamRef, type VideoManifest } from '@p2pdv/core'
import { resolveVideoPath } from '@p2pdv/core/playlists'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import type { Client } from './client.ts'

export interface VideoGateway {
  /** The master playlist URL to give a player. */
  url: string
  close: () => Promise<void>
}

export interface VideoGatewayOptions {
  host?: string
  port?: number
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

  const readAll = async (ref: StreamRef, context: Uint8Array): Promise<Buffer> => {
    const parts: Uint8Array[] = []
    for await (const c of client.readStream({ objectId: video.objectId, size: ref.size, chunks: ref.chunks }, key, { stream: ref.n, context })) parts.push(c)
    return Buffer.concat(parts)
  }

  const route = async (path: string): Promise<{ type: string, body: Buffer | string } | undefined> => {
    const found = resolveVideoPath(video, path)
    if (found === undefined || found.kind === 'text') return found
    return { type: found.type, body: await readAll(found.stream, found.context) }
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
    close: async () => {
      key.fill(0)
      await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
    }
  }
}

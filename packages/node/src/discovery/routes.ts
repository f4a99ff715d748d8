/**
 * Discovery endpoints (docs/openapi.yaml), public and read-only:
 *
 *   GET /api/v1/videos?q=&tag=&category=&rating=&sort=&cursor=&limit=   a page of listed videos
 *   GET /api/v1/videos/{id}                                             one listed video
 *   GET /api/v1/channels/{address}?rating=&sort=&cursor=&limit=         a creator's profile and a page of their videos
 *   GET /api/v1/channels?name=                                         channels whose name starts with `name`
 */
import type { FastifyInstance } from 'fastify'
import { P2pdvError } from '@p2pdv/core/errors'
import type { DiscoveryStore } from './index-store.ts'
import { MAX_PROFILE_NAME } from '@p2pdv/core'
import { DiscoveryErrorCode, parseCreator, parseVideoQuery } from './query.ts'

export const VideoLookupErrorCode = {
  NOT_LISTED: 'ERR_VIDEO_NOT_LISTED',
  CHANNEL_NOT_FOUND: 'ERR_CHANNEL_NOT_FOUND'
} as const

/** Channels a name lookup returns at most. */
export const MAX_CHANNEL_MATCHES = 10

function notEnabled (): P2pdvError {
  return new P2pdvError('ERR_NOT_ENABLED', 'this node keeps no discovery index (it follows no chain)', { hint: 'Ask a node started with --chain FILE, or start this one with it.' })
}

export function discoveryRoutes (store: () => DiscoveryStore | undefined) {
  return (app: FastifyInstance): void => {
    app.get('/api/v1/videos', async (req, reply) => {
      const s = store()
      if (s === undefined) throw notEnabled()
      const query = parseVideoQuery(req.query as Record<string, unknown>)
      return reply.header('cache-control', 'no-cache').send({ ...s.search(query), words: query.words })
    })

    app.get<{ Params: { id: string } }>('/api/v1/videos/:id', async (req, reply) => {
      const s = store()
      if (s === undefined) throw notEnabled()
      const id = req.params.id
      if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new P2pdvError('ERR_VIDEO_QUERY', 'a video id is 0x and 64 hex digits')
      const video = s.get(id.toLowerCase())
      if (video === undefined) throw new P2pdvError(VideoLookupErrorCode.NOT_LISTED, `video ${id} is not listed on this node`, { hint: 'It is private, unlisted, retired, or not indexed yet; a link with its capability still plays it.' })
      return reply.header('cache-control', 'no-cache').send(video)
    })

    app.get<{ Params: { address: string } }>('/api/v1/channels/:address', async (req, reply) => {
      const s = store()
      if (s === undefined) throw notEnabled()
      const raw = req.query as Record<string, unknown>
      if ('creator' in raw || 'q' in raw || 'tag' in raw || 'category' in raw) throw new P2pdvError(DiscoveryErrorCode.BAD_QUERY, 'a channel page takes rating, sort, cursor and limit only', { hint: 'Search with GET /api/v1/videos?creator=ADDRESS&q=….' })
      const address = parseCreator(req.params.address)
      const query = parseVideoQuery({ ...raw, creator: address })
      const profile = s.profile(address)
      const page = s.search(query)
      if (profile === undefined && page.videos.length === 0 && query.offset === 0) {
        throw new P2pdvError(VideoLookupErrorCode.CHANNEL_NOT_FOUND, `this node knows no channel of ${address}`, { hint: 'Check the address; a fresh profile or upload is indexed within a few seconds.' })
      }
      return reply.header('cache-control', 'no-cache').send({ address, ...(profile === undefined ? {} : { profile }), ...page })
    })

    app.get('/api/v1/channels', async (req, reply) => {
      const s = store()
      if (s === undefined) throw notEnabled()
      const raw = req.query as Record<string, unknown>
      for (const k of Object.keys(raw)) if (k !== 'name') throw new P2pdvError(DiscoveryErrorCode.BAD_QUERY, `unknown parameter "${k.slice(0, 32)}"`, { hint: 'GET /api/v1/channels?name=NAME' })
      const name = raw.name
      if (typeof name !== 'string' || name.trim().length < 1 || name.length > MAX_PROFILE_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
        throw new P2pdvError(DiscoveryErrorCode.BAD_QUERY, `name must be given once, 1–${MAX_PROFILE_NAME} characters`)
      }
      return reply.header('cache-control', 'no-cache').send({ channels: s.findProfiles(name.trim(), MAX_CHANNEL_MATCHES) })
    })
  }
}

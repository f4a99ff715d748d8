/**
 * Discovery endpoints (docs/openapi.yaml), public and read-only:
 *
 *   GET /api/v1/videos?q=&tag=&category=&rating=&sort=&cursor=&limit=   a page of listed videos
 *   GET /api/v1/videos/{id}                                             one listed video
 */
import type { FastifyInstance } from 'fastify'
import { P2pdvError } from '@p2pdv/core/errors'
import type { DiscoveryStore } from './index-store.ts'
import { parseVideoQuery } from './query.ts'

export const VideoLookupErrorCode = {
  NOT_LISTED: 'ERR_VIDEO_NOT_LISTED'
} as const

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
  }
}

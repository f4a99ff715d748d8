/**
 * Audit endpoints of the HTTP plane. Every node answers challenges (`POST /api/v1/audit`, the same
 * DAG-CBOR messages as `/p2pdv/audit/1.0.0`); an auditor node also serves reputation, its signed
 * results, and takes blocks to follow.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { P2pdvError } from '@p2pdv/core/errors'
import { DEFAULT_REPUTATION_PARAMS, PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'
import { AuditCode, MAX_AUDIT_MESSAGE_BYTES, type AuditResponse } from '@p2pdv/core/wire'
import type { Auditor } from './auditor.ts'
import type { AuditStore } from './store.ts'
import { MAX_TARGETS_BODY_BYTES, parseTargets } from './targets.ts'

export const CBOR_CONTENT_TYPE = 'application/cbor'
export const MAX_RESULTS_PER_PAGE = 1000

export interface AuditRoutesDeps {
  answer: (challenge: Uint8Array) => Promise<{ body: Uint8Array, response: AuditResponse }>
  /** Present on auditor nodes only. */
  auditor?: { auditor: Auditor, store: AuditStore, peerId: string }
  sendError: (reply: FastifyReply, status: number, err: P2pdvError) => FastifyReply
}

function statusForRefusal (code: string): number {
  switch (code) {
    case AuditCode.NOT_FOUND: return 404
    case AuditCode.CORRUPT: return 502
    case AuditCode.BUSY: return 503
    case AuditCode.INTERNAL: return 500
    default: return 400
  }
}

export function registerAuditRoutes (app: FastifyInstance, deps: AuditRoutesDeps): void {
  app.addContentTypeParser(CBOR_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_AUDIT_MESSAGE_BYTES }, (_req, body, done) => { done(null, body) })

  app.post<{ Body: Buffer }>('/api/v1/audit', { bodyLimit: MAX_AUDIT_MESSAGE_BYTES }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return deps.sendError(reply, 415, new P2pdvError('ERR_BAD_CONTENT_TYPE', `send the challenge as ${CBOR_CONTENT_TYPE}`))
    const { body, response } = await deps.answer(new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength))
    return reply.code(response.ok ? 200 : statusForRefusal(response.code)).type(CBOR_CONTENT_TYPE).send(Buffer.from(body))
  })

  const notAuditor = (reply: FastifyReply): FastifyReply => deps.sendError(reply, 404, new P2pdvError('ERR_NOT_AUDITOR', 'this node is not an auditor', {
    hint: 'Ask a node started with --auditor (in the devnet: node-0).'
  }))

  app.get('/api/v1/reputation', async (_req, reply) => {
    const a = deps.auditor
    if (a === undefined) return notAuditor(reply)
    const peers = a.auditor.reputation()
    return {
      auditor: a.peerId,
      threshold: PLACEMENT_MIN_SCORE,
      halfLifeMs: DEFAULT_REPUTATION_PARAMS.halfLifeMs,
      time: Date.now(),
      rounds: a.auditor.rounds,
      targets: a.store.targetCount,
      /** What placement reads (core/placement weightedOrder): score per peer. */
      scores: peers.map(p => ({ peerId: p.peerId, score: p.score })),
      /** The same with components and counts. */
      peers,
      /** The latest slashing reports this auditor made (newest first). */
      slashReports: a.store.slashReports(100)
    }
  })

  app.get<{ Querystring: { peer?: string, after?: string, limit?: string } }>('/api/v1/audit/results', async (req, reply) => {
    const a = deps.auditor
    if (a === undefined) return notAuditor(reply)
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit)
    const after = req.query.after === undefined ? undefined : Number(req.query.after)
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RESULTS_PER_PAGE) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', `limit must be 1 … ${MAX_RESULTS_PER_PAGE}`))
    if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', 'after must be a result id'))
    if (req.query.peer !== undefined && req.query.peer.length > 128) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', 'peer is a peer id'))
    const rows = a.store.results({ ...(req.query.peer === undefined ? {} : { peer: req.query.peer }), ...(after === undefined ? {} : { afterId: after }), limit })
    return {
      results: rows.map(r => ({ id: r.id, peer: r.peer, cid: r.cid, kind: r.kind, outcome: r.outcome, code: r.code, counted: r.counted, issued: r.issued, record: Buffer.from(r.signed).toString('base64') }))
    }
  })

  app.post('/api/v1/audit/targets', { bodyLimit: MAX_TARGETS_BODY_BYTES }, async (req, reply) => {
    const a = deps.auditor
    if (a === undefined) return notAuditor(reply)
    const targets = await parseTargets(req.body)
    a.store.addTargets(targets, Date.now())
    return reply.code(202).send({ accepted: targets.length, targets: a.store.targetCount })
  })
}

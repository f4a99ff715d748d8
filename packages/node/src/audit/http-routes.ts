/**
 * Audit endpoints of the HTTP plane. Every node answers challenges (`POST /api/v1/audit`, the same
 * DAG-CBOR messages as `/p2pdv/audit/1.0.0`); an auditor node also serves reputation, its signed
 * results and the evidence behind its slashing reports. It learns what to audit only from
 * placement records (placement-source.ts); the old endpoint that took targets from anyone answers
 * 410 with a pointer to that path.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { DEFAULT_REPUTATION_PARAMS, PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'
import { MAX_AUDIT_MESSAGE_BYTES, type AuditResponse } from '@p2pdv/core/wire'
import type { Auditor } from './auditor.ts'
import type { AuditStore } from './store.ts'

export const CBOR_CONTENT_TYPE = 'application/cbor'
export const MAX_RESULTS_PER_PAGE = 1000
export const AUDIT_TARGETS_REMOVED = 'ERR_AUDIT_TARGETS_REMOVED'

/** What the reputation endpoint says about the auditor's chain link. */
export interface AuditorChainStatus {
  operator: string
  auditorRole: boolean
  lastPublish?: { time: number, updated: number, error?: string }
}

export interface AuditRoutesDeps {
  answer: (challenge: Uint8Array) => Promise<{ body: Uint8Array, response: AuditResponse }>
  /** Present on auditor nodes only. */
  auditor?: { auditor: Auditor, store: AuditStore, peerId: string, chain?: () => AuditorChainStatus | undefined }
  sendError: (reply: FastifyReply, status: number, err: P2pdvError) => FastifyReply
}

export function registerAuditRoutes (app: FastifyInstance, deps: AuditRoutesDeps): void {
  app.addContentTypeParser(CBOR_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_AUDIT_MESSAGE_BYTES }, (_req, body, done) => { done(null, body) })

  app.post<{ Body: Buffer }>('/api/v1/audit', { bodyLimit: MAX_AUDIT_MESSAGE_BYTES }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return deps.sendError(reply, 415, new P2pdvError('ERR_BAD_CONTENT_TYPE', `send the challenge as ${CBOR_CONTENT_TYPE}`))
    const { body, response } = await deps.answer(new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength))
    return reply.code(response.ok ? 200 : httpStatusOf(response.code)).type(CBOR_CONTENT_TYPE).send(Buffer.from(body))
  })

  const notAuditor = (reply: FastifyReply): FastifyReply => deps.sendError(reply, 404, new P2pdvError('ERR_NOT_AUDITOR', 'this node is not an auditor', {
    hint: 'Ask a node started with --auditor (in the devnet: node-0).'
  }))

  app.get('/api/v1/reputation', async (_req, reply) => {
    const a = deps.auditor
    if (a === undefined) return notAuditor(reply)
    const peers = a.auditor.reputation()
    const chain = a.chain?.()
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
      /** The latest slashing reports this auditor made (newest first), with their chain outcome. */
      slashReports: a.store.slashReports(100),
      /** The auditor's wallet and audit role, when it runs with a chain. */
      ...(chain === undefined ? {} : { chain })
    }
  })

  // The signed records behind a slashing report, by the hash the chain's Slashed event carries.
  app.get<{ Params: { hash: string } }>('/api/v1/audit/evidence/:hash', async (req, reply) => {
    const a = deps.auditor
    if (a === undefined) return notAuditor(reply)
    if (!/^0x[0-9a-fA-F]{64}$/.test(req.params.hash)) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', 'the evidence hash is 32 bytes as 0x-hex'))
    const bytes = a.store.slashEvidence(req.params.hash)
    if (bytes === undefined) return deps.sendError(reply, 404, new P2pdvError('ERR_NOT_FOUND', 'no slashing report of this auditor has this evidence hash', { hint: 'GET /api/v1/reputation lists the reports (slashReports[].evidenceHash).' }))
    return reply.type(CBOR_CONTENT_TYPE).send(Buffer.from(bytes))
  })

  app.get<{ Querystring: { peer?: string, after?: string, before?: string, limit?: string } }>('/api/v1/audit/results', async (req, reply) => {
    const a = deps.auditor
    if (a === undefined) return notAuditor(reply)
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit)
    const after = req.query.after === undefined ? undefined : Number(req.query.after)
    const before = req.query.before === undefined ? undefined : Number(req.query.before)
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RESULTS_PER_PAGE) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', `limit must be 1 … ${MAX_RESULTS_PER_PAGE}`))
    if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', 'after must be a result id'))
    if (before !== undefined && (!Number.isSafeInteger(before) || before < 0)) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', 'before must be a result id'))
    if (req.query.peer !== undefined && req.query.peer.length > 128) return deps.sendError(reply, 400, new P2pdvError('ERR_BAD_REQUEST', 'peer is a peer id'))
    const rows = a.store.results({ ...(req.query.peer === undefined ? {} : { peer: req.query.peer }), ...(after === undefined ? {} : { afterId: after }), ...(before === undefined ? {} : { beforeId: before }), limit })
    return {
      results: rows.map(r => ({ id: r.id, peer: r.peer, cid: r.cid, kind: r.kind, outcome: r.outcome, code: r.code, counted: r.counted, issued: r.issued, record: Buffer.from(r.signed).toString('base64') }))
    }
  })

  // Targets posted by anyone let a stranger pick the size a node was audited against (issue 15).
  // Answered before the body is read: nothing in it is looked at.
  app.post('/api/v1/audit/targets', {
    onRequest: async (_req, reply) => deps.sendError(reply, 410, new P2pdvError(AUDIT_TARGETS_REMOVED, 'auditors no longer take targets over HTTP', {
      hint: 'Auditors follow signed placement records: PUT the object\'s record on its holders (PUT /api/v1/objects/{cid}/placement; uploads do this) and the auditor syncs it.'
    }))
  }, async (_req, reply) => reply)
}

/**
 * The serving-receipt routes:
 *   GET  /api/v1/receipts          what a viewer signs for: this node's peer id and the open epoch
 *   POST /api/v1/receipts          one receipt (DAG-CBOR, at most 512 bytes), kept when valid
 *   GET  /api/v1/receipts/:epoch   the epoch's kept receipts, paged (`?after=`), for the settler
 * A posted receipt is refused, each with a code, when it is too large, malformed, not signed by the
 * viewer it names, for another node, for an epoch that is not the open one, a replay, or past the
 * viewer's cap. Refusals are logged at debug level (anyone can post, so they are not warnings).
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import { decodeServingReceipt, MAX_RECEIPT_BYTES, ServingReceiptErrorCode, verifyServingReceipt } from '@p2pdv/core/receipts'
import { DAG_CBOR_CONTENT_TYPE } from '../block-routes.ts'
import type { ReceiptStore } from './store.ts'

export const ReceiptRouteErrorCode = {
  NO_CHAIN: 'ERR_RECEIPT_NO_CHAIN',
  BAD_EPOCH: 'ERR_REWARDS_BAD_EPOCH'
} as const

export interface ReceiptRouteDeps {
  peerId: string
  /** The store, or undefined when the node keeps no receipts (no chain). */
  store: () => ReceiptStore | undefined
  /** The reward epoch now open (the Rewards contract's next epoch); `fresh` skips any cache. */
  epoch: (fresh?: boolean) => Promise<number>
  capBytes: bigint
  log: Logger
}

function parseEpoch (text: string): number {
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new P2pdvError(ReceiptRouteErrorCode.BAD_EPOCH, 'the epoch is a whole number', { hint: 'e.g. /api/v1/receipts/0' })
  return Number(text)
}

export function receiptRoutes (deps: ReceiptRouteDeps) {
  return (app: FastifyInstance): void => {
    const store = (): ReceiptStore => {
      const s = deps.store()
      if (s === undefined) throw new P2pdvError(ReceiptRouteErrorCode.NO_CHAIN, 'this node keeps no serving receipts: it has no chain to read the reward epoch from')
      return s
    }
    if (!app.hasContentTypeParser(DAG_CBOR_CONTENT_TYPE)) {
      app.addContentTypeParser(DAG_CBOR_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_RECEIPT_BYTES }, (_req, body, done) => { done(null, body) })
    }
    app.get('/api/v1/receipts', async (_req, reply) => {
      store()
      return await reply.header('cache-control', 'no-cache').send({ node: deps.peerId, epoch: await deps.epoch(), capBytes: deps.capBytes.toString(), maxReceiptBytes: MAX_RECEIPT_BYTES })
    })
    app.post<{ Body: Buffer }>('/api/v1/receipts', { bodyLimit: MAX_RECEIPT_BYTES }, async (req, reply) => {
      const s = store()
      try {
        if (!Buffer.isBuffer(req.body)) throw new P2pdvError(ServingReceiptErrorCode.MALFORMED, `send the receipt as ${DAG_CBOR_CONTENT_TYPE}`)
        const bytes = new Uint8Array(req.body)
        const r = decodeServingReceipt(bytes)
        if (r.node !== deps.peerId) throw new P2pdvError(ServingReceiptErrorCode.WRONG_NODE, `the receipt is for ${r.node.slice(0, 60)}; this node is ${deps.peerId}`)
        // Epochs move on when the settler posts: a receipt for the next one asks the chain again.
        let epoch = await deps.epoch()
        if (r.epoch !== epoch) epoch = await deps.epoch(true)
        if (r.epoch !== epoch) throw new P2pdvError(ServingReceiptErrorCode.WRONG_EPOCH, `the receipt is for epoch ${r.epoch}; epoch ${epoch} is open`, { details: { epoch } })
        await verifyServingReceipt(r)
        s.add(r, bytes)
        return await reply.code(201).send({ accepted: true, epoch, seq: r.seq })
      } catch (err) {
        if (err instanceof P2pdvError) deps.log.debug({ code: err.code, reason: err.message.slice(0, 200) }, 'serving receipt refused')
        throw err
      }
    })
    app.get<{ Params: { epoch: string }, Querystring: { after?: string } }>('/api/v1/receipts/:epoch', async (req, reply) => {
      const epoch = parseEpoch(req.params.epoch)
      const after = req.query.after === undefined ? 0 : parseEpoch(req.query.after)
      const page = store().list(epoch, after)
      return await reply.header('cache-control', 'no-cache').send({
        node: deps.peerId, epoch, receipts: page.receipts.map(b => Buffer.from(b).toString('base64')), ...(page.next === undefined ? {} : { next: page.next })
      })
    })
  }
}

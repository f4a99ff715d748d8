// The serving-receipt routes on a Fastify instance with a real receipts.sqlite: a viewer's
// receipts are kept and listed for the settler; everything a hostile viewer would send is refused
// by code (forged, replayed, another node's, another epoch's, overflowed, oversized, over the cap).
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import Fastify, { type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { decodeServingReceipt, encodeServingReceipt, MAX_RECEIPT_BYTES, signServingReceipt, type ServingReceiptBody } from '@p2pdv/core/receipts'
import { parseReceiptPage } from '@p2pdv/node-client'
import { ReceiptStore } from '../src/receipts/store.ts'
import { receiptRoutes } from '../src/receipts/routes.ts'
import { DAG_CBOR_CONTENT_TYPE } from '../src/block-routes.ts'

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const OTHER_PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const viewer = privateKeyToAccount(generatePrivateKey())
const hexBytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))
const CAP = 3000n

async function receipt (over: Partial<ServingReceiptBody> = {}, account: PrivateKeyAccount = viewer): Promise<Uint8Array> {
  const body: ServingReceiptBody = { v: 1, type: 'serve-receipt', viewer: hexBytes(account.address), node: PEER, epoch: 5, session: new Uint8Array(16).fill(1), seq: 0, bytes: 1000, issuedAt: Date.now(), ...over }
  return encodeServingReceipt(await signServingReceipt(body, async d => await account.signMessage({ message: { raw: d } })))
}

describe('serving-receipt routes', () => {
  let dir: string
  let store: ReceiptStore
  let app: FastifyInstance
  let epoch = 5

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-receipts-'))
    store = new ReceiptStore(join(dir, 'receipts.sqlite'), CAP)
    app = Fastify()
    app.setErrorHandler(async (err, _req, reply) => {
      if (err instanceof P2pdvError) return await reply.code(httpStatusOf(err.code)).send(err.toJSON())
      const status = (err as { statusCode?: number }).statusCode ?? 500
      return await reply.code(status).send({ code: status === 413 ? 'ERR_BODY_TOO_LARGE' : 'ERR_INTERNAL' })
    })
    receiptRoutes({ peerId: PEER, store: () => store, epoch: async () => epoch, capBytes: CAP, log: pino({ level: 'silent' }) })(app)
  })
  after(async () => {
    await app?.close()
    store?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const post = async (body: Uint8Array) => await app.inject({ method: 'POST', url: '/api/v1/receipts', headers: { 'content-type': DAG_CBOR_CONTENT_TYPE }, payload: Buffer.from(body) })
  const codeOf = (r: { json: () => unknown }): string => (r.json() as { code: string }).code

  it('tells the viewer what to sign for, keeps a valid receipt and lists it for the settler', async () => {
    const terms = await app.inject({ method: 'GET', url: '/api/v1/receipts' })
    assert.deepEqual(terms.json(), { node: PEER, epoch: 5, capBytes: '3000', maxReceiptBytes: MAX_RECEIPT_BYTES })
    const r = await receipt()
    const ok = await post(r)
    assert.equal(ok.statusCode, 201, ok.body)
    const page = parseReceiptPage((await app.inject({ method: 'GET', url: '/api/v1/receipts/5' })).json(), 5, PEER)
    assert.deepEqual(page.receipts.map(b => Buffer.from(b)), [Buffer.from(r)])
    assert.equal(decodeServingReceipt(page.receipts[0]!).bytes, 1000)
    assert.deepEqual(parseReceiptPage((await app.inject({ method: 'GET', url: '/api/v1/receipts/4' })).json(), 4).receipts, [])
  })

  it('refuses what a hostile viewer sends, each with its code, and keeps none of it', async () => {
    const good = decodeServingReceipt(await receipt({ seq: 1 }))
    const cases: Array<[string, Uint8Array, string, number]> = [
      ['replayed', await receipt(), 'ERR_RECEIPT_DUPLICATE', 409],
      ['forged (bytes raised after signing)', encodeServingReceipt({ ...good, bytes: 2000 }), 'ERR_RECEIPT_BAD_SIGNATURE', 400],
      ['signed by another account for this viewer', encodeServingReceipt({ ...decodeServingReceipt(await receipt({ seq: 2 }, privateKeyToAccount(generatePrivateKey()))), viewer: good.viewer }), 'ERR_RECEIPT_BAD_SIGNATURE', 400],
      ['for another node', await receipt({ seq: 3, node: OTHER_PEER }), 'ERR_RECEIPT_WRONG_NODE', 400],
      ['for an old epoch', await receipt({ seq: 4, epoch: 4 }), 'ERR_RECEIPT_WRONG_EPOCH', 409],
      ['overflowed bytes', dagCbor.encode({ ...good, bytes: 2n ** 63n, sig: good.sig }), 'ERR_RECEIPT_IMPOSSIBLE_VOLUME', 400],
      ['not DAG-CBOR', new Uint8Array([0xff, 1, 2]), 'ERR_RECEIPT_MALFORMED', 400],
      ['oversized body', new Uint8Array(MAX_RECEIPT_BYTES + 1), 'ERR_BODY_TOO_LARGE', 413]
    ]
    for (const [what, body, code, status] of cases) {
      const r = await post(body)
      assert.equal(r.statusCode, status, what)
      assert.equal(codeOf(r), code, what)
    }
    assert.equal(parseReceiptPage((await app.inject({ method: 'GET', url: '/api/v1/receipts/5' })).json(), 5).receipts.length, 1, 'only the first receipt is kept')
    assert.equal(codeOf(await app.inject({ method: 'GET', url: '/api/v1/receipts/-1' })), 'ERR_REWARDS_BAD_EPOCH')
  })

  it('stops a viewer at its cap for this node and epoch; the next epoch starts afresh', async () => {
    assert.equal((await post(await receipt({ seq: 10, bytes: 2500 }))).statusCode, 201, 'under the cap before it (1000 kept so far)')
    const over = await post(await receipt({ seq: 11, bytes: 10 }))
    assert.equal(codeOf(over), 'ERR_RECEIPT_OVER_CAP')
    epoch = 6
    assert.equal((await post(await receipt({ seq: 0, epoch: 6, bytes: 10 }))).statusCode, 201)
    assert.equal(codeOf(await post(await receipt({ seq: 12, epoch: 5 }))), 'ERR_RECEIPT_WRONG_EPOCH', 'once the epoch moved on, the old one is closed')
  })
})

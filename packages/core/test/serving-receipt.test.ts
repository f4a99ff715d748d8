import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import {
  decodeServingReceipt, DEFAULT_RECEIPT_CAP_BYTES, encodeServingReceipt, MAX_RECEIPT_BYTES, MAX_RECEIPT_VOLUME, receiptKey, receiptViewer,
  ServingReceiptErrorCode, signServingReceipt, tallyReceipts, verifyServingReceipt, type ServingReceiptBody
} from '@p2pdv/core/receipts'
import { P2pdvError } from '@p2pdv/core/errors'

const viewer = privateKeyToAccount(generatePrivateKey())
const other = privateKeyToAccount(generatePrivateKey())
const NODE_A = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const NODE_B = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const hexBytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))
const session = new Uint8Array(16).fill(7)

function body (over: Partial<ServingReceiptBody> = {}, account = viewer): ServingReceiptBody {
  return { v: 1, type: 'serve-receipt', viewer: hexBytes(account.address), node: NODE_A, epoch: 3, session, seq: 0, bytes: 1_000_000, issuedAt: 1_700_000_000_000, ...over }
}

async function receipt (over: Partial<ServingReceiptBody> = {}, account: PrivateKeyAccount = viewer): Promise<Uint8Array> {
  return encodeServingReceipt(await signServingReceipt(body(over, account), async digest => await account.signMessage({ message: { raw: digest } })))
}

const codeIs = (code: string) => (err: unknown): boolean => err instanceof P2pdvError && err.code === code

describe('serving receipts: the format', () => {
  it('round-trips and verifies the viewer\'s signature', async () => {
    const bytes = await receipt()
    assert.ok(bytes.byteLength < MAX_RECEIPT_BYTES)
    const r = decodeServingReceipt(bytes)
    await verifyServingReceipt(r)
    assert.equal(receiptViewer(r), viewer.address.toLowerCase())
    assert.equal(r.bytes, 1_000_000)
    assert.equal(receiptKey(r), `${viewer.address.toLowerCase()}/${NODE_A}/3/0x${'07'.repeat(16)}/0`)
  })

  it('refuses a forged signature: signed by someone else, or the bytes raised after signing', async () => {
    const forged = await signServingReceipt(body(), async digest => await other.signMessage({ message: { raw: digest } }))
    await assert.rejects(verifyServingReceipt(decodeServingReceipt(encodeServingReceipt(forged))), codeIs(ServingReceiptErrorCode.BAD_SIGNATURE))
    const r = decodeServingReceipt(await receipt())
    const raised = decodeServingReceipt(encodeServingReceipt({ ...r, bytes: r.bytes * 2 }))
    await assert.rejects(verifyServingReceipt(raised), codeIs(ServingReceiptErrorCode.BAD_SIGNATURE))
  })

  it('refuses impossible volumes, oversized bodies, unknown fields and non-canonical encodings', async () => {
    for (const bytes of [0, -1, MAX_RECEIPT_VOLUME + 1, 1.5]) {
      await assert.rejects(receipt({ bytes }), codeIs(ServingReceiptErrorCode.IMPOSSIBLE_VOLUME), String(bytes))
    }
    const overflowed = dagCbor.encode({ ...body(), bytes: 2n ** 64n - 1n, sig: new Uint8Array(65) })
    assert.throws(() => decodeServingReceipt(overflowed), codeIs(ServingReceiptErrorCode.IMPOSSIBLE_VOLUME))
    assert.throws(() => decodeServingReceipt(new Uint8Array(MAX_RECEIPT_BYTES + 1)), codeIs(ServingReceiptErrorCode.TOO_LARGE))
    assert.throws(() => decodeServingReceipt(dagCbor.encode({ ...body(), extra: 1, sig: new Uint8Array(65) })), codeIs(ServingReceiptErrorCode.MALFORMED))
    assert.throws(() => decodeServingReceipt(dagCbor.encode({ ...body(), v: 2, sig: new Uint8Array(65) })), codeIs(ServingReceiptErrorCode.UNSUPPORTED))
    assert.throws(() => decodeServingReceipt(dagCbor.encode({ ...body(), session: new Uint8Array(3), sig: new Uint8Array(65) })), codeIs(ServingReceiptErrorCode.MALFORMED))
    assert.throws(() => decodeServingReceipt(dagCbor.encode({ ...body(), node: 'not/a peer', sig: new Uint8Array(65) })), codeIs(ServingReceiptErrorCode.MALFORMED))
    assert.throws(() => decodeServingReceipt(new Uint8Array([0xff, 0x00])), codeIs(ServingReceiptErrorCode.MALFORMED))
    const good = await receipt()
    const padded = new Uint8Array([...good, 0x00])
    assert.throws(() => decodeServingReceipt(padded), (err: unknown) => err instanceof P2pdvError)
  })
})

describe('serving receipts: the settler\'s tally', () => {
  it('counts each receipt once, refuses replays, wrong node, wrong epoch and forged ones, each with a code', async () => {
    const r0 = await receipt({ seq: 0, bytes: 100 })
    const r1 = await receipt({ seq: 1, bytes: 200 })
    const forged = encodeServingReceipt({ ...decodeServingReceipt(await receipt({ seq: 2, bytes: 10 })), bytes: 10_000 })
    const forB = await receipt({ seq: 3, node: NODE_B, bytes: 50 })
    const oldEpoch = await receipt({ seq: 4, epoch: 2, bytes: 70 })
    const otherSession = await receipt({ seq: 0, session: new Uint8Array(16).fill(9), bytes: 5 })
    const tally = await tallyReceipts([
      { peer: NODE_A, receipts: [r0, r1, r0, forged, forB, oldEpoch, otherSession, new Uint8Array([1, 2, 3])] },
      { peer: NODE_B, receipts: [forB, r1] }
    ], { epoch: 3 })
    assert.equal(tally.served.get(NODE_A), 305n, 'r0 + r1 + the second session, the replay once')
    assert.equal(tally.served.get(NODE_B), 50n)
    assert.equal(tally.counted, 4)
    assert.deepEqual(tally.refusals.map(r => [r.peer === NODE_A ? 'A' : 'B', r.index, r.code]), [
      ['A', 2, ServingReceiptErrorCode.DUPLICATE],
      ['A', 3, ServingReceiptErrorCode.BAD_SIGNATURE],
      ['A', 4, ServingReceiptErrorCode.WRONG_NODE],
      ['A', 5, ServingReceiptErrorCode.WRONG_EPOCH],
      ['A', 7, ServingReceiptErrorCode.MALFORMED],
      ['B', 1, ServingReceiptErrorCode.WRONG_NODE]
    ])
  })

  it('caps what one viewer gives one node per epoch; other viewers and other nodes are unaffected', async () => {
    const cap = 1000n
    const a = [await receipt({ seq: 0, bytes: 600 }), await receipt({ seq: 1, bytes: 600 }), await receipt({ seq: 2, bytes: 600 })]
    const b = [await receipt({ seq: 0, bytes: 900 }, other)]
    const toB = [await receipt({ seq: 5, node: NODE_B, bytes: 900 })]
    const tally = await tallyReceipts([{ peer: NODE_A, receipts: [...a, ...b] }, { peer: NODE_B, receipts: toB }], { epoch: 3, capBytes: cap })
    assert.equal(tally.served.get(NODE_A), 1000n + 900n, 'the first viewer is capped at 1000, the second gives its 900')
    assert.equal(tally.served.get(NODE_B), 900n, 'the cap is per node')
    assert.deepEqual(tally.refusals.map(r => [r.index, r.code]), [[1, ServingReceiptErrorCode.OVER_CAP], [2, ServingReceiptErrorCode.OVER_CAP]])
    assert.match(tally.refusals[0]!.reason, /counted 400 of 600/)
    assert.equal(DEFAULT_RECEIPT_CAP_BYTES, 64n * 1024n ** 3n)
  })
})

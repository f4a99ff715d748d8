// The viewer's receipt reporter against stand-in nodes: a receipt per full batch and one at the
// end, numbered per node; a moved epoch is asked again once; a refusal drops the batch.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { P2pdvError } from '@p2pdv/core/errors'
import { decodeServingReceipt, tallyReceipts, verifyServingReceipt, type ServingReceipt } from '@p2pdv/core/receipts'
import { ServedBytesReporter, type NodeClient } from '@p2pdv/node-client'

const viewer = privateKeyToAccount(generatePrivateKey())
const A = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const B = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

/** A node that keeps what it is sent; `epoch` is what it says is open. */
function standIn (peer: string, state: { epoch: number, refuse?: string }) {
  const kept: Uint8Array[] = []
  const client = {
    receiptTerms: async () => ({ node: peer, epoch: state.epoch, capBytes: 1n << 40n }),
    submitReceipt: async (bytes: Uint8Array) => {
      const r = decodeServingReceipt(bytes)
      if (state.refuse !== undefined) throw new P2pdvError(state.refuse, 'refused')
      if (r.epoch !== state.epoch) throw new P2pdvError('ERR_RECEIPT_WRONG_EPOCH', 'moved on')
      kept.push(bytes)
    }
  } as unknown as NodeClient
  return { client, kept }
}

describe('ServedBytesReporter', () => {
  it('sends a signed receipt per full batch and the rest at flush, numbered per node; the settler counts exactly the bytes received', async () => {
    const a = standIn(A, { epoch: 2 })
    const b = standIn(B, { epoch: 2 })
    const reporter = new ServedBytesReporter({
      viewer: Uint8Array.from(Buffer.from(viewer.address.slice(2), 'hex')),
      sign: async (d: Uint8Array): Promise<Hex> => await viewer.signMessage({ message: { raw: d } }),
      node: id => id === A ? a.client : id === B ? b.client : undefined,
      batchBytes: 1000
    })
    for (let i = 0; i < 5; i++) reporter.count(A, 300)
    reporter.count(B, 10)
    reporter.count('12D3KooWUnknown', 5000)
    const report = await reporter.flush()
    const byPeer = new Map(report.map(r => [r.peerId, r]))
    assert.equal(byPeer.get(A)!.bytes, 1500)
    assert.equal(byPeer.get(A)!.pending, 0)
    assert.equal(byPeer.get(B)!.receipts, 1)
    assert.equal(byPeer.get('12D3KooWUnknown')!.receipts, 0, 'no client for that node: nothing sent')
    const receipts: ServingReceipt[] = a.kept.map(decodeServingReceipt)
    assert.ok(receipts.length >= 2, 'a batch during the session and the rest at the end')
    assert.deepEqual(receipts.map(r => r.seq), receipts.map((_, i) => i))
    for (const r of receipts) await verifyServingReceipt(r)
    const tally = await tallyReceipts([{ peer: A, receipts: a.kept }, { peer: B, receipts: b.kept }], { epoch: 2 })
    assert.equal(tally.served.get(A), 1500n)
    assert.equal(tally.served.get(B), 10n)
  })

  it('signs again for the new epoch once when the node says the epoch moved on; a refusal drops the batch', async () => {
    const state = { epoch: 1 }
    const a = standIn(A, state)
    const refused: string[] = []
    const reporter = new ServedBytesReporter({
      viewer: Uint8Array.from(Buffer.from(viewer.address.slice(2), 'hex')),
      sign: async (d: Uint8Array): Promise<Hex> => await viewer.signMessage({ message: { raw: d } }),
      node: () => a.client,
      batchBytes: 100,
      onRefused: e => { refused.push(e.code) }
    })
    reporter.count(A, 100)
    await reporter.flush()
    state.epoch = 2
    reporter.count(A, 100)
    await reporter.flush()
    assert.deepEqual(a.kept.map(decodeServingReceipt).map(r => r.epoch), [1, 2])
    const b = standIn(B, { epoch: 1, refuse: 'ERR_RECEIPT_OVER_CAP' })
    const capped = new ServedBytesReporter({ viewer: new Uint8Array(20), sign: async () => `0x${'00'.repeat(65)}`, node: () => b.client, onRefused: e => { refused.push(e.code) } })
    capped.count(B, 50)
    const [r] = await capped.flush()
    assert.equal(r!.pending, 0, 'a refused batch is not sent again')
    assert.deepEqual(refused, ['ERR_RECEIPT_OVER_CAP'])
  })

  it('sends a receipt whose answer was lost again as it is, so it counts once (DUPLICATE means it had arrived)', async () => {
    const kept = new Map<string, Uint8Array>()
    let loseAnswers = 1
    let calls = 0
    const client = {
      receiptTerms: async () => ({ node: A, epoch: 4, capBytes: 1n << 40n }),
      submitReceipt: async (bytes: Uint8Array) => {
        calls++
        const r = decodeServingReceipt(bytes)
        const key = `${r.seq}`
        if (kept.has(key)) throw new P2pdvError('ERR_RECEIPT_DUPLICATE', 'already received')
        kept.set(key, bytes)
        // Stored, but the answer never reaches the viewer.
        if (loseAnswers-- > 0) throw new P2pdvError('ERR_NODE_UNREACHABLE', 'connection reset')
      }
    } as unknown as NodeClient
    const reporter = new ServedBytesReporter({
      viewer: Uint8Array.from(Buffer.from(viewer.address.slice(2), 'hex')),
      sign: async (d: Uint8Array): Promise<Hex> => await viewer.signMessage({ message: { raw: d } }),
      node: () => client,
      batchBytes: 1000
    })
    reporter.count(A, 1000)
    await new Promise(resolve => setTimeout(resolve, 50))
    reporter.count(A, 400)
    const [report] = await reporter.flush()
    // The first receipt went twice (the second answered DUPLICATE), then the rest in a new one.
    assert.equal(calls, 3)
    assert.deepEqual([...kept.keys()], ['0', '1'])
    assert.deepEqual([report!.bytes, report!.receipts, report!.pending], [1400, 2, 0])
    const tally = await tallyReceipts([{ peer: A, receipts: [...kept.values()] }], { epoch: 4 })
    assert.equal(tally.served.get(A), 1400n, 'the viewer received 1,400 bytes and no more are counted')
  })
})

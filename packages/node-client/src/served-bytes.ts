/**
 * The viewer's side of serving receipts: counts the verified bytes each node served this viewer
 * and hands each node a receipt signed by the viewer's account, every `batchBytes` (16 MiB by
 * default) and at `flush()` (the end of a `get` or `watch`). One reporter is one session: a
 * random 16-byte session id, and receipts numbered 0, 1, 2… per node, so each counts once.
 *
 * The epoch a receipt names is the one the node says is open (GET /api/v1/receipts): a node that
 * lies about it only loses its own receipts. A refusal (wrong epoch after one retry, duplicate,
 * over the cap) drops that batch. A receipt whose answer never came (unreachable, timed out) is
 * kept as signed and sent again as it is, same sequence number, before any new one: if it had
 * arrived, the node answers DUPLICATE and it counts as taken, so a lost answer never counts twice.
 * Receipts never block playback: `count` does no I/O of its own beyond starting a send.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { encodeServingReceipt, RECEIPT_SESSION_BYTES, ServingReceiptErrorCode, signServingReceipt, MAX_RECEIPT_VOLUME } from '@p2pdv/core/receipts'
import { NodeClientErrorCode } from './errors.ts'
import type { NodeClient } from './node-client.ts'

/** A viewer sends a receipt to a node every this many bytes it received from it. */
export const DEFAULT_RECEIPT_BATCH_BYTES = 16 * 1024 * 1024
const SEND_TIMEOUT_MS = 10_000

export interface ServedBytesReporterOptions {
  /** The viewer's 20-byte Ethereum address. */
  viewer: Uint8Array
  /** Signs 32 bytes as an EIP-191 personal message with the viewer's account (viem `signMessage({ message: { raw } })`). */
  sign: (digest: Uint8Array) => Promise<`0x${string}`>
  /** The NodeClient of a node by peer id (bound to that peer id), or undefined when unknown. */
  node: (peerId: string) => NodeClient | undefined
  batchBytes?: number
  now?: () => number
  /** Called for each receipt a node refused or could not take (for notes and logs). */
  onRefused?: (event: { peerId: string, code: string, message: string }) => void
}

/** What one node got from this session. */
export interface ServedReport { peerId: string, receipts: number, bytes: number, pending: number, refused: string[] }

interface NodeState {
  pending: number
  seq: number
  sent: number
  receipts: number
  refused: string[]
  epoch: number | undefined
  sending: Promise<void> | undefined
  /** A signed receipt whose answer never came, and the bytes it covers: sent again first. */
  unanswered: { receipt: Uint8Array, bytes: number } | undefined
}

export class ServedBytesReporter {
  private readonly options: ServedBytesReporterOptions
  private readonly session: Uint8Array
  private readonly batch: number
  private readonly nodes = new Map<string, NodeState>()

  constructor (options: ServedBytesReporterOptions) {
    this.options = options
    this.batch = Math.min(options.batchBytes ?? DEFAULT_RECEIPT_BATCH_BYTES, MAX_RECEIPT_VOLUME)
    this.session = crypto.getRandomValues(new Uint8Array(RECEIPT_SESSION_BYTES))
  }

  /** Counts `bytes` received (and verified) from node `peerId`; sends a receipt once a batch is full. */
  count (peerId: string, bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) return
    let s = this.nodes.get(peerId)
    if (s === undefined) {
      s = { pending: 0, seq: 0, sent: 0, receipts: 0, refused: [], epoch: undefined, sending: undefined, unanswered: undefined }
      this.nodes.set(peerId, s)
    }
    s.pending += bytes
    if (s.pending >= this.batch && s.sending === undefined) this.send(peerId, s)
  }

  /** Sends what every node is still owed and waits for all sends; the per-node report. */
  async flush (): Promise<ServedReport[]> {
    for (const [peerId, s] of this.nodes) {
      await s.sending
      if (s.pending > 0) this.send(peerId, s)
      await s.sending
    }
    return [...this.nodes].map(([peerId, s]) => ({ peerId, receipts: s.receipts, bytes: s.sent, pending: s.pending, refused: [...s.refused] }))
  }

  private send (peerId: string, s: NodeState): void {
    s.sending = this.sendNow(peerId, s).finally(() => { s.sending = undefined })
  }

  private async sendNow (peerId: string, s: NodeState): Promise<void> {
    const client = this.options.node(peerId)
    if (client === undefined) return
    const refused = (code: string, message: string): void => {
      s.refused.push(code)
      this.options.onRefused?.({ peerId, code, message })
    }
    const taken = (bytes: number): void => {
      s.pending -= bytes
      s.sent += bytes
      s.receipts++
    }
    if (s.unanswered !== undefined) {
      const { receipt, bytes } = s.unanswered
      try {
        await client.submitReceipt(receipt, { signal: AbortSignal.timeout(SEND_TIMEOUT_MS) })
        s.unanswered = undefined
        taken(bytes)
      } catch (err) {
        const code = err instanceof P2pdvError ? err.code : NodeClientErrorCode.UNREACHABLE
        if (!code.startsWith('ERR_RECEIPT_')) return // still no answer: the same receipt next time
        s.unanswered = undefined
        // It had arrived (its answer was what got lost).
        if (code === ServingReceiptErrorCode.DUPLICATE) { taken(bytes); return }
        // Another refusal (the epoch moved on): the node does not have it; the bytes go in a new one.
        if (code !== ServingReceiptErrorCode.WRONG_EPOCH) { s.pending -= bytes; refused(code, err instanceof Error ? err.message.slice(0, 300) : String(err)); return }
      }
      if (s.pending <= 0) return
    }
    const bytes = Math.min(s.pending, MAX_RECEIPT_VOLUME)
    const seq = s.seq++
    for (let attempt = 0; attempt < 2; attempt++) {
      let encoded: Uint8Array | undefined
      try {
        const signal = AbortSignal.timeout(SEND_TIMEOUT_MS)
        if (s.epoch === undefined || attempt > 0) s.epoch = (await client.receiptTerms({ signal })).epoch
        const receipt = await signServingReceipt({
          v: 1, type: 'serve-receipt', viewer: this.options.viewer, node: peerId, epoch: s.epoch, session: this.session, seq, bytes, issuedAt: (this.options.now ?? Date.now)()
        }, this.options.sign)
        encoded = encodeServingReceipt(receipt)
        await client.submitReceipt(encoded, { signal })
        taken(bytes)
        return
      } catch (err) {
        const code = err instanceof P2pdvError ? err.code : NodeClientErrorCode.UNREACHABLE
        // The epoch moved on (the settler posted): ask again and sign for the new one, once.
        if (code === ServingReceiptErrorCode.WRONG_EPOCH && attempt === 0) continue
        if (code.startsWith('ERR_RECEIPT_')) s.pending -= bytes
        // Sent but unanswered: it may have arrived, so only this very receipt may go again.
        else if (encoded !== undefined) s.unanswered = { receipt: encoded, bytes }
        refused(code, err instanceof Error ? err.message.slice(0, 300) : String(err))
        return
      }
    }
  }
}

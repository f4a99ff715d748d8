/**
 * What a node answers about serving receipts (GET /api/v1/receipts and GET /api/v1/receipts/{epoch}),
 * checked field by field. Receipts are returned encoded: their signatures are the settler's check.
 */
import { base64Bytes } from './node-info.ts'
import { RewardShapeError } from './rewards.ts'

/** Receipts per page (the node's RECEIPTS_PAGE), base64 of at most 512 bytes each. */
export const MAX_RECEIPTS_PER_PAGE = 2000
export const MAX_RECEIPT_PAGE_BYTES = MAX_RECEIPTS_PER_PAGE * 700 + 4096
const MAX_RECEIPT_CHARS = 700
const MAX_PEER_CHARS = 128

/** What a viewer signs receipts for at this node. */
export interface ReceiptTerms {
  /** The node's peer id (receipts name it). */
  node: string
  /** The reward epoch now open. */
  epoch: number
  /** What one viewer's receipts can give this node per epoch. */
  capBytes: bigint
}

export interface ReceiptPage {
  receipts: Uint8Array[]
  /** Pass as `after` for the next page; absent on the last. */
  next?: number
}

function fail (what: string): never { throw new RewardShapeError(what) }

function obj (v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`)
  return v as Record<string, unknown>
}

function whole (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} is not a whole number`)
  return v
}

export function parseReceiptTerms (body: unknown): ReceiptTerms {
  const b = obj(body, 'the receipt terms')
  if (typeof b.node !== 'string' || b.node.length === 0 || b.node.length > MAX_PEER_CHARS) fail('node is not a peer id')
  if (typeof b.capBytes !== 'string' || !/^\d{1,20}$/.test(b.capBytes)) fail('capBytes is not a decimal amount')
  return { node: b.node, epoch: whole(b.epoch, 'epoch'), capBytes: BigInt(b.capBytes) }
}

/** A page of `epoch`'s receipts from the node `peer`. */
export function parseReceiptPage (body: unknown, epoch: number, peer?: string): ReceiptPage {
  const b = obj(body, 'the receipt page')
  if (whole(b.epoch, 'epoch') !== epoch) fail(`the page is for epoch ${String(b.epoch)}, not ${epoch}`)
  if (peer !== undefined && b.node !== peer) fail('the page is another node\'s')
  if (!Array.isArray(b.receipts) || b.receipts.length > MAX_RECEIPTS_PER_PAGE) fail(`receipts is not a list of at most ${MAX_RECEIPTS_PER_PAGE}`)
  const receipts = b.receipts.map((r, i) => {
    if (typeof r !== 'string' || r.length > MAX_RECEIPT_CHARS || !/^[A-Za-z0-9+/]*={0,2}$/.test(r)) fail(`receipts[${i}] is not base64`)
    return base64Bytes(r)
  })
  return { receipts, ...(b.next === undefined ? {} : { next: whole(b.next, 'next') }) }
}

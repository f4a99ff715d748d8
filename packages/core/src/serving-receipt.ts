/**
 * Serving receipts: a viewer's signed statement that one node served it so many bytes during a
 * reward epoch. Nodes collect the receipts addressed to them; the settler re-verifies every one,
 * counts each once, caps what one viewer can give one node per epoch, and the sum becomes the
 * node's `servedBytes` in the epoch's settlement (@p2pdv/chain settlement.ts).
 *
 *   document = DAG-CBOR { v: 1, type: "serve-receipt", viewer, node, epoch, session, seq,
 *                         bytes, issuedAt, sig }
 *   digest   = SHA-256("p2pdv/serve-receipt/v1" || 0x00 || DAG-CBOR(document without sig))
 *   sig      = EIP-191 personal_sign over the 32 digest bytes by `viewer` (r || s || v, 65 bytes)
 *
 * `bytes` are the bytes received from `node` since the session's previous receipt (not a running
 * total), so receipts add up. A receipt is identified by (viewer, node, epoch, session, seq): the
 * same identity twice is a replay and counts once. `session` is 16 random bytes per viewing
 * session, so two sessions of one viewer never collide; `seq` counts up from 0 within one.
 *
 * The viewer is an Ethereum account, the same identity that buys and watches (EIP-191, as
 * listings and profiles). Accounts are free to make, so a node operator can sign receipts for
 * itself from as many accounts as it likes: the per-viewer, per-node, per-epoch cap
 * (`DEFAULT_RECEIPT_CAP_BYTES`) only makes that cost one account per cap's worth of bytes. The
 * served part of the pool stays a governed share (`settlementWeights`) for that reason; see
 * docs/threat-model.md.
 */
import type { Hex } from 'viem'
import { P2pdvError } from './errors.ts'
import { ADDRESS_BYTES, decodeSigned, domainDigest, encodeSigned, epochMillis, hexOf, isPlainMap, signedBy } from './signed-document.ts'

export const ServingReceiptErrorCode = {
  MALFORMED: 'ERR_RECEIPT_MALFORMED',
  UNSUPPORTED: 'ERR_RECEIPT_UNSUPPORTED',
  TOO_LARGE: 'ERR_RECEIPT_TOO_LARGE',
  BAD_SIGNATURE: 'ERR_RECEIPT_BAD_SIGNATURE',
  WRONG_NODE: 'ERR_RECEIPT_WRONG_NODE',
  WRONG_EPOCH: 'ERR_RECEIPT_WRONG_EPOCH',
  DUPLICATE: 'ERR_RECEIPT_DUPLICATE',
  IMPOSSIBLE_VOLUME: 'ERR_RECEIPT_IMPOSSIBLE_VOLUME',
  OVER_CAP: 'ERR_RECEIPT_OVER_CAP'
} as const

/** An encoded receipt is about 200 bytes; anything past this is not one. */
export const MAX_RECEIPT_BYTES = 512
/** One receipt covers at most 4 GiB (viewers send one every few MiB). More is impossible. */
export const MAX_RECEIPT_VOLUME = 4 * 1024 ** 3
/** What one viewer's receipts can add to one node's served bytes in one epoch (64 GiB). */
export const DEFAULT_RECEIPT_CAP_BYTES = 64n * 1024n ** 3n
/** Peer ids are about 52 characters (Ed25519); this bounds the field. */
export const MAX_RECEIPT_PEER_ID = 128
export const RECEIPT_SESSION_BYTES = 16
/** seq counts receipts of one session. */
export const MAX_RECEIPT_SEQ = 2 ** 32 - 1
const DIGEST_DOMAIN = new TextEncoder().encode('p2pdv/serve-receipt/v1\0')
const FIELDS = new Set(['v', 'type', 'viewer', 'node', 'epoch', 'session', 'seq', 'bytes', 'issuedAt', 'sig'])

/** What the viewer states; `sig` is added by signing. */
export interface ServingReceiptBody {
  v: 1
  type: 'serve-receipt'
  /** The viewer's Ethereum address, 20 bytes. */
  viewer: Uint8Array
  /** The serving node's libp2p peer id (base58btc text). */
  node: string
  /** The reward epoch the bytes were served in (the Rewards contract's next epoch number). */
  epoch: number
  /** Random per viewing session. */
  session: Uint8Array
  /** 0, 1, 2… within the session. */
  seq: number
  /** Bytes received from `node` since the session's previous receipt: 1 to MAX_RECEIPT_VOLUME. */
  bytes: number
  /** Milliseconds since the Unix epoch. */
  issuedAt: number
}

export interface ServingReceipt extends ServingReceiptBody {
  /** EIP-191 signature (r || s || v) by `viewer` over `servingReceiptDigest(body)`. */
  sig: Uint8Array
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(ServingReceiptErrorCode.MALFORMED, `serving receipt is malformed: ${what}`, {
    hint: 'The receipt was written by an incompatible or faulty client; it counts for nothing.'
  })
}

/** Checks every field of a receipt body (and nothing else) strictly. */
export function validateServingReceiptBody (value: unknown): ServingReceiptBody {
  if (!isPlainMap(value)) throw malformed('not a map')
  const m = value
  if (m.v !== 1 || m.type !== 'serve-receipt') {
    throw new P2pdvError(ServingReceiptErrorCode.UNSUPPORTED, `receipt version ${String(m.v).slice(0, 16)} / type ${String(m.type).slice(0, 32)} is not supported`, { hint: 'Upgrade p2pdv.' })
  }
  for (const k of Object.keys(m)) if (!FIELDS.has(k)) throw malformed(`unknown field "${k.slice(0, 32)}"`)
  if (!(m.viewer instanceof Uint8Array) || m.viewer.byteLength !== ADDRESS_BYTES) throw malformed('viewer must be a 20-byte address')
  if (typeof m.node !== 'string' || m.node.length < 1 || m.node.length > MAX_RECEIPT_PEER_ID || !/^[1-9A-HJ-NP-Za-km-z]+$/.test(m.node)) throw malformed(`node must be a base58btc peer id of at most ${MAX_RECEIPT_PEER_ID} characters`)
  if (typeof m.epoch !== 'number' || !Number.isSafeInteger(m.epoch) || m.epoch < 0) throw malformed('epoch must be a whole number from 0')
  if (!(m.session instanceof Uint8Array) || m.session.byteLength !== RECEIPT_SESSION_BYTES) throw malformed(`session must be ${RECEIPT_SESSION_BYTES} bytes`)
  if (typeof m.seq !== 'number' || !Number.isSafeInteger(m.seq) || m.seq < 0 || m.seq > MAX_RECEIPT_SEQ) throw malformed('seq must be a whole number from 0 to 2^32-1')
  if (typeof m.bytes !== 'number' && typeof m.bytes !== 'bigint') throw malformed('bytes must be a whole number')
  if (typeof m.bytes === 'bigint' || !Number.isSafeInteger(m.bytes) || m.bytes < 1 || m.bytes > MAX_RECEIPT_VOLUME) {
    throw new P2pdvError(ServingReceiptErrorCode.IMPOSSIBLE_VOLUME, `a receipt for ${String(m.bytes).slice(0, 30)} bytes: one receipt covers 1 to ${MAX_RECEIPT_VOLUME} bytes`, {
      hint: 'Viewers send a receipt every few MiB; a larger or empty one is refused.'
    })
  }
  const issuedAt = epochMillis(malformed, m.issuedAt, 'issuedAt')
  return { v: 1, type: 'serve-receipt', viewer: m.viewer, node: m.node, epoch: m.epoch, session: m.session, seq: m.seq, bytes: m.bytes, issuedAt }
}

function bodyOf (doc: ServingReceiptBody): ServingReceiptBody {
  const { sig: _sig, ...body } = doc as ServingReceipt
  return validateServingReceiptBody(body)
}

/** The 32 bytes the viewer signs (EIP-191 personal message, raw bytes). */
export function servingReceiptDigest (body: ServingReceiptBody): Uint8Array {
  return domainDigest(DIGEST_DOMAIN, bodyOf(body))
}

/** The viewer's address as 0x-hex (lowercase). */
export function receiptViewer (doc: ServingReceiptBody): Hex {
  return hexOf(doc.viewer)
}

/** What makes a receipt count once: viewer, node, epoch, session and seq. */
export function receiptKey (doc: ServingReceiptBody): string {
  return `${hexOf(doc.viewer)}/${doc.node}/${doc.epoch}/${hexOf(doc.session)}/${doc.seq}`
}

export function encodeServingReceipt (doc: ServingReceipt): Uint8Array {
  return encodeSigned(bodyOf(doc), doc.sig, malformed)
}

/** Decodes and validates a receipt (not its signature: see verifyServingReceipt). */
export function decodeServingReceipt (bytes: Uint8Array): ServingReceipt {
  if (bytes.byteLength > MAX_RECEIPT_BYTES) throw new P2pdvError(ServingReceiptErrorCode.TOO_LARGE, `a receipt of ${bytes.byteLength} bytes exceeds ${MAX_RECEIPT_BYTES}`, { hint: 'Send one receipt per request, as p2pdv writes it.' })
  return decodeSigned(bytes, malformed, validateServingReceiptBody)
}

/** Checks that `viewer` signed this receipt; throws ERR_RECEIPT_BAD_SIGNATURE otherwise. */
export async function verifyServingReceipt (doc: ServingReceipt): Promise<void> {
  if (!await signedBy(servingReceiptDigest(doc), doc.sig, doc.viewer)) {
    throw new P2pdvError(ServingReceiptErrorCode.BAD_SIGNATURE, `the receipt is not signed by ${receiptViewer(doc)}`, {
      hint: 'The receipt was forged or altered; it counts for nothing.'
    })
  }
}

/** Signs a receipt body with `sign` (an account's EIP-191 signMessage over raw bytes). */
export async function signServingReceipt (body: ServingReceiptBody, sign: (digest: Uint8Array) => Promise<Hex>): Promise<ServingReceipt> {
  const hex = await sign(servingReceiptDigest(body))
  const sig = Uint8Array.from(hex.slice(2).match(/../g) ?? [], x => Number.parseInt(x, 16))
  const doc = { ...bodyOf(body), sig }
  encodeServingReceipt(doc)
  return doc
}

/** A receipt that did not count (fully or, for OVER_CAP, partly), with the node it was for. */
export interface ReceiptRefusal {
  /** The node whose receipts it was among (peer id). */
  peer: string
  /** Its position among that node's receipts. */
  index: number
  code: string
  reason: string
}

export interface ReceiptTally {
  /** Served bytes per node (peer id), after de-duplication and the per-viewer cap. */
  served: Map<string, bigint>
  /** Receipts that counted (in full or in part). */
  counted: number
  refusals: ReceiptRefusal[]
}

export interface TallyOptions {
  epoch: number
  /** Per viewer, per node, per epoch (default DEFAULT_RECEIPT_CAP_BYTES). */
  capBytes?: bigint
}

function codeOf (err: unknown): string {
  return err instanceof P2pdvError ? err.code : ServingReceiptErrorCode.MALFORMED
}

/**
 * Counts an epoch's receipts, node by node: each is decoded and its signature verified; a receipt
 * for another node or epoch, a replay of one already counted, or bytes past the viewer's cap for
 * that node are refused (a partly capped one is counted up to the cap and listed). Deterministic
 * for the same input (the order of each node's receipts matters only for which one is listed as
 * the duplicate or capped), so `p2pdv rewards verify` recomputes the same totals.
 */
export async function tallyReceipts (byNode: ReadonlyArray<{ peer: string, receipts: readonly Uint8Array[] }>, options: TallyOptions): Promise<ReceiptTally> {
  const cap = options.capBytes ?? DEFAULT_RECEIPT_CAP_BYTES
  const served = new Map<string, bigint>()
  const refusals: ReceiptRefusal[] = []
  const seen = new Set<string>()
  const given = new Map<string, bigint>()
  let counted = 0
  for (const { peer, receipts } of byNode) {
    let total = served.get(peer) ?? 0n
    for (const [index, bytes] of receipts.entries()) {
      const refuse = (code: string, reason: string): void => { refusals.push({ peer, index, code, reason }) }
      let r: ServingReceipt
      try {
        r = decodeServingReceipt(bytes)
        await verifyServingReceipt(r)
      } catch (err) {
        refuse(codeOf(err), err instanceof Error ? err.message.slice(0, 200) : 'unreadable')
        continue
      }
      if (r.node !== peer) { refuse(ServingReceiptErrorCode.WRONG_NODE, `the receipt is for ${r.node.slice(0, 60)}, not ${peer.slice(0, 60)}`); continue }
      if (r.epoch !== options.epoch) { refuse(ServingReceiptErrorCode.WRONG_EPOCH, `the receipt is for epoch ${r.epoch}, not ${options.epoch}`); continue }
      const key = receiptKey(r)
      if (seen.has(key)) { refuse(ServingReceiptErrorCode.DUPLICATE, `receipt ${r.seq} of session ${hexOf(r.session)} from ${receiptViewer(r)} is counted once`); continue }
      seen.add(key)
      const pair = `${receiptViewer(r)}/${peer}`
      const before = given.get(pair) ?? 0n
      const add = BigInt(r.bytes) + before > cap ? cap - before : BigInt(r.bytes)
      if (add <= 0n) { refuse(ServingReceiptErrorCode.OVER_CAP, `${receiptViewer(r)} already gave this node its cap of ${cap} bytes this epoch`); continue }
      if (add < BigInt(r.bytes)) refuse(ServingReceiptErrorCode.OVER_CAP, `counted ${add} of ${r.bytes} bytes: ${receiptViewer(r)} reached its cap of ${cap} bytes for this node`)
      given.set(pair, before + add)
      total += add
      counted++
    }
    served.set(peer, total)
  }
  return { served, counted, refusals }
}


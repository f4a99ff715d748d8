import type { ErrorTable } from './spec.ts'

/** Serving receipts: viewers' signed statements of bytes a node served them (core serving-receipt.ts). */
export const RECEIPT_ERRORS = {
  ERR_RECEIPT_MALFORMED: { status: 400, hint: 'Send a receipt as p2pdv encodes it (docs/protocol.md, serving receipts); a malformed one counts for nothing.' },
  ERR_RECEIPT_UNSUPPORTED: { status: 400, hint: 'The receipt version is not known here: upgrade p2pdv on both sides.' },
  ERR_RECEIPT_TOO_LARGE: { status: 413, hint: 'A receipt is at most 512 bytes; send one receipt per request.' },
  ERR_RECEIPT_BAD_SIGNATURE: { status: 400, hint: 'The receipt is not signed by the viewer it names (forged or altered); it counts for nothing.' },
  ERR_RECEIPT_WRONG_NODE: { status: 400, hint: 'A receipt names the node that served the bytes: send it to that node.' },
  ERR_RECEIPT_WRONG_EPOCH: { status: 409, hint: 'Receipts count only in the reward epoch now open: ask the node for it (GET /api/v1/receipts) and sign again.' },
  ERR_RECEIPT_DUPLICATE: { status: 409, hint: 'This receipt (viewer, session, seq) was already counted; each counts once. Number new receipts with the next seq.' },
  ERR_RECEIPT_IMPOSSIBLE_VOLUME: { status: 400, hint: 'One receipt covers 1 byte to 4 GiB; split larger volumes into several receipts.' },
  ERR_RECEIPT_OVER_CAP: { status: 429, hint: 'This viewer already gave this node the most served bytes one viewer can give one node in an epoch; the rest does not count.' },
  ERR_RECEIPT_STORE_FULL: { status: 503, hint: 'The node keeps a bounded number of receipts per epoch and is full; the receipt was not kept. Try again next epoch.' },
  ERR_RECEIPT_NO_CHAIN: { status: 503, hint: 'The node reads the reward epoch from the chain and has none configured; start it with --chain FILE.' },
  ERR_RECEIPT_UNREACHABLE: { status: 502, hint: 'The settler could not read a node\'s receipts (down or answering garbage); that node\'s served bytes count as 0 this epoch.' }
} as const satisfies ErrorTable

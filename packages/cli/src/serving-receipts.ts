/**
 * Serving receipts from the CLI's fetch path (`get --as NAME`, `watch`): the viewer's wallet (for
 * `watch`, alice on the devnet) signs a receipt per node for the bytes it served, every 16 MiB and at the
 * end (node-client ServedBytesReporter). No wallet (no devnet, no --as, or --anonymous) or
 * `--no-receipts`: nothing is counted or sent. Receipts tell the node and the settler that this
 * account fetched so many bytes in the epoch (not which video).
 */
import { isP2pdvError } from '@p2pdv/core/errors'
import { NodeClient, ServedBytesReporter, type ServedReport } from '@p2pdv/node-client'
import type { PeerSet } from '@p2pdv/sdk'
import type { LocalAccount } from 'viem'
import type { ParsedArgs } from './command.ts'
import type { Output } from './output.ts'
import { resolveChainConfig, openContext } from './chain/context.ts'

export { RECEIPT_OPTIONS } from './receipt-options.ts'

export interface ReceiptSession {
  /** Pass as the Client's `onBlockFetched`. */
  onBlockFetched: (event: { peerId: string, bytes: number }) => void
  /** Binds the reporter to the client's nodes (call once the client exists). */
  attach: (peers: PeerSet) => void
  /** Sends what is still owed; the per-node report. */
  finish: () => Promise<ServedReport[]>
}

/** A receipt session for this command, or undefined when the viewer has no wallet or opted out. */
export async function receiptSession (args: ParsedArgs, out: Output): Promise<ReceiptSession | undefined> {
  if (args.values['no-receipts'] === true || args.values.anonymous === true) return undefined
  let identity
  try {
    const resolved = await resolveChainConfig(args, false)
    if (resolved === undefined) return undefined
    identity = (await openContext(args, resolved, 'optional')).identity
  } catch (err) {
    if (isP2pdvError(err, 'ERR_NO_CHAIN')) return undefined
    if (isP2pdvError(err)) { out.note(`no serving receipts this time (${err.code}): ${err.message}`); return undefined }
    throw err
  }
  if (identity === undefined) return undefined
  const account = identity.account
  identity.forget()
  return receiptSessionFor(account, out)
}

/** A receipt session signed by `account` (a wallet already open, e.g. the one `watch` asked keepers with). */
export function receiptSessionFor (account: LocalAccount, out: Output): ReceiptSession {
  let peers: PeerSet | undefined
  const reporter = new ServedBytesReporter({
    viewer: Uint8Array.from(Buffer.from(account.address.slice(2), 'hex')),
    sign: async digest => await account.signMessage({ message: { raw: digest } }),
    node: peerId => {
      const p = peers?.get(peerId)
      return p === undefined ? undefined : new NodeClient(p.http, { peerId })
    },
    onRefused: e => { out.note(`serving receipt for ${e.peerId.slice(-8)} not taken [${e.code}]`) }
  })
  return {
    onBlockFetched: e => { reporter.count(e.peerId, e.bytes) },
    attach: p => { peers = p },
    finish: async () => await reporter.flush()
  }
}

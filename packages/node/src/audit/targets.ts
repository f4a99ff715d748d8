/**
 * Blocks handed to an auditor (`POST /api/v1/audit/targets`): CID, size, audit root and holders,
 * each holder optionally with the signed store receipt it gave the uploader. A valid receipt makes
 * the holder *committed* at once (its failures count from the first audit); without one, the
 * holder commits by passing an audit, and a holder that never had the block is dropped unharmed.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { parseCid } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { AUDIT_LEAF_BYTES, isAuditLeafBytes } from '@p2pdv/core/audit'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { receiptPayload } from '@p2pdv/core/wire'
import type { StoredTarget, TargetHolderInput } from './store.ts'

export const MAX_TARGETS_PER_REQUEST = 1000
export const MAX_HOLDERS_PER_TARGET = 128
/** Body limit of the targets endpoint. */
export const MAX_TARGETS_BODY_BYTES = 1024 * 1024

export const TargetErrorCode = {
  MALFORMED: 'ERR_AUDIT_TARGETS',
  BAD_RECEIPT: 'ERR_BAD_RECEIPT'
} as const

/**
 * JSON shape: `{ targets: [{ cid, size, root (base64), leafBytes?, holders: [peerId | { peer, receipt?: { time, sig (base64) } }] }] }`;
 * `leafBytes` is the root's leaf size (default AUDIT_LEAF_BYTES).
 */
export type TargetInput = StoredTarget & { holders: TargetHolderInput[] }

function bad (what: string): P2pdvError {
  return new P2pdvError(TargetErrorCode.MALFORMED, `malformed audit targets: ${what}`, { hint: 'See POST /api/v1/audit/targets in docs/openapi.yaml.' })
}

function base64 (v: unknown, what: string, max: number): Uint8Array {
  if (typeof v !== 'string' || v.length > max * 2 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw bad(what)
  return new Uint8Array(Buffer.from(v, 'base64'))
}

export async function parseTargets (body: unknown): Promise<TargetInput[]> {
  const list = (body as { targets?: unknown } | null)?.targets
  if (!Array.isArray(list) || list.length > MAX_TARGETS_PER_REQUEST) throw bad(`targets must be a list of at most ${MAX_TARGETS_PER_REQUEST}`)
  const out: TargetInput[] = []
  for (const t of list as Array<Record<string, unknown>>) {
    if (typeof t !== 'object' || t === null) throw bad('each target is an object')
    if (typeof t.cid !== 'string') throw bad('cid')
    const cid = parseCid(t.cid)
    const size = t.size
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_BLOCK_BYTES) throw bad(`size must be 0 … ${MAX_BLOCK_BYTES}`)
    const root = base64(t.root, 'root', 32)
    if (root.byteLength !== 32) throw bad('root must be 32 bytes (base64)')
    const leafBytes = t.leafBytes ?? AUDIT_LEAF_BYTES
    if (!isAuditLeafBytes(leafBytes)) throw bad('leafBytes must be a power of two from 1024 to 65536')
    if (!Array.isArray(t.holders) || t.holders.length === 0 || t.holders.length > MAX_HOLDERS_PER_TARGET) throw bad(`holders must list 1 … ${MAX_HOLDERS_PER_TARGET} peers`)
    const holders: TargetHolderInput[] = []
    for (const h of t.holders as unknown[]) {
      const entry = typeof h === 'string' ? { peer: h } : h as { peer?: unknown, receipt?: { time?: unknown, sig?: unknown } }
      if (typeof entry !== 'object' || entry === null || typeof entry.peer !== 'string' || entry.peer.length > 128) throw bad('holder peer id')
      let key
      try { key = peerIdFromString(entry.peer).publicKey } catch { throw bad(`holder ${entry.peer.slice(0, 60)} is not a peer id`) }
      let committed = false
      if (entry.receipt !== undefined) {
        const { time, sig } = entry.receipt
        if (typeof time !== 'number' || !Number.isSafeInteger(time)) throw bad('receipt.time')
        const sigBytes = base64(sig, 'receipt.sig', 256)
        committed = key !== undefined && await key.verify(receiptPayload({ peer: entry.peer, cid, size, time }), sigBytes)
        if (!committed) throw new P2pdvError(TargetErrorCode.BAD_RECEIPT, `the receipt of ${entry.peer} for ${cid.toString()} does not verify`, { hint: 'Send the receipt exactly as the node signed it, or no receipt.' })
      }
      holders.push({ peer: entry.peer, committed })
    }
    out.push({ cid: cid.toString(), size, root, leafBytes, holders })
  }
  return out
}

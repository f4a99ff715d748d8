/** Blocks are addressed by CIDv1 (raw codec, sha2-256 of the block bytes): verifiable without a key. */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { P2pdvError } from './errors.ts'
import { MAX_BLOCK_BYTES } from './limits.ts'

export { CID }

export const CidErrorCode = {
  HASH_MISMATCH: 'ERR_BLOCK_HASH_MISMATCH',
  BAD_CID: 'ERR_BAD_CID',
  BLOCK_TOO_LARGE: 'ERR_BLOCK_TOO_LARGE'
} as const

export async function blockCid (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes))
}

/** True when `cid` is a CID this network stores: v1, raw, sha2-256. */
export function isBlockCid (cid: CID): boolean {
  return cid.version === 1 && cid.code === raw.code && cid.multihash.code === sha256.code && cid.multihash.size === 32
}

export async function verifyBlock (cid: CID, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength > MAX_BLOCK_BYTES) {
    throw new P2pdvError(CidErrorCode.BLOCK_TOO_LARGE, `block of ${bytes.byteLength} bytes exceeds the ${MAX_BLOCK_BYTES}-byte limit`)
  }
  const digest = await sha256.digest(bytes)
  if (!isBlockCid(cid) || !equalBytes(digest.digest, cid.multihash.digest)) {
    throw new P2pdvError(CidErrorCode.HASH_MISMATCH, `block bytes do not hash to ${cid.toString()}`, {
      hint: 'The source served damaged or forged data; it is skipped. Try another node.',
      details: { cid: cid.toString() }
    })
  }
}

export function parseCid (text: string): CID {
  let cid: CID
  try {
    if (text.length > 128) throw new Error('too long')
    cid = CID.parse(text)
  } catch (cause) {
    throw new P2pdvError(CidErrorCode.BAD_CID, `not a valid CID: "${text.slice(0, 80)}"`, { hint: 'Block CIDs look like bafkrei…', cause })
  }
  if (!isBlockCid(cid)) {
    throw new P2pdvError(CidErrorCode.BAD_CID, `unsupported CID ${text}: expected CIDv1, raw codec, sha2-256`)
  }
  return cid
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

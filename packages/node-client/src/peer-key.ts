/**
 * The Ed25519 public key inside a libp2p peer id, read without loading @libp2p/peer-id: that
 * package pulls in @libp2p/crypto (~75 modules, ~80 ms of a CLI command's start on the 2-core
 * benchmark machine) to answer what is, for the peer ids our nodes have, a fixed byte layout.
 *
 * An Ed25519 peer id is the identity multihash of the key's protobuf encoding (libp2p peer-ids
 * spec): 0x00 (identity), 0x24 (36 bytes), then 0x08 0x01 (KeyType = Ed25519), 0x12 0x20 (Data, 32
 * bytes), then the key; written in base58btc it starts with "12D3KooW". Anything else (RSA and
 * secp256k1 ids, the CIDv1 form) is left to @libp2p/peer-id, loaded only then.
 */
import { base58btc } from 'multiformats/bases/base58'

const ED25519_ID_PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20] as const
/** base58btc of 38 bytes is at most 52 characters; a longer string cannot be one of these ids. */
const MAX_ED25519_ID_CHARS = 60

/** The 32-byte key of an Ed25519 peer id in its base58btc form, or undefined for any other string. */
export function ed25519KeyOfPeerId (peerId: string): Uint8Array | undefined {
  if (!peerId.startsWith('12D3KooW') || peerId.length > MAX_ED25519_ID_CHARS) return undefined
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(peerId)
  } catch {
    return undefined
  }
  if (bytes.byteLength !== ED25519_ID_PREFIX.length + 32) return undefined
  for (let i = 0; i < ED25519_ID_PREFIX.length; i++) if (bytes[i] !== ED25519_ID_PREFIX[i]) return undefined
  return bytes.slice(ED25519_ID_PREFIX.length)
}

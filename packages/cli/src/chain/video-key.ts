/**
 * The creator's way back to a video's key K after upload: the keepers (the owner always has
 * access on chain), or a capability passed with `--capability` (a video uploaded before it had
 * keepers). The key is checked against the fingerprint on chain either way.
 */
import { equalBytes, keyFingerprint, parseCapability, P2pdvError } from '@p2pdv/core'
import type { VideoId } from '@p2pdv/core/keys'
import type { Identity } from '@p2pdv/chain/identity'
import { getVideo } from '@p2pdv/chain'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { stringOpt, type ParsedArgs } from '../command.ts'

export const VIDEO_KEY_OPTIONS = { capability: { type: 'string' } } as const

export async function recoverVideoKey (args: ParsedArgs, oracle: ChainKeyOracle, identity: Identity, video: VideoId): Promise<{ key: Uint8Array, manifest: string, listing: string }> {
  const v = await getVideo(oracle.client, video)
  const capText = stringOpt(args, 'capability')
  let key: Uint8Array
  if (capText !== undefined) {
    const cap = parseCapability(capText)
    if (cap.manifest.toString() !== v.manifestCid) throw new P2pdvError('ERR_CAPABILITY_MISMATCH', 'this capability names another manifest than the registry holds for the video')
    key = cap.key
  } else {
    // Loaded here, not at the top: commands that merely import this module (buy, ls, access…)
    // would otherwise load the sdk's key clients and libp2p's crypto on every run.
    const { KeyResolver } = await import('@p2pdv/sdk/keys')
    const resolver = new KeyResolver({ oracle, directory: oracle, viewer: { account: identity.account, x25519PublicKey: identity.x25519PublicKey, x25519PrivateKey: identity.x25519PrivateKey } })
    try {
      key = (await resolver.resolve(video)).key
    } catch (err) {
      if (err instanceof P2pdvError && err.code === 'ERR_NO_KEEPERS') {
        throw new P2pdvError(err.code, err.message, { hint: 'Pass the capability from the upload: --capability \'p2pdv://…#…\'.', cause: err })
      }
      throw err
    } finally {
      await resolver.close()
    }
  }
  if (!equalBytes(keyFingerprint(key), Buffer.from(v.keyFingerprint.slice(2), 'hex'))) {
    key.fill(0)
    throw new P2pdvError('ERR_KEY_FINGERPRINT_MISMATCH', 'this key does not match the fingerprint on chain')
  }
  return { key, manifest: v.manifestCid, listing: v.listingCid }
}

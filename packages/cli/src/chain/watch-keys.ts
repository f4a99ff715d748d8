/**
 * How a command that opens a video link gets K: the chain (manifest CID, key fingerprint, keeper
 * set) and a viewer identity — the wallet (`--as NAME`, alice on the devnet) or, with
 * `--anonymous`, a fresh identity made for this run only, enough for free videos.
 */
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import type { Client } from '@p2pdv/sdk'
import type { LocalAccount } from 'viem'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { createAnonymousIdentity, KeyResolver, resolveWatchLink, type ResolvedLink } from '@p2pdv/sdk/keys'
import type { ParsedArgs } from '../command.ts'
import type { Output } from '../output.ts'
import { CHAIN_OPTIONS, chainContext } from './context.ts'

export const WATCH_KEY_OPTIONS = {
  ...CHAIN_OPTIONS,
  anonymous: { type: 'boolean', default: false }
} as const

/** `onWallet`: given the viewer's wallet account (not an anonymous one) before it is forgotten (serving receipts sign with it). */
export async function keyedWatchLink (args: ParsedArgs, client: Client, link: string, out: Output, onWallet?: (account: LocalAccount) => void): Promise<ResolvedLink> {
  const anonymous = args.values.anonymous === true
  const ctx = await chainContext(args, anonymous ? 'none' : 'required')
  const viewer = anonymous ? await createAnonymousIdentity() : ctx.identity!
  if (anonymous) out.note(`anonymous: a one-time identity ${viewer.address} (nothing links it to you; free videos only)`)
  else onWallet?.(viewer.account)
  const oracle = new ChainKeyOracle(ctx.client)
  const resolver = new KeyResolver({ oracle, directory: oracle, viewer: { account: viewer.account, x25519PublicKey: viewer.x25519PublicKey, x25519PrivateKey: viewer.x25519PrivateKey } })
  try {
    return await resolveWatchLink(link, { client, viewer: { account: viewer.account, x25519PublicKey: viewer.x25519PublicKey, x25519PrivateKey: viewer.x25519PrivateKey }, oracle, resolver })
  } catch (err) {
    if (isP2pdvError(err, 'ERR_ACCESS_DENIED') && anonymous) {
      throw new P2pdvError(err.code, err.message, { hint: 'Anonymous identities open free videos only; watch with --as NAME after buying.', cause: err, ...(err.details === undefined ? {} : { details: err.details }) })
    }
    throw err
  } finally {
    await resolver.close()
    viewer.forget()
  }
}

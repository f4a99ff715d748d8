/**
 * The key-custody step of `p2pdv upload`, after the video is registered on chain: split K
 * t-of-n, seal each share to one registered keeper, deposit them (signed as the video's owner),
 * and record the keeper set on chain (KeyCustody). From then on a viewer the chain allows gets K
 * from any t keepers, without the creator online, through a link that carries no key.
 */
import { parseCapability, P2pdvError } from '@p2pdv/core'
import type { Hex } from '@p2pdv/core/keys'
import type { ChainClient } from '@p2pdv/chain'
import type { Identity } from '@p2pdv/chain/identity'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { chooseKeepers, DEFAULT_KEEPERS, DEFAULT_THRESHOLD, depositShares, KeeperClient } from '@p2pdv/sdk/keys'
import { intOpt, type ParsedArgs } from '../command.ts'
import type { Output } from '../output.ts'

export const UPLOAD_KEEPER_OPTIONS = {
  keepers: { type: 'string' },
  threshold: { type: 'string' },
  'no-keepers': { type: 'boolean', default: false }
} as const

export const UPLOAD_KEEPER_USAGE = '[--keepers 3 --threshold 2 | --no-keepers]'

export interface KeeperCustodyResult {
  epoch: number
  threshold: number
  keepers: Hex[]
}

/** Deposits the shares and records custody; undefined when keepers were declined or none are up. */
export async function depositWithKeepers (args: ParsedArgs, out: Output, o: { client: ChainClient, identity: Identity, capability: string, videoId: Hex }): Promise<KeeperCustodyResult | undefined> {
  if (args.values['no-keepers'] === true) return undefined
  const explicit = args.values.keepers !== undefined
  const oracle = new ChainKeyOracle(o.client)
  const available = await oracle.keepers()
  const n = intOpt(args, 'keepers', Math.min(DEFAULT_KEEPERS, available.length), 2, 32)
  if (!explicit && available.length < 2) {
    out.note(`no key keepers: only ${available.length} registered; viewers need a grant envelope or the capability`)
    return undefined
  }
  const threshold = intOpt(args, 'threshold', Math.min(DEFAULT_THRESHOLD, n), 2, n)
  const keepers = chooseKeepers(o.videoId, available, n)
  const cap = parseCapability(o.capability)
  const client = new KeeperClient()
  try {
    await depositShares({ key: cap.key, video: o.videoId, epoch: 0, threshold, keepers, owner: o.identity.account, domain: oracle.domain, client })
  } finally {
    cap.key.fill(0)
    await client.close()
  }
  const custody = { epoch: 0, threshold, keepers: keepers.map(k => k.address) }
  try {
    await o.client.setCustody(o.videoId, custody)
  } catch (err) {
    throw new P2pdvError('ERR_CUSTODY_NOT_RECORDED', `the keepers hold their shares but the chain does not list them yet: ${(err as Error).message}`, {
      hint: `Run \`p2pdv keys refresh ${o.videoId}\` to deal and record a new set.`, cause: err
    })
  }
  out.note(`key split ${threshold}-of-${n} among keepers ${custody.keepers.map(a => a.slice(0, 8) + '…').join(', ')}`)
  return custody
}

/**
 * The creator's side of threshold custody: split K t-of-n, seal each share to one keeper's
 * registered X25519 key, sign each deposit as the video's owner, and hand them out. A refresh is
 * the same with a higher epoch: keepers replace their old share, which can then never be
 * combined with the new ones.
 */
import { keccak256, concat } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import { sealShareToKeeper, signShareDeposit, splitKey, type KeeperDomain, type KeeperInfo, type Hex, type TypedDataSigner, type VideoId } from '@p2pdv/core/keys'
import type { KeeperTransportClient } from './keeper-client.ts'

/** Devnet defaults; each video may choose its own. */
export const DEFAULT_THRESHOLD = 2
export const DEFAULT_KEEPERS = 3

export interface DepositSharesOptions {
  key: Uint8Array
  video: VideoId
  epoch: number
  threshold: number
  keepers: KeeperInfo[]
  owner: TypedDataSigner
  domain: KeeperDomain
  client: KeeperTransportClient
  signal?: AbortSignal
}

export interface DepositResult {
  keeper: Hex
  ok: boolean
  code?: string
}

/** Deposits one share with each keeper; every keeper must accept (else ERR_DEPOSIT_INCOMPLETE). */
export async function depositShares (o: DepositSharesOptions): Promise<DepositResult[]> {
  const shares = await splitKey(o.key, { video: o.video, epoch: o.epoch, threshold: o.threshold, shares: o.keepers.length })
  const results = await Promise.all(o.keepers.map(async (k, i): Promise<DepositResult> => {
    const share = shares[i]!
    try {
      const sealed = await sealShareToKeeper(share, k.x25519PublicKey)
      const deposit = await signShareDeposit(o.owner, o.domain, { video: o.video, epoch: o.epoch, threshold: o.threshold, shares: o.keepers.length, keeper: k.address, sealed })
      await o.client.deposit(k, deposit, o.signal)
      return { keeper: k.address, ok: true }
    } catch (err) {
      return { keeper: k.address, ok: false, code: err instanceof P2pdvError ? err.code : 'ERR_UNEXPECTED' }
    } finally {
      share.y.fill(0)
    }
  }))
  const failed = results.filter(r => !r.ok)
  if (failed.length > 0) {
    throw new P2pdvError('ERR_DEPOSIT_INCOMPLETE', `${failed.length} of ${o.keepers.length} keepers did not take their share (${failed.map(f => `${f.keeper}: ${f.code ?? '?'}`).join(', ')})`, {
      hint: 'Run `p2pdv keys refresh VIDEO` when the keepers are back: it deals new shares to all of them.',
      details: { results }
    })
  }
  return results
}

/**
 * Picks `n` keepers for a video by rendezvous hashing (keccak256(video || keeper)), so videos
 * spread over all keepers and the same video picks the same keepers while they stay registered.
 */
export function chooseKeepers (video: VideoId, keepers: KeeperInfo[], n: number): KeeperInfo[] {
  if (keepers.length < n) {
    throw new P2pdvError('ERR_NOT_ENOUGH_KEEPERS', `${n} keepers were asked for, but only ${keepers.length} are registered and active`, {
      hint: 'Ask for fewer (--keepers N), or start more nodes with --keeper.'
    })
  }
  const score = (k: KeeperInfo): string => keccak256(concat([video, k.address]))
  return [...keepers].sort((a, b) => score(a) < score(b) ? -1 : score(a) > score(b) ? 1 : 0).slice(0, n)
}

/**
 * The chain step of `p2pdv live start`: registers the stream in the VideoRegistry with the same
 * flags and policies as `p2pdv upload` (upload-chain.ts), picks its keepers (as upload-keepers.ts
 * does) and records them on chain, and returns the custody the publisher hands each epoch key to.
 * Without a chain, or with --no-chain, the stream keeps the private-link model.
 */
import { randomBytes } from 'node:crypto'
import { toHex } from 'viem'
import { blockCid, keyFingerprint } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import type { VideoId } from '@p2pdv/core/keys'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { chooseKeepers, DEFAULT_KEEPERS, DEFAULT_THRESHOLD, KeeperClient } from '@p2pdv/sdk/keys'
import { LiveKeeperCustody } from '@p2pdv/sdk/live'
import { intOpt, type ParsedArgs } from '../command.ts'
import type { Output } from '../output.ts'
import { prepareUploadRegistration, UPLOAD_CHAIN_OPTIONS, UPLOAD_CHAIN_USAGE, type ChainRegistration, type UploadRegistrar } from './upload-chain.ts'

export const LIVE_CHAIN_OPTIONS = {
  ...UPLOAD_CHAIN_OPTIONS,
  keepers: { type: 'string' },
  threshold: { type: 'string' }
} as const

export const LIVE_CHAIN_USAGE = `${UPLOAD_CHAIN_USAGE} [--keepers 3 --threshold 2]`

export interface LiveRegistration {
  registration: ChainRegistration
  /** The owner's chain client (the archive updates the registry when the stream ends). */
  client: UploadRegistrar['client']
  custody: LiveKeeperCustody
  threshold: number
  keepers: string[]
  close: () => Promise<void>
}

/**
 * The registry needs a manifest CID and a key fingerprint at registration, before any segment
 * exists: a live stream records a placeholder CID naming the stream (replaced by the archive's
 * manifest when it ends) and the fingerprint of a throw-away key (each epoch's real fingerprint
 * is in its signed announcements).
 */
async function placeholders (stream: string): Promise<{ manifestCid: string, fingerprint: `0x${string}` }> {
  const cid = await blockCid(new TextEncoder().encode(`p2pdv/live-stream/v1 ${stream}`))
  const throwaway = new Uint8Array(randomBytes(32))
  const fingerprint = toHex(keyFingerprint(throwaway))
  throwaway.fill(0)
  return { manifestCid: cid.toString(), fingerprint }
}

export async function prepareLiveRegistration (args: ParsedArgs, out: Output, stream: string): Promise<LiveRegistration | undefined> {
  const registrar = await prepareUploadRegistration(args, out)
  if (registrar === undefined) return undefined
  const identity = registrar.identity
  if (identity === undefined) throw new P2pdvError('ERR_USAGE', 'a registered stream needs a wallet: pass --as NAME')
  const oracle = new ChainKeyOracle(registrar.client)
  const available = await oracle.keepers()
  const n = intOpt(args, 'keepers', Math.min(DEFAULT_KEEPERS, Math.max(2, available.length)), 2, 32)
  const threshold = intOpt(args, 'threshold', Math.min(DEFAULT_THRESHOLD, n), 2, n)
  // Fail before registering anything when the keepers are too few.
  chooseKeepers(toHex(randomBytes(32)) as VideoId, available, n)
  const { manifestCid, fingerprint } = await placeholders(stream)
  const registration = await registrar.registerContent(manifestCid, fingerprint)
  const video = registration.videoId as VideoId
  const keepers = chooseKeepers(video, available, n)
  await registrar.client.setCustody(video, { epoch: 0, threshold, keepers: keepers.map(k => k.address) })
  const client = new KeeperClient()
  const custody = new LiveKeeperCustody({ video, keepers, threshold, owner: identity.account, domain: oracle.domain, client })
  out.note(`each epoch key goes ${threshold}-of-${n} to keepers ${keepers.map(k => k.address.slice(0, 8) + '…').join(', ')}`)
  return { registration, client: registrar.client, custody, threshold, keepers: keepers.map(k => k.address), close: async () => { await client.close() } }
}

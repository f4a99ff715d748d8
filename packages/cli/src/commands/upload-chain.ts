/**
 * The chain step of `p2pdv upload`: registers the published video in the VideoRegistry (a fresh
 * random 32-byte video id, the manifest CID, the key's fingerprint — never the key — and the
 * access policy), and sets its price when it is sold.
 *
 * It is prepared before transcoding, so a bad flag, a missing wallet or an unreachable chain
 * fail in a second instead of after minutes of work. Without any chain (no devnet chain, no
 * --rpc/--chain) an upload is stored but not registered, unless a policy flag asked for one.
 */
import { randomBytes } from 'node:crypto'
import { toHex, type Hex } from 'viem'
import { keyFingerprint, parseCapability } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { clauseSpec, describeCondition, formatAmount, MAX_REFUND_WINDOW_SECONDS, formatDurationSeconds, parseAmount, parseDuration, type ChainClient, type Condition, type PolicyName, type TokenMetadata, type Price } from '@p2pdv/chain'
import { intOpt, listOpt, stringOpt, type ParsedArgs } from '../command.ts'
import { conditionFromArgs } from './conditions.ts'
import { CHAIN_OPTIONS, openContext, resolveChainConfig } from '../chain/context.ts'
import type { Output } from '../output.ts'
import type { Identity } from '@p2pdv/chain/identity'

export const UPLOAD_CHAIN_OPTIONS = {
  price: { type: 'string' },
  duration: { type: 'string' },
  'refund-window': { type: 'string' },
  'subscribers-only': { type: 'boolean', default: false },
  private: { type: 'boolean', default: false },
  rating: { type: 'string' },
  require: { type: 'string', multiple: true },
  'require-any': { type: 'boolean', default: false },
  'no-chain': { type: 'boolean', default: false },
  ...CHAIN_OPTIONS
} as const

export const UPLOAD_CHAIN_USAGE = '[--price 0.01|25p2pv [--duration 48h] [--refund-window 7d] | --subscribers-only | --private] [--rating 0-4] [--require SPEC … [--require-any]] [--as NAME] [--rpc URL] [--chain FILE] [--no-chain]'

export interface ChainRegistration {
  videoId: Hex
  owner: string
  policy: PolicyName
  price?: Price
  /** Seconds buyers may refund within (--refund-window). */
  refundWindow?: bigint
  /** The access condition set with --require (its clauses as specs). */
  condition?: { any: boolean, require: string[] }
  keyFingerprint: Hex
  manifestCid: string
  listingCid: string
}

export interface UploadRegistrar {
  /** The wallet that registers; it also signs the public listing. */
  identity: Identity | undefined
  /** The chain it registers on (governance erasure defaults, keepers). */
  client: ChainClient
  register: (capability: string, listingCid?: string) => Promise<ChainRegistration>
  /** Registers by fingerprint (a live stream: no capability, its manifest comes when it ends). */
  registerContent: (manifestCid: string, fingerprint: Hex, listingCid?: string) => Promise<ChainRegistration>
}

function usage (message: string): P2pdvError {
  return new P2pdvError('ERR_USAGE', message, { hint: `usage: p2pdv upload VIDEO … ${UPLOAD_CHAIN_USAGE}` })
}

/** Checks the flags and opens the chain and wallet; undefined when the upload is not registered. */
export async function prepareUploadRegistration (args: ParsedArgs, out: Output): Promise<UploadRegistrar | undefined> {
  const priceText = stringOpt(args, 'price')
  const subscribers = args.values['subscribers-only'] === true
  const priv = args.values.private === true
  // Malformed --require specs are refused here, with the reason, before any transcoding.
  const parsedCondition: Condition | undefined = conditionFromArgs(args, 'require', 'require-any', usage)
  const asked = priceText !== undefined || subscribers || priv || stringOpt(args, 'duration') !== undefined || listOpt(args, 'require').length > 0
  if ([priceText !== undefined, subscribers, priv].filter(Boolean).length > 1) throw usage('choose one of --price, --subscribers-only and --private')
  if (stringOpt(args, 'duration') !== undefined && priceText === undefined) throw usage('--duration needs --price')
  const refundText = stringOpt(args, 'refund-window')
  if (refundText !== undefined && priceText === undefined) throw usage('--refund-window needs --price')
  const refundWindow = refundText === undefined ? 0n : parseDuration(refundText)
  if (refundWindow > MAX_REFUND_WINDOW_SECONDS) throw new P2pdvError('ERR_REFUND_WINDOW', `--refund-window ${refundText!} is longer than 30 days`, { hint: 'Give e.g. 48h or 7d.' })
  if (args.values['no-chain'] === true) {
    if (asked) throw usage('--no-chain stores the video without registering it; it cannot take an access policy')
    return undefined
  }
  const policy: PolicyName = priv ? 'private' : subscribers ? 'subscribers' : priceText !== undefined ? 'paid' : 'public'
  let price: Price | undefined
  if (priceText !== undefined) {
    const { asset, amount } = parseAmount(priceText)
    if (amount === 0n) throw usage('--price must be more than 0 (leave it out for a free video)')
    price = { asset, amount, duration: parseDuration(stringOpt(args, 'duration') ?? '0') }
  }
  const rating = intOpt(args, 'rating', 0, 0, 4)
  const resolved = await resolveChainConfig(args, asked)
  if (resolved === undefined) {
    out.note('no chain configured: the video is stored but not registered (start the devnet, or pass --rpc/--chain)')
    return undefined
  }
  const ctx = await openContext(args, resolved, 'required')
  const client = ctx.client
  // Whole-token minimums (>=100.5tokens, >=100DAI) are scaled by the tokens' decimals() now,
  // before anything is transcoded: a wrong unit or unreadable decimals costs nothing.
  const tokens = parsedCondition === undefined ? new Map<string, TokenMetadata>() : await client.conditionTokens(parsedCondition)
  const condition = parsedCondition === undefined ? undefined : await client.resolveCondition(parsedCondition, { tokens })
  const registerContent = async (manifestCid: string, fingerprint: Hex, listingCid = ''): Promise<ChainRegistration> => {
    // Kept across re-keys: a later update of this video reuses the id.
    const videoId = toHex(randomBytes(32))
    await client.registerVideo({ id: videoId, manifestCid, listingCid, keyFingerprint: fingerprint, policy, rating })
    if (price !== undefined) await client.setPrice(videoId, price)
    if (refundWindow > 0n) await client.setRefundWindow(videoId, refundWindow)
    if (condition !== undefined) await client.setCondition(videoId, condition)
    const owner = client.address
    out.note(`registered on chain as ${videoId} (${policy}${price === undefined ? '' : `, ${formatAmount(price.amount, price.asset)}${price.duration === 0n ? '' : ` for ${formatDurationSeconds(price.duration)}`}`}) by ${ctx.names.get(owner.toLowerCase()) ?? owner}`)
    if (refundWindow > 0n) out.note(`buyers may refund within ${formatDurationSeconds(refundWindow)}; each sale is paid to you when that closes`)
    if (condition !== undefined) out.note(`also open to ${describeCondition(condition, tokens)}`)
    return {
      videoId,
      owner,
      policy,
      ...(price === undefined ? {} : { price }),
      ...(refundWindow === 0n ? {} : { refundWindow }),
      ...(condition === undefined ? {} : { condition: { any: condition.any, require: condition.clauses.map(clauseSpec) } }),
      keyFingerprint: fingerprint,
      manifestCid,
      listingCid
    }
  }
  return {
    identity: ctx.identity,
    client,
    registerContent,
    register: async (capability: string, listingCid = ''): Promise<ChainRegistration> => {
      const cap = parseCapability(capability)
      const fingerprint = toHex(keyFingerprint(cap.key))
      cap.key.fill(0)
      return await registerContent(cap.manifest.toString(), fingerprint, listingCid)
    }
  }
}

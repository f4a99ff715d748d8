/**
 * The redundancy flags shared by `put` and `upload`: erasure (--k, --m) or replication
 * (--replicas); what they leave open comes from the chain's governance defaults, if any.
 */
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import type { PutOptions, PutResult } from '@p2pdv/sdk'
import type { ChainClient } from '@p2pdv/chain'
import { intOpt, listOpt, stringOpt, type ParsedArgs } from './command.ts'
import { readDevnetState } from './devnet-state.ts'

/**
 * `put` reads the governance erasure defaults from a chain when one is configured: `--chain
 * FILE` / `--rpc URL`, else the running devnet's unless `--node` names other nodes (`upload`
 * takes the same flags for its registration and reads them from the chain it registers on).
 */
export const ERASURE_CHAIN_OPTIONS = { rpc: { type: 'string' }, chain: { type: 'string' } } as const

/** True when the flags leave k or m to a default (no --replicas, not both --k and --m). */
export function wantsErasureDefaults (r: Pick<PutOptions, 'k' | 'm' | 'replicas'>): boolean {
  return r.replicas === undefined && (r.k === undefined || r.m === undefined)
}

/**
 * The governance erasure defaults (ProtocolParams.erasureDefaults) for the k/m the flags leave
 * open, read from `chain`, or from the configured chain when none is given; `{}` when the flags
 * decide everything or no chain is configured (the sdk then uses the core default, 4 + 2).
 */
export async function erasureDefaultsFromChain (args: ParsedArgs, redundancy: Pick<PutOptions, 'k' | 'm' | 'replicas'>, chain?: ChainClient): Promise<Pick<PutOptions, 'defaultErasure'>> {
  if (!wantsErasureDefaults(redundancy)) return {}
  if (chain === undefined) {
    const explicit = stringOpt(args, 'rpc') !== undefined || stringOpt(args, 'chain') !== undefined
    // --node URLs without --rpc/--chain are some other network than the running devnet.
    if (!explicit && listOpt(args, 'node').length > 0) return {}
    // Loaded here: the chain context (viem, the chain client) is most of the CLI's module graph,
    // and a put that names its redundancy never needs it.
    const { ChainContextErrorCode, resolveChainConfig } = await import('./chain/context.ts')
    let resolved
    try {
      resolved = await resolveChainConfig(args, false)
    } catch (err) {
      // A devnet started with --no-chain has no governance to ask.
      if (isP2pdvError(err, ChainContextErrorCode.NO_CHAIN) && !explicit) return {}
      throw err
    }
    if (resolved === undefined) return {}
    const { ChainClient } = await import('@p2pdv/chain')
    chain = await ChainClient.connect(resolved.config)
  }
  return { defaultErasure: await chain.erasureDefaults() }
}

export const AUDITOR_OPTION = { auditor: { type: 'string' } } as const

/** `--allow-degraded`: store on fewer nodes than the scheme needs, recorded as under-replicated. */
export const ALLOW_DEGRADED_OPTION = { 'allow-degraded': { type: 'boolean' } } as const

export function redundancyFromArgs (args: ParsedArgs): Pick<PutOptions, 'k' | 'm' | 'replicas' | 'allowDegraded'> {
  const erasure = args.values.k !== undefined || args.values.m !== undefined
  if (erasure && args.values.replicas !== undefined) {
    throw new P2pdvError('ERR_USAGE', '--replicas cannot be combined with --k/--m', { hint: 'Choose erasure coding (--k 4 --m 2) or replication (--replicas 3).' })
  }
  return {
    ...(args.values.k === undefined ? {} : { k: intOpt(args, 'k', 4, 1, 255) }),
    ...(args.values.m === undefined ? {} : { m: intOpt(args, 'm', 2, 1, 255) }),
    ...(args.values.replicas === undefined ? {} : { replicas: intOpt(args, 'replicas', 3, 1, 16) }),
    ...(args.values['allow-degraded'] === true ? { allowDegraded: true } : {})
  }
}

/**
 * `--auditor URL` (or P2PDV_AUDITOR): reputation scores that weigh placement and order reads.
 * Without one, and without --node flags, the running devnet's auditor node (if any).
 */
export async function auditorFromArgs (args: ParsedArgs): Promise<{ auditor?: string }> {
  const a = stringOpt(args, 'auditor') ?? process.env.P2PDV_AUDITOR
  if (a !== undefined && a !== '') return { auditor: a }
  if (listOpt(args, 'node').length > 0) return {}
  try {
    const { auditor } = await readDevnetState()
    return typeof auditor === 'string' ? { auditor } : {}
  } catch {
    return {}
  }
}

/** The warning a degraded put or upload prints (undefined when it met its scheme). */
export function degradedNote (r: PutResult): string | undefined {
  if (r.degraded === undefined) return undefined
  return `warning: stored UNDER-REPLICATED (--allow-degraded): the scheme needs ${r.degraded.need} distinct nodes, the blocks are on ${r.degraded.found}; \`p2pdv check\` reports it (exit 4) and repair raises it to the scheme when nodes return`
}

export function describeRedundancy (r: PutResult): string {
  return r.scheme === 'rs'
    ? `erasure-coded in ${r.stripes ?? 0} stripe(s) of k=${r.k ?? 0} data + m=${r.m ?? 0} parity (${r.overhead.toFixed(2)}× stored)`
    : `× ${r.replicas} replica(s) (${r.overhead.toFixed(2)}× stored)`
}

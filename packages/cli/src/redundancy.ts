/** The redundancy flags shared by `put` and `upload`: erasure (--k, --m) or replication (--replicas). */
import { P2pdvError } from '@p2pdv/core/errors'
import type { PutOptions, PutResult } from '@p2pdv/sdk'
import { intOpt, listOpt, stringOpt, type ParsedArgs } from './command.ts'
import { readDevnetState } from './devnet-state.ts'

export const AUDITOR_OPTION = { auditor: { type: 'string' } } as const

export function redundancyFromArgs (args: ParsedArgs): Pick<PutOptions, 'k' | 'm' | 'replicas'> {
  const erasure = args.values.k !== undefined || args.values.m !== undefined
  if (erasure && args.values.replicas !== undefined) {
    throw new P2pdvError('ERR_USAGE', '--replicas cannot be combined with --k/--m', { hint: 'Choose erasure coding (--k 4 --m 2) or replication (--replicas 3).' })
  }
  return {
    ...(args.values.k === undefined ? {} : { k: intOpt(args, 'k', 4, 1, 255) }),
    ...(args.values.m === undefined ? {} : { m: intOpt(args, 'm', 2, 1, 255) }),
    ...(args.values.replicas === undefined ? {} : { replicas: intOpt(args, 'replicas', 3, 1, 16) })
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

export function describeRedundancy (r: PutResult): string {
  return r.scheme === 'rs'
    ? `erasure-coded in ${r.stripes ?? 0} stripe(s) of k=${r.k ?? 0} data + m=${r.m ?? 0} parity (${r.overhead.toFixed(2)}× stored)`
    : `× ${r.replicas} replica(s) (${r.overhead.toFixed(2)}× stored)`
}

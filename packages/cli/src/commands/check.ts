import { P2pdvError } from '@p2pdv/core/errors'
import { CHECK_RETRY_TIMEOUT_MS, CHECK_TIMEOUT_MS, Client, type CheckReport, type ProbeTimeouts, type StripeHealth } from '@p2pdv/sdk'
import { requirePositional, type Command } from '../command.ts'
import { formatBytes } from '../format.ts'
import { clientPeers, NODE_OPTION } from '../peers-from-args.ts'

function line (label: string, s: StripeHealth): string {
  const slow = s.timedOut > 0 ? `; ${s.timedOut} more not confirmed (holders timed out twice)` : ''
  const margin = s.status === 'unknown' ? '' : `, survives ${Math.max(0, s.margin)} more loss(es)`
  const crowded = s.nodes !== undefined && s.nodes < s.available ? `, but on only ${s.nodes} distinct node(s)` : ''
  return `  ${label.padEnd(10)} ${s.status.padEnd(9)} ${s.available}/${s.blocks} available, needs ${s.needed}${margin}${crowded}${slow}`
}

/**
 * Exit codes: a stripe is lost → 1; none lost but some could not be checked → 3; all readable and
 * checked but some stored short of their scheme (a degraded write not raised yet) → 4; else 0.
 */
export const CHECK_EXIT_LOST = 1
export const CHECK_EXIT_UNKNOWN = 3
export const CHECK_EXIT_UNDER_REPLICATED = 4

function verdict (report: CheckReport): string {
  if (report.healthy) return 'healthy'
  const parts: string[] = []
  if (report.lost > 0) parts.push(`LOST: ${report.lost} stripe(s) cannot be read`)
  if (report.unknown > 0) parts.push(`UNKNOWN: ${report.unknown} stripe(s) could not be checked (holders timed out; run check again)`)
  if (report.underReplicated > 0) parts.push(`UNDER-REPLICATED: ${report.underReplicated} stripe(s) stored on fewer nodes than the scheme asks${report.degradedWrite === undefined ? '' : ` (written with --allow-degraded: ${report.degradedWrite.found} of ${report.degradedWrite.need} nodes)`}; repair raises them when nodes return`)
  if (report.degraded > 0) parts.push(`degraded: ${report.degraded} stripe(s) lost blocks (repair restores them)`)
  return parts.join('; ')
}

/** `--timeout S`: the first probe of each holder; the one retry gets three times as long. */
function timeoutsFrom (value: unknown): ProbeTimeouts {
  if (value === undefined) return { first: CHECK_TIMEOUT_MS, retry: CHECK_RETRY_TIMEOUT_MS }
  const seconds = Number(value)
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 600) {
    throw new P2pdvError('ERR_USAGE', '--timeout must be a number of seconds from 0.1 to 600', { hint: `e.g. --timeout 5 (default ${CHECK_TIMEOUT_MS / 1000})` })
  }
  return { first: Math.round(seconds * 1000), retry: Math.round(seconds * 3000) }
}

export const check: Command = {
  name: 'check',
  summary: 'per-stripe health of an object: which blocks each holder still has (--verify downloads and hashes every copy); exit 1 if a stripe is lost, 3 if holders timed out and the verdict is unknown, 4 if stored under-replicated (--allow-degraded)',
  usage: 'check CAPABILITY [--verify] [--timeout SECONDS] [--node URL …] [--json]',
  options: { verify: { type: 'boolean', default: false }, timeout: { type: 'string' }, ...NODE_OPTION },
  async run (args, out) {
    const capability = requirePositional(args, 0, 'CAPABILITY', check)
    const timeouts = timeoutsFrom(args.values.timeout)
    const client = await Client.create({ ...await clientPeers(args), workers: 0 })
    try {
      const report = await client.check(capability, { verify: args.values.verify === true, timeouts })
      out.result(report, () => {
        const scheme = report.scheme === 'rs' ? `erasure k=${report.k ?? 0}, m=${report.m ?? 0}` : `replication${report.replicas === undefined ? '' : ` ×${report.replicas}`}`
        const bytes = report.blocks.reduce((a, b) => a + Math.max(0, b.size) * b.ok.length, 0)
        return [
          `${report.object}: ${scheme}, ${report.verified ? 'every copy downloaded and hashed' : 'presence checked (HEAD)'}; placement record ${report.placementVersion === undefined ? 'not found (asked every node)' : `v${report.placementVersion}`}`,
          line('manifest', report.manifest),
          ...report.stripes.map(s => line(`stripe ${s.index}`, s)),
          `${verdict(report)}; ${formatBytes(bytes)} held${report.timeouts > 0 ? `; ${report.timeouts} probe(s) timed out and were retried` : ''}`
        ].join('\n')
      })
      return report.lost > 0 ? CHECK_EXIT_LOST : report.unknown > 0 ? CHECK_EXIT_UNKNOWN : report.underReplicated > 0 ? CHECK_EXIT_UNDER_REPLICATED : 0
    } finally {
      await client.close()
    }
  }
}

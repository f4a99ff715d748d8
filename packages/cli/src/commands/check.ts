import { Client, type StripeHealth } from '@p2pdv/sdk'
import { requirePositional, type Command } from '../command.ts'
import { formatBytes } from '../format.ts'
import { NODE_OPTION, peersFromArgs } from '../peers-from-args.ts'

function line (label: string, s: StripeHealth): string {
  return `  ${label.padEnd(10)} ${s.status.padEnd(9)} ${s.available}/${s.blocks} available, needs ${s.needed}, survives ${Math.max(0, s.margin)} more loss(es)`
}

export const check: Command = {
  name: 'check',
  summary: 'per-stripe health of an object: which blocks each holder still has (--verify downloads and hashes every copy)',
  usage: 'check CAPABILITY [--verify] [--node URL …] [--json]',
  options: { verify: { type: 'boolean', default: false }, ...NODE_OPTION },
  async run (args, out) {
    const capability = requirePositional(args, 0, 'CAPABILITY', check)
    const client = await Client.create({ peers: await peersFromArgs(args), workers: 0 })
    try {
      const report = await client.check(capability, { verify: args.values.verify === true })
      out.result(report, () => {
        const scheme = report.scheme === 'rs' ? `erasure k=${report.k ?? 0}, m=${report.m ?? 0}` : `replication${report.replicas === undefined ? '' : ` ×${report.replicas}`}`
        const bytes = report.blocks.reduce((a, b) => a + Math.max(0, b.size) * b.ok.length, 0)
        return [
          `${report.object}: ${scheme}, ${report.verified ? 'every copy downloaded and hashed' : 'presence checked (HEAD)'}; placement record ${report.placementVersion === undefined ? 'not found (asked every node)' : `v${report.placementVersion}`}`,
          line('manifest', report.manifest),
          ...report.stripes.map(s => line(`stripe ${s.index}`, s)),
          `${report.healthy ? 'healthy' : report.lost > 0 ? `LOST: ${report.lost} stripe(s) cannot be read` : `degraded: ${report.degraded} stripe(s) lost blocks (repair restores them)`}; ${formatBytes(bytes)} held`
        ].join('\n')
      })
      return report.lost > 0 ? 1 : 0
    } finally {
      await client.close()
    }
  }
}

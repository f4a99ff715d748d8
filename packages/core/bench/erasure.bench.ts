// Erasure coding: stripe encode and rebuild (what put and repair run) against the backend's raw
// kernel on the same shards, and storage overhead against 3× replication.
import { randomBytes } from 'node:crypto'
import { encodeStripe, erasureBackend, reconstructStripe, DEFAULT_K, DEFAULT_M } from '@p2pdv/core/erasure'
import { benchMegabytes, mbps, printTable, timed } from '../../../scripts/bench-util.ts'

const MB = benchMegabytes(64)
const BLOCK = 1024 * 1024 + 16
const rows = []
for (const [k, m] of [[DEFAULT_K, DEFAULT_M], [10, 4], [29, 51]] as const) {
  const stripes = Math.max(1, Math.round(MB / k))
  const data = Array.from({ length: k }, () => new Uint8Array(randomBytes(BLOCK)))
  const shard = Math.ceil(BLOCK / 16) * 16
  const padded = data.map(d => { const p = new Uint8Array(shard); p.set(d); return p })
  erasureBackend.encode(k, m, padded, shard)
  const raw = await timed(async () => { for (let i = 0; i < stripes; i++) erasureBackend.encode(k, m, padded, shard) })
  let parity: Uint8Array[] = []
  const ours = await timed(async () => { for (let i = 0; i < stripes; i++) parity = encodeStripe({ k, m }, data) })
  const lost = Array.from({ length: Math.min(m, k) }, (_, i) => i)
  const shards = [...data.map((d, i) => lost.includes(i) ? undefined : d), ...parity]
  const rebuild = await timed(async () => { for (let i = 0; i < stripes; i++) reconstructStripe({ k, m }, shards, data.map(d => d.byteLength), lost) })
  const bytes = stripes * k * BLOCK
  rows.push({ name: `encode k=${k}, m=${m} (${erasureBackend.name})`, value: mbps(bytes, ours.seconds), baselineName: 'raw backend encode, same shards', baseline: mbps(bytes, raw.seconds), unit: 'MB/s', better: 'higher' as const, target: '≈ 1×' })
  rows.push({ name: `rebuild ${lost.length} lost data blocks, k=${k}, m=${m}`, value: mbps(bytes, rebuild.seconds), baselineName: 'raw backend encode, same shards', baseline: mbps(bytes, raw.seconds), unit: 'MB/s', better: 'higher' as const })
  rows.push({ name: `storage per data byte, k=${k}, m=${m} (survives ${m} losses)`, value: (k + m) / k, baselineName: '3 replicas (survive 2 losses)', baseline: 3, unit: '×', better: 'lower' as const, target: '< 1×' })
}
printTable(`Erasure coding over 1 MiB sealed blocks, ${MB} MiB of data per row`, rows)

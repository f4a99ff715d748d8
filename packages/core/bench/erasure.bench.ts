// Erasure coding: the WebAssembly SIMD kernel (what Node and capable browsers run) against the
// portable TypeScript coder and against a memcpy of the same data bytes ("speed of light": no
// coder can read its input faster), all in the same run, on the same shards; storage overhead
// against 3× replication. Set RONOMON_REED_SOLOMON to the folder of a built @ronomon/reed-solomon
// (a native addon, not a project dependency) to add it as a baseline too.
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { createWasmBackend, encodeStripe, erasureBackend, pureBackend, reconstructStripe, DEFAULT_K, DEFAULT_M, type RsBackend } from '@p2pdv/core/erasure'
import { benchMegabytes, mbps, printTable, type Row } from '../../../scripts/bench-util.ts'

const MB = benchMegabytes(64)
const BLOCK = 1024 * 1024 + 16 // a sealed 1 MiB chunk
const REPEATS = 5

interface Ronomon {
  create: (k: number, m: number) => unknown
  encode: (ctx: unknown, sources: number, targets: number, buf: Buffer, bo: number, bs: number, par: Buffer, po: number, ps: number, cb: (e?: Error) => void) => void
}
const ronomonPath = process.env.RONOMON_REED_SOLOMON
const ronomon = ronomonPath !== undefined ? createRequire(import.meta.url)(ronomonPath) as Ronomon : undefined

/**
 * Process CPU seconds (all threads: the native baseline runs on libuv's pool), best of REPEATS
 * runs. On a shared machine wall time mostly measures the neighbours; on a quiet one the two agree
 * for this single-threaded work.
 */
async function best (fn: () => unknown): Promise<number> {
  await fn() // warm-up: lets V8 tier the kernel up
  let seconds = Infinity
  for (let i = 0; i < REPEATS; i++) {
    const start = process.cpuUsage()
    await fn()
    const used = process.cpuUsage(start)
    seconds = Math.min(seconds, (used.user + used.system) / 1e6)
  }
  return seconds
}

const wasm = erasureBackend.name.startsWith('wasm') ? erasureBackend : createWasmBackend()
if (wasm === undefined) throw new Error('this runtime has no WebAssembly SIMD')
const plainSimd = createWasmBackend('simd')
const rows: Row[] = []
const row = (name: string, bytes: number, s: number, baselineName: string, bs: number, target?: string): void => {
  rows.push({ name, value: mbps(bytes, s), baselineName, baseline: mbps(bytes, bs), unit: 'MB/s', better: 'higher', ...(target !== undefined ? { target } : {}) })
}

for (const [k, m] of [[DEFAULT_K, DEFAULT_M], [10, 4], [29, 51]] as const) {
  const stripes = Math.max(1, Math.round(MB / k))
  const data = Array.from({ length: k }, () => new Uint8Array(randomBytes(BLOCK)))
  const bytes = stripes * k * BLOCK
  const parityInto = Array.from({ length: m }, () => new Uint8Array(BLOCK))
  const copies = Array.from({ length: k }, () => new Uint8Array(BLOCK))
  const kernel = (rs: RsBackend) => () => { for (let i = 0; i < stripes; i++) rs.encode(k, m, data, BLOCK, parityInto) }

  const tWasm = await best(kernel(wasm))
  const tPure = await best(kernel(pureBackend))
  const tCopy = await best(() => { for (let i = 0; i < stripes; i++) for (let c = 0; c < k; c++) copies[c]!.set(data[c]!) })
  row(`encode k=${k}, m=${m}: ${wasm.name} kernel`, bytes, tWasm, 'TS coder, same shards', tPure)
  row(`encode k=${k}, m=${m}: ${wasm.name} kernel`, bytes, tWasm, 'memcpy of the data bytes', tCopy)
  if (plainSimd !== undefined && plainSimd.name !== wasm.name) {
    row(`encode k=${k}, m=${m}: ${plainSimd.name} kernel (browsers without relaxed SIMD)`, bytes, await best(kernel(plainSimd)), 'TS coder, same shards', tPure)
  }
  if (ronomon !== undefined && k <= 24 && m <= 6) {
    const buf = Buffer.concat(data)
    const par = Buffer.alloc(BLOCK * m)
    const ctx = ronomon.create(k, m)
    const sources = (1 << k) - 1
    const targets = ((1 << (k + m)) - 1) ^ sources
    const one = async (): Promise<void> => await new Promise<void>((resolve, reject) => { ronomon.encode(ctx, sources, targets, buf, 0, buf.length, par, 0, par.length, e => { e !== undefined && e !== null ? reject(e) : resolve() }) })
    const tRonomon = await best(async () => { for (let i = 0; i < stripes; i++) await one() })
    row(`encode k=${k}, m=${m}: ${wasm.name} kernel`, bytes, tWasm, '@ronomon/reed-solomon (native)', tRonomon, '≥ 0.5×')
  }

  // What put runs: pads, allocates fresh parity blocks (first-touching new memory), encodes.
  let parity: Uint8Array[] = []
  const tStripe = await best(() => { for (let i = 0; i < stripes; i++) parity = encodeStripe({ k, m }, data) })
  const tStripePure = await best(() => { for (let i = 0; i < stripes; i++) encodeStripe({ k, m }, data, pureBackend) })
  row(`encodeStripe k=${k}, m=${m} (put path, new parity blocks)`, bytes, tStripe, 'same with the TS coder', tStripePure)

  const lost = Array.from({ length: Math.min(m, k) }, (_, i) => i)
  const shards = [...data.map((d, i) => lost.includes(i) ? undefined : d), ...parity]
  const rebuiltInto = lost.map(() => new Uint8Array(BLOCK))
  const rebuild = (rs: RsBackend) => () => { for (let i = 0; i < stripes; i++) rs.reconstruct(k, m, shards, BLOCK, lost, rebuiltInto) }
  row(`rebuild ${lost.length} lost data blocks, k=${k}, m=${m}: ${wasm.name}`, bytes, await best(rebuild(wasm)), 'TS coder, same shards', await best(rebuild(pureBackend)))
  const tStripeRebuild = await best(() => { for (let i = 0; i < stripes; i++) reconstructStripe({ k, m }, shards, data.map(d => d.byteLength), lost) })
  row(`reconstructStripe ${lost.length} lost, k=${k}, m=${m} (repair path)`, bytes, tStripeRebuild, 'memcpy of the data bytes', tCopy)
  rows.push({ name: `storage per data byte, k=${k}, m=${m} (survives ${m} losses)`, value: (k + m) / k, baselineName: '3 replicas (survive 2 losses)', baseline: 3, unit: '×', better: 'lower', target: '< 1×' })
}
printTable(`Erasure coding over 1 MiB sealed blocks, ${MB} MiB of data per row (MB/s of data bytes per CPU second, best of ${REPEATS})${ronomon === undefined ? '; set RONOMON_REED_SOLOMON for the native baseline' : ''}`, rows)

// Seal + hash throughput of the client's pool against raw node:crypto on the same 1 MiB chunks.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { generateContentKey, MAX_CHUNK_PLAINTEXT, type CID } from '@p2pdv/core'
import { CryptoPool, FileSealer, openFile } from '@p2pdv/sdk/sealing'
import { benchMegabytes, mbps, printTable, timed } from '../../../scripts/bench-util.ts'

const MB = benchMegabytes(256)
const total = MB * 1024 * 1024
const chunks = Array.from({ length: Math.ceil(total / MAX_CHUNK_PLAINTEXT) }, () => new Uint8Array(randomBytes(MAX_CHUNK_PLAINTEXT)))
const key = generateContentKey()
const nonce = new Uint8Array(12)

function rawSeal (): Uint8Array[] {
  return chunks.map((c, i) => {
    nonce[10] = i & 0xff
    const cipher = createCipheriv('aes-256-gcm', key, nonce)
    const sealed = Buffer.concat([cipher.update(c), cipher.final(), cipher.getAuthTag()])
    createHash('sha256').update(sealed).digest()
    return sealed
  })
}

// The sealer copies input into its own chunk buffers (as it does with file reads), so the
// same chunks can be fed again.
async function * source (): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c
}

/** A started pool: worker start-up (loading modules) is paid once per process, not per file. */
async function warmPool (workers: number): Promise<CryptoPool> {
  const pool = new CryptoPool(workers)
  const warm = new FileSealer({ key, pool })
  for await (const _ of warm.blocks((async function * () { yield new Uint8Array(workers * MAX_CHUNK_PLAINTEXT) })())) { /* drain */ }
  return pool
}

/**
 * Seals the data; blocks are dropped as they come out, as `put` does once they are sent. One
 * untimed pass first, as the baseline gets: both are measured with warm memory.
 */
async function sealWith (workers: number): Promise<number> {
  const pool = await warmPool(workers)
  const pass = async (): Promise<number> => {
    const sealer = new FileSealer({ key, pool })
    return (await timed(async () => { for await (const _ of sealer.blocks(source())) { /* drop */ } })).seconds
  }
  await pass()
  const seconds = await pass()
  await pool.close()
  return seconds
}

rawSeal() // warm-up: first touch of memory and JIT, for a fair baseline
const rawSealT = (await timed(async () => rawSeal())).seconds
const sealed = rawSeal()
const rawOpenT = (await timed(async () => {
  sealed.forEach((s, i) => {
    createHash('sha256').update(s).digest()
    nonce[10] = i & 0xff
    const d = createDecipheriv('aes-256-gcm', key, nonce)
    d.setAuthTag(s.subarray(s.length - 16))
    Buffer.concat([d.update(s.subarray(0, s.length - 16)), d.final()])
  })
})).seconds

const one = await sealWith(1)
const all = await sealWith(availableParallelism())
const openPool = await warmPool(availableParallelism())
const sealer = new FileSealer({ key, pool: openPool })
const stored = new Map<string, Uint8Array>()
for await (const b of sealer.blocks(source())) stored.set(b.cid.toString(), b.bytes)
const openT = (await timed(async () => {
  for await (const _ of openFile(sealer.result.manifest, async (cid: CID) => stored.get(cid.toString())!, { key, pool: openPool, concurrency: 16 })) { /* drain */ }
})).seconds
await openPool.close()

printTable(`Sealing ${MB} MiB in 1 MiB chunks (AES-256-GCM + SHA-256 CID), ${availableParallelism()} cores`, [
  { name: 'seal, 1 worker', value: mbps(total, one), baselineName: 'raw node:crypto, 1 thread', baseline: mbps(total, rawSealT), unit: 'MB/s', better: 'higher', target: '≥ 0.8×' },
  { name: `seal, ${availableParallelism()} workers`, value: mbps(total, all), baselineName: 'raw node:crypto, 1 thread', baseline: mbps(total, rawSealT), unit: 'MB/s', better: 'higher' },
  { name: `open + verify, ${availableParallelism()} workers`, value: mbps(total, openT), baselineName: 'raw hash + decrypt, 1 thread', baseline: mbps(total, rawOpenT), unit: 'MB/s', better: 'higher' }
])

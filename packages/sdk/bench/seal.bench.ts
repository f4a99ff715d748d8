// Seal + hash throughput of the client's pool against raw node:crypto on the same 1 MiB chunks.
// Two kinds of rows: seal + CID hash (what the sealed format needs) against AES-256-GCM + SHA-256
// in one thread; and seal + CID + the audit Merkle root (what `put` and `upload` run: the root goes
// into the placement record) against the same loop that also computes the root, so each figure is
// compared with raw node:crypto doing exactly the same work.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { generateContentKey, MAX_CHUNK_PLAINTEXT, type CID } from '@p2pdv/core'
import { CryptoPool, FileSealer, openFile } from '@p2pdv/sdk/sealing'
import { merkleRootFast } from '../src/merkle.ts'
import { benchMegabytes, mbps, median, printTable, timed } from '../../../scripts/bench-util.ts'

const MB = benchMegabytes(256)
const total = MB * 1024 * 1024
const chunks = Array.from({ length: Math.ceil(total / MAX_CHUNK_PLAINTEXT) }, () => new Uint8Array(randomBytes(MAX_CHUNK_PLAINTEXT)))
const key = generateContentKey()
const nonce = new Uint8Array(12)

function rawSeal (roots = false): Uint8Array[] {
  return chunks.map((c, i) => {
    nonce[10] = i & 0xff
    const cipher = createCipheriv('aes-256-gcm', key, nonce)
    const sealed = Buffer.concat([cipher.update(c), cipher.final(), cipher.getAuthTag()])
    createHash('sha256').update(sealed).digest()
    if (roots) merkleRootFast(sealed)
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

/** Timed passes per figure; each figure is their median (the machine is shared and noisy). */
const PASSES = 3

async function medianOfPasses (pass: () => Promise<number>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < PASSES; i++) times.push(await pass())
  return median(times)
}

/**
 * Seals the data; blocks are dropped as they come out, as `put` does once they are sent. One
 * untimed pass first, as the baseline gets: both are measured with warm memory.
 */
async function sealWith (workers: number, auditRoots: boolean): Promise<number> {
  const pool = await warmPool(workers)
  const pass = async (): Promise<number> => {
    const sealer = new FileSealer({ key, pool, auditRoots })
    return (await timed(async () => { for await (const _ of sealer.blocks(source())) { /* drop */ } })).seconds
  }
  await pass()
  const seconds = await medianOfPasses(pass)
  await pool.close()
  return seconds
}

rawSeal(true) // warm-up: first touch of memory and JIT, for a fair baseline
const rawSealT = await medianOfPasses(async () => (await timed(async () => rawSeal())).seconds)
const rawRootsT = await medianOfPasses(async () => (await timed(async () => rawSeal(true))).seconds)
const sealed = rawSeal()
const rawOpenT = await medianOfPasses(async () => (await timed(async () => {
  sealed.forEach((s, i) => {
    createHash('sha256').update(s).digest()
    nonce[10] = i & 0xff
    const d = createDecipheriv('aes-256-gcm', key, nonce)
    d.setAuthTag(s.subarray(s.length - 16))
    Buffer.concat([d.update(s.subarray(0, s.length - 16)), d.final()])
  })
})).seconds)

const cores = availableParallelism()
const one = await sealWith(1, false)
const all = await sealWith(cores, false)
const oneRoots = await sealWith(1, true)
const allRoots = await sealWith(cores, true)
const openPool = await warmPool(availableParallelism())
const sealer = new FileSealer({ key, pool: openPool })
const stored = new Map<string, Uint8Array>()
for await (const b of sealer.blocks(source())) stored.set(b.cid.toString(), b.bytes)
// One pass: the pool transfers each block to a worker, so the stored copies are used up.
const openT = (await timed(async () => {
  for await (const _ of openFile(sealer.result.manifest, async (cid: CID) => stored.get(cid.toString())!, { key, pool: openPool, concurrency: 16 })) { /* drain */ }
})).seconds
await openPool.close()

printTable(`Sealing ${MB} MiB in 1 MiB chunks, ${cores} cores (the pool's main thread also hashes the plaintext for the manifest)`, [
  { name: 'seal + CID, 1 worker', value: mbps(total, one), baselineName: 'raw AES-GCM + SHA-256, 1 thread', baseline: mbps(total, rawSealT), unit: 'MB/s', better: 'higher', target: '≥ 0.8×' },
  { name: `seal + CID, ${cores} workers`, value: mbps(total, all), baselineName: 'raw AES-GCM + SHA-256, 1 thread', baseline: mbps(total, rawSealT), unit: 'MB/s', better: 'higher', target: '≥ 0.8×' },
  { name: 'seal + CID + audit root (put), 1 worker', value: mbps(total, oneRoots), baselineName: 'raw, same work, 1 thread', baseline: mbps(total, rawRootsT), unit: 'MB/s', better: 'higher' },
  { name: `seal + CID + audit root (put), ${cores} workers`, value: mbps(total, allRoots), baselineName: 'raw, same work, 1 thread', baseline: mbps(total, rawRootsT), unit: 'MB/s', better: 'higher' },
  { name: `open + verify, ${cores} workers`, value: mbps(total, openT), baselineName: 'raw hash + decrypt, 1 thread', baseline: mbps(total, rawOpenT), unit: 'MB/s', better: 'higher' }
])

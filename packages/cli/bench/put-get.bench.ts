// put then get through a real 3-node devnet (3 replicas), beside Helia's own unixfs add on one
// node and cat from another node over bitswap, same data, same machine, same run. On a small
// shared machine single runs of either vary by ±10 %, so each is run BENCH_PASSES times (3),
// alternating, and the medians are compared; every pass's ratio is printed too.
import { execFileSync } from 'node:child_process'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { FsBlockstore } from 'blockstore-fs'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { benchMegabytes, mbps, median, printTable, timed } from '../../../scripts/bench-util.ts'
import { runCli, startDevnet } from '../test/fixtures/cli.ts'

const MB = benchMegabytes(256)
const PASSES = Math.max(1, Math.floor(Number(process.env.BENCH_PASSES ?? 3)) || 3)
const dir = await mkdtemp(join(tmpdir(), 'p2pdv-bench-'))

async function randomFile (name: string, mb: number): Promise<string> {
  const path = join(dir, name)
  const out = createWriteStream(path)
  for (let i = 0; i < mb; i++) if (!out.write(randomBytes(1024 * 1024))) await new Promise<void>(resolve => { out.once('drain', () => { resolve() }) })
  await new Promise<void>(resolve => { out.end(() => { resolve() }) })
  return path
}

/** Flushes dirty pages to disk (outside any timing). */
function settleDisk (): void {
  execFileSync('sync')
}

function maxRssMb (stderr: string): number {
  const m = /p2pdv-max-rss-kb (\d+)/.exec(stderr)
  return m === null ? NaN : Number(m[1]) / 1024
}

async function heliaNode (path: string) {
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: new FsBlockstore(path), datastore: new MemoryDatastore(), routers: [] }), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  return helia
}

let heliaPass = 0

/** One pass: two fresh Helia nodes on empty blockstores (a reused one would already hold the blocks). */
async function heliaBaseline (file: string): Promise<{ add: number, cat: number }> {
  const pass = heliaPass++
  const stores = [join(dir, `helia-a-${pass}`), join(dir, `helia-b-${pass}`)]
  const a = await heliaNode(stores[0]!)
  const b = await heliaNode(stores[1]!)
  try {
    const add = await timed(async () => await unixfs(a).addByteStream(createReadStream(file, { highWaterMark: 1024 * 1024 })))
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    const cat = await timed(async () => { await pipeline(unixfs(b).cat(add.result), createWriteStream(join(dir, 'helia-out.bin'))) })
    return { add: add.seconds, cat: cat.seconds }
  } finally {
    await a.stop()
    await b.stop()
    await Promise.all(stores.map(async d => await rm(d, { recursive: true, force: true })))
  }
}

async function p2pdvRun (file: string, env: NodeJS.ProcessEnv, transport = 'http'): Promise<{ put: number, get: number, putRss: number, getRss: number }> {
  const rssEnv = { ...env, P2PDV_REPORT_RSS: '1' }
  const put = await timed(async () => await runCli(['put', file, '--replicas', '3', '--transport', transport, '--json'], rssEnv, 600_000))
  if (put.result.code !== 0) throw new Error(`put failed: ${put.result.stdout} ${put.result.stderr}`)
  const get = await timed(async () => await runCli(['get', put.result.json.capability, '-o', `${file}.out`, '--json'], rssEnv, 600_000))
  if (get.result.code !== 0) throw new Error(`get failed: ${get.result.stdout} ${get.result.stderr}`)
  await rm(`${file}.out`, { force: true })
  return { put: put.seconds, get: get.seconds, putRss: maxRssMb(put.result.stderr), getRss: maxRssMb(get.result.stderr) }
}

try {
  const big = await randomFile('big.bin', MB)
  const small = await randomFile('small.bin', Math.max(1, Math.round(MB / 4)))
  const devnet = await startDevnet(3)
  const heliaRuns: Array<{ add: number, cat: number }> = []
  const ourRuns: Array<Awaited<ReturnType<typeof p2pdvRun>>> = []
  let smallRun, overLibp2p
  try {
    for (let i = 0; i < PASSES; i++) {
      // Each side starts with the disk caught up: a previous pass's dirty pages (up to 1 GiB)
      // would otherwise be written back during the next one, whichever side that is.
      settleDisk()
      heliaRuns.push(await heliaBaseline(big))
      settleDisk()
      ourRuns.push(await p2pdvRun(big, devnet.env))
    }
    overLibp2p = await p2pdvRun(big, devnet.env, 'libp2p')
    smallRun = await p2pdvRun(small, devnet.env)
  } finally {
    await devnet.stop()
    await rm(devnet.dir, { recursive: true, force: true })
  }
  const bytes = MB * 1024 * 1024
  const ours = { put: median(ourRuns.map(r => r.put)), get: median(ourRuns.map(r => r.get)), both: median(ourRuns.map(r => r.put + r.get)), putRss: Math.max(...ourRuns.map(r => r.putRss)), getRss: Math.max(...ourRuns.map(r => r.getRss)) }
  const helia = { add: median(heliaRuns.map(r => r.add)), cat: median(heliaRuns.map(r => r.cat)), both: median(heliaRuns.map(r => r.add + r.cat)) }
  printTable(`put/get of ${MB} MiB: p2pdv (3 node processes, 3 replicas, sealed; wall clock incl. CLI start) vs Helia unixfs (1 copy, plaintext, in-process); medians of ${PASSES} pass(es), peak RSS the highest`, [
    { name: 'put + get (3 replicas; HTTP data plane)', value: mbps(bytes, ours.both), baselineName: 'Helia add + cat (bitswap)', baseline: mbps(bytes, helia.both), unit: 'MB/s', better: 'higher', target: '≥ 1×' },
    { name: 'put: seal + 3 replicas over HTTP PUT', value: mbps(bytes, ours.put), baselineName: 'Helia unixfs add (local)', baseline: mbps(bytes, helia.add), unit: 'MB/s', better: 'higher' },
    { name: 'put: seal + 3 replicas over libp2p store', value: mbps(bytes, overLibp2p.put), baselineName: 'Helia unixfs add (local)', baseline: mbps(bytes, helia.add), unit: 'MB/s', better: 'higher' },
    { name: 'get: fetch + verify + open (HTTP)', value: mbps(bytes, ours.get), baselineName: 'Helia unixfs cat over bitswap', baseline: mbps(bytes, helia.cat), unit: 'MB/s', better: 'higher', target: '≥ 1×' },
    { name: `client peak RSS, put ${MB} MiB`, value: ours.putRss, baselineName: `put ${Math.round(MB / 4)} MiB`, baseline: smallRun.putRss, unit: 'MiB', better: 'lower', target: '≈ 1× (size-independent)' },
    { name: `client peak RSS, get ${MB} MiB`, value: ours.getRss, baselineName: `get ${Math.round(MB / 4)} MiB`, baseline: smallRun.getRss, unit: 'MiB', better: 'lower', target: '≈ 1× (size-independent)' }
  ])
  const perPass = ourRuns.map((r, i) => `${((heliaRuns[i]!.add + heliaRuns[i]!.cat) / (r.put + r.get)).toFixed(2)}×`)
  process.stdout.write(`put + get vs Helia add + cat, pass by pass: ${perPass.join(', ')} (put ${ourRuns.map(r => r.put.toFixed(2)).join(' / ')} s, get ${ourRuns.map(r => r.get.toFixed(2)).join(' / ')} s; Helia add ${heliaRuns.map(r => r.add.toFixed(2)).join(' / ')} s, cat ${heliaRuns.map(r => r.cat.toFixed(2)).join(' / ')} s)\n\n`)
} finally {
  await rm(dir, { recursive: true, force: true })
}

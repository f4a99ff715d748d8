// The node's block data plane, per block: 1 MiB blocks PUT then GET against one real node
// process, four requests in flight, measured as the node process's CPU time (user + system, from
// /proc) per MiB and as throughput. Beside it, a bare node:http server in its own process doing
// the same disk and hash work (hash the body, write a temp file and rename it; read the file and
// hash it before answering): what a block costs with no node around it.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { blockCid } from '@p2pdv/core'
import { mbps, printTable } from '../../../scripts/bench-util.ts'
import { spawnNode } from '../test/fixtures/spawn-node.ts'
import { testGrant } from '../test/fixtures/grants.ts'

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 256)
const IN_FLIGHT = 4
const MiB = 1024 * 1024

/** A bare server doing a node's per-block disk and hash work, nothing else. */
const BARE_SERVER = `
const { createServer } = require('node:http'); const { createHash } = require('node:crypto')
const fs = require('node:fs/promises'); const dir = process.argv[1]
createServer(async (req, res) => {
  const name = dir + '/' + req.url.slice(6)
  if (req.method === 'PUT') {
    const parts = []; const h = createHash('sha256')
    for await (const c of req) { parts.push(c); h.update(c) }
    h.digest()
    await fs.writeFile(name + '.tmp', parts); await fs.rename(name + '.tmp', name)
    res.writeHead(201, { 'content-type': 'application/json' }).end('{}')
  } else {
    const b = await fs.readFile(name); createHash('sha256').update(b).digest()
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw', 'content-length': b.length }).end(b)
  }
}).listen(0, '127.0.0.1', function () { process.stdout.write(JSON.stringify({ url: 'http://127.0.0.1:' + this.address().port }) + '\\n') })
`

function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime, in clock ticks
}

const blocks = await Promise.all(Array.from({ length: BLOCKS }, async () => {
  const bytes = new Uint8Array(randomBytes(MiB))
  return { bytes, cid: (await blockCid(bytes)).toString() }
}))
const agent = new Agent({ keepAlive: true })
/** The node's upload grant (one per run; the bare server ignores it). */
let authorization = ''

async function call (method: 'PUT' | 'GET', url: string, body?: Uint8Array): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: method === 'PUT' ? { 'content-type': 'application/vnd.ipld.raw', 'content-length': body!.byteLength, authorization } : { accept: 'application/vnd.ipld.raw' } }, res => {
      let n = 0
      res.on('data', (d: Buffer) => { n += d.byteLength })
      res.on('end', () => { res.statusCode! < 300 ? resolve(n) : reject(new Error(`${method} ${res.statusCode}`)) })
    })
    req.once('error', reject)
    req.end(body)
  })
}

async function phase (pid: number, base: string, method: 'PUT' | 'GET'): Promise<{ seconds: number, cpu: number }> {
  let next = 0
  const cpu0 = cpuSeconds(pid)
  const t0 = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < blocks.length) {
      const b = blocks[next++]!
      await call(method, `${base}/ipfs/${b.cid}`, method === 'PUT' ? b.bytes : undefined)
    }
  }))
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(pid) - cpu0 }
}

async function measure (pid: number, base: string): Promise<{ put: { seconds: number, cpu: number }, get: { seconds: number, cpu: number } }> {
  const put = await phase(pid, base, 'PUT')
  const get = await phase(pid, base, 'GET')
  return { put, get }
}

const dir = await mkdtemp(join(tmpdir(), 'p2pdv-data-plane-'))
const bare = spawn(process.execPath, ['-e', BARE_SERVER, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
const node = await spawnNode()
authorization = (await testGrant(node.info.peerId, { bytes: 64 * 1024 ** 3 })).authorization
try {
  const bareUrl = await new Promise<string>(resolve => createInterface({ input: bare.stdout! }).once('line', line => { resolve((JSON.parse(line) as { url: string }).url) }))
  // A few untimed requests first, so both servers run warm (JIT); the measured blocks are new to both.
  for (let i = 0; i < 16; i++) {
    const bytes = new Uint8Array(randomBytes(MiB))
    const cid = (await blockCid(bytes)).toString()
    await call('PUT', `${bareUrl}/ipfs/${cid}`, bytes)
    await call('PUT', `${node.info.http}/ipfs/${cid}`, bytes)
    await call('GET', `${bareUrl}/ipfs/${cid}`)
    await call('GET', `${node.info.http}/ipfs/${cid}`)
  }
  const bareRun = await measure(bare.pid!, bareUrl)
  const nodeRun = await measure(node.proc.pid!, node.info.http)
  const bytes = BLOCKS * MiB
  const msPerMiB = (cpu: number): number => cpu * 1000 / BLOCKS
  printTable(`Block data plane: ${BLOCKS} x 1 MiB, ${IN_FLIGHT} requests in flight, one node process`, [
    { name: 'PUT: node CPU per MiB', value: msPerMiB(nodeRun.put.cpu), baselineName: 'bare node:http server', baseline: msPerMiB(bareRun.put.cpu), unit: 'ms', better: 'lower' },
    { name: 'GET: node CPU per MiB', value: msPerMiB(nodeRun.get.cpu), baselineName: 'bare node:http server', baseline: msPerMiB(bareRun.get.cpu), unit: 'ms', better: 'lower' },
    { name: 'PUT throughput', value: mbps(bytes, nodeRun.put.seconds), baselineName: 'bare node:http server', baseline: mbps(bytes, bareRun.put.seconds), unit: 'MB/s', better: 'higher' },
    { name: 'GET throughput', value: mbps(bytes, nodeRun.get.seconds), baselineName: 'bare node:http server', baseline: mbps(bytes, bareRun.get.seconds), unit: 'MB/s', better: 'higher' }
  ])
} finally {
  bare.kill()
  await node.stop()
  await rm(node.info.dataDir, { recursive: true, force: true })
  await rm(dir, { recursive: true, force: true })
  agent.destroy()
}

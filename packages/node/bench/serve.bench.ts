// Serving one hot 1 MiB block to many connections: wrk (2 threads, --latency) at 64 and 256
// connections against a real node process (`GET /ipfs/<cid>`), beside a bare node:http server in
// its own process answering the same bytes from memory (what node:http itself costs), and nginx
// serving the same file from disk (when installed). Each case runs a few seconds after a short
// warm-up; everything started here is stopped at the end. Skipped (with a note) without wrk.
// SERVE_BENCH_SECONDS sets the seconds per case (default 4).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { blockCid } from '@p2pdv/core'
import { printTable, type Row } from '../../../scripts/bench-util.ts'
import { spawnNode } from '../test/fixtures/spawn-node.ts'
import { testGrant } from '../test/fixtures/grants.ts'

const SECONDS = Math.max(1, Math.round(Number(process.env.SERVE_BENCH_SECONDS ?? 4)) || 4)
const CONNECTIONS = [64, 256]
const MiB = 1024 * 1024

/** A bare node:http server answering every request with the block, from memory, with the node's headers. */
const BARE_SERVER = `
const { createServer } = require('node:http'); const body = require('node:fs').readFileSync(process.argv[1])
const headers = { 'content-type': 'application/vnd.ipld.raw', 'content-length': body.length, 'cache-control': 'public, max-age=29030400, immutable' }
createServer((req, res) => { res.writeHead(200, headers); res.end(body) })
  .listen(0, '127.0.0.1', function () { process.stdout.write(JSON.stringify({ url: 'http://127.0.0.1:' + this.address().port }) + '\\n') })
`

function installed (cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

/** A port free right now (nginx cannot listen on port 0); nothing else on the machine races us for it in practice. */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

interface WrkResult { reqPerSec: number, p99Ms: number, errors: number, requests: number }

function cpuOf (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime, in clock ticks
  } catch {
    return 0
  }
}

/** CPU seconds of a process and its children (nginx's workers): a figure the machine's other load disturbs less than req/s. */
function cpuSeconds (pid: number): number {
  let children: number[] = []
  try { children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(x => x !== '').map(Number) } catch {}
  return cpuOf(pid) + children.reduce((a, c) => a + cpuOf(c), 0)
}

function toMs (v: string, unit: string): number {
  return Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1)
}

/** Runs wrk and reads its summary: requests per second, the 99th percentile latency, non-2xx and socket errors. */
async function wrk (url: string, connections: number, seconds: number): Promise<WrkResult> {
  const proc = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', url], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout!.on('data', d => { out += String(d) })
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)\b/.exec(out)
  if (rps === null || p99 === null) throw new Error(`unexpected wrk output:\n${out}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = Number(non2xx?.[1] ?? 0) + (sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0))
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  return { reqPerSec: Number(rps[1]), p99Ms: toMs(p99[1]!, p99[2]!), errors, requests }
}

async function waitForUrl (proc: ChildProcess): Promise<string> {
  return await new Promise((resolve, reject) => {
    proc.once('exit', code => reject(new Error(`server exited with ${code}`)))
    createInterface({ input: proc.stdout! }).once('line', line => { resolve((JSON.parse(line) as { url: string }).url) })
  })
}

async function waitUntilServing (url: string): Promise<void> {
  let last: unknown
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url)
      await r.arrayBuffer()
      if (r.ok) return
      last = r.status
    } catch (err) { last = err }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`${url} does not answer: ${last}`)
}

async function startNginx (root: string, dir: string): Promise<{ url: string, proc: ChildProcess }> {
  const port = await freePort()
  // Roughly nginx's stock static-file setup (sendfile, one worker per core), no access log.
  const conf = `daemon off; master_process on; worker_processes auto; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  types { application/vnd.ipld.raw data; }
  server { listen 127.0.0.1:${port}; root ${root}; location /ipfs/ { add_header cache-control "public, max-age=29030400, immutable"; } }
}
`
  await writeFile(join(dir, 'nginx.conf'), conf)
  const proc = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] })
  return { url: `http://127.0.0.1:${port}`, proc }
}

async function stop (proc: ChildProcess | undefined): Promise<void> {
  if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise(resolve => proc.once('exit', resolve))
  proc.kill('SIGTERM')
  await exited
}

if (!installed('wrk')) {
  process.stdout.write('serve.bench.ts: wrk is not installed; skipped.\n')
  process.exit(0)
}

const dir = await mkdtemp(join(tmpdir(), 'p2pdv-serve-bench-'))
const bytes = new Uint8Array(randomBytes(MiB))
const cid = (await blockCid(bytes)).toString()
const path = `/ipfs/${cid}`
await mkdir(join(dir, 'www', 'ipfs'), { recursive: true })
await writeFile(join(dir, 'www', 'ipfs', cid), bytes, { mode: 0o644 })
// nginx's workers may run as another user (when started as root): let them read the file.
await chmod(dir, 0o755)

let bare: ChildProcess | undefined
let nginx: ChildProcess | undefined
const node = await spawnNode()
try {
  const { authorization } = await testGrant(node.info.peerId)
  const put = await fetch(`${node.info.http}${path}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization }, body: bytes as Uint8Array<ArrayBuffer> })
  if (put.status !== 201) throw new Error(`PUT answered ${put.status}`)
  bare = spawn(process.execPath, ['-e', BARE_SERVER, join(dir, 'www', 'ipfs', cid)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const targets: Array<{ name: string, url: string, pid: number }> = [
    { name: 'node', url: `${node.info.http}${path}`, pid: node.proc.pid! },
    { name: 'bare node:http', url: `${await waitForUrl(bare)}${path}`, pid: bare.pid! }
  ]
  if (installed('nginx')) {
    await mkdir(join(dir, 'nginx'))
    const started = await startNginx(join(dir, 'www'), join(dir, 'nginx'))
    nginx = started.proc
    targets.push({ name: 'nginx', url: `${started.url}${path}`, pid: nginx.pid! })
  } else {
    process.stdout.write('nginx is not installed: no nginx baseline.\n')
  }
  for (const t of targets) await waitUntilServing(t.url)

  const rows: Row[] = []
  for (const c of CONNECTIONS) {
    const results = new Map<string, WrkResult & { cpuMs: number }>()
    // Warm-up (JIT, keep-alive pools), then the measured runs one after another.
    for (const t of targets) await wrk(t.url, c, 1)
    for (const t of targets) {
      const cpu0 = cpuSeconds(t.pid)
      const r = await wrk(t.url, c, SECONDS)
      results.set(t.name, { ...r, cpuMs: (cpuSeconds(t.pid) - cpu0) * 1000 / Math.max(1, r.requests) })
    }
    for (const [name, r] of results) if (r.errors > 0) process.stdout.write(`${name} at ${c} connections: ${r.errors} errors\n`)
    const n = results.get('node')!
    for (const [name, r] of results) {
      if (name === 'node') continue
      rows.push({ name: `${c} conns: req/s`, value: n.reqPerSec, baselineName: name, baseline: r.reqPerSec, unit: 'req/s', better: 'higher', ...(name === 'bare node:http' ? { target: '≥ 0.9×' } : {}) })
      rows.push({ name: `${c} conns: p99`, value: n.p99Ms, baselineName: name, baseline: r.p99Ms, unit: 'ms', better: 'lower', ...(name === 'bare node:http' ? { target: '≤ 100 ms' } : {}) })
      rows.push({ name: `${c} conns: server CPU per request`, value: n.cpuMs, baselineName: name, baseline: r.cpuMs, unit: 'ms', better: 'lower' })
    }
  }
  printTable(`GET of one 1 MiB block, wrk -t2 --latency, ${SECONDS} s per case, node process vs baselines`, rows)
} finally {
  await stop(nginx)
  await stop(bare)
  await node.stop()
  await rm(node.info.dataDir, { recursive: true, force: true })
  await rm(dir, { recursive: true, force: true })
}

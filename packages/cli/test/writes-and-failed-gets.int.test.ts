// Issue 22, parts 2 and 4, as a user meets them on a 3-node devnet: a put the nodes cannot give
// its scheme fails (or, with --allow-degraded, is stored and reported under-replicated), and a get
// whose holders fail mid-stream ends with the typed error, the exit code and no partial file.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

/** A proxy in front of one node whose block reads fail mid-stream: see `get` below. */
async function failingProxy (upstream: string): Promise<{ url: string, blockRequests: () => number, close: () => void }> {
  let blocks = 0
  const held: Array<() => void> = []
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/'
    // No providers and no peer list: the reader must not find the real nodes behind the proxy's
    // back (a client that can reach them reads around the failing holder, as it should).
    if (url.startsWith('/routing/') || url.startsWith('/api/v1/peers')) { res.statusCode = 404; res.end(); return }
    if (url.startsWith('/ipfs/')) {
      const n = blocks++
      // The manifest passes; the first data block hangs, then resets; every later block resets
      // at once, so their failures land while the reader still waits for the first one.
      if (n > 0) {
        if (n === 1) { const t = setTimeout(() => res.destroy(), 1500); held.push(() => { clearTimeout(t); res.destroy() }) } else res.destroy()
        return
      }
    }
    void fetch(upstream + url, { method: req.method ?? 'GET' }).then(async r => {
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' })
      res.end(Buffer.from(await r.arrayBuffer()))
    }, () => res.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    blockRequests: () => blocks,
    close: () => { for (const release of held) release(); server.closeAllConnections(); server.close() }
  }
}

describe('writes keep their scheme, failed gets end cleanly (3-node devnet)', () => {
  let devnet: RunningDevnet
  let inputPath: string
  let replicated: string

  before(async () => {
    devnet = await startDevnet(3)
    inputPath = join(devnet.dir, 'input.bin')
    await writeFile(inputPath, randomBytes(12 * 1024 * 1024 + 7))
    const put = await runCli(['put', inputPath, '--replicas', '3', '--json'], devnet.env)
    assert.equal(put.code, 0, put.stderr + put.stdout)
    replicated = put.json.capability
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('put: a scheme the nodes cannot meet fails with the typed error, naming what it needs and found, and stores nothing', async () => {
    // The default scheme (4 data + 2 parity, from governance or the core default) needs 6 nodes.
    const r = await runCli(['put', inputPath, '--json'], devnet.env)
    assert.equal(r.code, 1, r.stderr + r.stdout)
    assert.equal(r.json.error.code, 'ERR_NOT_ENOUGH_NODES')
    assert.deepEqual(r.json.error.details, { need: 6, found: 3 })
    assert.match(r.json.error.hint, /--allow-degraded/)
    assert.equal(r.json.capability, undefined)
    const replicas = await runCli(['put', inputPath, '--replicas', '4'], devnet.env)
    assert.equal(replicas.code, 1, replicas.stderr)
    assert.match(replicas.stderr, /^error: .*needs 4 distinct nodes, but only 3 .* \[ERR_NOT_ENOUGH_NODES\]$/m)
  })

  it('put --allow-degraded stores it under the requested scheme, says so, and check reports it under-replicated (exit 4); get reads it', async () => {
    const put = await runCli(['put', inputPath, '--allow-degraded', '--json'], devnet.env)
    assert.equal(put.code, 0, put.stderr + put.stdout)
    assert.deepEqual([put.json.scheme, put.json.k, put.json.m], ['rs', 4, 2])
    assert.deepEqual(put.json.degraded, { need: 6, found: 3 })
    const check = await runCli(['check', put.json.capability, '--json'], devnet.env)
    assert.equal(check.code, 4, check.stderr + check.stdout)
    assert.equal(check.json.healthy, false)
    assert.equal(check.json.lost, 0)
    assert.deepEqual(check.json.degradedWrite, { need: 6, found: 3 })
    // 13 blocks: three full stripes of 6 blocks on 3 nodes, and a last one of 1 data + 2 parity
    // blocks, whole on 3 nodes, like the manifest's m + 1 = 3 copies.
    assert.deepEqual(check.json.stripes.map((st: { status: string, available: number, blocks: number, nodes: number }) => [st.status, st.available, st.blocks, st.nodes]),
      [...Array(3).fill(['under-replicated', 6, 6, 3]), ['healthy', 3, 3, 3]])
    assert.equal(check.json.manifest.status, 'healthy')
    assert.equal(check.json.underReplicated, 3)
    const text = await runCli(['check', put.json.capability], devnet.env)
    assert.equal(text.code, 4, text.stderr + text.stdout)
    assert.match(text.stdout, /^UNDER-REPLICATED: \d+ stripe\(s\) stored on fewer nodes than the scheme asks \(written with --allow-degraded: 3 of 6 nodes\)/m)
    const out = join(devnet.dir, 'degraded-out.bin')
    const get = await runCli(['get', put.json.capability, '-o', out, '--json'], devnet.env)
    assert.equal(get.code, 0, get.stderr + get.stdout)
    assert.equal(get.json.size, 12 * 1024 * 1024 + 7)
    // Replication short of its count: one copy per node, two owed per block.
    const rep = await runCli(['put', inputPath, '--replicas', '5', '--allow-degraded', '--json'], devnet.env)
    assert.equal(rep.code, 0, rep.stderr + rep.stdout)
    assert.deepEqual(rep.json.degraded, { need: 5, found: 3 })
    const repCheck = await runCli(['check', rep.json.capability, '--json'], devnet.env)
    assert.equal(repCheck.code, 4, repCheck.stderr + repCheck.stdout)
    for (const st of [repCheck.json.manifest, ...repCheck.json.stripes]) assert.deepEqual([st.status, st.available, st.blocks], ['under-replicated', 3, 5])
    // Without --json, the put warns on stderr (5 blocks: a full stripe of 4 + 2 on 3 nodes).
    const small = join(devnet.dir, 'small.bin')
    await writeFile(small, randomBytes(4 * 1024 * 1024 + 1))
    const warned = await runCli(['put', small, '--allow-degraded'], devnet.env)
    assert.equal(warned.code, 0, warned.stderr)
    assert.match(warned.stderr, /^warning: stored UNDER-REPLICATED \(--allow-degraded\): the scheme needs 6 distinct nodes, the blocks are on 3;/m)
  })

  it('get: holders that fail mid-stream end it with the typed error, exit 1, no .part file and no unhandled rejection', async () => {
    const proxy = await failingProxy(devnet.state.nodes[0]!.http)
    try {
      const outDir = join(devnet.dir, 'get-out')
      await rm(outDir, { recursive: true, force: true })
      await mkdir(outDir)
      // A fresh home: no peers cached by the commands above.
      const home = join(devnet.dir, 'fresh-home')
      const r = await runCli(['get', replicated, '-o', join(outDir, 'out.bin'), '--json', '--node', proxy.url], { ...devnet.env, P2PDV_HOME: home })
      assert.ok(proxy.blockRequests() > 2, 'several blocks were asked for at once')
      assert.equal(r.code, 1, r.stderr + r.stdout)
      assert.equal(r.json?.error?.code, 'ERR_BLOCK_UNAVAILABLE', r.stderr + r.stdout)
      assert.equal(typeof r.json.error.hint, 'string')
      assert.doesNotMatch(r.stderr, /unhandled|triggerUncaughtException|^\s+at /im)
      assert.deepEqual(await readdir(outDir), [], 'no output and no .part file')
    } finally {
      proxy.close()
    }
  })
})

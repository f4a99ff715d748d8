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
    // No providers: the reader must not find the real nodes behind the proxy's back.
    if (url.startsWith('/routing/')) { res.statusCode = 404; res.end(); return }
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

  it('get: holders that fail mid-stream end it with the typed error, exit 1, no .part file and no unhandled rejection', async () => {
    const proxy = await failingProxy(devnet.state.nodes[0]!.http)
    try {
      const outDir = join(devnet.dir, 'get-out')
      await rm(outDir, { recursive: true, force: true })
      await mkdir(outDir)
      const r = await runCli(['get', replicated, '-o', join(outDir, 'out.bin'), '--json', '--node', proxy.url], devnet.env)
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

// End to end, as a user runs it: a real devnet of 3 node processes, then `p2pdv put`, `get` and
// `check` as separate processes. `check` is followed through healthy, silent-holder, degraded
// and lost states as nodes are killed.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { access, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('p2pdv put / get on a 3-node devnet', () => {
  let devnet: RunningDevnet
  let input: Buffer
  let inputPath: string
  let capability: string
  /** Erasure-coded k = 2, m = 1 (3 nodes are enough): 3 stripes of 2 data + 1 parity blocks. */
  let rsCapability: string

  before(async () => {
    devnet = await startDevnet(3)
    input = randomBytes(5 * 1024 * 1024 + 123)
    inputPath = join(devnet.dir, 'input.bin')
    await writeFile(inputPath, input)
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('put prints a capability and stores 3 replicas of every block', async () => {
    const r = await runCli(['put', inputPath, '--replicas', '3', '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    capability = r.json.capability
    assert.match(capability, /^p2pdv:\/\/b[a-z2-7]+#[A-Za-z0-9_-]+$/)
    assert.equal(r.json.size, input.length)
    assert.equal(r.json.blocks, 6)
    // 6 data blocks + 1 manifest block, 3 receipts each.
    assert.equal(r.json.receipts, 7 * 3)
    // The key never reaches a node: no node log mentions it.
    const key = capability.split('#')[1] as string
    for (const f of (await readdir(join(devnet.dir, 'devnet'))).filter(f => f.endsWith('.log'))) {
      assert.ok(!(await readFile(join(devnet.dir, 'devnet', f), 'utf8')).includes(key), `${f} must not contain the key`)
    }
  })

  it('get writes the file back bit-exact, and a named wallet leaves each serving node a receipt for its bytes', async () => {
    const out = join(devnet.dir, 'out.bin')
    // Without a named wallet, no receipts (and no wallet to unseal).
    const plain = await runCli(['get', capability, '-o', out, '--json'], devnet.env)
    assert.equal(plain.code, 0, plain.stderr + plain.stdout)
    assert.deepEqual(plain.json.receipts, [])
    const r = await runCli(['get', capability, '-o', out, '--as', 'alice', '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(sha(await readFile(out)), sha(input))
    const receipts = r.json.receipts as Array<{ peerId: string, receipts: number, bytes: number, refused: string[] }>
    assert.ok(receipts.length > 0, 'the nodes that served got receipts')
    assert.deepEqual(receipts.flatMap(x => x.refused), [], 'the nodes kept every receipt')
    assert.ok(receipts.every(x => x.receipts > 0))
    assert.ok(receipts.reduce((a, x) => a + x.bytes, 0) >= input.length, 'at least the file\'s bytes (sealed blocks and the manifest are larger)')
  })

  it('check: every stripe healthy, in text and --json (exit 0)', async () => {
    const put = await runCli(['put', inputPath, '--k', '2', '--m', '1', '--json'], devnet.env)
    assert.equal(put.code, 0, put.stderr + put.stdout)
    rsCapability = put.json.capability
    const text = await runCli(['check', rsCapability], devnet.env)
    assert.equal(text.code, 0, text.stderr + text.stdout)
    assert.match(text.stdout, /erasure k=2, m=1/)
    assert.match(text.stdout, /stripe 0 +healthy +3\/3 available, needs 2/)
    assert.match(text.stdout, /^healthy; /m)
    const json = await runCli(['check', capability, '--json'], devnet.env)
    assert.equal(json.code, 0, json.stderr + json.stdout)
    assert.equal(json.json.scheme, 'replicas')
    assert.equal(json.json.healthy, true)
    assert.equal(json.json.lost, 0)
    assert.equal(json.json.unknown, 0)
    assert.equal(json.json.stripes.length, 6)
    for (const st of json.json.stripes) assert.deepEqual([st.status, st.available, st.blocks], ['healthy', 3, 3])
    assert.equal(json.json.manifest.available, 3)
  })

  it('check: a holder that never answers is reported as timed out, not missing (exit 3)', async () => {
    // A proxy in front of one node that swallows block probes (everything else passes through).
    const real = devnet.state.nodes[2]!
    const held: Array<() => void> = []
    let swallowed = 0
    const silent: Server = createServer((req, res) => {
      if ((req.url ?? '').startsWith('/ipfs/')) { swallowed++; held.push(() => res.destroy()); return }
      void fetch(real.http + (req.url ?? '/')).then(async r => { res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' }); res.end(Buffer.from(await r.arrayBuffer())) }, () => res.destroy())
    })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    try {
      const nodes = [devnet.state.nodes[0]!.http, devnet.state.nodes[1]!.http, `http://127.0.0.1:${(silent.address() as { port: number }).port}`]
      // Live nodes get 3 s, then 9 s: plenty even on a loaded machine; the silent one never answers.
      const r = await runCli(['check', capability, '--json', '--timeout', '3', ...nodes.flatMap(n => ['--node', n])], devnet.env)
      assert.equal(r.code, 3, r.stderr + r.stdout)
      assert.ok(swallowed > 0)
      assert.equal(r.json.lost, 0)
      assert.equal(r.json.unknown, 7, 'the manifest and 6 blocks: each maybe healthy, maybe degraded')
      assert.ok(r.json.timeouts > 0)
      for (const b of r.json.blocks) {
        assert.deepEqual(b.timedOut, [real.peerId])
        assert.equal(b.ok.length, 2)
      }
    } finally {
      for (const release of held) release()
      silent.closeAllConnections()
      silent.close()
    }
  })

  it('a wrong key fails with a typed error and leaves no output file', async () => {
    const [base, key] = capability.split('#') as [string, string]
    const wrong = `${base}#${Buffer.from(Buffer.from(key, 'base64url').map(b => b ^ 1)).toString('base64url')}`
    const out = join(devnet.dir, 'wrong.bin')
    const r = await runCli(['get', wrong, '-o', out, '--json'], devnet.env)
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'ERR_CHUNK_AUTH')
    await assert.rejects(access(out))
    assert.deepEqual((await readdir(devnet.dir)).filter(f => f.startsWith('wrong.bin')), [])
  })

  it('a node that serves corrupted bytes is detected and skipped', async () => {
    // A fake node first in the list: it proxies a real node but flips a byte of every block.
    const real = devnet.state.nodes[0]!
    let served = 0
    const fake: Server = createServer((req, res) => {
      void (async () => {
        if (req.url === '/api/v1/node') {
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify({ peerId: '12D3KooWFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake', multiaddrs: [] }))
          return
        }
        const upstream = await fetch(real.http + (req.url ?? '/'))
        const body = Buffer.from(await upstream.arrayBuffer())
        if (upstream.ok && body.length > 0) { body[body.length >> 1]! ^= 0x40; served++ }
        res.statusCode = upstream.status
        res.end(body)
      })()
    })
    await new Promise<void>(resolve => fake.listen(0, '127.0.0.1', resolve))
    const port = (fake.address() as { port: number }).port
    try {
      const out = join(devnet.dir, 'via-fake.bin')
      const r = await runCli(['get', capability, '-o', out, '--json', '--node', `http://127.0.0.1:${port}`, ...devnet.state.nodes.map(n => ['--node', n.http]).flat()], devnet.env)
      assert.equal(r.code, 0, r.stderr + r.stdout)
      assert.ok(served > 0, 'the corrupting node was asked')
      assert.equal(sha(await readFile(out)), sha(input))
    } finally {
      fake.close()
    }
  })

  it('get still succeeds after one node is killed with SIGKILL', async () => {
    process.kill(devnet.state.nodes[1]!.pid, 'SIGKILL')
    const out = join(devnet.dir, 'after-kill.bin')
    const r = await runCli(['get', capability, '-o', out, '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(sha(await readFile(out)), sha(input))
  })

  it('check: degraded after one node is killed (exit 0)', async () => {
    // Node 1 was killed above. Repair may have rewritten the records by now; the verdict is the same.
    const r = await runCli(['check', rsCapability, '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(r.json.healthy, false)
    assert.equal(r.json.lost, 0)
    for (const st of r.json.stripes) assert.deepEqual([st.status, st.available, st.needed], ['at-risk', st.needed, st.needed])
    const text = await runCli(['check', capability], devnet.env)
    assert.equal(text.code, 0, text.stderr + text.stdout)
    assert.match(text.stdout, /stripe 0 +degraded +2\/3 available, needs 1, survives 1 more loss/)
    assert.match(text.stdout, /degraded: 7 stripe\(s\) lost blocks/, 'the manifest and the 6 blocks')
  })

  it('check: a stripe with fewer than k blocks left is lost (exit 1), in text and --json', async () => {
    // Kill one of the two live nodes, keeping one that holds the object's manifest (on m + 1 = 2
    // nodes), so check can still read the manifest and judge the stripes.
    const before = await runCli(['check', rsCapability, '--json'], devnet.env)
    const keep: string = before.json.blocks[0].ok[0]
    const victim = devnet.state.nodes.find((n, i) => i !== 1 && n.peerId !== keep)!
    process.kill(victim.pid, 'SIGKILL')
    const json = await runCli(['check', rsCapability, '--json'], devnet.env)
    assert.equal(json.code, 1, json.stderr + json.stdout)
    assert.equal(json.json.lost, 3)
    assert.ok(json.json.stripes.every((st: { status: string }) => st.status === 'lost'))
    const text = await runCli(['check', rsCapability], devnet.env)
    assert.equal(text.code, 1)
    assert.match(text.stdout, /LOST: 3 stripe\(s\) cannot be read/)
    // The replicated object still has one copy of everything: at risk, not lost.
    const rep = await runCli(['check', capability, '--json'], devnet.env)
    assert.equal(rep.code, 0, rep.stderr + rep.stdout)
    for (const st of rep.json.stripes) assert.equal(st.status, 'at-risk')
  })

  it('blocks survive a restart of the whole devnet', async () => {
    await devnet.stop()
    devnet = await startDevnet(3, devnet.dir)
    const out = join(devnet.dir, 'after-restart.bin')
    const r = await runCli(['get', capability, '-o', out, '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(sha(await readFile(out)), sha(input))
  })
})

// End to end, as a user runs it: a real devnet of 3 node processes, then `p2pdv put` and
// `p2pdv get` as separate processes.
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

  it('get writes the file back bit-exact', async () => {
    const out = join(devnet.dir, 'out.bin')
    const r = await runCli(['get', capability, '-o', out, '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(sha(await readFile(out)), sha(input))
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

  it('blocks survive a restart of the whole devnet', async () => {
    await devnet.stop()
    devnet = await startDevnet(3, devnet.dir)
    const out = join(devnet.dir, 'after-restart.bin')
    const r = await runCli(['get', capability, '-o', out, '--json'], devnet.env)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(sha(await readFile(out)), sha(input))
  })
})
